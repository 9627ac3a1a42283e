"""Compare mode in the browser: two machines in lockstep, the lock lane, the NR_FREE_PAGES gap, the page panel's hook.

Screenshots at 1600x1000, in projector mode at 1280x720, in an 800x450 embed
and on a 390x844 phone (test-artifacts/browser-compare-*.png).
"""

from __future__ import annotations

import json
from typing import Any

from playwright.sync_api import Browser, Page, expect

from tests.support import LabServer

from .conftest import READY_JS, controller_page, shot

MACHINE = {"max_order": 6, "pageblock_order": 3, "zones": [{"name": "Normal", "pages": 256}]}
HINTING = {"min_order": 3, "hwm": 2, "capacity": 4, "delay_ms": 100, "stepping": True}


def scenario(steps: list[dict[str, Any]], compare: bool = True) -> dict[str, Any]:
    doc: dict[str, Any] = {"format": "hinting-scenario/1", "title": "compare test", "machine": MACHINE,
                           "hinting": HINTING, "steps": steps}
    if compare:
        doc["compare"] = True
    return doc


def churn() -> list[dict[str, Any]]:
    """Order-3 allocations over the whole zone, every other one freed: many free order-3 blocks, no merges."""
    steps: list[dict[str, Any]] = [{"do": "hinting_start"}]
    steps += [{"do": "alloc", "zone": "Normal", "order": 3, "as": f"b{i}"} for i in range(32)]
    steps += [{"do": "free", "ref": f"b{i}"} for i in range(0, 32, 2)]
    return steps


def open_pair(browser: Browser, server: LabServer, steps: list[dict[str, Any]],
              viewport: dict[str, int] | None = None, query: str = "") -> tuple[Any, Page, dict[str, Any]]:
    ctx, page, s = controller_page(browser, server, {"scenario": scenario(steps)},
                                   viewport or {"width": 1600, "height": 1000})
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.errors = errors  # type: ignore[attr-defined]
    page.goto(f"{server.url}/s/{s['id']}{query}")
    page.wait_for_function(READY_JS, polling="raf", timeout=10_000)
    expect(page.get_by_test_id("compare-left")).to_be_visible()
    expect(page.get_by_test_id("compare-right")).to_be_visible()
    return ctx, page, s


def cursor(page: Page) -> int:
    return int(page.evaluate("() => window.hintingLab.ctx.timeline.cursor"))


def sides_now(page: Page) -> tuple[int, int]:
    return page.evaluate("""() => [window.hintingLab.store.now_ms, window.hintingLab.ctx.compare.right.now_ms]""")


RIGHT_DOC_JS = "() => window.hintingLab.ctx.compare.right.toDocument()"
LEFT_DOC_JS = "() => window.hintingLab.store.toDocument()"


def wait_cursor(page: Page, n: int) -> None:
    page.wait_for_function("n => window.hintingLab.ctx.timeline.cursor === n", arg=n, polling="raf", timeout=10_000)


def wait_settled(page: Page, server: LabServer, sid: str) -> None:
    """Until both sides of the page hold what the server's machines hold now."""
    for _ in range(100):
        left = server.get(f"/api/sessions/{sid}/state")
        right = server.get(f"/api/sessions/{sid}/state?side=right")
        if (page.evaluate(LEFT_DOC_JS)["now_ms"], page.evaluate(RIGHT_DOC_JS)["now_ms"]) == (left["now_ms"],
                                                                                            right["now_ms"]) \
                and same(page.evaluate(RIGHT_DOC_JS), right) and same(page.evaluate(LEFT_DOC_JS), left):
            return
        page.wait_for_timeout(50)
    raise AssertionError("the page's two sides never matched the server's machines")


def same(doc: dict[str, Any], state: dict[str, Any]) -> bool:
    keys = ("now_ms", "zones", "host")
    return all(json.dumps(doc.get(k), sort_keys=True) == json.dumps(state.get(k), sort_keys=True) for k in keys)


def test_compare_stays_in_lockstep_through_actions_and_time_travel(browser: Browser, server: LabServer) -> None:
    ctx, page, s = open_pair(browser, server, churn())
    sid = s["id"]
    start = cursor(page)
    # Actions from the dashboard's own controls: each is one step, applied to both machines.
    page.get_by_test_id("advance-100").click()
    wait_cursor(page, start + 1)
    page.get_by_test_id("step").click()  # the cycle stops with a batch out on both sides
    wait_cursor(page, start + 2)
    page.get_by_test_id("alloc-submit").click()
    wait_cursor(page, start + 3)
    page.get_by_test_id("move-pfn").fill("8")
    page.get_by_test_id("move-submit").click()
    wait_cursor(page, start + 4)
    wait_settled(page, server, sid)
    assert sides_now(page)[0] == sides_now(page)[1] == 100
    expect(page.get_by_test_id("compare-right").locator("[data-testid=cmp-batch-block]").first).to_be_visible()
    # Back in time: both sides are rebuilt at the same step.
    page.get_by_test_id("timeline-back").click()
    page.get_by_test_id("timeline-back").click()
    wait_cursor(page, start + 2)
    wait_settled(page, server, sid)
    info = server.get(f"/api/sessions/{sid}")
    assert info["timeline"]["cursor"] == start + 2
    assert page.get_by_test_id("compare-differs").inner_text().startswith(f"what differs at step {start + 2}")
    # Forward again along the kept history.
    page.get_by_test_id("timeline-end").click()
    wait_cursor(page, start + 4)
    wait_settled(page, server, sid)
    # Undo takes the last step back on both.
    page.get_by_test_id("undo").click()
    wait_cursor(page, start + 3)
    wait_settled(page, server, sid)
    shot(page, "compare-lockstep")
    assert not page.errors  # type: ignore[attr-defined]
    ctx.close()


def test_compare_toggle_query_and_preset(page: Page, server: LabServer) -> None:
    page.goto(f"{server.url}/?preset=tiny&compare=1")
    page.wait_for_function(READY_JS, polling="raf", timeout=10_000)
    expect(page.get_by_test_id("compare-left")).to_be_visible()
    expect(page.get_by_test_id("compare-right")).to_have_attribute("data-design", "reporting")
    expect(page.get_by_test_id("compare-toggle")).to_have_attribute("aria-pressed", "true")
    page.get_by_test_id("compare-toggle").focus()
    page.keyboard.press("Enter")  # off, from the keyboard: the single dashboard again, the same history
    expect(page.get_by_test_id("compare")).to_be_hidden()
    expect(page.get_by_test_id("panel-freearea")).to_be_visible()
    expect(page.get_by_test_id("compare-toggle")).to_have_attribute("aria-pressed", "false")
    page.get_by_test_id("compare-toggle").click()  # and on again, by the button
    expect(page.get_by_test_id("compare-left")).to_be_visible()
    sid = page.url.split("/s/")[1].split("?")[0]
    assert server.get(f"/api/sessions/{sid}")["compare"] is True
    # The scenario the page exports (and its permalinks carry) says compare.
    assert server.get(f"/api/sessions/{sid}/scenario")["compare"] is True


def test_a_tour_plays_on_both_machines(page: Page, server: LabServer) -> None:
    name = "tour-frees-land-before-boundary"
    page.goto(f"{server.url}/?preset={name}&compare=1")
    page.wait_for_function(READY_JS, polling="raf", timeout=10_000)
    expect(page.get_by_test_id("compare-right")).to_be_visible()
    sid = page.url.split("/s/")[1].split("?")[0]
    start = cursor(page)
    for i in range(3):
        page.wait_for_function("p => document.querySelector('[data-testid=tour-progress]')?.dataset.pos === String(p)",
                               arg=i, polling="raf", timeout=10_000)
        page.get_by_test_id("tour-next").click()
        wait_cursor(page, start + i + 1)
        wait_settled(page, server, sid)
    # The tour's frees landed on both machines: the seed's side in front of its boundary.
    differs = page.get_by_test_id("compare-differs").inner_text()
    assert "what differs at step" in differs
    shot(page, "compare-tour")


def test_nr_free_pages_chart_shows_the_gap_while_a_batch_is_out(browser: Browser, server: LabServer) -> None:
    steps = [*churn(), {"do": "advance", "ms": 100}]  # stepping: both passes stopped with a batch out
    ctx, page, s = open_pair(browser, server, steps)
    right = server.get(f"/api/sessions/{s['id']}/state?side=right")
    left = server.get(f"/api/sessions/{s['id']}/state")
    lb, rb = left["zones"][0]["batch_pages"], right["zones"][0]["batch_pages"]
    assert lb > 0 and rb > 0
    chart = page.get_by_test_id("chart-nrfree")
    expect(chart).to_have_attribute("data-left", str(lb))
    expect(chart).to_have_attribute("data-right", str(rb))
    expect(page.get_by_test_id("compare-right").get_by_test_id("nr-gap")).to_have_text(f"−{rb} in batch")
    # Hover the chart at its right end (the step shown): both sides' counter, lists and batch.
    box = chart.locator("canvas").bounding_box()
    assert box is not None
    page.mouse.move(box["x"] + box["width"] - 3, box["y"] + box["height"] / 2)
    tip = page.get_by_test_id("chart-tip")
    expect(tip).to_be_visible()
    expect(tip).to_contain_text(f"NR_FREE_PAGES {right['zones'][0]['nr_free_pages']}")
    expect(tip).to_contain_text(f"batch {rb}")
    shot(page, "compare-gap")
    # One step back, before the passes: no batch, no gap; the chart follows time travel.
    n = cursor(page)
    page.mouse.move(0, 0)
    page.get_by_test_id("timeline-back").click()
    wait_cursor(page, n - 1)
    expect(chart).to_have_attribute("data-left", "0")
    expect(chart).to_have_attribute("data-right", "0")
    expect(page.get_by_test_id("compare-right").get_by_test_id("nr-gap")).to_have_count(0)
    ctx.close()


def test_lock_lanes_show_the_holds_and_mark_the_longest(browser: Browser, server: LabServer) -> None:
    steps = [*churn(), {"do": "advance", "ms": 100}, {"do": "step"}, {"do": "step"}, {"do": "step"}]
    ctx, page, s = open_pair(browser, server, steps)
    for side in ("left", "right"):
        lane = page.get_by_test_id(f"compare-{side}").get_by_test_id("lock-lane")
        expect(lane).to_be_visible()
        state = server.get(f"/api/sessions/{s['id']}/state" + ("?side=right" if side == "right" else ""))
        lock = state["hinting"]["costs"]["lock"]
        holds = lane.get_by_test_id("lock-hold")
        assert holds.count() == len(lock["recent"]) > 0
        longest = lane.locator("[data-testid=lock-hold][data-longest]")
        assert longest.count() == 1
        assert int(longest.get_attribute("data-entries") or -1) == max(h["entries"] for h in lock["recent"])
        expect(longest).to_contain_text("longest")
    ctx.close()
    # A single-design session shows its lane under the batch.
    ctx2, page2, s2 = controller_page(browser, server, {"scenario": scenario(steps, compare=False)},
                                      {"width": 1600, "height": 1000})
    page2.goto(f"{server.url}/s/{s2['id']}")
    page2.wait_for_function(READY_JS, polling="raf", timeout=10_000)
    lane = page2.get_by_test_id("panel-batch").get_by_test_id("lock-lane")
    expect(lane).to_be_visible()
    assert lane.get_by_test_id("lock-hold").count() > 0
    expect(lane.locator("[data-longest]")).to_have_count(1)
    shot(page2, "single-lock-lane")
    ctx2.close()


def test_a_click_on_a_block_dispatches_block_select_for_its_side(browser: Browser, server: LabServer) -> None:
    ctx, page, s = open_pair(browser, server, [*churn(), {"do": "advance", "ms": 100}])
    page.evaluate("""() => { window.__sel = [];
      document.addEventListener('hl:block-select', e => window.__sel.push(e.detail)); }""")
    blk = page.get_by_test_id("compare-right").locator("[data-testid=cmp-block]").first
    pfn, order = int(blk.get_attribute("data-pfn") or -1), int(blk.get_attribute("data-order") or -1)
    assert blk.get_attribute("data-zone") == "Normal" and blk.get_attribute("data-side") == "right"
    blk.click()
    got = page.evaluate("() => window.__sel")
    assert got == [{"sid": s["id"], "side": "right", "zone": "Normal", "pfn": pfn, "order": order, "page": pfn}]
    # The small map of the left side: any block, with its head pfn and order.
    canvas = page.get_by_test_id("compare-left").locator("canvas.cs-map")
    box = canvas.bounding_box()
    assert box is not None
    page.mouse.click(box["x"] + 2, box["y"] + 2)
    last = page.evaluate("() => window.__sel.at(-1)")
    assert last == {"sid": s["id"], "side": "left", "zone": "Normal", "pfn": 0, "order": 3, "page": 0}
    ctx.close()


def test_compare_screens(browser: Browser, server: LabServer) -> None:
    steps = [*churn(), {"do": "advance", "ms": 100}, {"do": "step"}, {"do": "step"},
             {"do": "free", "ref": "b1"}, {"do": "move_pageblock", "pfn": 16, "migratetype": "Isolate"}]
    for viewport, query, name in (({"width": 1600, "height": 1000}, "", "compare-1600"),
                                  ({"width": 1280, "height": 720}, "?projector=1", "compare-projector"),
                                  ({"width": 800, "height": 450}, "?embed=1", "compare-embed"),
                                  ({"width": 390, "height": 844}, "", "compare-phone")):
        ctx, page, _ = open_pair(browser, server, steps, viewport, query)
        page.wait_for_timeout(250)
        overflow = page.evaluate("() => document.documentElement.scrollWidth - window.innerWidth")
        assert overflow <= 1, f"{name}: the page scrolls sideways by {overflow}px"
        # Every marker's flag is whole inside its own cell (not over the row above, not cut at an edge), and no
        # two flags overlap.
        flags = page.evaluate("""() => [...document.querySelectorAll('.cs-bnd b')].map(b => {
            const f = b.getBoundingClientRect(), c = b.closest('.cs-fl').getBoundingClientRect();
            return {text: b.textContent, f: [f.left, f.top, f.right, f.bottom], c: [c.left, c.top, c.right, c.bottom]};
        })""")
        assert flags, f"{name}: no boundary flags drawn"
        for fl in flags:
            (fx0, fy0, fx1, fy1), (cx0, cy0, cx1, cy1) = fl["f"], fl["c"]
            assert cx0 - 0.5 <= fx0 and fx1 <= cx1 + 0.5 and cy0 - 0.5 <= fy0 and fy1 <= cy1 + 0.5, \
                f"{name}: the flag {fl['text']!r} at {fl['f']} leaves its cell {fl['c']}"
        for i, a in enumerate(flags):
            for b in flags[i + 1:]:
                (ax0, ay0, ax1, ay1), (bx0, by0, bx1, by1) = a["f"], b["f"]
                assert ax1 <= bx0 + 0.5 or bx1 <= ax0 + 0.5 or ay1 <= by0 + 0.5 or by1 <= ay0 + 0.5, \
                    f"{name}: the flags {a['text']!r} and {b['text']!r} overlap"
        shot(page, name)
        assert not page.errors  # type: ignore[attr-defined]
        ctx.close()
