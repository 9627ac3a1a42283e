"""A session that ran a workload comes back whole after a restart of a server that keeps nothing.

While a workload runs, deltas name only their newest steps; the page must
fetch the ones left out (static/js/session.js), so that when the server
forgets the session the page recreates it at the same step, not from its
preset.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import Page, expect

from .conftest import LabServer, get_json, open_lab, sid

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def server() -> Iterator[LabServer]:
    """A server with no durable store (`--db :memory:`): a restart forgets every session."""
    s = LabServer(args=["--db", ":memory:"]).start()
    yield s
    s.stop()


def test_a_restart_after_a_workload_restores_every_step(page: Page, server: LabServer) -> None:
    open_lab(page, server)
    page.evaluate("""() => window.hintingLab.ctx.conn.request({type: "workload", action: "start", rate: 3000,
                                                                seed: 5, live_target: 40})""")
    page.wait_for_function("() => window.hintingLab.ctx.timeline.length > 1500", timeout=20_000)
    page.evaluate("() => window.hintingLab.ctx.conn.request({type: 'workload', action: 'stop'})")
    first = sid(page)
    page.wait_for_function("() => !window.hintingLab.ctx.session.workload.running", timeout=20_000)
    length = get_json(server, f"/api/sessions/{first}")["history_length"]
    page.wait_for_function(f"""() => window.hintingLab.hist.missing() === 0 &&
                                     window.hintingLab.hist.steps.length === {length}""", timeout=20_000)
    state = get_json(server, f"/api/sessions/{first}/state")
    assert length > 1500

    server.stop()
    expect(page.get_by_test_id("connection")).not_to_have_text("live")
    server.start()
    page.wait_for_function(f"() => !location.pathname.endsWith('{first}')", timeout=20_000)
    expect(page.get_by_test_id("connection")).to_have_text("live", timeout=20_000)
    second = sid(page)
    assert get_json(server, f"/api/sessions/{second}")["history_length"] == length
    assert get_json(server, f"/api/sessions/{second}/state") == state
