"""Event-log replay (issue 9): prints figures, asserts nothing.

    .venv/bin/python bench/eventlog_bench.py

What a paused dashboard's "load every event of the run" costs the server: a
1 GiB session (checkpoints as a session keeps them) with hinting on and a
churn workload interleaved with clock advances, 60,000 steps; then the events
of the last 1,000, the last 10,000 and all of the steps are rebuilt
(core/eventlog.py: replay from the nearest checkpoint, the newest 20,000
matching events decoded).  Median of 3 runs each.
"""

from __future__ import annotations

import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from app.presets import get_preset  # noqa: E402
from app.sessions import checkpoint_budget  # noqa: E402
from core.eventlog import replay_events, replay_plan  # noqa: E402
from core.timeline import Timeline  # noqa: E402
from core.workload import Workload  # noqa: E402
from tests.support import machine_info  # noqa: E402

STEPS = 60_000


def main() -> None:
    scenario = get_preset("one-gib").scenario(1 << 20)  # type: ignore[union-attr]
    every, most = checkpoint_budget(scenario)
    tl = Timeline(scenario, checkpoint_every=every, max_checkpoints=most)
    tl.apply({"do": "hinting_start"})
    wl = Workload(seed=1, live_target=2000)
    for i in range(STEPS):
        if i % 16 == 0:
            tl.apply({"do": "advance", "ms": 16})  # the clock, about one advance a frame at 1,000 steps/s
            continue
        step = wl.next_step(tl.machine)
        wl.observe(step, tl.apply(step))
    n = len(tl.history)
    print(f"machine: {machine_info()}")
    print(f"history: {n:,} steps, {len(tl.checkpoints)} checkpoints")
    for label, start in (("the last 1,000", n - 1000), ("the last 10,000", n - 10_000), ("all the", 0)):
        times = []
        for _ in range(3):
            t0 = time.perf_counter()
            found = replay_events(*replay_plan(tl, start, n), start, cap=20_000)
            times.append(time.perf_counter() - t0)
        print(f"events of {label} steps: {statistics.median(times) * 1000:,.0f} ms "
              f"({found.replayed:,} steps replayed, {found.matched:,} events, {len(found.events):,} kept)")


if __name__ == "__main__":
    main()
