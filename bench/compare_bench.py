"""Compare mode benchmark (issue 11): prints figures, asserts nothing.

    .venv/bin/python bench/compare_bench.py                 # 1 GiB, 1,000 steps/s, 20 s, 3 runs
    .venv/bin/python bench/compare_bench.py --seconds 10 --runs 1 --json

Starts its own server, opens `/?preset=one-gib&compare=1` (the seed and free
page reporting side by side, in lockstep, on a 1 GiB zone) in Debian's
headless Chromium at 1600x1000, turns hinting on, starts a 1,000 steps/s
workload and the clock, and reads the browser's own timeline as
bench/dashboard_bench.py does (requestAnimationFrame callbacks per second,
frame gaps, long animation frames).  Also: the steps per second the server
kept up (each step runs on both machines), what one compare redraw costs,
and what a single-machine page loads from static/js/compare/ (nothing: the
compare code is loaded on first use).  The machine's speed varies from
minute to minute: several runs, the median printed.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path
from typing import Any

from playwright.sync_api import sync_playwright

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from dashboard_bench import PROBE, VIEWPORT, describe_machine, frame_figures, open_page  # noqa: E402

from tests.support import CHROMIUM, CHROMIUM_ARGS, LabServer  # noqa: E402


def compare_modules_loaded(browser: Any, server: LabServer, query: str) -> list[str]:
    ctx = browser.new_context(viewport=VIEWPORT)
    page = ctx.new_page()
    open_page(page, f"{server.url}/?preset=default{query}")
    page.wait_for_timeout(500)
    names = page.evaluate("() => performance.getEntriesByType('resource').map(e => e.name)"
                          ".filter(n => n.includes('/compare'))")
    ctx.close()
    return sorted({n.split("/static/")[-1] for n in names})


def run(browser: Any, server: LabServer, preset: str, seconds: float, rate: int, live: int) -> dict[str, Any]:
    ctx = browser.new_context(viewport=VIEWPORT)
    ctx.add_init_script(PROBE)
    page = ctx.new_page()
    open_page(page, f"{server.url}/?preset={preset}&compare=1")
    page.wait_for_selector("[data-testid=compare-right]", timeout=20_000)
    sid = page.url.split("/s/")[1].split("?")[0]
    page.fill("[data-testid=workload-rate]", str(rate))
    page.fill("[data-testid=workload-live]", str(live))
    page.click("[data-testid=hinting-start]")
    page.wait_for_function("() => window.hintingLab.store.hinting.enabled"
                           " && window.hintingLab.ctx.compare.right.hinting.enabled")
    page.click("[data-testid=workload-toggle]")
    page.click("[data-testid=clock-toggle]")
    page.wait_for_function("() => { const s = window.hintingLab.ctx.session;"
                           " return s.workload.running && s.clock.running; }")
    time.sleep(4)  # warm up: the first passes report the whole zone on both sides
    steps0 = server.get(f"/api/sessions/{sid}")["workload"]["steps"]
    page.evaluate("() => { window.__bench.reset(); const s = window.hintingLab.stats; s.views = {}; s.deltas = 0;"
                  " s.applyMs = 0; s.frames = 0; }")
    t0 = time.perf_counter()
    time.sleep(seconds)
    page.evaluate("() => window.__bench.stop()")
    elapsed = time.perf_counter() - t0
    steps1 = server.get(f"/api/sessions/{sid}")["workload"]["steps"]
    b = page.evaluate("() => ({ gaps: window.__bench.gaps, loaf: window.__bench.loaf,"
                      " span: window.__bench.t1 - window.__bench.t0,"
                      " stats: window.hintingLab.stats, dom: document.getElementsByTagName('*').length,"
                      " right: window.hintingLab.ctx.compare.right.now_ms, left: window.hintingLab.store.now_ms })")
    page.click("[data-testid=workload-toggle]")
    page.click("[data-testid=clock-toggle]")
    shot = ROOT / "test-artifacts" / "bench-compare.png"
    shot.parent.mkdir(exist_ok=True)
    page.screenshot(path=str(shot))
    ctx.close()
    return {
        **frame_figures(b, elapsed, steps1 - steps0),
        "dom_elements": b["dom"],
        "sides_same_time": b["left"] == b["right"],
        "screenshot": str(shot.relative_to(ROOT)),
    }


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--preset", default="one-gib")
    ap.add_argument("--seconds", type=float, default=20)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--rate", type=int, default=1000, help="workload steps per second")
    ap.add_argument("--live", type=int, default=2000, help="workload live target (blocks)")
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()

    out: dict[str, Any] = {"machine": describe_machine(), "viewport": VIEWPORT}
    server = LabServer().start()
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            out["single_page_compare_modules"] = compare_modules_loaded(browser, server, "")
            out["compare_page_compare_modules"] = compare_modules_loaded(browser, server, "&compare=1")
            out["runs"] = [run(browser, server, args.preset, args.seconds, args.rate, args.live)
                           for _ in range(args.runs)]
            browser.close()
    finally:
        server.stop()
    runs = out["runs"]
    out["median"] = {k: statistics.median(r[k] for r in runs) for k in
                     ("fps", "server_steps_per_s", "deltas_per_s", "frame_gap_p95_ms", "loaf_over_50ms")}
    if args.json:
        print(json.dumps(out, indent=2))
        return 0
    print(f"machine: {out['machine']}")
    print(f"single-machine page loads from static/js/compare/: {out['single_page_compare_modules'] or 'nothing'}")
    print(f"compare page loads: {', '.join(out['compare_page_compare_modules'])}")
    for i, r in enumerate(runs, 1):
        print(f"run {i}: {args.preset} in compare mode, workload {args.rate} steps/s (server did "
              f"{r['server_steps_per_s']}/s on both machines), hinting on, clock 1x, {r['seconds']} s, "
              f"{r['deltas_per_s']} deltas/s")
        print(f"  fps {r['fps']}; frame gap p50 {r['frame_gap_p50_ms']} ms, p95 {r['frame_gap_p95_ms']} ms, "
              f"max {r['frame_gap_max_ms']} ms; long frames > 50 ms: {r['loaf_over_50ms']} "
              f"(longest {r['loaf_max_ms']} ms)")
        print("  per redraw: " + ", ".join(f"{k} {v} ms" for k, v in r["view_ms_per_render"].items()))
        print(f"  DOM elements {r['dom_elements']}; both sides at the same virtual time: {r['sides_same_time']}")
    m = out["median"]
    print(f"median of {len(runs)}: fps {m['fps']} (target >= 30), server {m['server_steps_per_s']} steps/s, "
          f"{m['deltas_per_s']} deltas/s, frame gap p95 {m['frame_gap_p95_ms']} ms")
    return 0


if __name__ == "__main__":
    sys.exit(main())
