"""Deltas from the real core, for store.test.mjs: does the JS store mirror apply_delta?

Prints one JSON document: for each scenario, the first state, then every delta
with the state the Python tracker holds after it.  The scenarios exercise every
part of the delta format: list ops (full and del/ins), hinted add/del,
allocated add/del, pageblocks, flags, hinted_pages, residency drop/back, batch,
boundaries and anomalies (the hinted-not-at-tail tour, where one appears and
goes); the last runs free page reporting (reported add/del, the reporting
`hinting` object, and `costs` by changed key).
"""

from __future__ import annotations

import copy
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
sys.path.insert(0, str(ROOT))

from core import parse_scenario, parse_step  # noqa: E402
from core.delta import StateTracker  # noqa: E402
from core.workload import Workload  # noqa: E402


def run(doc: dict, plan: list, every: int = 1) -> dict:
    scenario = parse_scenario(doc)
    m = scenario.machine_instance(record_events=True)
    for step in scenario.steps:
        m.apply_parsed(step)
    m.take_raw_events()
    tracker = StateTracker(m)
    out = {"title": doc.get("title", ""), "state": copy.deepcopy(tracker.state), "deltas": []}
    wl = None
    n = 0
    for item in plan:
        if item == "workload":
            wl = Workload(seed=7, live_target=60, orders=[0, 1, 2, 3, 4])
            continue
        if isinstance(item, int):  # that many workload steps, one delta each
            for _ in range(item):
                step = wl.next_step(m)
                wl.observe(step, m.apply_parsed(parse_step(step, m.machine_config, "step")))
                n += 1
                changes = tracker.delta(m.take_raw_events())
                out["deltas"].append({"changes": changes,
                                      "state": copy.deepcopy(tracker.state) if n % every == 0 else None})
            continue
        m.apply_parsed(parse_step(item, m.machine_config, "step"))
        n += 1
        changes = tracker.delta(m.take_raw_events())
        out["deltas"].append({"changes": changes, "state": copy.deepcopy(tracker.state) if n % every == 0 else None})
    out["final"] = m.state()
    return out


def main() -> None:
    presets = ROOT / "app" / "presets"
    default = json.loads((presets / "default.json").read_text())
    tiny = json.loads((presets / "tiny.json").read_text())
    cycle = [
        {"do": "hinting_start"}, {"do": "step"},
        {"do": "free", "pfn": 96, "order": 3},
        {"do": "alloc", "zone": "DMA32", "order": 3, "migratetype": "Movable"},
        {"do": "step"}, {"do": "step"},
        {"do": "alloc", "zone": "Normal", "order": 2, "migratetype": "Unmovable"},
        {"do": "step"}, {"do": "step"}, {"do": "step"}, {"do": "step"},
        {"do": "move_pageblock", "pfn": 352, "migratetype": "Isolate"},
        {"do": "move_pageblock", "pfn": 256, "migratetype": "Reclaimable"},
        {"do": "advance", "ms": 150}, {"do": "step"},
        "workload", 120,
        {"do": "stepping", "on": False}, {"do": "advance", "ms": 300},
        "workload", 150,
        {"do": "advance", "ms": 300}, {"do": "hinting_stop"}, 20,
    ]
    tiny_plan = [{"do": "hinting_start"}, {"do": "alloc", "zone": "Normal", "order": 0, "migratetype": "Movable"},
                 {"do": "step"}, {"do": "step"}, {"do": "free", "pfn": 0, "order": 0}, {"do": "step"},
                 {"do": "step"}, {"do": "step"}, "workload", 40, {"do": "advance", "ms": 200}, {"do": "step"},
                 {"do": "step"}, 40]
    mid = {
        "format": "hinting-scenario/1", "title": "16k pages, auto",
        "machine": {"max_order": 11, "pageblock_order": 9, "zones": [{"name": "Normal", "pages": 16384}]},
        "hinting": {"min_order": 9, "hwm": 4, "capacity": 8, "delay_ms": 100, "stepping": False},
        "steps": [],
    }
    mid_plan = [{"do": "hinting_start"}, {"do": "advance", "ms": 100}, "workload", 300, {"do": "advance", "ms": 500},
                200, {"do": "move_pageblock", "pfn": 0, "migratetype": "Unmovable"}, 100]
    # Anomaly conditions appear and go (a stale boundary is not one): the hinted-not-at-tail tour.
    tour = json.loads((presets / "tour-anomaly-hinted-not-at-tail.json").read_text())
    anomalous = {**tour, "steps": [s for s in tour["steps"] if s.get("setup")]}
    tour_plan = [*(s for s in tour["steps"] if not s.get("setup")), "workload", 40]
    reporting = {
        "format": "hinting-scenario/1", "title": "free page reporting, two zones, stepping",
        "machine": {"max_order": 11, "pageblock_order": 9,
                    "zones": [{"name": "DMA32", "pages": 4096}, {"name": "Normal", "pages": 16384}]},
        "hinting": {"design": "reporting", "min_order": 9, "capacity": 4, "delay_ms": 100, "stepping": True},
        "steps": [],
    }
    rep_plan = [{"do": "hinting_start"}, {"do": "advance", "ms": 100}, {"do": "step"}, {"do": "step"},
                {"do": "alloc", "zone": "Normal", "order": 3, "migratetype": "Unmovable"}, {"do": "step"},
                {"do": "step"}, {"do": "step"}, "workload", 150,
                {"do": "move_pageblock", "pfn": 8192, "migratetype": "Unmovable"},
                {"do": "advance", "ms": 200}, {"do": "step"}, {"do": "step"},
                {"do": "stepping", "on": False}, {"do": "advance", "ms": 300}, 150,
                {"do": "advance", "ms": 2000}, {"do": "hinting_stop"}, 30]
    print(json.dumps([run(default, cycle), run(tiny, tiny_plan), run(mid, mid_plan, every=25),
                      run(anomalous, tour_plan), run(reporting, rep_plan, every=3)]))


if __name__ == "__main__":
    main()
