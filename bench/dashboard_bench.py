"""Dashboard benchmarks (issue 4): prints figures, asserts nothing.

    .venv/bin/python bench/dashboard_bench.py               # 1 GiB, 1,000 steps/s, 20 s
    .venv/bin/python bench/dashboard_bench.py --seconds 10 --preset two-zones-4gib --json

Starts its own server (so no other session competes for the CPU), drives
Debian's headless Chromium through Playwright and reads the browser's own
performance timeline:

  fps          requestAnimationFrame callbacks per second while a 1,000
               steps/s workload runs with hinting on and the clock running
  frames       the longest gap between two animation frames, and the longest
               long-animation-frame entry (script + style + layout of a frame)
  first paint  first-contentful-paint, and "hl:first-render" (the mark the
               page sets once the snapshot is drawn: the first meaningful
               paint), on a fresh load over loopback; median of 5
  weight       bytes the page loads (resource timing, uncompressed), and the
               size of everything under static/ but the unit tests
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from playwright.sync_api import Page, sync_playwright

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.support import CHROMIUM, CHROMIUM_ARGS, LabServer, machine_info  # noqa: E402

VIEWPORT = {"width": 1600, "height": 1000}

# Installed before the page's own scripts: a frame counter and a
# long-animation-frame observer, both reset by window.__bench.reset().
PROBE = """
(() => {
  const b = window.__bench = { gaps: [], loaf: [], on: false };
  let last = 0;
  const tick = (t) => { if (b.on && last) b.gaps.push(t - last); last = t; requestAnimationFrame(tick); };
  requestAnimationFrame(tick);
  try {
    new PerformanceObserver((l) => { if (b.on) for (const e of l.getEntries()) b.loaf.push({
      d: e.duration, block: e.blockingDuration,
      layout: e.styleAndLayoutStart ? e.startTime + e.duration - e.styleAndLayoutStart : 0 }); })
      .observe({ type: "long-animation-frame" });
  } catch (e) { b.noLoaf = String(e); }
  b.reset = () => { b.gaps = []; b.loaf = []; last = 0; b.on = true; b.t0 = performance.now(); };
  b.stop = () => { b.on = false; b.t1 = performance.now(); };
})();
"""


def describe_machine() -> str:
    chromium = subprocess.run([CHROMIUM, "--version"], capture_output=True, text=True, check=False).stdout.strip()
    return f"{machine_info()}; {chromium}"


def static_weight() -> dict[str, int]:
    files = [p for p in (ROOT / "static").rglob("*") if p.is_file() and "tests" not in p.relative_to(ROOT).parts]
    by_kind: dict[str, int] = {}
    for p in files:
        by_kind[p.suffix or p.name] = by_kind.get(p.suffix or p.name, 0) + p.stat().st_size
    by_kind["total"] = sum(p.stat().st_size for p in files)
    return by_kind


def open_page(page: Page, url: str) -> None:
    page.goto(url)
    page.wait_for_selector("html[data-ready=true]", timeout=20_000)
    page.wait_for_function("() => document.querySelector('[data-testid=connection]').textContent === 'live'")


def first_paint(browser: Any, server: LabServer, preset: str, runs: int = 5) -> dict[str, float]:
    fcp, fmp, load = [], [], []
    weight = None
    for _ in range(runs):
        ctx = browser.new_context(viewport=VIEWPORT)
        page = ctx.new_page()
        t0 = time.perf_counter()
        open_page(page, f"{server.url}/?preset={preset}")
        load.append((time.perf_counter() - t0) * 1000)
        r = page.evaluate(
            """() => ({
              fcp: performance.getEntriesByName('first-contentful-paint')[0]?.startTime,
              fmp: performance.getEntriesByName('hl:first-render')[0]?.startTime,
              res: performance.getEntriesByType('resource').concat(performance.getEntriesByType('navigation'))
                   .filter(e => !e.name.includes('/api/') && !e.name.startsWith('ws'))
                   .map(e => ({ name: e.name, size: e.decodedBodySize, transfer: e.transferSize })) })"""
        )
        fcp.append(r["fcp"])
        fmp.append(r["fmp"])
        weight = r["res"]
        ctx.close()
    assert weight is not None
    return {
        "first_contentful_paint_ms": statistics.median(fcp),
        "first_render_ms": statistics.median(fmp),
        "live_ms": statistics.median(load),
        "page_bytes": sum(e["size"] for e in weight),
        "page_transfer_bytes": sum(e["transfer"] for e in weight),
        "requests": len(weight),
    }


def frame_figures(b: dict[str, Any], elapsed: float, steps: int) -> dict[str, Any]:
    """What the page's probe (PROBE) and stats measured over `elapsed` seconds, `steps` workload steps."""
    gaps = sorted(b["gaps"]) or [0.0]
    loaf = b["loaf"]
    return {
        "seconds": round(elapsed, 1),
        "server_steps_per_s": round(steps / elapsed),
        "deltas_per_s": round(b["stats"]["deltas"] / elapsed, 1),
        "fps": round(len(b["gaps"]) / (b["span"] / 1000), 1),
        "frame_gap_p50_ms": round(gaps[len(gaps) // 2], 1),
        "frame_gap_p95_ms": round(gaps[int(len(gaps) * 0.95)], 1),
        "frame_gap_max_ms": round(gaps[-1], 1),
        "view_ms_per_render": {k: round(v["ms"] / max(1, v["n"]), 2) for k, v in b["stats"]["views"].items()},
        "long_animation_frames": len(loaf),
        "loaf_over_50ms": sum(1 for e in loaf if e["d"] > 50),
        "loaf_max_ms": round(max((e["d"] for e in loaf), default=0), 1),
    }


def run_load(browser: Any, server: LabServer, preset: str, seconds: float, rate: int, live: int) -> dict[str, Any]:
    ctx = browser.new_context(viewport=VIEWPORT)
    ctx.add_init_script(PROBE)
    page = ctx.new_page()
    open_page(page, f"{server.url}/?preset={preset}")
    sid = page.url.rsplit("/", 1)[-1]
    page.fill("[data-testid=workload-rate]", str(rate))
    page.fill("[data-testid=workload-live]", str(live))
    page.click("[data-testid=hinting-start]")
    page.wait_for_function("() => window.hintingLab.store.hinting.enabled")
    page.click("[data-testid=workload-toggle]")
    page.click("[data-testid=clock-toggle]")
    page.wait_for_function("() => { const s = window.hintingLab.ctx.session;"
                           " return s.workload.running && s.clock.running; }")
    time.sleep(3)  # warm up: the first cycle reports the whole zone
    steps0 = server.get(f"/api/sessions/{sid}")["workload"]["steps"]
    page.evaluate("() => { window.__bench.reset(); const s = window.hintingLab.stats; s.views = {}; s.deltas = 0;"
                  " s.applyMs = 0; s.frames = 0; }")
    t0 = time.perf_counter()
    time.sleep(seconds)
    page.evaluate("() => window.__bench.stop()")
    elapsed = time.perf_counter() - t0
    steps1 = server.get(f"/api/sessions/{sid}")["workload"]["steps"]
    b = page.evaluate("() => ({ gaps: window.__bench.gaps, loaf: window.__bench.loaf, noLoaf: window.__bench.noLoaf,"
                      " span: window.__bench.t1 - window.__bench.t0, stats: window.hintingLab.stats,"
                      " dom: document.getElementsByTagName('*').length })")
    page.click("[data-testid=workload-toggle]")
    page.click("[data-testid=clock-toggle]")
    shot = ROOT / "test-artifacts" / f"bench-{preset}.png"
    shot.parent.mkdir(exist_ok=True)
    page.screenshot(path=str(shot))
    ctx.close()
    return {
        **frame_figures(b, elapsed, steps1 - steps0),
        "loaf_over_100ms": sum(1 for e in b["loaf"] if e["d"] > 100),
        "loaf_max_style_layout_ms": round(max((e["layout"] for e in b["loaf"]), default=0), 1),
        "apply_ms_per_delta": round(b["stats"]["applyMs"] / max(1, b["stats"]["deltas"]), 3),
        "dom_elements": b["dom"],
        "screenshot": str(shot.relative_to(ROOT)),
        **({"loaf_unavailable": b["noLoaf"]} if b.get("noLoaf") else {}),
    }


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--preset", default="one-gib")
    ap.add_argument("--seconds", type=float, default=20)
    ap.add_argument("--rate", type=int, default=1000, help="workload steps per second")
    ap.add_argument("--live", type=int, default=2000, help="workload live target (blocks)")
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()

    out: dict[str, Any] = {"machine": describe_machine(), "viewport": VIEWPORT, "static": static_weight()}
    server = LabServer().start()
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            out["load_default"] = first_paint(browser, server, "default")
            out["load_" + args.preset.replace("-", "_")] = first_paint(browser, server, args.preset)
            out["run"] = {"preset": args.preset, "rate": args.rate, "live_target": args.live,
                          **run_load(browser, server, args.preset, args.seconds, args.rate, args.live)}
            browser.close()
    finally:
        server.stop()

    if args.json:
        print(json.dumps(out, indent=2))
        return 0
    st = out["static"]
    print(f"machine: {out['machine']}")
    print(f"static assets: {st['total'] / 1024:.1f} KiB on disk (unit tests excluded): "
          + ", ".join(f"{k} {v / 1024:.1f} KiB" for k, v in st.items() if k != "total"))
    for key in [k for k in out if k.startswith("load_")]:
        ld = out[key]
        print(f"{key[5:]:>14}: first contentful paint {ld['first_contentful_paint_ms']:.0f} ms, "
              f"first render (snapshot drawn) {ld['first_render_ms']:.0f} ms, live {ld['live_ms']:.0f} ms; "
              f"page weight {ld['page_bytes'] / 1024:.1f} KiB in {ld['requests']} requests")
    r = out["run"]
    print(f"run: {r['preset']}, workload {r['rate']} steps/s (server did {r['server_steps_per_s']}/s), "
          f"hinting on, clock 1x, {r['seconds']} s, {r['deltas_per_s']} deltas/s")
    print(f"  fps {r['fps']}; frame gap p50 {r['frame_gap_p50_ms']} ms, p95 {r['frame_gap_p95_ms']} ms, "
          f"max {r['frame_gap_max_ms']} ms")
    print(f"  long animation frames: {r['long_animation_frames']} (>50 ms: {r['loaf_over_50ms']}, "
          f">100 ms: {r['loaf_over_100ms']}), longest {r['loaf_max_ms']} ms "
          f"(style+layout up to {r['loaf_max_style_layout_ms']} ms)")
    print(f"  store.apply {r['apply_ms_per_delta']} ms/delta; per redraw: "
          + ", ".join(f"{k} {v} ms" for k, v in r["view_ms_per_render"].items()))
    print(f"  DOM elements {r['dom_elements']}; screenshot {r['screenshot']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
