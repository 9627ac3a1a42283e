"""Durable store and memory benchmarks (issue 13): prints figures, asserts nothing.

    .venv/bin/python bench/store_bench.py            # everything (~2 minutes)
    .venv/bin/python bench/store_bench.py --quick    # smaller runs

Figures:
  history   bytes per history step in memory (tracemalloc), plain lists (the
            old layout) against the packed history, on a 100,000-step churn.
  idle      bytes per idle session (RSS of a fresh process holding N
            sessions, minus the empty process), per preset, beside the
            estimate app/budget.py charges against the memory budget.
  restore   seconds to bring a 100,000-step session back from SQLite (read,
            replay, checkpoints), median of several runs, per preset; and
            the first request for it to a server just started on that file.
  write     cost of making one user action durable (the commit before its
            result is sent), and of one 50 ms batch of a 1,000 steps/s run.

Speeds vary 20-40% minute to minute on the shared VM: figures are medians.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
import tracemalloc
import urllib.request
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from app.budget import session_bytes  # noqa: E402
from app.journal import Journal  # noqa: E402
from app.packed import PackedList  # noqa: E402
from app.presets import get_preset  # noqa: E402
from app.protocol import WorkloadMsg  # noqa: E402
from app.restore import restore_session  # noqa: E402
from app.sessions import Session  # noqa: E402
from app.settings import Settings  # noqa: E402
from app.store import SQLiteStore  # noqa: E402
from core.timeline import Timeline  # noqa: E402
from tests.support import LabServer, machine_info  # noqa: E402

SETTINGS = Settings(db=":memory:", max_workload_rate=1e9)


def churn_session(preset: str, steps: int, sid: str = "bench") -> Session:
    """A session whose history is `steps` steps of the server's own workload (plus a clock tick every 16)."""
    session = Session(sid, SETTINGS, get_preset(preset).scenario(SETTINGS.max_pages), preset)
    session.apply({"do": "hinting_start"})
    session.start_workload(WorkloadMsg(type="workload", action="start", seed=3, live_target=200, rate=1000))
    while len(session.history) < steps:
        session._run_workload(15)
        session._clock_advance(16)
    session.stop_workload()
    session.machine.take_raw_events()
    return session


def history_bytes(steps: int) -> dict[str, float]:
    session = churn_session("default", steps)
    history = list(session.history)
    out = {}
    for name, factory in (("lists", list), ("packed", PackedList)):
        scenario = session.timeline.scenario
        tracemalloc.start()
        tl = Timeline(scenario, record_events=False, checkpoint_every=10**9, history=factory(),
                      results=factory())  # checkpoints off: the history alone
        base = tracemalloc.get_traced_memory()[0]
        for step in history:
            tl.apply(step)
        used = tracemalloc.get_traced_memory()[0] - base
        tracemalloc.stop()
        out[name] = used / len(history)
        del tl
    return out


IDLE_CODE = """
import json, sys, gc
sys.path.insert(0, '.')
def rss():
    return int([l for l in open('/proc/self/status') if l.startswith('VmRSS')][0].split()[1]) * 1024
from app.sessions import Session
from app.settings import Settings
from app.presets import get_preset
from app.budget import session_bytes
settings = Settings(db=':memory:')
scenario = get_preset(PRESET).scenario(settings.max_pages)
keep = [Session('warm', settings, scenario, PRESET)]
gc.collect()
before = rss()
for i in range(N):
    keep.append(Session(f's{i}', settings, scenario, PRESET))
gc.collect()
after = rss()
print(json.dumps({'per_session': (after - before) / N, 'estimate': session_bytes(keep[-1])}))
"""


def idle_bytes(preset: str, n: int) -> dict[str, float]:
    code = IDLE_CODE.replace("PRESET", repr(preset)).replace("N", str(n))
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=True).stdout
    return dict(json.loads(out.strip().splitlines()[-1]))


def restore_times(preset: str, steps: int, runs: int) -> dict[str, Any]:
    session = churn_session(preset, steps)
    with tempfile.TemporaryDirectory() as tmp:
        store = SQLiteStore(str(Path(tmp) / "lab.db"))
        write = Journal().changes(session, create=True)
        assert write is not None
        store.write(write)
        times, reads = [], []
        for _ in range(runs):
            t0 = time.perf_counter()
            record = store.load_now(session.id)
            t1 = time.perf_counter()
            assert record is not None
            back = restore_session(record, SETTINGS)
            times.append(time.perf_counter() - t0)
            reads.append(t1 - t0)
            assert back.machine.state() == session.machine.state()
        size = sum(f.stat().st_size for f in Path(tmp).iterdir())
    return {"steps": len(session.history), "median_s": statistics.median(times), "read_s": statistics.median(reads),
            "all": [round(t, 3) for t in times], "db_bytes_per_step": size / len(session.history),
            "session_estimate_mb": session_bytes(session) / (1 << 20)}


def first_access(preset: str, steps: int, runs: int) -> list[float]:
    """Seconds from the first request for a stored session to its answer, on a server just started."""
    session = churn_session(preset, steps, sid="firstacc")
    times = []
    with tempfile.TemporaryDirectory() as tmp:
        db = str(Path(tmp) / "lab.db")
        store = SQLiteStore(db)
        store.write(Journal().changes(session, create=True))  # type: ignore[arg-type]
        for _ in range(runs):
            lab = LabServer(args=["--db", db]).start()
            try:
                t0 = time.perf_counter()
                with urllib.request.urlopen(f"{lab.url}/api/sessions/{session.id}", timeout=60) as r:
                    info = json.load(r)
                times.append(time.perf_counter() - t0)
                assert info["history_length"] == len(session.history)
            finally:
                lab.stop()
    return times


def write_costs(runs: int) -> dict[str, float]:
    with tempfile.TemporaryDirectory() as tmp:
        store = SQLiteStore(str(Path(tmp) / "lab.db"))
        session = churn_session("default", 2000)
        journal = Journal()
        store.write(journal.changes(session, create=True))  # type: ignore[arg-type]
        action = []
        for i in range(runs):
            session.apply({"do": "alloc", "zone": "Normal", "order": 0, "migratetype": "Movable"} if i % 2 else
                          {"do": "advance", "ms": 1})
            t0 = time.perf_counter()
            w = journal.changes(session)
            assert w is not None
            store.write(w)
            action.append(time.perf_counter() - t0)
        session.start_workload(WorkloadMsg(type="workload", action="start", seed=5, live_target=200, rate=1000))
        batch = []
        for _ in range(runs // 4):
            session._run_workload(50)  # 50 ms at 1,000 steps/s
            t0 = time.perf_counter()
            w = journal.changes(session)
            assert w is not None
            store.write_many([w])
            batch.append(time.perf_counter() - t0)
    action.sort()
    return {"action_median_ms": statistics.median(action) * 1000,
            "action_p99_ms": action[int(len(action) * .99)] * 1000, "batch_median_ms": statistics.median(batch) * 1000}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    steps = 20_000 if args.quick else 100_000
    print(f"machine: {machine_info()}")

    h = history_bytes(steps)
    print(f"history   {steps} steps: {h['lists']:.0f} B/step as lists (steps and results), "
          f"{h['packed']:.1f} B/step packed")

    for preset, n in (("tiny", 200), ("default", 200), ("one-gib", 20 if not args.quick else 5)):
        r = idle_bytes(preset, n)
        print(f"idle      {preset:8} {r['per_session'] / 1024:8.1f} KiB per idle session (RSS, {n} sessions); "
              f"budget estimate {r['estimate'] / 1024:.1f} KiB")

    for preset in ("default", "one-gib"):
        r = restore_times(preset, steps, 3 if args.quick else 5)
        print(f"restore   {preset:8} {r['steps']} steps: {r['median_s']:.2f} s median (read {r['read_s'] * 1000:.0f} "
              f"ms; runs {r['all']}); {r['db_bytes_per_step']:.1f} B/step on disk; in memory after: "
              f"{r['session_estimate_mb']:.1f} MiB (estimate)")

    t = first_access("default", steps, 3)
    print(f"restore   a restarted server answers its first request for that session in {statistics.median(t):.2f} s "
          f"(median; runs {[round(x, 2) for x in t]})")

    w = write_costs(400 if args.quick else 2000)
    print(f"write     a user action made durable: {w['action_median_ms']:.3f} ms median, {w['action_p99_ms']:.3f} ms "
          f"p99; a 50-step batch: {w['batch_median_ms']:.3f} ms median")


if __name__ == "__main__":
    main()
