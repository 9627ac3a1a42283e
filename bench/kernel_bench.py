"""Real-kernel benchmarks (issue 12): prints figures, asserts nothing.

    .venv/bin/python bench/kernel_bench.py            # everything (about 2 minutes)
    .venv/bin/python bench/kernel_bench.py --quick    # smaller runs

Figures:
  parse     import-trace parse and convert, lines/s, in process (a 1,000,000-line
            trace made of the real tracefs capture repeated, timestamps shifted).
  import    `python -m core import-trace` of that trace end to end (process start,
            read, convert, JSON out), seconds.
  replay    `python -m core replay` of the imported scenario, steps/s, beside the
            core's usual figure (the same command on a churn scenario of as many steps).
  kpageflags a refresh of the live host view (everything /ws/host sends: procfs
            parsed, /proc/kpageflags read and classified, maps compressed) on this
            machine, when /proc/kpageflags is readable (root), ms.
  latency   websocket ping round trips of a simulated session, p50 and p99, with
            nobody watching the host and with a /ws/host viewer (1 refresh/s), in
            alternating rounds on one server; medians over the rounds.

Medians of several runs: the machine's speed varies minute to minute.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from core import HintingConfig, Machine, MachineConfig  # noqa: E402
from core.trace_import import import_lines  # noqa: E402
from core.workload import Workload  # noqa: E402
from tests.support import LabServer, free_port, machine_info  # noqa: E402

TRACE = ROOT / "tests" / "fixtures" / "kernel" / "linux-6.18-vm-trace.txt"
ENV = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}


def big_trace(lines_wanted: int) -> list[str]:
    """The real capture repeated, each copy 30 ms after the one before, up to `lines_wanted` event lines."""
    base = [ln for ln in TRACE.read_text().splitlines(keepends=True) if not ln.startswith("#")]
    out: list[str] = []
    rep = 0
    while len(out) < lines_wanted:
        shift = rep * 0.03
        for ln in base:
            head, sep, tail = ln.partition(": mm_page_")
            before, _, ts = head.rpartition(" ")
            out.append(f"{before} {float(ts) + shift:.6f}{sep}{tail}")
            if len(out) >= lines_wanted:
                break
        rep += 1
    return out


CPU: dict[str, float] = {}  # the CPU seconds (user + system) of the last median_time's median run


def _children_cpu() -> float:
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def median_time(cmd: list[str], runs: int = 3) -> float:
    """Median wall time of a command; its CPU time (immune to other sessions' load) goes to CPU["last"]."""
    subprocess.run(cmd, cwd=ROOT, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=ENV)
    times = []
    for _ in range(runs):
        c0 = _children_cpu()
        t0 = time.perf_counter()
        subprocess.run(cmd, cwd=ROOT, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=ENV)
        times.append((time.perf_counter() - t0, _children_cpu() - c0))
    times.sort()
    CPU["last"] = times[len(times) // 2][1]
    return times[len(times) // 2][0]


def trace_figures(n_lines: int) -> None:
    lines = big_trace(n_lines)
    rates = []
    cpu_rates = []
    imp = None
    for _ in range(3):
        del imp  # the previous result is freed before the clock starts, not inside the timing
        c0 = time.process_time()
        t0 = time.perf_counter()
        imp = import_lines(lines)
        rates.append(len(lines) / (time.perf_counter() - t0))
        cpu_rates.append(len(lines) / (time.process_time() - c0))
    print(f"parse+convert: {statistics.median(rates):,.0f} lines/s wall, {statistics.median(cpu_rates):,.0f} lines "
          f"per CPU second (median of 3, {len(lines):,} lines, {imp.kept['alloc']:,} allocs kept)")
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "trace.txt"
        path.write_text("".join(lines))
        out = Path(tmp) / "scenario.json"
        cmd = [sys.executable, "-m", "core", "import-trace", str(path), "--quiet"]
        elapsed = median_time(["sh", "-c", " ".join(cmd) + f" > {out}"])
        print(f"import-trace end to end: {elapsed:.2f} s wall, {CPU['last']:.2f} s CPU for {len(lines):,} lines "
              f"({path.stat().st_size / 1e6:.0f} MB in, {out.stat().st_size / 1e6:.0f} MB out; median of 3)")
        steps = len(json.loads(out.read_text())["steps"])
        t_imp = median_time([sys.executable, "-m", "core", "replay", str(out)])
        c_imp = CPU["last"]
        m = Machine(MachineConfig(), HintingConfig())
        churn = Workload(seed=7, live_target=2000, orders=(0, 1, 2, 3), order_weights=(50, 25, 15, 10))
        doc = churn.scenario(m, steps, advance_every=10, hinting=True)
        cpath = Path(tmp) / "churn.json"
        cpath.write_text(json.dumps(doc))
        t_churn = median_time([sys.executable, "-m", "core", "replay", str(cpath)])
        c_churn = CPU["last"]
        n = len(doc["steps"])
        print(f"replay of the imported scenario: {steps / t_imp:,.0f} steps/s wall, {steps / c_imp:,.0f} per CPU "
              f"second ({steps:,} steps); the core's usual (churn, {n:,} steps): {n / t_churn:,.0f} steps/s wall, "
              f"{n / c_churn:,.0f} per CPU second (python -m core replay end to end, medians of 3)")
        # Where the difference goes: the same scenario with every name replaced by the pfn it held, so the
        # allocator does the same work and only the names' bookkeeping is gone.
        ppath = Path(tmp) / "by-pfn.json"
        ppath.write_text(json.dumps(by_pfn(json.loads(out.read_text()))))
        t_pfn = median_time([sys.executable, "-m", "core", "replay", str(ppath)])
        c_pfn = CPU["last"]
        print(f"  the imported scenario freeing by pfn instead of by name: {steps / t_pfn:,.0f} steps/s wall, "
              f"{steps / c_pfn:,.0f} per CPU second: naming every block changes the imported replay's CPU by "
              f"{100 * (c_imp / c_pfn - 1):+.0f}%; the rest of any gap to churn is the trace's own allocator work "
              f"(order-0 splits and merges in a near-empty zone)")


def by_pfn(doc: dict) -> dict:
    """The scenario with `as` dropped and `free ref` turned into `free pfn` (the pfns its replay gives)."""
    from core.scenario import parse_scenario, run_steps

    scenario = parse_scenario(doc)
    results = run_steps(scenario.machine_instance(), scenario.steps)
    held: dict[str, int] = {}
    steps = []
    for step, result in zip(doc["steps"], results, strict=True):
        step = dict(step)
        if step["do"] == "alloc" and "as" in step:
            name = step.pop("as")
            if result.get("ok"):
                held[name] = result["pfn"]
        elif step["do"] == "free" and "ref" in step:
            step["pfn"] = held.pop(step.pop("ref"))
        steps.append(step)
    return {**doc, "steps": steps}


def kpageflags_figure(runs: int) -> None:
    from app.live_host import host_snapshot

    if not os.access("/proc/kpageflags", os.R_OK):
        print("kpageflags: /proc/kpageflags is not readable here (root only): no figure")
        return
    times = []
    cpus = []
    pages = 0
    for _ in range(runs):
        r0 = resource.getrusage(resource.RUSAGE_SELF)
        t0 = time.perf_counter()
        doc = host_snapshot("/", True, 1 << 30)
        times.append(time.perf_counter() - t0)
        r1 = resource.getrusage(resource.RUSAGE_SELF)
        cpus.append(r1.ru_utime + r1.ru_stime - r0.ru_utime - r0.ru_stime)
        pages = sum(z["spanned"] for z in doc["zones"])
    print(f"kpageflags refresh: {statistics.median(times) * 1000:,.0f} ms wall (min {min(times) * 1000:,.0f} ms), "
          f"{statistics.median(cpus) * 1000:,.0f} ms CPU over two reading threads, for {pages:,} pages "
          f"({pages * 4096 / 2**30:.1f} GiB; median of {runs})")


async def _pings(url: str, n: int) -> list[float]:
    import websockets

    out = []
    async with websockets.connect(url, max_size=None) as ws:
        await asyncio.wait_for(ws.recv(), 30)  # hello
        await asyncio.wait_for(ws.recv(), 30)  # snapshot
        for i in range(n):
            t0 = time.perf_counter()
            await ws.send(json.dumps({"type": "ping", "id": i}))
            while True:
                msg = json.loads(await asyncio.wait_for(ws.recv(), 30))
                if msg.get("type") == "pong" and msg.get("id") == i:
                    break
                if msg.get("type") == "error" or msg.get("id") == i:  # refused: no pong is coming
                    raise RuntimeError(f"ping {i} refused: {msg}")
            out.append((time.perf_counter() - t0) * 1000)
            # 40 pings/s: under the server's default 50 requests/s per connection, whatever the round trip (at
            # 10 ms apart a quiet machine's fast round trips spent the burst and the refused pings hung the bench).
            await asyncio.sleep(max(0.0, 0.025 - (time.perf_counter() - t0)))
    return out


VIEWER_COMPRESSION: list[str | None] = ["deflate"]  # what the host viewer offers (browsers: permessage-deflate)


async def _watch_host(url: str, seen: list[int]) -> None:
    """Watch /ws/host until cancelled, counting the snapshots."""
    import websockets

    async with websockets.connect(url, max_size=None, compression=VIEWER_COMPRESSION[0]) as ws:
        async for _ in ws:
            seen[0] += 1


def latency_figure(n: int, runs: int) -> None:
    """Ping p50/p99 of one session, alternately with nobody on the host view and with one viewer, `runs` times."""
    server = LabServer(free_port(), ["--proc-root", "/"]).start()
    try:
        s = server.create({"preset": "default"})
        ws_url = server.url.replace("http", "ws") + f"/ws/{s['id']}"
        host_url = server.url.replace("http", "ws") + "/ws/host"

        async def rounds() -> tuple[list[list[float]], list[list[float]], int]:
            quiet, busy = [], []
            seen = [0]
            for _ in range(runs):
                quiet.append(await _pings(ws_url, n))
                watcher = asyncio.create_task(_watch_host(host_url, seen))
                await asyncio.sleep(2.5)  # the worker process is up and refreshing
                busy.append(await _pings(ws_url, n))
                watcher.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await watcher
                await asyncio.sleep(1.5)  # the refresh in flight ends before the next quiet round
            return quiet, busy, seen[0]

        quiet, busy, refreshes = asyncio.run(rounds())
        q = lambda xs, p: statistics.quantiles(xs, n=100)[p - 1]  # noqa: E731
        med = lambda rs, p: statistics.median(q(r, p) for r in rs)  # noqa: E731
        spread = lambda rs, p: f"{min(q(r, p) for r in rs):.1f}..{max(q(r, p) for r in rs):.1f}"  # noqa: E731
        print(f"session loop latency (ping round trip, medians of {runs} alternating runs of {n} pings): "
              f"nobody on the host view p50 {med(quiet, 50):.2f} ms, p99 {med(quiet, 99):.2f} ms "
              f"(runs {spread(quiet, 99)}); with a /ws/host viewer ({refreshes} refreshes received) "
              f"p50 {med(busy, 50):.2f} ms, p99 {med(busy, 99):.2f} ms (runs {spread(busy, 99)})")
    finally:
        server.stop()


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--only", choices=["trace", "kpageflags", "latency"])
    ap.add_argument("--viewer-compression", choices=["deflate", "none"], default="deflate",
                    help="whether the host viewer negotiates permessage-deflate (browsers do)")
    args = ap.parse_args()
    VIEWER_COMPRESSION[0] = None if args.viewer_compression == "none" else "deflate"
    print(f"machine: {machine_info()}; load average now {os.getloadavg()[0]:.1f} (other sessions share the CPU)")
    if args.only in (None, "trace"):
        trace_figures(200_000 if args.quick else 1_000_000)
    if args.only in (None, "kpageflags"):
        kpageflags_figure(3 if args.quick else 7)
    if args.only in (None, "latency"):
        latency_figure(100 if args.quick else 300, 3 if args.quick else 5)


if __name__ == "__main__":
    main()
