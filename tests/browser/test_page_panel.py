"""The page panel in the browser: a clicked block's struct page under each encoding, and what the tools conclude.

Screenshots at 1600x1000 (single and compare mode), in projector mode at
1280x720 and on a 390x844 phone (test-artifacts/browser-page-panel-*.png).
"""

from __future__ import annotations

from typing import Any

from playwright.sync_api import Browser, Page, expect

from tests.support import LabServer

from .conftest import READY_JS, controller_page, map_point, shot

MACHINE = {"max_order": 6, "pageblock_order": 3, "zones": [{"name": "Normal", "pages": 256}]}
HINTING = {"min_order": 3, "hwm": 2, "capacity": 4, "delay_ms": 100}


def steps() -> list[dict[str, Any]]:
    """16 free order-3 blocks (every other allocation freed), then a hinting cycle: the seed hints them all."""
    out: list[dict[str, Any]] = [{"do": "hinting_start"}]
    out += [{"do": "alloc", "zone": "Normal", "order": 3, "as": f"b{i}"} for i in range(32)]
    out += [{"do": "free", "ref": f"b{i}"} for i in range(0, 32, 2)]
    return [*out, {"do": "advance", "ms": 100}]


def open_session(browser: Browser, server: LabServer, compare: bool = False, query: str = "",
                 viewport: dict[str, int] | None = None) -> tuple[Any, Page, dict[str, Any]]:
    doc: dict[str, Any] = {"format": "hinting-scenario/1", "title": "page panel test", "machine": MACHINE,
                           "hinting": HINTING, "steps": steps()}
    if compare:
        doc["compare"] = True
    ctx, page, s = controller_page(browser, server, {"scenario": doc}, viewport or {"width": 1600, "height": 1000})
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.errors = errors  # type: ignore[attr-defined]
    page.goto(f"{server.url}/s/{s['id']}{query}")
    page.wait_for_function(READY_JS, polling="raf", timeout=10_000)
    return ctx, page, s


def first_hinted(page: Page) -> int:
    return int(page.evaluate("() => Math.min(...window.hintingLab.store.zone('Normal').hinted)"))


def panel_shows(page: Page, pfn: int) -> None:
    expect(page.get_by_test_id("page-panel")).to_have_attribute("data-pfn", str(pfn))


def test_a_seed_hinted_block_under_each_encoding(browser: Browser, server: LabServer) -> None:
    ctx, page, s = open_session(browser, server)
    sid = s["id"]
    asked: list[str] = []
    page.on("request", lambda r: asked.append(r.url) if "/pagepanel/" in r.url else None)
    pfn = first_hinted(page)
    page.locator(f'[data-testid="free-list"] .blk[data-pfn="{pfn}"]').click()
    panel = page.get_by_test_id("page-panel")
    expect(panel).to_be_visible()
    assert asked, "the page panel's module loads on the first click"
    panel_shows(page, pfn)
    enc = page.get_by_test_id("page-encoding")
    expect(enc).to_have_value("offline-alias")
    expect(enc.locator("option[value=offline-alias]")).to_have_text("offline-alias · the seed's · own")
    expect(page.get_by_test_id("page-type")).to_have_text("0xfffffe7f")
    expect(page.get_by_test_id("page-type-signed")).to_have_text("= -385")
    expect(page.get_by_test_id("kpageflags")).to_have_text("BUDDY|OFFLINE")
    verdict = page.get_by_test_id("makedumpfile")
    expect(verdict).to_have_attribute("data-verdict", "dumped")
    expect(verdict).to_have_text("dumped as ordinary memory")
    expect(page.get_by_test_id("page-walkers")).to_have_attribute("data-sees", "1")
    expect(page.get_by_test_id("page-list")).to_have_text("free_area[3].free_list[Movable]")
    # The zone's figures under the chosen encoding are the server's.
    totals = server.get(f"/api/sessions/{sid}/pages?encoding=offline-alias")["zones"][0]
    expect(page.get_by_test_id("page-dumped-though-free")).to_have_text(str(totals["makedumpfile"]["dumped_though_free"]))
    expect(page.get_by_test_id("page-pageoffline")).to_have_text(str(totals["pageoffline"]["pages"]))
    expect(page.get_by_test_id("page-flag-writes")).to_have_text(str(totals["flag_writes"]["total"]))
    assert totals["makedumpfile"]["dumped_though_free"] == 128
    shot(page, "page-panel-1600")
    # Another encoding redraws at once, from what the panel holds: no request goes out.
    fetched: list[str] = []
    page.on("request", lambda r: fetched.append(r.url) if "/api/" in r.url else None)
    enc.select_option("uptodate-reported")
    expect(page.get_by_test_id("kpageflags")).to_have_text("BUDDY|UPTODATE")
    expect(page.get_by_test_id("page-type")).to_have_text("0xffffff7f")
    expect(verdict).to_have_attribute("data-verdict", "excluded_free")
    expect(verdict).to_have_text("free and excluded")
    expect(page.get_by_test_id("page-dumped-though-free")).to_have_text("0")
    enc.select_option("dirty-unhinted")
    expect(page.get_by_test_id("kpageflags")).to_have_text("BUDDY")
    expect(page.get_by_test_id("page-flag-writes")).to_have_text(
        str(server.get(f"/api/sessions/{sid}/pages?encoding=dirty-unhinted")["zones"][0]["flag_writes"]["total"]))
    assert not [u for u in fetched if "/page" in u], fetched
    enc.select_option("offline-alias")
    expect(verdict).to_have_attribute("data-verdict", "dumped")
    assert not page.errors  # type: ignore[attr-defined]
    ctx.close()


def test_lru_links_tail_pages_time_travel_and_keys(browser: Browser, server: LabServer) -> None:
    ctx, page, s = open_session(browser, server)
    pfn = first_hinted(page)
    page.locator(f'[data-testid="free-list"] .blk[data-pfn="{pfn}"]').click()
    panel_shows(page, pfn)
    # An lru neighbour that is a page: the panel goes there and its block is highlighted.
    doc = server.get(f"/api/sessions/{s['id']}/page/{pfn}")
    lru = doc["struct_page"]["lru"]
    which = "next" if "pfn" in lru["next"] else "prev"
    other = lru[which]["pfn"]
    link = page.get_by_test_id(f"page-lru-{which}")
    expect(link).to_have_text(f"pfn {other}")
    link.click()
    panel_shows(page, other)
    page.wait_for_function("n => window.hintingLab.ui.highlight.pfns.has(n)", arg=other, polling="raf")
    expect(page.locator(f'[data-testid="free-list"] .blk[data-pfn="{other}"]')).to_have_class(
        __import__("re").compile(r"\bsel\b"))
    expect(page.get_by_test_id("inspector")).to_contain_text(f"pfn {other}")
    # The focus stayed on the panel's link (the keyboard user goes on from there).
    assert page.evaluate("() => document.activeElement?.dataset.testid") == f"page-lru-{which}"
    # The block's tail pages, and back to the head.
    page.get_by_test_id("page-next").click()
    panel_shows(page, other + 1)
    expect(page.get_by_test_id("page-pos")).to_have_text("page 2 of 8 · a tail page")
    expect(page.get_by_test_id("page-type")).to_have_text("0xffffffff")
    expect(page.get_by_test_id("kpageflags")).to_have_text("BUDDY")
    expect(page.get_by_test_id("makedumpfile")).to_have_attribute("data-verdict", "dumped")
    page.get_by_test_id("page-last").click()
    panel_shows(page, other + 7)
    page.get_by_test_id("page-head").click()
    panel_shows(page, other)
    expect(page.get_by_test_id("kpageflags")).to_have_text("BUDDY|OFFLINE")
    # The map gives the page under the pointer: a tail page.
    x, y = map_point(page, pfn + 3)
    page.mouse.click(x, y)
    panel_shows(page, pfn + 3)
    expect(page.get_by_test_id("page-pos")).to_have_text("page 4 of 8 · a tail page")
    page.get_by_test_id("page-head").click()
    panel_shows(page, pfn)
    # Time travel: one step back, before the cycle, the block is not Hinted; forward again, it is.
    page.get_by_test_id("timeline-back").click()
    expect(page.get_by_test_id("kpageflags")).to_have_text("BUDDY")
    expect(page.get_by_test_id("makedumpfile")).to_have_attribute("data-verdict", "excluded_free")
    expect(page.get_by_test_id("page-type")).to_have_text("0xffffff7f")
    page.get_by_test_id("timeline-end").click()
    expect(page.get_by_test_id("kpageflags")).to_have_text("BUDDY|OFFLINE")
    # Esc closes it, and the focus goes back where it was.
    page.get_by_test_id("page-title").focus()
    page.keyboard.press("Escape")
    expect(page.get_by_test_id("page-panel")).to_be_hidden()
    assert page.evaluate("() => document.activeElement === document.body")
    # K opens it on the selected block (Esc closed the panel, not the selection), the focus on its title.
    page.keyboard.press("k")
    expect(page.get_by_test_id("page-panel")).to_be_visible()
    panel_shows(page, pfn)
    assert page.evaluate("() => document.activeElement?.dataset.testid") == "page-title"
    page.keyboard.press("Escape")
    expect(page.get_by_test_id("page-panel")).to_be_hidden()
    # A batch entry, the grid, the map or an event's block: any selection the user makes opens it again.
    page.locator(f'[data-testid="free-list"] .blk[data-pfn="{other}"]').click()
    expect(page.get_by_test_id("page-panel")).to_be_visible()
    panel_shows(page, other)

    page.get_by_test_id("page-close").click()
    expect(page.get_by_test_id("page-panel")).to_be_hidden()
    assert not page.errors  # type: ignore[attr-defined]
    ctx.close()


def test_the_audience_opens_its_own_panel_and_it_follows_the_presenter(browser: Browser, server: LabServer) -> None:
    ctx, page, s = open_session(browser, server)
    viewer_ctx = browser.new_context(viewport={"width": 1600, "height": 1000})
    viewer = viewer_ctx.new_page()
    viewer.goto(f"{server.url}/s/{s['id']}")
    expect(viewer.get_by_test_id("role")).to_have_text("watching")
    expect(viewer.get_by_test_id("follow-presenter")).to_be_checked()
    hinted = sorted(page.evaluate("() => [...window.hintingLab.store.zone('Normal').hinted]"))
    first, second = hinted[0], hinted[1]
    block = '[data-testid="free-list"] .blk[data-pfn="{}"]'
    # The presenter's selection reaches the viewer, whose page panel does not pop open by itself.
    page.locator(block.format(first)).click()
    panel_shows(page, first)
    expect(viewer.locator(block.format(first))).to_have_class(__import__("re").compile(r"\bsel\b"))
    viewer.wait_for_timeout(400)
    expect(viewer.get_by_test_id("page-panel")).to_be_hidden()
    # The viewer opens it (reading is allowed to watchers); then it follows the presenter's selection.
    viewer.locator(block.format(first)).click()
    expect(viewer.get_by_test_id("page-panel")).to_have_attribute("data-pfn", str(first))
    expect(viewer.get_by_test_id("kpageflags")).to_have_text("BUDDY|OFFLINE")
    page.locator(block.format(second)).click()
    expect(viewer.get_by_test_id("page-panel")).to_have_attribute("data-pfn", str(second))
    viewer_ctx.close()
    ctx.close()


def test_compare_mode_the_reporting_side_and_the_seed_side(browser: Browser, server: LabServer) -> None:
    ctx, page, s = open_session(browser, server, compare=True)
    expect(page.get_by_test_id("compare-right")).to_be_visible()
    reported = server.get(f"/api/sessions/{s['id']}/state?side=right")["zones"][0]["reported"]
    blk = page.get_by_test_id("compare-right").locator('[data-testid=cmp-block][data-hinted="true"]').first
    pfn = int(blk.get_attribute("data-pfn") or -1)  # a Reported block the grid shows (long rows are folded)
    assert pfn in reported
    blk.click()
    panel = page.get_by_test_id("page-panel")
    expect(panel).to_have_attribute("data-side", "right")
    panel_shows(page, pfn)
    expect(page.get_by_test_id("page-side")).to_have_text("right · reporting · Normal")
    enc = page.get_by_test_id("page-encoding")
    expect(enc).to_have_value("uptodate-reported")
    expect(enc.locator("option[value=uptodate-reported]")).to_have_text("uptodate-reported · 5.7's · own")
    expect(page.get_by_test_id("page-block")).to_have_attribute("data-marked", "1")
    expect(page.get_by_test_id("kpageflags")).to_have_text("BUDDY|UPTODATE")
    expect(page.get_by_test_id("makedumpfile")).to_have_attribute("data-verdict", "excluded_free")
    # The seed's encoding on reporting's choice: the same Reported block would be dumped.
    enc.select_option("offline-alias")
    expect(page.get_by_test_id("kpageflags")).to_have_text("BUDDY|OFFLINE")
    expect(page.get_by_test_id("makedumpfile")).to_have_attribute("data-verdict", "dumped")
    summary = server.get(f"/api/sessions/{s['id']}/state?side=right")["zones"][0]["page_repr"]["encodings"]
    expect(page.get_by_test_id("page-dumped-though-free")).to_have_text(str(summary["offline-alias"]["dumped_though_free"]))
    shot(page, "page-panel-compare-1600")
    # The seed's side, under the encoding chosen: the same pfn, Hinted there.
    blk = page.get_by_test_id("compare-left").locator('[data-testid=cmp-block][data-hinted="true"]').first
    left = int(blk.get_attribute("data-pfn") or -1)
    blk.click()
    expect(panel).to_have_attribute("data-side", "left")
    panel_shows(page, left)
    expect(page.get_by_test_id("page-type")).to_have_text("0xfffffe7f")
    expect(page.get_by_test_id("page-side")).to_contain_text("seed")
    assert not page.errors  # type: ignore[attr-defined]
    ctx.close()


def test_a_bad_encoding_in_the_address_is_answered_naming_the_field(browser: Browser, server: LabServer) -> None:
    ctx, page, s = open_session(browser, server, query="?page=16&encoding=PG_dirty")
    panel = page.get_by_test_id("page-panel")
    expect(panel).to_be_visible()
    status = page.get_by_test_id("page-status")
    expect(status).to_have_attribute("data-field", "encoding")
    expect(status).to_contain_text("offline-alias")  # the message lists the encodings there are
    # It goes on with the machine's own encoding.
    expect(page.get_by_test_id("page-type")).to_have_text("0xfffffe7f")
    # The complaint stays through the refreshes state changes bring (the panel asks again after each)...
    gen = page.evaluate("() => window.hintingLab.ctx.pagePanel.gen")
    page.get_by_test_id("advance-100").dispatch_event("click")  # under the open panel
    page.wait_for_function("g => { const p = window.hintingLab.ctx.pagePanel; return p.gen > g && !p.inflight; }",
                           arg=gen)
    expect(status).to_have_attribute("data-field", "encoding")
    expect(status).to_contain_text("offline-alias")
    # ...until the user moves the panel: another encoding clears it.
    page.get_by_test_id("page-encoding").select_option("uptodate-reported")
    expect(status).to_have_attribute("data-field", "")
    expect(status).to_have_text("")
    # The API itself, as a page would ask it.
    got = page.evaluate("""async (sid) => { const r = await fetch(`/api/sessions/${sid}/page/16?encoding=nope`);
      return [r.status, (await r.json()).error.field]; }""", s["id"])
    assert got == [422, "encoding"]
    ctx.close()
    ctx, page, s = open_session(browser, server, query="?page=4096&encoding=uptodate-reported")
    expect(page.get_by_test_id("page-status")).to_have_attribute("data-field", "pfn")
    ctx.close()
    ctx, page, s = open_session(browser, server, query="?page=16&side=right")
    expect(page.get_by_test_id("page-status")).to_have_attribute("data-field", "side")
    ctx.close()


def test_page_panel_screens(browser: Browser, server: LabServer) -> None:
    for viewport, query, name, compare in (({"width": 1600, "height": 1000}, "?theme=dark", "dark-1600", False),
                                           ({"width": 1280, "height": 720}, "?projector=1", "projector", False),
                                           ({"width": 1280, "height": 720}, "?projector=1", "compare-projector", True),
                                           ({"width": 390, "height": 844}, "", "phone", False)):
        ctx, page, _ = open_session(browser, server, compare=compare, query=query, viewport=viewport)
        where = page.get_by_test_id("compare-left") if compare else page.get_by_test_id("panel-freearea")
        where.locator('.blk[data-hinted="true"]').first.click()  # a Hinted block the grid shows
        panel = page.get_by_test_id("page-panel")
        expect(page.get_by_test_id("kpageflags")).to_have_text("BUDDY|OFFLINE")
        box = panel.bounding_box()
        assert box is not None
        if name == "phone":  # a sheet from the bottom, the whole width
            assert abs(box["y"] + box["height"] - viewport["height"]) <= 1 and box["width"] >= viewport["width"] - 1
        else:  # a drawer within the screen
            assert box["x"] + box["width"] <= viewport["width"] and box["y"] + box["height"] <= viewport["height"]
        overflow = page.evaluate("() => document.documentElement.scrollWidth - window.innerWidth")
        assert overflow <= 1, f"{name}: the page scrolls sideways by {overflow}px"
        shot(page, f"page-panel-{name}")
        page.keyboard.press("Escape")
        expect(panel).to_be_hidden()
        assert not page.errors  # type: ignore[attr-defined]
        ctx.close()
