"""Core benchmarks (issue 2): prints figures, asserts nothing.

    .venv/bin/python bench/core_bench.py            # everything (about 2-3 minutes)
    .venv/bin/python bench/core_bench.py --quick    # smaller runs

Figures:
  churn     alloc+free ops/s of a churn workload (orders 0-3, mixed
            migratetypes, live set around 2,000 blocks, hinting on, virtual
            time advancing 1 ms every 10 ops) on 1 GiB, events off and on;
            then the per-op cost on 16 GiB and 64 GiB.
  boot      64 GiB boot time and peak RSS (a fresh process).
  frag      peak RSS of a 64 GiB machine with every other page allocated.
  replay    `python -m core replay` steps/s end to end on a 100,000-step churn.
  instructions  callgrind's count of instructions per replayed step and per
            churn operation (events off and on): the same run after run,
            unlike seconds on this VM, so the figures to compare versions by.

Each memory figure runs in a child process so peak RSS is its own.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from core import HintingConfig, Machine, MachineConfig  # noqa: E402
from core.workload import Workload  # noqa: E402
from tests.support import machine_info  # noqa: E402

GiB_PAGES = 262144


def churn(gib: int, ops: int, events: bool, seed: int = 1) -> tuple[float, Machine]:
    """ops/s of the churn workload through the Machine API."""
    m = Machine(MachineConfig(zones=(("Normal", gib * GiB_PAGES),)), HintingConfig(), record_events=events)
    # Hinting on, and its first cycle (which reports the whole free zone, a
    # cost proportional to the zone, paid once) done before the clock starts:
    # what is timed is the steady alloc/free path with hinting live.
    m.hinting_start()
    m.advance(m.hinting_config.delay_ms)
    m.take_raw_events()
    wl = Workload(seed=seed, live_target=2000, orders=(0, 1, 2, 3), order_weights=(50, 25, 15, 10))
    plan = wl.plan(m, ops)  # the random choices, drawn before timing
    take = m.take_raw_events
    t0 = time.perf_counter()
    done = wl.run_plan(m, plan, advance_every=10, drain=take if events else None)
    elapsed = time.perf_counter() - t0
    return done / elapsed, m


def child_rss(code: str) -> dict[str, float]:
    """Run `code` in a fresh interpreter; it prints a JSON dict; add its peak RSS."""
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=True
    ).stdout
    return json.loads(out.strip().splitlines()[-1])


# Peak RSS is read from /proc/self/status (VmHWM): getrusage's ru_maxrss also
# counts the parent's memory from before exec, which would blame us for it.
HWM = "int([l for l in open('/proc/self/status') if l.startswith('VmHWM')][0].split()[1]) / 1024"

BOOT_CODE = """
import json, resource, time, sys
sys.path.insert(0, '.')
from core import Machine, MachineConfig, HintingConfig
t = time.perf_counter()
m = Machine(MachineConfig(zones=(('Normal', 64 * 262144),)), HintingConfig())
dt = time.perf_counter() - t
print(json.dumps({'boot_s': dt, 'rss_mb': HWM}))
""".replace("HWM", HWM)

FRAG_CODE = """
import json, resource, time, sys
sys.path.insert(0, '.')
from core import Machine, MachineConfig, HintingConfig
from core.workload import fragment_every_other_page
t = time.perf_counter()
m = Machine(MachineConfig(zones=(('Normal', 64 * 262144),)), HintingConfig())
fragment_every_other_page(m)
dt = time.perf_counter() - t
z = m.zones[0]
print(json.dumps({'build_s': dt, 'free_blocks_o0': z.free_area[0].nr_free,
                  'rss_mb': HWM}))
""".replace("HWM", HWM)


def churn_file(directory: Path, steps: int) -> tuple[Path, int]:
    """A churn scenario of about `steps` steps on 1 GiB, hinting on, written to a file."""
    m = Machine(MachineConfig(), HintingConfig())
    wl = Workload(seed=7, live_target=2000, orders=(0, 1, 2, 3), order_weights=(50, 25, 15, 10))
    scenario = wl.scenario(m, steps, advance_every=10, hinting=True)
    path = directory / "churn.json"
    path.write_text(json.dumps(scenario))
    return path, len(scenario["steps"])


def replay_bench(steps: int) -> tuple[float, float]:
    """Steps/s of `python -m core replay` (process start, parse, run, print)."""
    with tempfile.TemporaryDirectory() as tmp:
        path, n = churn_file(Path(tmp), steps)
        # As installed code runs: bytecode cached (this sandbox sets
        # PYTHONDONTWRITEBYTECODE, which would recompile core on every start).
        env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
        cmd = [sys.executable, "-m", "core", "replay", str(path)]
        subprocess.run(cmd, cwd=ROOT, check=True, stdout=subprocess.DEVNULL, env=env)  # warm-up
        times = []
        for _ in range(3):
            t0 = time.perf_counter()
            subprocess.run(cmd, cwd=ROOT, check=True, stdout=subprocess.DEVNULL, env=env)
            times.append(time.perf_counter() - t0)
        elapsed = sorted(times)[1]  # the median of three
    return n / elapsed, elapsed


# Code run under callgrind, with its bytecode cached as installed code runs
# (PYTHONDONTWRITEBYTECODE, set in this sandbox, would otherwise make every run
# compile core from source and count that too).
CACHED_BYTECODE = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}


def callgrind(args: list[str]) -> int:
    """Instructions a command executes (callgrind's "Collected")."""
    subprocess.run(args, cwd=ROOT, check=True, stdout=subprocess.DEVNULL, env=CACHED_BYTECODE)  # warm the cache
    with tempfile.TemporaryDirectory() as tmp:
        out = subprocess.run(["valgrind", "--tool=callgrind", f"--callgrind-out-file={tmp}/cg.out", *args],
                             cwd=ROOT, capture_output=True, text=True, check=True, env=CACHED_BYTECODE)
    return next(int(line.split(":")[-1]) for line in out.stderr.splitlines() if "Collected :" in line)


def replay_instructions(steps: int) -> float | None:
    """Instructions per step of `python -m core replay`, whole process."""
    if shutil.which("valgrind") is None:
        return None
    with tempfile.TemporaryDirectory() as tmp:
        path, n = churn_file(Path(tmp), steps)
        return callgrind([sys.executable, "-m", "core", "replay", str(path)]) / n


CHURN_CODE = """
import sys
sys.path.insert(0, '.')
from bench.core_bench import churn
churn(1, int(sys.argv[1]), sys.argv[2] == 'on')
"""


def churn_instructions(ops: int, events: bool) -> float | None:
    """Instructions per churn operation: a run of 3x ops minus one of ops (setup cancels out)."""
    if shutil.which("valgrind") is None:
        return None
    on = "on" if events else "off"
    short = callgrind([sys.executable, "-c", CHURN_CODE, str(ops), on])
    long = callgrind([sys.executable, "-c", CHURN_CODE, str(3 * ops), on])
    return (long - short) / (2 * ops)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--only", choices=["churn", "sizes", "boot", "frag", "replay", "instructions"])
    args = ap.parse_args()
    ops = 200_000 if args.quick else 1_000_000
    print(f"machine: {machine_info()}")
    # This 2-core VM's speed varies by tens of percent from run to run (the
    # first run in a process is slowest), so: one warm-up, then the median of
    # three interleaved runs for each figure.
    churn(1, ops // 4, False)
    if args.only in (None, "churn"):
        for events in (False, True):
            runs = [churn(1, ops, events) for _ in range(3)]
            rate, m = sorted(runs, key=lambda r: r[0])[1]
            print(
                f"churn 1 GiB, events {'on ' if events else 'off'}: {rate:,.0f} ops/s "
                f"({1e6 / rate:.2f} us/op; median of {', '.join(f'{r:,.0f}' for r, _ in runs)}; "
                f"{m.host.reported_pages:,} pages reported, {m.host.refaults:,} refaults)"
            )
    if args.only in (None, "sizes"):
        costs: dict[int, list[float]] = {1: [], 16: [], 64: []}
        for _ in range(3):
            for gib in costs:
                rate, _ = churn(gib, ops // 2, False)
                costs[gib].append(1e6 / rate)
        base = sorted(costs[1])[1]
        for gib, values in costs.items():
            cost = sorted(values)[1]
            print(f"churn {gib:>2} GiB, events off: {cost:.2f} us/op ({cost / base:.2f}x the 1 GiB cost; "
                  f"median of {', '.join(f'{v:.2f}' for v in values)})")
    if args.only in (None, "boot"):
        r = child_rss(BOOT_CODE)
        print(f"boot 64 GiB: {r['boot_s']:.3f} s, peak RSS {r['rss_mb']:.0f} MB")
    if args.only in (None, "frag"):
        r = child_rss(FRAG_CODE)
        print(
            f"64 GiB fully fragmented ({r['free_blocks_o0']:,} free order-0 blocks): "
            f"peak RSS {r['rss_mb']:.0f} MB (built in {r['build_s']:.1f} s)"
        )
    if args.only in (None, "replay"):
        steps = 20_000 if args.quick else 100_000
        rate, elapsed = replay_bench(steps)
        print(f"replay {steps:,}-step churn end to end: {rate:,.0f} steps/s ({elapsed:.2f} s, median of 3 runs)")
    if args.only == "instructions" or (args.only is None and not args.quick):
        per_step = replay_instructions(20_000)
        if per_step is not None:
            print(f"replay cost: {per_step:,.0f} instructions per step (callgrind; 20,000-step churn, whole process)")
        for events in (False, True):
            per_op = churn_instructions(20_000, events)
            if per_op is not None:
                print(f"churn cost, events {'on ' if events else 'off'}: {per_op:,.0f} instructions per op "
                      "(callgrind; 1 GiB, 60,000 ops minus 20,000)")
    print(f"bench process peak RSS: {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB")


if __name__ == "__main__":
    main()
