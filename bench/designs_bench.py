"""The two designs side by side (issue 10, section 5): prints figures, asserts nothing.

    .venv/bin/python bench/designs_bench.py               # everything (10-20 minutes on a busy VM)
    .venv/bin/python bench/designs_bench.py --only idle   # one part: idle, churn, replay, scale, instructions

Parts:
  idle     "free everything, then idle" at 1, 16 and 64 GiB: a booted zone is all
           free (every block merged back to order 10), so hinting starts on an idle
           machine and time runs in 100 ms steps until every free block of order >=
           min_order is marked.  Per design: virtual time to report it all, passes,
           list entries read in all and per reported block (the review's quadratic
           argument: does the per-block figure grow with the zone?), the largest
           zone-lock hold.
  churn    two churn workloads (1 ms of virtual time every 10 ops) at 1, 16 and
           64 GiB, started once everything free is marked: "small" (orders 0-3,
           the project's churn: after the first pass no free reaches min_order, so
           no design works) and "mixed" (one allocation in ten of order 9, so the
           work runs among the operations).  What each design's work cost during
           the churn, and alloc/free ops/s.
  replay   `python -m core replay` of the same 100,000-step churn scenario under
           each design, end to end: steps/s (wall, median of 5 interleaved runs).
  scale    per-operation cost at 64 GiB against 1 GiB, end to end: the replay of a
           100,000-step churn minus the replay of a scenario with no churn that
           still does the first full hinting pass, per step, both in wall time
           (medians) and in callgrind instructions; with the cyclic GC's full
           collections counted (`python -m core replay` freezes what boot built,
           so they no longer walk the 16M-slot mem_map at 64 GiB: that alone
           made a step 1.2x dearer there).
  instructions  callgrind instructions per replayed step under each design
           (20,000-step churn), the figure to compare versions by: this VM's
           wall times vary 20-40% from minute to minute.

Wall figures are medians of interleaved runs: the machine is shared.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.core_bench import callgrind  # noqa: E402
from core import HintingConfig, Machine, MachineConfig  # noqa: E402
from core.costs import HOLD_UNITS, WASTE_CAUSES, Costs  # noqa: E402
from core.design import DesignConfig  # noqa: E402
from core.page_reporting_design import ReportingConfig, ReportingDesign  # noqa: E402
from core.workload import Workload  # noqa: E402
from tests.support import machine_info  # noqa: E402

GiB_PAGES = 262144
DESIGNS = ("seed", "reporting")
CACHED_BYTECODE = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}


def config(design: str, **kw: Any) -> DesignConfig:
    """Each design at its defaults (the seed: hwm 32, 100 ms; reporting: 2000 ms), capacity 32, min_order 9."""
    return HintingConfig(**kw) if design == "seed" else ReportingConfig(**kw)


def machine(design: str, gib: int) -> Machine:
    return Machine(MachineConfig(zones=(("Normal", gib * GiB_PAGES),)), config(design))


# --- idle ----------------------------------------------------------------------------------


def idle(design: str, gib: int, cap_ms: int = 600_000) -> dict[str, Any]:
    m = machine(design, gib)
    t0 = time.perf_counter()
    until_full(m, cap_ms)
    wall = time.perf_counter() - t0
    c = m.design.state()["costs"]
    return {"costs": c, "wall_s": wall, "blocks": sum(a.nr_free for z in m.zones for a in z.free_area[9:])}


def part_idle() -> None:
    print("\n== free everything, then idle (a booted zone: all free, order-10 blocks; min_order 9, capacity 32)")
    print(f"{'':>17}{'blocks':>8}{'time to all':>13}{'passes':>8}{'batches':>9}{'entries':>10}"
          f"{'per block':>11}{'longest hold: entries':>23}{'pulled':>8}{'wall s':>8}")
    for gib in (1, 16, 64):
        for design in DESIGNS:
            r = idle(design, gib)
            c = r["costs"]
            took = c["full"]["took_ms"]
            shown = f"{took / 1000:.1f} s" if took is not None else "never"
            print(f"{design:>10} {gib:>3} GiB{r['blocks']:>8,}{shown:>13}"
                  f"{c['passes']:>8,}{c['batches']:>9,}{c['entries_read']:>10,}{c['entries_per_block']:>11.2f}"
                  f"{c['lock']['longest']['entries']:>23,}{c['lock']['longest']['pulled']:>8,}{r['wall_s']:>8.2f}")


# --- churn ---------------------------------------------------------------------------------


def costs_of(m: Machine) -> Costs:
    """The design's running figures (the bench reads them; the model never needs this)."""
    design: Any = m.design
    return design.pr.costs if isinstance(design, ReportingDesign) else design.ph.costs


def until_full(m: Machine, cap_ms: int = 600_000) -> None:
    """hinting on, then idle in 100 ms steps until every free block of order >= min_order is marked."""
    m.hinting_start()
    while m.design.state()["costs"]["full"]["at_ms"] is None and m.now_ms < cap_ms:
        m.advance(100)


WORKLOADS = {
    # the project's churn (bench/core_bench.py): small blocks only, so after the first full pass
    # nothing of order >= min_order is freed and a design's work only meets its hooks
    "small": {"live_target": 2000, "orders": (0, 1, 2, 3), "order_weights": (50, 25, 15, 10)},
    # the same with one allocation in ten a pageblock (order 9): frees that reach min_order
    # request the work again, so its passes run among the allocator's operations
    "mixed": {"live_target": 2000, "orders": (0, 1, 2, 3, 9), "order_weights": (40, 25, 15, 10, 10)},
}


def churn(
    design: str, gib: int, ops: int, kind: str, seed: int = 1
) -> tuple[float, dict[str, Any], dict[str, Any], int]:
    """ops/s of the churn workload through the Machine API, after the first full pass.

    Returns the rate, the costs after the full pass, the costs at the end and
    the virtual ms the churn took.  The longest-hold figures are cleared
    after the full pass so that they describe the churn alone.
    """
    m = machine(design, gib)
    until_full(m)
    before = m.design.state()["costs"]
    costs_of(m).hold_max = [0] * len(HOLD_UNITS)
    wl = Workload(seed=seed, **WORKLOADS[kind])
    plan = wl.plan(m, ops)
    t_ms = m.now_ms
    t0 = time.perf_counter()
    done = wl.run_plan(m, plan, advance_every=10)
    rate = done / (time.perf_counter() - t0)
    return rate, before, m.design.state()["costs"], m.now_ms - t_ms


def part_churn(ops: int) -> None:
    for kind in WORKLOADS:
        churn_table(ops, kind)


def churn_table(ops: int, kind: str) -> None:
    w = WORKLOADS[kind]
    print(f"\n== {kind} churn, {ops:,} alloc/free ops (orders {w['orders']}, live ~{w['live_target']:,} blocks,")
    print("   1 ms every 10 ops) started once everything free is marked; the design's work during the churn only")
    print(f"{'':>17}{'ops/s':>10}{'passes':>8}{'batches':>9}{'reported':>10}{'entries':>10}{'per block':>11}"
          f"{'holds':>8}{'longest':>9}{'wasted m/r/mv/st/al':>22}{'again pg':>10}{'refaults':>10}")
    for gib in (1, 16, 64):
        for design in DESIGNS:
            rates = []
            for _ in range(3 if gib == 1 else 1):
                rate, a, b, took_ms = churn(design, gib, ops, kind)
                rates.append(rate)
            blocks = b["blocks_reported"] - a["blocks_reported"]
            entries = b["entries_read"] - a["entries_read"]
            per_block = f"{entries / blocks:.2f}" if blocks else "-"
            wasted = "/".join(str(b["wasted"][k] - a["wasted"][k]) for k in WASTE_CAUSES)
            print(f"{design:>10} {gib:>3} GiB{statistics.median(rates):>10,.0f}{b['passes'] - a['passes']:>8,}"
                  f"{b['batches'] - a['batches']:>9,}{blocks:>10,}{entries:>10,}{per_block:>11}"
                  f"{b['lock']['holds'] - a['lock']['holds']:>8,}{b['lock']['longest']['entries']:>9,}{wasted:>22}"
                  f"{b['rereported']['pages'] - a['rereported']['pages']:>10,}{b['refaults'] - a['refaults']:>10,}")
    print(f"  ({took_ms / 1000:.0f} s of virtual time; ops/s: median of 3 at 1 GiB, one run above; longest: the most")
    print("   list entries read in one zone-lock hold; wasted: merged / merged on return / moved / stolen / allocated)")


# --- replay --------------------------------------------------------------------------------


def churn_scenario(design: str, gib: int, steps: int, path: Path) -> tuple[int, int]:
    """The churn as a scenario file: its number of steps and the virtual ms its advances add up to."""
    m = machine(design, gib)
    wl = Workload(seed=7, **WORKLOADS["small"])
    doc = wl.scenario(m, steps, advance_every=10, hinting=True)
    path.write_text(json.dumps(doc))
    return len(doc["steps"]), sum(s.get("ms", 0) for s in doc["steps"] if s["do"] == "advance")


def no_churn_scenario(design: str, gib: int, path: Path, ms: int) -> None:
    """hinting on, then idle for as long as the churn lasts: the hinting work a churn replay
    pays besides its steps (the seed's first pass; reporting's passes, budgeted, for that long)."""
    cfg = config(design)
    doc = {"format": "hinting-scenario/1", "machine": MachineConfig(zones=(("Normal", gib * GiB_PAGES),)).to_json(),
           "hinting": cfg.to_json(), "steps": [{"do": "hinting_start"}, {"do": "advance", "ms": max(ms, cfg.delay_ms)}]}
    path.write_text(json.dumps(doc))


def replay_wall(paths: list[Path], runs: int) -> list[float]:
    """Median wall seconds of `python -m core replay` per path, runs interleaved."""
    times: list[list[float]] = [[] for _ in paths]
    cmds = [[sys.executable, "-m", "core", "replay", str(p)] for p in paths]
    for cmd in cmds:
        subprocess.run(cmd, cwd=ROOT, check=True, stdout=subprocess.DEVNULL, env=CACHED_BYTECODE)  # warm-up
    for _ in range(runs):
        for i, cmd in enumerate(cmds):
            t0 = time.perf_counter()
            subprocess.run(cmd, cwd=ROOT, check=True, stdout=subprocess.DEVNULL, env=CACHED_BYTECODE)
            times[i].append(time.perf_counter() - t0)
    return [statistics.median(t) for t in times]


def part_replay(steps: int, runs: int) -> None:
    print(f"\n== python -m core replay, {steps:,}-step churn on 1 GiB, end to end (median of {runs})")
    with tempfile.TemporaryDirectory() as tmp:
        paths = []
        for design in DESIGNS:
            path = Path(tmp) / f"{design}.json"
            churn_scenario(design, 1, steps, path)
            paths.append(path)
        walls = replay_wall(paths, runs)
    for design, wall in zip(DESIGNS, walls, strict=True):
        print(f"{design:>10}: {steps / wall:,.0f} steps/s ({wall:.2f} s)")
    print(f"  reporting / seed time: {walls[1] / walls[0]:.2f}x")


GC_STATS = """
import gc, io, contextlib, runpy, sys
sys.path.insert(0, '.')
sys.argv = ['core', 'replay', sys.argv[1]]
try:
    with contextlib.redirect_stdout(io.StringIO()):
        runpy.run_module('core', run_name='__main__')
except SystemExit:
    pass
print(gc.get_stats()[2]['collections'])
"""


def full_collections(path: Path) -> int:
    out = subprocess.run([sys.executable, "-c", GC_STATS, str(path)], cwd=ROOT, capture_output=True, text=True,
                         check=True, env=CACHED_BYTECODE).stdout
    return int(out.strip().splitlines()[-1])


def part_scale(steps: int, runs: int, instructions: bool) -> None:
    print(f"\n== per-operation cost at 64 GiB against 1 GiB: replay of a {steps:,}-step churn minus a replay")
    print("   with no churn that still does the first full hinting pass, per step")
    with tempfile.TemporaryDirectory() as tmp:
        for design in DESIGNS:
            per: dict[int, dict[str, float]] = {}
            files: dict[int, tuple[Path, Path, int]] = {}
            for gib in (1, 64):
                churn_path, idle_path = Path(tmp) / f"{design}-{gib}.json", Path(tmp) / f"{design}-{gib}-idle.json"
                n, ms = churn_scenario(design, gib, steps, churn_path)
                no_churn_scenario(design, gib, idle_path, ms)
                files[gib] = (churn_path, idle_path, n)
            walls = replay_wall([p for gib in (1, 64) for p in files[gib][:2]], runs)
            for i, gib in enumerate((1, 64)):
                churn_path, idle_path, n = files[gib]
                per[gib] = {"wall_us": (walls[2 * i] - walls[2 * i + 1]) / n * 1e6,
                            "full_gc": full_collections(churn_path) - full_collections(idle_path)}
                if instructions and shutil.which("valgrind"):
                    args = [sys.executable, "-m", "core", "replay"]
                    per[gib]["instr"] = (callgrind([*args, str(churn_path)]) - callgrind([*args, str(idle_path)])) / n
            for gib in (1, 64):
                p = per[gib]
                instr = f", {p['instr']:,.0f} instructions" if "instr" in p else ""
                print(f"{design:>10} {gib:>3} GiB: {p['wall_us']:.2f} us/step{instr} "
                      f"({p['full_gc']:+.0f} full GC collections over the idle run)")
            ratio = per[64]["wall_us"] / per[1]["wall_us"]
            line = f"  {design}: 64 GiB / 1 GiB = {ratio:.2f}x (wall)"
            if "instr" in per[1]:
                line += f", {per[64]['instr'] / per[1]['instr']:.2f}x (instructions)"
            print(line)


def part_instructions(steps: int) -> None:
    if shutil.which("valgrind") is None:
        print("\n(no valgrind: no instruction counts)")
        return
    print(f"\n== callgrind instructions per replayed step, {steps:,}-step churn on 1 GiB, whole process")
    counts = []
    with tempfile.TemporaryDirectory() as tmp:
        for design in DESIGNS:
            path = Path(tmp) / f"{design}.json"
            n, _ = churn_scenario(design, 1, steps, path)
            counts.append(callgrind([sys.executable, "-m", "core", "replay", str(path)]) / n)
            print(f"{design:>10}: {counts[-1]:,.0f} instructions per step")
    print(f"  reporting / seed: {counts[1] / counts[0]:.2f}x")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--only", choices=["idle", "churn", "replay", "scale", "instructions"])
    ap.add_argument("--quick", action="store_true", help="smaller runs")
    args = ap.parse_args()
    print(f"machine: {machine_info()}")
    steps = 20_000 if args.quick else 100_000
    runs = 3 if args.quick else 5
    if args.only in (None, "idle"):
        part_idle()
    if args.only in (None, "churn"):
        part_churn(50_000 if args.quick else 200_000)
    if args.only in (None, "replay"):
        part_replay(steps, runs)
    if args.only in (None, "scale"):
        part_scale(steps, runs, instructions=args.only == "scale" and not args.quick)
    if args.only in (None, "instructions"):
        part_instructions(20_000)


if __name__ == "__main__":
    main()
