"""How quickly the dashboard answers a person: prints figures, asserts nothing.

    .venv/bin/python bench/interaction_bench.py            # 7 runs of each
    .venv/bin/python bench/interaction_bench.py --runs 15 --json

The browser tests check that these things happen; this measures how fast
(the figures the tests used to assert as wall-clock limits):

  jump      a click in the middle of a 10,000-step session's timeline, until
            the strip shows the new position (the server rebuilds the state
            from its nearest checkpoint, the page draws the snapshot)
  follow    a presenter's tour step (key N) until a second browser context
            watching the session shows it; and a click on a free-list cell
            until the watcher shows the selection
Times are wall-clock from the key or click to the page's change, polled on
every animation frame; medians (and min/max) of --runs, over loopback, with
the server started here so no other session competes for it.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from playwright.sync_api import Browser, Page, sync_playwright

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.support import CHROMIUM, CHROMIUM_ARGS, LabServer, machine_info, ten_thousand_steps  # noqa: E402

VIEWPORT = {"width": 1600, "height": 1000}
CURSOR = "() => +document.querySelector('[data-testid=timeline-bar]').dataset.cursor"


def controller(browser: Browser, server: LabServer, body: dict[str, Any]) -> tuple[Any, Page, str]:
    s = server.create(body)
    ctx = browser.new_context(viewport=VIEWPORT)  # type: ignore[arg-type]
    ctx.add_init_script(f"sessionStorage.setItem('hl.token.{s['id']}', {json.dumps(s['control_token'])})")
    page = ctx.new_page()
    page.goto(f"{server.url}/s/{s['id']}")
    page.wait_for_function("() => document.documentElement.dataset.ready === 'true'"
                           " && document.querySelector('[data-testid=role]').hidden", timeout=60_000)
    return ctx, page, s["id"]


def timed(act: Callable[[], None], done: Callable[[], None]) -> float:
    t0 = time.perf_counter()
    act()
    done()
    return (time.perf_counter() - t0) * 1000


def summary(ms: list[float]) -> dict[str, float]:
    return {"median_ms": round(statistics.median(ms), 1), "min_ms": round(min(ms), 1), "max_ms": round(max(ms), 1),
            "runs": len(ms)}


def jump(browser: Browser, server: LabServer, runs: int) -> dict[str, float]:
    ctx, page, _ = controller(browser, server, {"scenario": ten_thousand_steps()})
    try:
        page.wait_for_function(f"() => ({CURSOR})() === 10000", timeout=60_000)
        box = page.get_by_test_id("timeline").bounding_box()
        assert box
        y = box["y"] + box["height"] / 2
        ms = []
        for i in range(runs):
            # Alternate between a quarter and three quarters: every click is a real jump.
            frac = 0.25 if i % 2 == 0 else 0.75
            before = page.evaluate(CURSOR)
            ms.append(timed(lambda f=frac: page.mouse.click(box["x"] + box["width"] * f, y),
                            lambda b=before: page.wait_for_function(f"b => ({CURSOR})() !== b", arg=b,
                                                                     polling="raf", timeout=30_000)))
        return summary(ms)
    finally:
        ctx.close()


def follow(browser: Browser, server: LabServer, runs: int) -> dict[str, dict[str, float]]:
    short = ten_thousand_steps()
    short["steps"] = short["steps"][:20]
    ctx, page, sid = controller(browser, server, {"scenario": short})
    watcher_ctx = browser.new_context(viewport={"width": 1280, "height": 720})
    try:
        watcher = watcher_ctx.new_page()
        watcher.goto(f"{server.url}/s/{sid}")
        watcher.wait_for_function("() => document.querySelector('[data-testid=connection]').textContent === 'live'")
        steps, cells = [], []
        for i in range(runs):
            # One step back in time, then forward again (keys ← →): the watcher's strip follows.
            at = page.evaluate(CURSOR)
            key, want = ("ArrowLeft", at - 1) if i % 2 == 0 else ("ArrowRight", at + 1)
            steps.append(timed(lambda k=key: page.keyboard.press(k),
                               lambda w=want: watcher.wait_for_function(f"w => ({CURSOR})() === w", arg=w,
                                                                        polling="raf", timeout=30_000)))
        for i in range(runs):
            order = 3 + i % 2  # alternate two cells, so every click changes the selection
            cell = (f'[data-testid="free-list"][data-zone="Normal"][data-order="{order}"]'
                    '[data-migratetype="Movable"]')
            cells.append(timed(lambda c=cell: page.locator(c).click(),
                               lambda c=cell: watcher.wait_for_function(
                                   "c => document.querySelector(c)?.classList.contains('sel')", arg=c,
                                   polling="raf", timeout=30_000)))
        return {"time_step": summary(steps), "selection": summary(cells)}
    finally:
        watcher_ctx.close()
        ctx.close()


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--runs", type=int, default=7)
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()
    out: dict[str, Any] = {"machine": machine_info()}
    server = LabServer().start()
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            out["jump_10000_steps"] = jump(browser, server, args.runs)
            out["follow_presenter"] = follow(browser, server, args.runs)
            browser.close()
    finally:
        server.stop()
    if args.json:
        print(json.dumps(out, indent=2))
        return 0
    print(f"machine: {out['machine']}")
    rows = [("jump to mid-timeline, 10,000 steps", out["jump_10000_steps"]),
            ("audience sees the presenter's step in time", out["follow_presenter"]["time_step"]),
            ("audience sees the presenter's selection", out["follow_presenter"]["selection"])]
    for name, r in rows:
        print(f"{name:>42}: median {r['median_ms']} ms (min {r['min_ms']}, max {r['max_ms']}, {r['runs']} runs)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
