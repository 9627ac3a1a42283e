"""Moments of compare sessions from the real core, for differ.test.mjs.

Prints one JSON document: a list of moments, each with both sides' states
after a step, the step, both results, both sides' events of that step, the
blocks the step put on each side's lists and the zone-lock holds it took:
what compare/index.js hands compare/differ.js.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[3]
sys.path.insert(0, str(ROOT))

from core import parse_scenario, parse_step  # noqa: E402
from core.events import decode_all  # noqa: E402
from core.pair import PairTimeline  # noqa: E402

SMALL = {"max_order": 5, "pageblock_order": 2, "zones": [{"name": "Normal", "pages": 32}]}


def lists(state: dict[str, Any]) -> dict[str, list[int]]:
    out = {}
    for area in state["zones"][0]["free_area"]:
        for mt, pfns in area["free_list"].items():
            out[f"{area['order']}/{mt}"] = pfns
    return out


def moments(doc: dict[str, Any], plan: list[tuple[str, dict[str, Any]]]) -> list[dict[str, Any]]:
    scenario = parse_scenario(doc)
    pair = PairTimeline(scenario)
    for tl in pair.sides.values():
        tl.machine.take_raw_events()
    out = []
    before = {side: tl.machine.state() for side, tl in pair.sides.items()}
    for label, raw in plan:
        step = parse_step(raw, scenario.machine)
        result = pair.apply(step)
        after, events, inserted, holds = {}, {}, {}, {}
        for side, tl in pair.sides.items():
            m = tl.machine
            after[side] = m.state()
            events[side] = decode_all(m, m.take_raw_events())
            old = lists(before[side])
            inserted[side] = {k: [p for p in v if p not in old.get(k, [])] for k, v in lists(after[side]).items()}
            inserted[side] = {k: v for k, v in inserted[side].items() if v}
            lock_before = before[side]["hinting"]["costs"]["lock"]["holds"]
            lock = after[side]["hinting"]["costs"]["lock"]
            new = lock["holds"] - lock_before
            holds[side] = lock["recent"][len(lock["recent"]) - new:] if new > 0 else []
        right = result.pop("right", None)
        if label:
            out.append({"label": label, "step": raw, "results": {"left": result, "right": right or result},
                        "left": after["left"], "right": after["right"], "events": events, "inserted": inserted,
                        "holds": holds})
        before = after
    return out


def main() -> None:
    base = {"format": "hinting-scenario/1", "machine": SMALL,
            "hinting": {"min_order": 2, "hwm": 1, "capacity": 4, "delay_ms": 100, "stepping": False}, "steps": []}
    out: list[dict[str, Any]] = []
    # Nothing done yet: both sides alike.
    out += moments(base, [("same", {"do": "advance", "ms": 1})])
    # A pass on each side, then frees and an allocation: the designs leave the lists in different orders.
    allocs = [("", {"do": "alloc", "zone": "Normal", "order": 2, "as": f"b{i}"}) for i in range(8)]
    frees = [("", {"do": "free", "ref": f"b{i}"}) for i in (0, 2, 4, 6)]
    out += moments(base, [*allocs, *frees, ("", {"do": "hinting_start"}), ("passes", {"do": "advance", "ms": 200}),
                          ("free after passes", {"do": "free", "ref": "b1"}),
                          ("alloc", {"do": "alloc", "zone": "Normal", "order": 2})])
    # Stepping: both stopped with a batch out.
    stepping = {**base, "hinting": {**base["hinting"], "stepping": True}}
    out += moments(stepping, [*allocs, *frees, ("", {"do": "hinting_start"}),
                              ("batch out", {"do": "advance", "ms": 100})])
    # The seed's drift after pulling from an Isolate list (the tour's steps); reporting skips the list.
    tour = json.loads((ROOT / "app/presets/tour-anomaly-nr-free-pages-drift.json").read_text())
    steps = [{k: v for k, v in s.items() if k not in ("say", "predict", "setup")} for s in tour["steps"]]
    drift_doc = {**base, "machine": tour["machine"], "hinting": tour["hinting"]}
    plan = [("", s) for s in steps]
    plan[13] = ("isolate pulled", steps[13])
    plan[-1] = ("drift", steps[-1])
    out += moments(drift_doc, plan)
    # Frees during a stopped cycle: in front of the seed's boundary; reporting has no boundary.
    tour = json.loads((ROOT / "app/presets/tour-frees-land-before-boundary.json").read_text())
    steps = [{k: v for k, v in s.items() if k not in ("say", "predict", "setup")} for s in tour["steps"]]
    land_doc = {**base, "machine": tour["machine"], "hinting": tour["hinting"]}
    plan = [("", s) for s in steps]
    plan[27] = ("landing", steps[27])
    out += moments(land_doc, plan)
    # A churn until an allocation gets different blocks on the two sides.
    out += first_alloc_that_differs(base)
    json.dump(out, sys.stdout)


def first_alloc_that_differs(base: dict[str, Any]) -> list[dict[str, Any]]:
    from core.workload import Workload

    doc = {**base, "machine": {**SMALL, "zones": [{"name": "Normal", "pages": 64}]},
           "hinting": {**base["hinting"], "delay_ms": 10, "capacity": 2}}
    scenario = parse_scenario(doc)
    pair = PairTimeline(scenario)
    pair.apply(parse_step({"do": "hinting_start"}, scenario.machine))
    wl = Workload(seed=3, live_target=10, orders=(0, 1, 2), zone="Normal")
    plan: list[tuple[str, dict[str, Any]]] = [("", {"do": "hinting_start"})]
    for i in range(2000):
        step = wl.next_step(pair.machine)
        result = pair.apply(step)
        wl.observe(step, result)
        if step["do"] == "alloc" and "right" in result and result["right"].get("ok") and result.get("ok"):
            plan.append(("alloc differs", step))
            # Replayed from the start, so the moment carries its own before and after.
            return moments(doc, plan)
        plan.append(("", step))
        if i % 7 == 0:
            plan.append(("", {"do": "advance", "ms": 5}))
            pair.apply({"do": "advance", "ms": 5})
    raise AssertionError("no allocation differed")


if __name__ == "__main__":
    main()
