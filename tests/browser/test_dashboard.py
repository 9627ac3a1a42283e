"""The dashboard in a real browser: lists, map, a stepped hinting cycle, keys, errors, watchers."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Browser, Page, expect

from .conftest import PIXEL_JS, LabServer, free_list, list_items, map_pixel, map_point, open_lab, shot

pytestmark = pytest.mark.browser

MOVABLE_RGB = [0x00, 0x72, 0xB2]


def test_alloc_and_free_change_the_lists_and_the_map(page: Page, server: LabServer) -> None:
    open_lab(page, server)
    # The default preset: Normal's order-5 Movable list is 256 224 192 160 128, head first.
    assert list_items(page, "Normal", 5) == ["256", "224", "192", "160", "128"]
    nr5 = page.locator('[data-testid="nr-free"][data-zone="Normal"][data-order="5"]')
    expect(nr5).to_have_text("5")
    before = map_pixel(page, 256 + 20)
    assert before != MOVABLE_RGB

    page.get_by_test_id("alloc-zone").select_option("Normal")
    page.get_by_test_id("alloc-order").select_option("5")
    page.get_by_test_id("alloc-migratetype").select_option("Movable")
    page.get_by_test_id("alloc-submit").click()

    # __rmqueue_smallest takes the head: 256 leaves the list, and the map paints it Movable.
    expect(free_list(page, "Normal", 5).locator('[data-testid="block"][data-pfn="256"]')).to_have_count(0)
    expect(nr5).to_have_text("4")
    expect(page.locator('[data-testid="event"][data-fn="__rmqueue_smallest"]').last).to_contain_text("took 256")
    page.wait_for_function("() => window.hintingLab.store.blockAt(276)?.kind === 'allocated'")
    page.wait_for_function(f"pfn => ({PIXEL_JS})(pfn)?.join() === '{','.join(map(str, MOVABLE_RGB))}'", arg=276)

    # Hovering the map names the block; clicking it frees it.
    x, y = map_point(page, 256 + 20)
    page.mouse.move(x, y)
    expect(page.get_by_test_id("map-tip")).to_contain_text("pfn 256–287 · o5 · allocated Movable")
    shot(page, "alloc-hover")
    page.mouse.click(x, y)
    expect(free_list(page, "Normal", 5).locator('[data-testid="block"][data-pfn="256"]')).to_have_count(1)
    expect(nr5).to_have_text("5")
    page.mouse.move(x, y + 1)
    expect(page.get_by_test_id("map-tip")).to_contain_text("free Movable")
    assert map_pixel(page, 256 + 20) != MOVABLE_RGB

    # Free from the list of allocated blocks too.
    page.get_by_test_id("free-pick").focus()
    page.get_by_test_id("free-pick").select_option("352:3")
    expect(page.locator('[data-testid="event"][data-fn="free_one_page"]').last).to_contain_text("free: 352 (order 3)")
    shot(page, "alloc-free")


def test_step_through_a_cycle(page: Page, server: LabServer) -> None:
    open_lab(page, server)
    dma = page.locator('[data-testid="zone"][data-zone="DMA32"]')
    page.get_by_test_id("hinting-start").click()
    expect(dma).to_have_attribute("data-requested", "true")
    expect(dma).to_have_attribute("data-active", "false")
    assert list_items(page, "DMA32", 5) == ["64", "32", "0"]

    # Fill: the work stops before react; the pulled blocks leave their lists for the batch lane.
    page.get_by_test_id("step").click()
    batch = page.get_by_test_id("batch").locator('[data-testid="batch-block"]')
    expect(batch).to_have_count(4)
    assert batch.evaluate_all("els => els.map(e => +e.dataset.pfn)") == [0, 32, 64, 112]
    expect(dma).to_have_attribute("data-active", "true")
    expect(dma).to_be_visible()  # the page follows the zone being cycled
    expect(dma.get_by_test_id("work")).to_have_attribute("data-work", "react")
    expect(dma.get_by_test_id("lamp-active")).to_have_attribute("data-on", "true")
    for pfn in (0, 32, 64):
        expect(free_list(page, "DMA32", 5).locator(f'[data-testid="block"][data-pfn="{pfn}"]')).to_have_count(0)
    # The boundary was reset to the list head: the marker stands at the end of the (now empty) row.
    expect(free_list(page, "DMA32", 5).get_by_test_id("boundary")).to_have_attribute("data-target", "head")
    shot(page, "cycle-fill")

    # React: the host drops the batch's pages.
    page.get_by_test_id("step").click()
    expect(dma.get_by_test_id("work")).to_have_attribute("data-work", "drain")
    expect(page.get_by_test_id("host-resident-pages").locator(".v")).to_contain_text("272")

    # Drain: they come back Hinted, each in front of the last, with the boundary before them.
    page.get_by_test_id("step").click()
    expect(free_list(page, "DMA32", 5).locator('[data-testid="block"][data-hinted="true"]')).to_have_count(3)
    assert list_items(page, "DMA32", 5) == ["|", "64*", "32*", "0*"]
    assert list_items(page, "DMA32", 4) == ["|", "112*"]
    expect(page.locator('[data-testid="hinted-pages"][data-zone="DMA32"][data-order="5"]')).to_have_text("3")
    # The next fill already took the last unhinted block.
    assert batch.evaluate_all("els => els.map(e => +e.dataset.pfn)") == [104]
    shot(page, "cycle-drain")


def test_a_free_while_the_cycle_is_stopped_lands_before_the_boundary(page: Page, server: LabServer) -> None:
    open_lab(page, server)
    page.get_by_test_id("hinting-start").click()
    for phase in ("react", "drain", "react"):
        page.get_by_test_id("step").click()
        expect(page.locator('[data-testid="zone"][data-zone="DMA32"] [data-testid="work"]')).to_have_attribute(
            "data-work", phase
        )
    assert list_items(page, "DMA32", 5) == ["|", "64*", "32*", "0*"]
    # The zone lock is dropped: allocs and frees go on.  Take the first Hinted block ...
    page.get_by_test_id("alloc-zone").select_option("DMA32")
    page.get_by_test_id("alloc-order").select_option("5")
    page.get_by_test_id("alloc-submit").click()
    expect(free_list(page, "DMA32", 5).locator('[data-testid="block"][data-pfn="64"]')).to_have_count(0)
    assert list_items(page, "DMA32", 5) == ["|", "32*", "0*"]
    # ... and free it from the map: it lands unhinted at the head, before the boundary.
    x, y = map_point(page, 64 + 5)
    page.mouse.click(x, y)
    expect(free_list(page, "DMA32", 5).locator('[data-testid="block"][data-pfn="64"]')).to_have_count(1)
    assert list_items(page, "DMA32", 5) == ["64", "|", "32*", "0*"]
    # Freed while the lock was dropped: underlined.
    expect(free_list(page, "DMA32", 5).locator('[data-pfn="64"]')).to_have_class(re.compile(r"\bdropped\b"))
    shot(page, "free-while-stopped")


def test_keyboard_shortcuts(page: Page, server: LabServer) -> None:
    open_lab(page, server)
    page.keyboard.press("?")
    expect(page.get_by_test_id("help")).to_be_visible()
    expect(page.get_by_test_id("help")).to_contain_text("hinting on / off")
    shot(page, "keys-help")
    page.keyboard.press("Escape")
    expect(page.get_by_test_id("help")).to_be_hidden()

    dma = page.locator('[data-testid="zone"][data-zone="DMA32"]')
    page.keyboard.press("h")
    expect(dma).to_have_attribute("data-requested", "true")
    page.keyboard.press("s")
    expect(page.get_by_test_id("batch").locator('[data-testid="batch-block"]')).to_have_count(4)
    page.keyboard.press("m")  # Auto: the stopped work runs to completion
    expect(page.get_by_test_id("stepping-auto")).to_have_attribute("aria-pressed", "true")
    expect(page.get_by_test_id("batch").locator('[data-testid="batch-block"]')).to_have_count(0)

    page.keyboard.press("2")
    expect(page.locator('[data-testid="zone"][data-zone="Normal"]')).to_be_visible()
    page.keyboard.press("]")
    page.keyboard.press("a")  # alloc with the act panel's choice: order min_order + 1 = 4
    expect(page.locator('[data-testid="event"][data-fn="rmqueue"]').last).to_contain_text("(order 4, Movable)")

    # S ran the work at its due time (the clock went to 100 ms first), then "." adds 10 ms.
    page.keyboard.press(".")
    expect(page.get_by_test_id("vtime")).to_have_text("110.0")
    page.keyboard.press(" ")
    expect(page.get_by_test_id("clock-toggle")).to_have_attribute("data-running", "true")
    page.keyboard.press(" ")
    expect(page.get_by_test_id("clock-toggle")).to_have_attribute("data-running", "false")

    page.keyboard.press("p")
    expect(page.locator("html")).to_have_attribute("data-mode", "projector")
    page.keyboard.press("d")
    expect(page.locator("html")).to_have_attribute("data-theme", "dark")
    shot(page, "keys-projector-dark")
    page.keyboard.press("p")
    page.keyboard.press("d")
    expect(page.locator("html")).to_have_attribute("data-mode", "normal")


def test_errors_show_next_to_their_control(page: Page, server: LabServer) -> None:
    open_lab(page, server)
    page.get_by_test_id("free-pfn").fill("200")
    page.get_by_test_id("free-submit").click()
    err = page.locator('[data-testid="error"][data-for="free"]')
    expect(err).to_be_visible()
    expect(err).to_contain_text("200")
    page.get_by_test_id("step").click()  # nothing is pending
    expect(page.locator('[data-testid="error"][data-for="step"]')).to_be_visible()
    page.get_by_test_id("alloc-zone").select_option("DMA32")
    page.get_by_test_id("alloc-order").select_option("5")
    page.get_by_test_id("alloc-migratetype").select_option("Unmovable")
    for _ in range(4):
        page.get_by_test_id("alloc-submit").click()
    expect(page.locator('[data-testid="error"][data-for="alloc"]')).to_contain_text("no free")
    shot(page, "errors")


def test_a_second_page_watches_read_only(page: Page, server: LabServer, browser: Browser) -> None:
    open_lab(page, server)
    url = page.url
    watcher_ctx = browser.new_context(viewport={"width": 1280, "height": 720})
    watcher = watcher_ctx.new_page()
    try:
        watcher.goto(url)
        expect(watcher.get_by_test_id("connection")).to_have_text("live")
        expect(watcher.get_by_test_id("role")).to_have_text("watching")
        expect(watcher.get_by_test_id("step")).to_be_disabled()
        expect(watcher.get_by_test_id("alloc-submit")).to_be_disabled()
        # What the controller does, the watcher sees.
        page.get_by_test_id("hinting-start").click()
        expect(watcher.locator('[data-testid="zone"][data-zone="Normal"]')).to_have_attribute("data-requested", "true")
        watcher.keyboard.press("s")  # keys are refused too, in words
        expect(watcher.locator('[data-testid="error"][data-for="step"]')).to_contain_text("only watches")
        shot(watcher, "watcher")
    finally:
        watcher_ctx.close()


def test_event_selection_highlights_blocks_and_lists(page: Page, server: LabServer) -> None:
    open_lab(page, server)
    page.get_by_test_id("alloc-zone").select_option("Normal")
    page.get_by_test_id("alloc-order").select_option("4")
    page.get_by_test_id("alloc-submit").click()
    expand = page.locator('[data-testid="event"][data-fn="expand"]').last
    expect(expand).to_contain_text("split off 272 (order 4)")
    expand.click()
    expect(expand).to_have_class(re.compile(r"\bsel\b"))
    expect(free_list(page, "Normal", 4)).to_have_class(re.compile(r"\bsel\b"))
    expect(free_list(page, "Normal", 4).locator('[data-pfn="272"]')).to_have_class(re.compile(r"\bsel\b"))
    expect(page.get_by_test_id("inspector")).to_contain_text("expand: split off 272")
    page.get_by_test_id("event-filter-hint").click()
    expect(page.locator('[data-testid="event"][data-fn="expand"]')).to_have_count(0)
    page.get_by_test_id("event-filter-all").click()
    page.get_by_test_id("event-filter").fill("272")
    expect(page.locator('[data-testid="event"]').first).to_contain_text("272")
    shot(page, "event-selected")
    page.keyboard.press("Escape")  # leave the filter box
    page.keyboard.press("Escape")  # clear the selection
    expect(free_list(page, "Normal", 4).locator('[data-pfn="272"]')).not_to_have_class(re.compile(r"\bsel\b"))


def test_move_a_pageblock_and_run_a_workload(page: Page, server: LabServer) -> None:
    open_lab(page, server)
    page.get_by_test_id("move-pfn").fill("140")
    page.get_by_test_id("move-migratetype").select_option("Isolate")
    page.get_by_test_id("move-submit").click()
    normal = page.locator('.fa-zone[data-zone="Normal"]')
    expect(normal.locator('small[data-pb="Isolate"]')).to_have_text("1 pageblock")
    expect(page.locator('[data-testid="event"][data-fn="set_pageblock_migratetype"]').last).to_contain_text("Isolate")

    page.get_by_test_id("workload-rate").fill("200")
    page.get_by_test_id("workload-toggle").click()
    expect(page.get_by_test_id("workload-toggle")).to_have_attribute("aria-pressed", "true")
    page.wait_for_function("() => window.hintingLab.events.last(400).filter(e => e.kind === 'alloc').length > 20")
    page.get_by_test_id("workload-toggle").click()
    expect(page.get_by_test_id("workload-toggle")).to_have_attribute("aria-pressed", "false")
    # Every list on the page still matches the store after the churn.
    assert page.evaluate("""() => {
      const s = window.hintingLab.store;
      return [...document.querySelectorAll('[data-testid=free-list]')].every(el => {
        const list = s.list(el.dataset.zone, +el.dataset.order, el.dataset.migratetype);
        const shown = [...el.querySelectorAll('[data-testid=block]')].map(b => +b.dataset.pfn);
        const hidden = [...el.querySelectorAll('[data-testid=elided]')].reduce((n, e) => n + +e.dataset.count, 0);
        return shown.length + hidden === list.length && shown.every(p => list.includes(p));
      });
    }""")
    shot(page, "workload")
