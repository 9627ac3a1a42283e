"""Property tests: random operation sequences on small machines, under each design.

* Every invariant of MODEL.md (and of the design: MODEL-REPORTING.md) holds
  after every operation (the machine runs with check_invariants=True, which
  raises on the first violation).
* A replay is deterministic, byte for byte.
* A scenario's replay equals running the same steps through the API.
* A failed step changes nothing.

Every property is parametrised over the designs (DESIGN_NAMES); test_clone,
test_delta and test_timeline draw their machines from `machines(design)` the
same way.
"""

from __future__ import annotations

import json
import os
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from core import HintingConfig, Machine, MachineConfig, parse_scenario, replay
from core.design import DesignConfig
from core.errors import StepFailed
from core.mmzone import MIGRATETYPE_NAMES
from core.page_reporting_design import ReportingConfig

ALLOC_MTS = ["Unmovable", "Movable", "Reclaimable"]
DESIGN_NAMES = ("seed", "reporting")
BOTH_DESIGNS = pytest.mark.parametrize("design", DESIGN_NAMES)


@st.composite
def machines(draw: st.DrawFn, design: str = "seed") -> tuple[MachineConfig, DesignConfig]:
    max_order = draw(st.integers(4, 6))
    pageblock_order = draw(st.integers(1, max_order - 1))
    block = 1 << (max_order - 1)
    nzones = draw(st.integers(1, 2))
    names = ["DMA32", "Normal"][-nzones:]
    zones = tuple((name, block * draw(st.integers(1, 4))) for name in names)
    min_order = draw(st.integers(0, max_order - 1))
    hinting: DesignConfig
    if design == "seed":
        hinting = HintingConfig(
            min_order=min_order,
            hwm=draw(st.integers(0, 3)),
            capacity=draw(st.integers(1, 4)),
            delay_ms=draw(st.integers(0, 30)),
            stepping=draw(st.booleans()),
        )
    else:
        hinting = ReportingConfig(
            min_order=min_order,
            capacity=draw(st.integers(1, 4)),
            delay_ms=draw(st.integers(0, 30)),
            stepping=draw(st.booleans()),
        )
    return MachineConfig(max_order, pageblock_order, zones), hinting


OPS = st.one_of(
    st.tuples(st.just("alloc"), st.integers(0, 5), st.sampled_from(ALLOC_MTS), st.integers(0, 1)),
    st.tuples(st.just("free"), st.floats(0, 1, exclude_max=True)),
    st.tuples(st.just("free"), st.floats(0, 1, exclude_max=True)),
    st.tuples(st.just("free_pfn"), st.integers(-2, 300), st.one_of(st.none(), st.integers(0, 5))),
    st.tuples(st.just("move"), st.integers(0, 300), st.sampled_from(MIGRATETYPE_NAMES)),
    st.tuples(st.just("hinting_start")),
    st.tuples(st.just("hinting_stop")),
    st.tuples(st.just("advance"), st.integers(1, 60)),
    st.tuples(st.just("step")),
    st.tuples(st.just("step")),
    st.tuples(st.just("stepping"), st.booleans()),
)


def concrete(machine: Machine, op: tuple[Any, ...]) -> dict[str, Any]:
    """Turn an abstract operation into a scenario step for this machine now."""
    kind = op[0]
    zones = [z.name for z in machine.zones]
    if kind == "alloc":
        order = min(op[1], machine.pgdat.max_order - 1)
        return {"do": "alloc", "zone": zones[op[3] % len(zones)], "order": order, "migratetype": op[2]}
    if kind == "free":
        blocks = [b for z in machine.zones for b in machine.allocated_blocks(z)]
        if not blocks:
            return {"do": "free", "pfn": 0}
        pfn, order, _ = blocks[int(op[1] * len(blocks))]
        return {"do": "free", "pfn": pfn, "order": order}
    if kind == "free_pfn":
        step: dict[str, Any] = {"do": "free", "pfn": op[1]}
        if op[2] is not None:
            step["order"] = op[2]
        return step
    if kind == "move":
        return {"do": "move_pageblock", "pfn": op[1] % machine.pgdat.nr_pages, "migratetype": op[2]}
    if kind == "advance":
        return {"do": "advance", "ms": op[1]}
    if kind == "stepping":
        return {"do": "stepping", "on": op[1]}
    return {"do": kind}


def scenario_of(cfg: MachineConfig, hinting: DesignConfig, steps: list[dict[str, Any]]) -> dict[str, Any]:
    return {"format": "hinting-scenario/1", "machine": cfg.to_json(), "hinting": hinting.to_json(), "steps": steps}


# HYPOTHESIS_EXAMPLES=5000 for a long hunt; the default keeps `make test` quick.
PROPERTY = settings(max_examples=int(os.environ.get("HYPOTHESIS_EXAMPLES", "150")), deadline=None,
                    suppress_health_check=[HealthCheck.too_slow])


@BOTH_DESIGNS
@PROPERTY
@given(data=st.data(), ops=st.lists(OPS, min_size=1, max_size=80))
def test_invariants_hold_and_replay_matches_the_api(design: str, data: st.DataObject,
                                                    ops: list[tuple[Any, ...]]) -> None:
    cfg, hinting = data.draw(machines(design))
    live = Machine(cfg, hinting, check_invariants=True)  # raises on any violated invariant
    steps = []
    results = []
    for op in ops:
        step = concrete(live, op)
        before = json.dumps(live.state(), sort_keys=True)
        result = live.apply(step)
        if not result["ok"]:
            assert json.dumps(live.state(), sort_keys=True) == before, f"failed step {step} changed the state"
        steps.append(step)
        results.append(result)

    doc = scenario_of(cfg, hinting, steps)
    first = replay(parse_scenario(doc))
    assert first["results"] == results
    assert first["state"] == live.state()
    second = replay(parse_scenario(json.loads(json.dumps(doc))))
    assert json.dumps(second) == json.dumps(first)


@BOTH_DESIGNS
@PROPERTY
@given(data=st.data(), ops=st.lists(OPS, min_size=1, max_size=60))
def test_api_methods_and_steps_agree(design: str, data: st.DataObject, ops: list[tuple[Any, ...]]) -> None:
    """The typed API (alloc(), free(), ...) and apply(step) are the same machine."""
    cfg, hinting = data.draw(machines(design))
    by_steps = Machine(cfg, hinting)
    by_api = Machine(cfg, hinting)
    for op in ops:
        step = concrete(by_steps, op)
        by_steps.apply(step)
        try:
            kind = step["do"]
            if kind == "alloc":
                by_api.alloc(step["zone"], step["order"], step["migratetype"])
            elif kind == "free":
                by_api.free(step["pfn"], step.get("order"))
            elif kind == "move_pageblock":
                by_api.move_pageblock(step["pfn"], step["migratetype"])
            elif kind == "hinting_start":
                by_api.hinting_start()
            elif kind == "hinting_stop":
                by_api.hinting_stop()
            elif kind == "advance":
                by_api.advance(step["ms"])
            elif kind == "step":
                by_api.step()
            elif kind == "stepping":
                by_api.set_stepping(step["on"])
        except StepFailed:
            pass
    assert by_api.state() == by_steps.state()


@BOTH_DESIGNS
@settings(max_examples=40, deadline=None)
@given(st.integers(0, 2**32 - 1))
def test_churn_with_hinting_keeps_every_invariant(design: str, seed: int) -> None:
    """Longer runs of the workload generator, invariants checked after every step."""
    from core.workload import Workload

    hinting: DesignConfig = (HintingConfig(min_order=2, hwm=1, capacity=2, delay_ms=5, stepping=seed % 2 == 0)
                             if design == "seed" else
                             ReportingConfig(min_order=2, capacity=2, delay_ms=5, stepping=seed % 2 == 0))
    m = Machine(MachineConfig(5, 2, (("DMA32", 32), ("Normal", 64))), hinting, check_invariants=True)
    m.apply({"do": "hinting_start"})
    wl = Workload(seed=seed, live_target=12, orders=(0, 1, 2, 3))
    for i in range(300):
        step = wl.next_step(m)
        wl.observe(step, m.apply(step))
        if i % 7 == 0:
            m.apply({"do": "advance", "ms": 3})
        if i % 11 == 0:
            m.apply({"do": "step"})
    assert m.host.reported_pages > 0
