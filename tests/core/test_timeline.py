"""Time travel: any position equals the replay of that prefix; forks keep the old future."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from core import HintingConfig, MachineConfig, Scenario, parse_scenario, replay
from core.timeline import Timeline
from core.workload import Workload
from tests.core.test_properties import BOTH_DESIGNS, OPS, concrete, machines


def prefix_state(tl: Timeline, n: int) -> dict[str, Any]:
    doc = {"format": "hinting-scenario/1", "machine": tl.scenario.machine.to_json(),
           "hinting": tl.scenario.hinting.to_json(), "steps": tl.history[:n]}
    return replay(parse_scenario(doc))["state"]


def scenario(cfg: MachineConfig, hinting: HintingConfig) -> Scenario:
    return Scenario(cfg, hinting, [])


@BOTH_DESIGNS
@settings(max_examples=60, deadline=None)
@given(data=st.data(), ops=st.lists(OPS, min_size=1, max_size=40),
       stops=st.lists(st.integers(0, 40), min_size=1, max_size=6))
def test_travel_anywhere_equals_the_replayed_prefix(design, data, ops, stops) -> None:  # type: ignore[no-untyped-def]
    cfg, hinting = data.draw(machines(design))
    tl = Timeline(scenario(cfg, hinting), checkpoint_every=4)
    for op in ops:
        tl.apply(concrete(tl.machine, op))
    for stop in stops:
        pos = stop % (len(tl.history) + 1)
        tl.travel(pos)
        assert tl.cursor == pos
        assert tl.machine.state() == prefix_state(tl, pos)
    states = list(tl.states(0, len(tl.history)))
    assert states[-1] == prefix_state(tl, len(tl.history))
    assert len(states) == len(tl.history) + 1


def small() -> Timeline:
    cfg = MachineConfig(5, 2, (("Normal", 32),))
    tl = Timeline(scenario(cfg, HintingConfig(min_order=2, hwm=1, capacity=1, stepping=True)), checkpoint_every=2)
    for i in range(6):
        tl.apply({"do": "alloc", "zone": "Normal", "order": 2, "migratetype": "Movable", "as": f"a{i}"})
    return tl


def test_acting_in_the_past_forks_and_the_old_future_is_kept() -> None:
    tl = small()
    old_future = tl.history[3:]
    tl.travel(3)
    tl.apply({"do": "free", "ref": "a0"})
    assert len(tl.history) == 4 and tl.history[-1] == {"do": "free", "ref": "a0"}
    assert [b.summary() for b in tl.branches] == [{"id": 1, "fork_at": 3, "length": 3}]
    assert tl.branches[0].steps == old_future
    assert tl.machine.state() == prefix_state(tl, 4)
    tl.switch(1)
    assert tl.history[3:] == old_future and tl.cursor == 6
    assert [b.summary() for b in tl.branches] == [{"id": 2, "fork_at": 3, "length": 1}]
    assert tl.machine.state() == prefix_state(tl, 6)
    tl.discard(2)
    assert tl.branches == []
    with pytest.raises(ValueError, match="no branch"):
        tl.discard(2)


def test_undo_takes_back_the_last_step() -> None:
    tl = small()
    before = json.dumps(prefix_state(tl, 5))
    undone = tl.undo()
    assert undone["as"] == "a5" and len(tl.history) == 5 and tl.cursor == 5
    assert json.dumps(tl.machine.state()) == before
    tl.travel(0)
    with pytest.raises(ValueError, match="nothing to undo"):
        tl.undo()


def test_long_histories_keep_few_checkpoints_and_still_travel() -> None:
    tl = Timeline(scenario(MachineConfig(6, 3, (("Normal", 256),)), HintingConfig(min_order=3, hwm=2, capacity=4)),
                  checkpoint_every=50, max_checkpoints=12)
    wl = Workload(seed=3, live_target=30, orders=(0, 1, 2))
    tl.apply({"do": "hinting_start"})
    for i in range(10_000):
        step = wl.next_step(tl.machine)
        wl.observe(step, tl.apply(step))
        if i % 25 == 0:
            tl.apply({"do": "advance", "ms": 20})
    assert len(tl.checkpoints) <= 13
    for pos in (7_777, 123, len(tl.history) - 1, 5_000):
        replayed = tl.travel(pos)
        assert replayed < 2_000  # from a checkpoint, not from zero
    assert tl.machine.state() == prefix_state(tl, 5_000)


def test_out_of_range() -> None:
    tl = small()
    with pytest.raises(ValueError):
        tl.travel(7)
    with pytest.raises(ValueError):
        list(tl.states(3, 2))
