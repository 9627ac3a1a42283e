"""Machine.clone: an independent copy that behaves exactly like the original."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from core import HintingConfig, Machine, MachineConfig
from core.mmzone import free_list_traffic
from tests.core.test_properties import BOTH_DESIGNS, OPS, concrete, machines


def canon(m: Machine) -> str:
    """The state, and the zone counters it does not show."""
    counters = [(free_list_traffic(z), z.freepage_skew, z.isolate_seen,
                 (z.nr_marks_set, z.nr_marks_cleared_on_list, z.nr_marks_cleared_off_list)) for z in m.zones]
    return json.dumps([m.state(), counters], sort_keys=True)


@BOTH_DESIGNS
@settings(max_examples=120, deadline=None)
@given(data=st.data(), before=st.lists(OPS, min_size=1, max_size=50), after=st.lists(OPS, min_size=1, max_size=40))
def test_a_clone_continues_exactly_like_the_original(design, data, before, after) -> None:  # type: ignore[no-untyped-def]
    cfg, hinting = data.draw(machines(design))
    m = Machine(cfg, hinting, check_invariants=True)
    for op in before:
        m.apply(concrete(m, op))
    if not m.cloneable:
        m.apply({"do": "stepping", "on": False})  # finishes the stopped work item
    c = m.clone()
    assert canon(c) == canon(m)
    steps: list[dict[str, Any]] = []
    for op in after:
        step = concrete(m, op)
        steps.append(step)
        assert c.apply(step) == m.apply(step)
        assert canon(c) == canon(m)


def test_a_clone_is_independent() -> None:
    m = Machine(MachineConfig(5, 2, (("Normal", 32),)), HintingConfig(min_order=2, hwm=1, capacity=2))
    m.apply({"do": "alloc", "zone": "Normal", "order": 2, "as": "a"})
    m.apply({"do": "hinting_start"})
    m.apply({"do": "advance", "ms": 100})
    c = m.clone()
    before = canon(c)
    m.apply({"do": "free", "ref": "a"})
    m.apply({"do": "alloc", "zone": "Normal", "order": 0})
    assert canon(c) == before
    assert c.apply({"do": "free", "ref": "a"}) == {"ok": True}


def test_no_clone_mid_cycle() -> None:
    m = Machine(MachineConfig(5, 2, (("Normal", 32),)),
                HintingConfig(min_order=2, hwm=1, capacity=1, stepping=True))
    m.apply({"do": "hinting_start"})
    m.apply({"do": "step"})
    assert not m.cloneable
    with pytest.raises(ValueError, match="mid-cycle"):
        m.clone()
