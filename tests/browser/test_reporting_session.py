"""A free page reporting session in the single-design dashboard: it opens, draws and speaks reporting's words.

Free page reporting keeps no REQUESTED/ACTIVE flags per zone, only its
device's prdev->state; the zone header shows that state instead of the
seed's zone->flags (a reporting session once crashed the page here).  Nor
has it boundaries, an hwm, a react phase or Hinted blocks: its header, grid,
batch, host panel and Step button say report, Reported, budget and the walk
position (static/js/terms.js), as compare mode does, and a seed session keeps
the seed's words.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, expect

from .conftest import READY_JS, LabServer, controller_page, free_list, map_point, shot

pytestmark = pytest.mark.browser


def reporting(steps: list[dict[str, Any]]) -> dict[str, Any]:
    return {"format": "hinting-scenario/1", "title": "free page reporting, stepping",
            "machine": {"max_order": 11, "pageblock_order": 9,
                        "zones": [{"name": "DMA32", "pages": 4096}, {"name": "Normal", "pages": 16384}]},
            "hinting": {"design": "reporting", "min_order": 9, "capacity": 4, "delay_ms": 100, "stepping": True},
            "steps": steps}


@pytest.mark.parametrize(("steps", "requested", "active"), [
    ([], "false", "false"),  # registered on hinting_start only: the device is idle
    ([{"do": "hinting_start"}, {"do": "advance", "ms": 100}], "false", "true"),  # a pass stopped mid-zone
])
def test_a_reporting_session_shows_its_device_state(browser: Browser, server: LabServer, steps: list[dict[str, Any]],
                                                    requested: str, active: str) -> None:
    errors: list[str] = []
    ctx, page, s = controller_page(browser, server, {"scenario": reporting(steps)}, {"width": 1600, "height": 1000})
    try:
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.goto(f"{server.url}/s/{s['id']}")
        page.wait_for_function(READY_JS, polling="raf", timeout=15_000)
        for zone in ("DMA32", "Normal"):  # prdev->state is the device's: every zone shows the same
            head = page.locator(f'#zone-headers [data-zone="{zone}"]')
            expect(head).to_have_attribute("data-active", active)
            expect(head).to_have_attribute("data-requested", requested)
        shot(page, f"reporting-session-{'active' if active == 'true' else 'idle'}")
    finally:
        ctx.close()
    assert not errors, errors


# Words only the seed's design has: a reporting session must show none of them (its own are "report",
# "Reported", budget, capacity, delay, page_reporting_*).
SEED_ONLY = re.compile(r"\breact\b|hinted|\bhint(s)?\b|\bhwm\b|page_hinting|boundar", re.IGNORECASE)
# Every piece of text a panel shows, its titles and aria-labels included (tooltips are words too).
WORDS_JS = """el => [el.innerText, ...[el, ...el.querySelectorAll('[title], [aria-label]')]
  .flatMap(e => [e.getAttribute('title'), e.getAttribute('aria-label')])].filter(Boolean).join('\\n')"""
# What the top bar says of the design (the preset and tour menus name seed tours: not this session's words).
TOPBAR = ("#topbar .brand", "#mode-step", '[data-testid="step"]', "#topbar .seg.hinting")
# Stepped until Normal's second cycle stops at report: o10 Movable, budget 0, four blocks Reported in each zone.
STOPPED_IN_NORMAL = [{"do": "hinting_start"}, {"do": "advance", "ms": 100}] + [{"do": "step"}] * 4


def seed_machine(steps: list[dict[str, Any]]) -> dict[str, Any]:
    """The same machine under the seed (hwm 2): hinting on, stopped before react."""
    return {**reporting(steps), "title": "seed, stepping",
            "hinting": {"min_order": 9, "hwm": 2, "capacity": 4, "delay_ms": 100, "stepping": True}}


# (selector, text it contains; or "@attribute=value") in the batch and host panels and the top bar, per design.
WASTED, REPORTED = '[data-testid="host-wasted-hints"]', '[data-testid="host-reported-pages"]'
REPORTING_WORDS = [
    ('[data-testid="panel-batch"]', "page_reporting_cycle → scatterlist · 4/4, full: the cycle reports it now"),
    ("#batch-lane .hostbox", "host · report"), ("#host-title + .hint", "the hypervisor behind report · whole guest"),
    (REPORTED, "pages handed to report"), (WASTED, "wasted reports"), (WASTED, "Reported blocks merged away"),
    (".brand .sub", "free page reporting · Linux 5.7"),
    ('[data-testid="hinting-start"]', "@title=page_reporting_register (H toggles)"),
    ('[data-testid="step"]', "@title=Step: report (the host drops the batch) (S)"),
]
SEED_WORDS = [
    ('[data-testid="panel-batch"]', "page_hinting_fill → scatterlist · 4/4, capacity reached, so REQUESTED stays set"),
    ("#batch-lane .hostbox", "host · react"), ("#host-title + .hint", "the hypervisor behind react · whole guest"),
    (REPORTED, "pages handed to react"), (WASTED, "wasted hints"), (WASTED, "Hinted blocks merged or moved"),
    (".brand .sub", "mm: Introduce Hinted pages · v2 4/5"),
    ('[data-testid="hinting-start"]', "@title=page_hinting_startup (H toggles)"),
    ('[data-testid="step"]', "@title=Step: react (the host drops the batch) (S)"),
]


def expect_panel_words(page: Page, table: list[tuple[str, str]]) -> None:
    for sel, want in table:
        if want.startswith("@"):
            attr, value = want[1:].split("=", 1)
            expect(page.locator(sel)).to_have_attribute(attr, value)
        else:
            expect(page.locator(sel)).to_contain_text(want)


def open_session(browser: Browser, server: LabServer, scenario: dict[str, Any], width: int, height: int,
                 errors: list[str]) -> tuple[Any, Page]:
    ctx, page, s = controller_page(browser, server, {"scenario": scenario}, {"width": width, "height": height})
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(f"{server.url}/s/{s['id']}")
    page.wait_for_function(READY_JS, polling="raf", timeout=15_000)
    return ctx, page


def words(page: Page, selector: str) -> str:
    return str(page.locator(selector).evaluate(WORDS_JS))


def test_a_reporting_session_speaks_reporting_not_the_seed(browser: Browser, server: LabServer) -> None:
    errors: list[str] = []
    ctx, page = open_session(browser, server, reporting(STOPPED_IN_NORMAL), 1600, 1000, errors)
    try:
        head = page.locator('#zone-headers [data-zone="Normal"]')
        expect(head.get_by_test_id("prdev-state")).to_have_text("active")
        expect(head.get_by_test_id("work")).to_contain_text("stopped before report")
        expect(head.get_by_test_id("work")).to_contain_text("o10 Movable · budget 0")
        expect(head.locator(".phase")).to_have_text("walkreport›drain")
        expect(head.locator(".phase .on")).to_have_text("report")
        expect(head.locator(".chips")).to_have_text(re.compile(r"min_order 9\s*capacity 4\s*delay 100 ms"))
        expect(head.locator(".kv.fh")).to_contain_text(re.compile("free · reported", re.I))
        expect(head.locator(".kv.fh .hp")).to_have_text("4,096")  # four Reported order-10 blocks
        expect(page.get_by_test_id("explain")).to_contain_text("report: the host drops the batch's 4096 pages")

        grid = page.locator('#free-area [data-zone="Normal"]')
        expect(grid.locator(".fa-colhead.gut")).to_contain_text("nr_free · Reported")
        expect(grid.locator('.gut[data-order="8"]')).to_contain_text("not reported")
        o10 = grid.get_by_test_id("hinted-pages").and_(grid.locator('[data-order="10"]'))
        expect(o10).to_have_text("4")
        expect(o10).to_have_attribute("title", "Reported blocks of order 10")
        cell = free_list(page, "Normal", 10)
        walk = cell.get_by_test_id("walk-position")
        expect(walk).to_have_text("next ▸")
        expect(walk).to_have_attribute("data-pfn", "11264")  # the first unreported entry from the head
        # The chip stands right before the block it names.
        assert walk.evaluate("w => w.nextElementSibling.dataset.pfn") == "11264"
        expect(cell.locator('[data-testid="block"][data-hinted="true"]').first).to_have_attribute(
            "title", re.compile(r"· Reported$"))
        expect(page.locator("#fa-legend")).to_contain_text("free, Reported")
        expect(page.locator("#fa-legend")).to_contain_text("next ▸the walk position")
        expect(page.locator("#fa-config")).to_contain_text("next ▸ marks where each list's next cycle starts")

        expect(page.get_by_test_id("panel-batch")).to_contain_text("next step: report")
        expect_panel_words(page, REPORTING_WORDS)
        expect(page.get_by_test_id("event-filter-bnd")).to_be_hidden()  # no boundaries, no boundary events

        for sel in ("#zone-headers", '[data-testid="explain"]', '[data-testid="panel-freearea"]',
                    '[data-testid="panel-batch"]', '[data-testid="panel-host"]', *TOPBAR):
            text = words(page, sel)
            assert not SEED_ONLY.search(text), f"{sel} says {SEED_ONLY.search(text)[0]!r}: {text}"  # type: ignore[index]
        shot(page, "reporting-session-terms-1600")

        # The map's tooltip and the inspector name a Reported block so.
        page.get_by_test_id("memory-map").scroll_into_view_if_needed()
        x, y = map_point(page, 16384 + 100)  # inside the Reported block 16384-17407, away from the map's gutter
        assert y < 1000, "the block is on screen"
        page.mouse.move(x, y)
        expect(page.get_by_test_id("map-tip")).to_contain_text("free Movable, Reported")
        cell.locator('[data-testid="block"][data-pfn="16384"]').click()
        expect(page.locator("#inspector")).to_contain_text("Reported")
        assert not SEED_ONLY.search(words(page, "#inspector"))

        # The keyboard steps on: S reports, and the Step button now says what the drain does.
        page.locator("body").press("Escape")
        page.keyboard.press("s")
        expect(page.get_by_test_id("step")).to_have_attribute(
            "title", "Step: drain (the batch comes back Reported unless it merges) (S)")
        expect(head.locator(".phase .on")).to_have_text("drain")
        expect(page.get_by_test_id("panel-batch").locator(".hostbox")).to_contain_text("has dropped the pages")
        expect(page.get_by_test_id("explain")).to_contain_text("each block that did not merge is marked Reported")
        for sel in ('[data-testid="explain"]', '[data-testid="panel-batch"]', *TOPBAR):
            assert not SEED_ONLY.search(words(page, sel)), sel
        # E walks the event filters past the boundary one this design has not got.
        for _ in range(4):
            page.keyboard.press("e")
        expect(page.get_by_test_id("event-filter-anom")).to_have_attribute("aria-pressed", "true")
    finally:
        ctx.close()
    assert not errors, errors


def test_a_reporting_session_on_a_phone(browser: Browser, server: LabServer) -> None:
    errors: list[str] = []
    ctx, page = open_session(browser, server, reporting(STOPPED_IN_NORMAL), 390, 844, errors)
    try:
        head = page.locator('#zone-headers [data-zone="Normal"]')
        expect(head.locator(".phone-line")).to_have_text("zone Normal · stopped before report · batch 4 blocks")
        expect(page.locator('#free-area [data-zone="Normal"] .fa-fold')).to_contain_text("not reported")
        expect(free_list(page, "Normal", 10).get_by_test_id("walk-position")).to_be_visible()
        # Nothing runs past the phone's edge (the event's source line wraps).
        assert page.evaluate("document.documentElement.scrollWidth") <= 390
        assert not SEED_ONLY.search(words(page, "#zone-headers")), words(page, "#zone-headers")
        shot(page, "reporting-session-terms-phone")
    finally:
        ctx.close()
    assert not errors, errors


def test_a_seed_session_keeps_the_seeds_words_and_a_reset_brings_them_back(browser: Browser, server: LabServer) -> None:
    errors: list[str] = []
    steps = [{"do": "hinting_start"}, {"do": "advance", "ms": 100}]
    ctx, page = open_session(browser, server, seed_machine(steps), 1600, 1000, errors)
    try:
        head = page.locator('#zone-headers [data-zone="Normal"]')
        expect(head.get_by_test_id("refcnt")).to_be_visible()
        expect(head.get_by_test_id("prdev-state")).to_have_count(0)
        expect(head.locator(".phase")).to_have_text("fillreact›drain")
        expect(head.locator(".chips")).to_have_text(re.compile(r"min_order 9\s*hwm 2\s*capacity 4"))
        expect(head.get_by_test_id("zone-config")).to_contain_text("2 · 9 · 4")
        expect(head.locator(".kv.fh")).to_contain_text(re.compile("free · hinted", re.I))
        grid = page.locator('#free-area [data-zone="Normal"]')
        expect(grid.locator(".fa-colhead.gut")).to_contain_text("nr_free · Hinted")
        expect(grid.locator('.gut[data-order="8"]')).to_contain_text("not hinted")
        expect(page.get_by_test_id("walk-position")).to_have_count(0)
        legend = page.locator("#fa-legend")
        for s in ("free, Hinted", "boundary → block on its right", "boundary → list head", "breaks a seed claim"):
            expect(legend).to_contain_text(s)
        expect_panel_words(page, SEED_WORDS)
        expect(page.get_by_test_id("event-filter-bnd")).to_be_visible()
    finally:
        ctx.close()
    # A reporting page reset to a seed preset takes the seed's words back.
    ctx, page = open_session(browser, server, reporting(STOPPED_IN_NORMAL), 1600, 1000, errors)
    try:
        expect(page.locator(".brand .sub")).to_contain_text("free page reporting")
        page.get_by_test_id("reset-preset").select_option("default")
        page.get_by_test_id("reset").click()
        expect(page.locator(".brand .sub")).to_contain_text("mm: Introduce Hinted pages · v2 4/5")
        expect(page.locator("#fa-legend")).to_contain_text("boundary → list head")
        expect(page.locator("#fa-legend")).not_to_contain_text("next ▸")
        expect(page.get_by_test_id("hinting-stop")).to_have_attribute("title", "page_hinting_shutdown (H toggles)")
        expect(page.get_by_test_id("panel-host")).to_contain_text("wasted hints")
        expect(page.locator("html")).to_have_attribute("data-design", "seed")
    finally:
        ctx.close()
    assert not errors, errors
