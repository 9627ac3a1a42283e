"""Classroom and stage (issue 9), the details a teacher trips over: keys, errors, links, the QR code, seed lines.

Test ids used here:
  tours-open / tours-menu / tour-item   the Tours menu: one click starts a tour
  present-lan / present-lan-url / present-lan-none   the Present dialog's links for phones on the network
  seed-dialog / seed-lines / seed-missing           an event's seed line reference, opened
  projector-hands   raised hands, shown in projector mode too
"""

from __future__ import annotations

import json
import re

import pytest
from playwright.sync_api import Browser, Page, expect

from app.lan import lan_addresses
from tests.conftest import SEED_FILE

from .conftest import READY_JS, ROOT, LabServer, open_lab, shot

pytestmark = pytest.mark.browser


def test_keys_work_after_choosing_in_a_dropdown(page: Page, server: LabServer) -> None:
    open_lab(page, server)
    page.get_by_test_id("alloc-order").select_option("4")
    page.get_by_test_id("alloc-migratetype").select_option("Unmovable")
    expect(page.get_by_test_id("alloc-migratetype")).not_to_be_focused()
    page.keyboard.press("a")
    expect(page.locator('[data-testid="event"][data-fn="rmqueue"]').last).to_contain_text("(order 4, Unmovable)")


def test_alloc_acts_on_the_zone_on_screen(page: Page, server: LabServer) -> None:
    open_lab(page, server)
    page.keyboard.press("1")
    expect(page.locator('[data-testid="zone"][data-zone="DMA32"]')).to_be_visible()
    expect(page.get_by_test_id("alloc-zone")).to_have_value("DMA32")
    page.keyboard.press("2")
    expect(page.get_by_test_id("alloc-zone")).to_have_value("Normal")


def test_step_in_free_play_runs_the_work_when_it_is_due(page: Page, server: LabServer) -> None:
    open_lab(page, server)
    page.get_by_test_id("hinting-start").click()
    expect(page.get_by_test_id("step")).to_have_attribute("title", re.compile(r"advance the clock 100 ms"))
    page.get_by_test_id("step").click()
    expect(page.get_by_test_id("vtime")).to_have_text("100.0")
    work = page.locator('[data-testid="event"][data-kind="work_start"]').last
    expect(work.locator(".t")).to_have_text("100.0")
    expect(page.get_by_test_id("explain")).to_contain_text("react")


def test_bad_input_is_answered_next_to_its_control(page: Page, server: LabServer) -> None:
    open_lab(page, server)
    page.get_by_test_id("free-pfn").fill("-5")
    page.get_by_test_id("free-submit").click()
    expect(page.locator('[data-testid="error"][data-for="free"]')).to_contain_text("cannot be negative")
    page.get_by_test_id("workload-rate").fill("0")
    page.get_by_test_id("workload-toggle").click()
    expect(page.locator('[data-testid="error"][data-for="workload"]')).to_contain_text("more than 0")
    # A new refusal clears the old one next to another control.
    expect(page.locator('[data-testid="error"][data-for="free"]')).to_be_hidden()
    for bad, says in (("-5", "cannot be negative"), ("99999", "goes up to")):
        page.get_by_test_id("timeline-step").fill(bad)
        page.get_by_test_id("timeline-step").press("Enter")
        expect(page.locator('[data-testid="error"][data-for="timeline"]')).to_contain_text(says)
    shot(page, "classroom-errors")


def test_an_unknown_preset_or_a_broken_link_says_so(page: Page, server: LabServer) -> None:
    page.goto(f"{server.url}/?preset=nonexistent")
    expect(page.get_by_test_id("banner")).to_contain_text("unknown preset 'nonexistent'")
    expect(page.get_by_test_id("connection")).to_have_text("no session")
    page.goto(f"{server.url}/#p=not-a-permalink")
    expect(page.get_by_test_id("banner")).to_contain_text("cannot be opened")
    expect(page.get_by_test_id("connection")).to_have_text("no session")


def test_tours_menu_starts_a_tour_in_one_click_and_errors_stay_with_their_tour(page: Page, server: LabServer) -> None:
    open_lab(page, server, "tour-hint-lost-on-merge")
    steps = int(page.get_by_test_id("tour-progress").get_attribute("data-steps") or 0)
    for p in range(steps):
        page.keyboard.press("n")
        expect(page.get_by_test_id("tour-progress")).to_have_attribute("data-pos", str(p + 1))
    page.keyboard.press("n")  # over: refused in words
    err = page.locator('[data-testid="error"][data-for="tour"]')
    expect(err).to_contain_text("the tour is over")
    page.get_by_test_id("tours-open").click()
    items = page.get_by_test_id("tour-item")
    expect(items).to_have_count(len(list((ROOT / "app" / "presets").glob("tour-*.json"))))
    expect(items.first).to_contain_text(re.compile(r"\w"))
    shot(page, "classroom-tours-menu")
    page.locator('[data-testid="tour-item"][data-tour="tour-boundary-climbs"]').click()
    expect(page.get_by_test_id("tour")).to_contain_text("The boundary climbs a free list")
    expect(page.get_by_test_id("tour-progress")).to_have_attribute("data-pos", "0")
    expect(err).to_be_hidden()


def test_the_qr_code_is_one_a_phone_can_use(browser: Browser, server: LabServer) -> None:
    lan = lan_addresses()
    ctx = browser.new_context(viewport={"width": 1280, "height": 800})
    page = ctx.new_page()
    try:
        open_lab(page, server)
        page.keyboard.press("q")
        box = page.get_by_test_id("present-lan")
        expect(box).to_be_visible()
        # This server listens on 127.0.0.1 only: no phone link, and the page says why.
        expect(page.get_by_test_id("present-lan-none")).to_contain_text("HOST=0.0.0.0" if lan else "no network address")
        shot(page, "classroom-qr-loopback")
    finally:
        ctx.close()
    everywhere = LabServer(args=["--host", "0.0.0.0"]).start()
    ctx = browser.new_context(viewport={"width": 1280, "height": 800})
    page = ctx.new_page()
    try:
        open_lab(page, everywhere)
        page.keyboard.press("q")
        if not lan:
            expect(page.get_by_test_id("present-lan-none")).to_contain_text("no network address")
            return
        first = page.get_by_test_id("present-lan-url").first
        expect(first).to_be_checked()
        link = re.compile(rf"^http://{re.escape(lan[0])}:{everywhere.port}/s/")
        expect(page.get_by_test_id("present-url")).to_have_text(link)
        expect(page.get_by_test_id("present-qr").locator("svg")).to_have_count(1)
        shot(page, "classroom-qr-lan")
    finally:
        ctx.close()
        everywhere.stop()


def test_seed_line_references_open_the_patch(browser: Browser, server: LabServer) -> None:
    page = browser.new_page(viewport={"width": 1600, "height": 1000})
    try:
        open_lab(page, server)
        page.get_by_test_id("hinting-start").click()
        page.locator('[data-testid="event"] a.seed').last.click()
        expect(page.get_by_test_id("seed-dialog")).to_be_visible()
        expect(page.get_by_test_id("seed-missing")).to_contain_text("--seed-file")
        page.keyboard.press("Escape")
        expect(page.get_by_test_id("seed-dialog")).to_be_hidden()
    finally:
        page.close()
    if not SEED_FILE.exists():
        pytest.skip("no seed file here")
    with_seed = LabServer(args=["--seed-file", str(SEED_FILE)]).start()
    page = browser.new_page(viewport={"width": 1600, "height": 1000})
    try:
        open_lab(page, with_seed)
        page.get_by_test_id("hinting-start").click()
        ref = page.locator('[data-testid="event"][data-kind="startup"] a.seed').last
        a, b = (int(x) for x in (ref.get_attribute("data-seed") or "").split("-"))
        ref.click()
        lines = page.get_by_test_id("seed-lines")
        expect(lines).to_be_visible()
        marked = lines.locator(".hl")
        expect(marked).to_have_count(b - a + 1)
        text = SEED_FILE.read_text().splitlines()
        expect(marked.first).to_contain_text(text[a - 1].strip()[:30])
        shot(page, "classroom-seed-lines")
    finally:
        page.close()
        with_seed.stop()


def test_hands_show_on_the_projector_and_notes_opened_by_hand_drive_the_talk(browser: Browser,
                                                                             server: LabServer) -> None:
    ctx = browser.new_context(viewport={"width": 1280, "height": 720})
    watcher_ctx = browser.new_context(viewport={"width": 390, "height": 844})
    try:
        page = ctx.new_page()
        open_lab(page, server, "tour-boundary-climbs", "&projector=1")
        url = page.url.split("?")[0]
        watcher = watcher_ctx.new_page()
        watcher.goto(url)
        expect(watcher.get_by_test_id("role")).to_have_text("watching")
        watcher.get_by_test_id("raise-hand").click()
        expect(page.get_by_test_id("projector-hands")).to_be_visible()
        expect(page.get_by_test_id("projector-hands")).to_have_attribute("data-count", "1")
        shot(page, "classroom-projector-hand")
        # Speaker notes typed by hand in a new tab of the same browser: the session's page lends them control.
        notes = ctx.new_page()
        notes.goto(f"{url}?presenter=1")
        notes.wait_for_function(READY_JS, polling="raf", timeout=15_000)
        expect(notes.get_by_test_id("notes")).to_be_visible()
        notes.keyboard.press("n")
        expect(page.get_by_test_id("tour-progress")).to_have_attribute("data-pos", "1")
    finally:
        watcher_ctx.close()
        ctx.close()


def test_quiet_events_are_hidden_until_asked_for(page: Page, server: LabServer) -> None:
    open_lab(page, server)
    page.evaluate("""() => { const ev = window.hintingLab.events;
      ev.push([{seq: 9001, t_ms: 0, step: 0, kind: 'notify', fn: 'page_hinting_notify_free',
                text: 'did nothing, because: a test',
                quiet: true, lists: [], blocks: []}], 0);
      ev.rebuild = true; window.hintingLab.ctx.invalidate({events: true}); }""")
    quiet = page.get_by_test_id("event-filter-quiet")
    expect(quiet).to_be_visible()
    expect(page.locator('[data-testid="event"]').filter(has_text="did nothing, because")).to_have_count(0)
    quiet.click()
    expect(page.locator('[data-testid="event"]').filter(has_text="did nothing, because")).to_have_count(1)
    assert json.loads(page.evaluate("() => JSON.stringify(window.hintingLab.events.quiet)")) is True
