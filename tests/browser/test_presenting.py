"""Talks: a presenter and an audience on one session, in two browser contexts.

Test ids used here:

  viewer-bar        the audience's strip: what this page may do, follow, name, raised hand
  follow-presenter  apply the presenter's view (zone, selection, filter, zoom, tour guess); on by default
  viewer-name       how the presenter sees this viewer; raise-hand: ask for control
  present-open      top bar: the present dialog (key Q); present-hands: raised hands, on that button
  present-dialog    QR code (present-qr), the /s/<id> link (present-url, present-copy), open-presenter
  audience          the connections; member (data-id, data-role, data-hand); grant / revoke buttons
  notes             the presenter window (?presenter=1): speaker notes; notes-next: the next step's narrative
"""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, expect

from .conftest import ROOT, LabServer, open_lab, shot

pytestmark = pytest.mark.browser

TOUR = "tour-boundary-climbs"


def narrated() -> list[dict[str, Any]]:
    doc = json.loads((ROOT / "app" / "presets" / f"{TOUR}.json").read_text())
    return [s for s in doc["steps"] if not s.get("setup")]


def pos(page: Page) -> str:
    return str(page.get_by_test_id("tour-progress").get_attribute("data-pos"))


def test_audience_follows_the_presenter_and_control_is_handed_over(
        browser: Browser, page: Page, server: LabServer) -> None:
    open_lab(page, server, TOUR)
    audience_url = page.url.split("?")[0]
    ctx = browser.new_context(viewport={"width": 1280, "height": 720})
    viewer = ctx.new_page()
    errors: list[str] = []
    viewer.on("pageerror", lambda e: errors.append(str(e)))
    try:
        viewer.goto(audience_url)
        expect(viewer.get_by_test_id("connection")).to_have_text("live")
        expect(viewer.get_by_test_id("role")).to_have_text("watching")
        expect(viewer.get_by_test_id("viewer-bar")).to_contain_text("You are watching")
        expect(viewer.get_by_test_id("follow-presenter")).to_be_checked()
        # Read-only: the controls are off.
        for testid in ("tour-next", "step", "timeline-back", "undo", "alloc-submit"):
            expect(viewer.get_by_test_id(testid)).to_be_disabled()
        expect(page.get_by_test_id("viewer-bar")).to_be_hidden()  # the presenter owns the session

        # The presenter plays a step: the audience sees it (how fast: bench/interaction_bench.py).
        expect(viewer.get_by_test_id("tour-progress")).to_have_attribute("data-pos", "0")
        page.keyboard.press("n")
        expect(viewer.get_by_test_id("tour-progress")).to_have_attribute("data-pos", "1")
        expect(viewer.get_by_test_id("tour-say")).to_contain_text(narrated()[0]["say"][:30])
        # ... and the presenter's selection and filter.
        cell = '[data-testid="free-list"][data-zone="Normal"][data-order="2"][data-migratetype="Movable"]'
        page.locator(cell).click()
        page.get_by_test_id("event-filter-bnd").click()
        expect(viewer.locator(cell)).to_have_class(re.compile(r"\bsel\b"))
        expect(viewer.get_by_test_id("event-filter-bnd")).to_have_attribute("aria-pressed", "true")
        shot(viewer, "audience-follows")

        # A viewer who stops following keeps its own view: once the presenter's new view (all events, nothing
        # selected) has reached it, its filter and selection are still its own.
        viewer.get_by_test_id("follow-presenter").uncheck()
        page.get_by_test_id("event-filter-all").click()
        page.keyboard.press("Escape")
        viewer.wait_for_function("""() => { const v = window.hintingLab.ctx.session?.view;
                                    return !!v && v.filter === 'all' && v.sel === null; }""", polling="raf")
        expect(viewer.get_by_test_id("event-filter-bnd")).to_have_attribute("aria-pressed", "true")
        expect(viewer.locator(cell)).to_have_class(re.compile(r"\bsel\b"))
        viewer.get_by_test_id("follow-presenter").check()
        expect(viewer.get_by_test_id("event-filter-all")).to_have_attribute("aria-pressed", "true")
        expect(viewer.locator(cell)).not_to_have_class(re.compile(r"\bsel\b"))

        # A raised hand reaches the presenter, who hands over control.
        viewer.get_by_test_id("viewer-name").fill("Ada")
        viewer.get_by_test_id("viewer-name").press("Enter")
        viewer.get_by_test_id("raise-hand").click()
        expect(viewer.get_by_test_id("raise-hand")).to_have_attribute("aria-pressed", "true")
        expect(page.get_by_test_id("present-hands")).to_have_attribute("data-count", "1")
        expect(page.get_by_test_id("present-hands")).to_be_visible()
        page.keyboard.press("q")
        dialog = page.get_by_test_id("present-dialog")
        expect(dialog).to_be_visible()
        expect(page.get_by_test_id("present-url")).to_have_text(audience_url)
        expect(page.get_by_test_id("present-qr").locator("svg")).to_have_count(1)
        ada = page.locator('[data-testid="member"][data-hand="true"]')
        expect(ada).to_contain_text("Ada")
        shot(page, "present-dialog")
        ada.get_by_test_id("grant").click()
        # The role message turns the viewer's controls on, live.
        expect(viewer.get_by_test_id("tour-next")).to_be_enabled()
        expect(viewer.get_by_test_id("step")).to_be_enabled()
        expect(viewer.get_by_test_id("role")).to_be_hidden()
        expect(viewer.get_by_test_id("viewer-bar")).to_contain_text("You have control")
        expect(page.locator('[data-testid="member"][data-role="controller"]').filter(has_text="Ada")).to_have_count(1)
        viewer.locator("body").click(position={"x": 5, "y": 700})
        viewer.keyboard.press("n")
        expect(page.get_by_test_id("tour-progress")).to_have_attribute("data-pos", "2")
        shot(viewer, "audience-in-control")
        # ... and takes it back.
        page.locator('[data-testid="member"]').filter(has_text="Ada").get_by_test_id("revoke").click()
        expect(viewer.get_by_test_id("tour-next")).to_be_disabled()
        expect(viewer.get_by_test_id("role")).to_have_text("watching")
        page.keyboard.press("Escape")
        expect(dialog).to_be_hidden()
    finally:
        ctx.close()
    assert not errors, errors


def test_presenter_window_shows_the_next_narrative(page: Page, server: LabServer) -> None:
    open_lab(page, server, TOUR)
    page.keyboard.press("q")
    with page.context.expect_page() as info:
        page.get_by_test_id("open-presenter").click()
    notes_page = info.value
    notes_page.set_viewport_size({"width": 1280, "height": 800})
    expect(notes_page).to_have_url(re.compile(r"/s/[A-Za-z0-9_-]+\?presenter=1$"))
    notes = notes_page.get_by_test_id("notes")
    expect(notes).to_be_visible()
    steps = narrated()
    expect(notes_page.get_by_test_id("notes-next")).to_contain_text(steps[0]["say"][:40])
    # The window drives the same session (it is opened with the presenter's rights); the main page follows.
    expect(notes_page.get_by_test_id("role")).to_be_hidden()
    page.keyboard.press("Escape")
    page.keyboard.press("n")
    expect(notes_page.get_by_test_id("notes-next")).to_contain_text(steps[1]["say"][:40])
    notes_page.keyboard.press("n")
    expect(page.get_by_test_id("tour-progress")).to_have_attribute("data-pos", "2")
    expect(notes_page.get_by_test_id("notes-next")).to_contain_text(steps[2]["say"][:40])
    # A step that asks: the notes say to ask first.
    first_ask = next(i for i, s in enumerate(steps) if s.get("predict"))
    while int(pos(page)) < first_ask:
        n = int(pos(page))
        page.keyboard.press("n")
        expect(page.get_by_test_id("tour-progress")).to_have_attribute("data-pos", str(n + 1))
    expect(notes_page.get_by_test_id("notes-next")).to_contain_text("Ask first")
    shot(notes_page, "presenter-window")
