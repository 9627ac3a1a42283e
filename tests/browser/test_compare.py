"""Compare mode in the browser: two machines in lockstep, the lock lane, the NR_FREE_PAGES gap, the page panel's hook.

Screenshots at 1600x1000, in projector mode at 1280x720, in an 800x450 embed
and on a 390x844 phone (test-artifacts/browser-compare-*.png).
"""

from __future__ import annotations

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


def test_compare_screens(browser: Browser, server: LabServer) -> None:
    steps = [*churn(), {"do": "advance", "ms": 100}, {"do": "step"}, {"do": "step"}]
    ctx, page, s = open_pair(browser, server, steps)
    page.wait_for_timeout(300)
    shot(page, "compare-1600")
    ctx.close()
