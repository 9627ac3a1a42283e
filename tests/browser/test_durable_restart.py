"""A server killed with kill -9 and started again on the same store: every page comes back by itself.

The controller's page and a watcher's page stay on the same session id,
reconnect on their own, find the state they left (every step the server
acknowledged), and the controller still controls: its token, kept by the
page, still opens the session.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, Page, expect

from .conftest import LabServer, get_json, list_items, open_lab, shot, sid

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def server() -> Iterator[LabServer]:
    s = LabServer().start()  # its own SQLite store, kept across kill and start
    yield s
    s.stop()


def test_pages_reconnect_to_the_same_session_after_kill_9(page: Page, browser: Browser, server: LabServer) -> None:
    open_lab(page, server)
    session = sid(page)
    n0 = page.evaluate("() => window.hintingLab.ctx.timeline.length")
    page.get_by_test_id("alloc-zone").select_option("Normal")
    page.get_by_test_id("alloc-order").select_option("3")
    for _ in range(3):
        page.get_by_test_id("alloc-submit").click()
    page.get_by_test_id("hinting-start").click()
    expect(page.locator('[data-testid="zone"][data-zone="Normal"]')).to_have_attribute("data-requested", "true")
    page.wait_for_function(f"() => window.hintingLab.ctx.timeline.length === {n0 + 4}")
    state = get_json(server, f"/api/sessions/{session}/state")
    before = list_items(page, "Normal", 3)

    watcher_ctx = browser.new_context(viewport={"width": 1280, "height": 720})
    watcher = watcher_ctx.new_page()
    watcher.goto(f"{server.url}/s/{session}")
    expect(watcher.get_by_test_id("connection")).to_have_text("live")
    expect(watcher.get_by_test_id("role")).to_be_visible()  # it only watches

    server.kill()
    for p in (page, watcher):
        expect(p.get_by_test_id("connection")).not_to_have_text("live")
    server.start()
    for p in (page, watcher):
        expect(p.get_by_test_id("connection")).to_have_text("live", timeout=20_000)
        assert sid(p) == session
    assert get_json(server, f"/api/sessions/{session}/state") == state
    assert list_items(page, "Normal", 3) == before
    assert list_items(watcher, "Normal", 3) == before
    expect(page.get_by_test_id("banner")).to_be_hidden()
    expect(page.get_by_test_id("role")).to_be_hidden()  # still in control
    expect(watcher.get_by_test_id("role")).to_be_visible()  # still only watching
    shot(page, "durable-restart-controller")
    shot(watcher, "durable-restart-watcher")

    # The controller acts; the watcher sees it.
    page.get_by_test_id("alloc-submit").click()
    page.wait_for_function(f"() => window.hintingLab.ctx.timeline.length === {n0 + 5}")
    watcher.wait_for_function(f"() => window.hintingLab.ctx.timeline.length === {n0 + 5}")
    watcher_ctx.close()
