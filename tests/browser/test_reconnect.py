"""Connection: the page shows it, reconnects by itself and resynchronises from a snapshot.

A server restart keeps every session (app/store.py), so the page comes back
to the same id, still in control.  (A server that keeps nothing, `--db
:memory:`, is test_restore_running.py's case: the page recreates its session
from the history it kept.)
"""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from .conftest import LabServer, free_list, list_items, open_lab, shot

pytestmark = pytest.mark.browser


def test_reconnect_after_a_server_restart(page: Page, server: LabServer) -> None:
    open_lab(page, server)
    first_url = page.url
    page.get_by_test_id("alloc-zone").select_option("Normal")
    page.get_by_test_id("alloc-order").select_option("5")
    page.get_by_test_id("alloc-submit").click()
    page.get_by_test_id("hinting-start").click()
    expect(free_list(page, "Normal", 5).locator('[data-pfn="256"]')).to_have_count(0)
    expect(page.locator('[data-testid="zone"][data-zone="Normal"]')).to_have_attribute("data-requested", "true")
    before = list_items(page, "Normal", 5)

    server.stop()
    expect(page.get_by_test_id("connection")).not_to_have_text("live")
    expect(page.get_by_test_id("banner")).to_contain_text("reconnects by itself")
    expect(page.get_by_test_id("step")).to_be_disabled()
    shot(page, "reconnect-offline")

    server.start()
    expect(page.get_by_test_id("connection")).to_have_text("live", timeout=20_000)
    # The same session (the store kept it), with the same state.
    assert page.url == first_url
    expect(page.get_by_test_id("role")).to_be_hidden()
    assert list_items(page, "Normal", 5) == before
    expect(page.locator('[data-testid="zone"][data-zone="Normal"]')).to_have_attribute("data-requested", "true")
    expect(page.get_by_test_id("banner")).to_be_hidden()
    # And it can be driven again.
    page.get_by_test_id("step").click()
    expect(page.get_by_test_id("batch").locator('[data-testid="batch-block"]')).to_have_count(4)
    shot(page, "reconnect-restored")


def test_a_sequence_gap_resynchronises_from_a_snapshot(page: Page, server: LabServer) -> None:
    open_lab(page, server)
    snapshots = page.evaluate("() => window.hintingLab.stats.snapshots")
    # Pretend a delta went missing: the next one no longer follows.
    page.evaluate("() => { window.hintingLab.ctx.conn.seq -= 1; }")
    page.get_by_test_id("alloc-submit").click()
    page.wait_for_function(f"() => window.hintingLab.stats.snapshots > {snapshots}")
    expect(page.get_by_test_id("connection")).to_have_text("live")
    # The snapshot carries the allocation the skipped delta would have shown.
    page.wait_for_function("() => window.hintingLab.store.zone('Normal').alloc.size === 6")
    shot(page, "resync")


def test_a_lost_connection_is_retried(page: Page, server: LabServer) -> None:
    open_lab(page, server)
    # Drop the socket under the page; it comes back on its own, as the same session.
    url = page.url
    page.evaluate("() => window.hintingLab.ctx.conn.ws.close()")
    expect(page.get_by_test_id("connection")).not_to_have_text("live")
    expect(page.get_by_test_id("connection")).to_have_text("live")
    assert page.url == url
    expect(page.get_by_test_id("role")).to_be_hidden()
