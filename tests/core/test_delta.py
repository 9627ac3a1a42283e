"""Deltas: a viewer that applies every delta to its snapshot holds the machine's state."""

from __future__ import annotations

import json
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from core import HintingConfig, Machine, MachineConfig
from core.delta import StateTracker, _list_ops, apply_delta
from core.workload import Workload
from tests.core.test_properties import BOTH_DESIGNS, OPS, concrete, machines


def follow(m: Machine, steps: list[dict[str, Any]], every: int = 1) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    tracker = StateTracker(m)
    viewer = json.loads(json.dumps(tracker.state))
    deltas = []
    for i, step in enumerate(steps):
        m.apply(step)
        if (i + 1) % every == 0 or i == len(steps) - 1:
            d = tracker.delta(m.take_raw_events())
            deltas.append(d)
            apply_delta(viewer, json.loads(json.dumps(d)))
    return viewer, deltas


@BOTH_DESIGNS
@settings(max_examples=120, deadline=None)
@given(data=st.data(), ops=st.lists(OPS, min_size=1, max_size=60), every=st.integers(1, 5))
def test_snapshot_plus_deltas_equals_state(design, data, ops, every) -> None:  # type: ignore[no-untyped-def]
    cfg, hinting = data.draw(machines(design))
    m = Machine(cfg, hinting, record_events=True)
    tracker = StateTracker(m)
    viewer = json.loads(json.dumps(tracker.state))
    for i, op in enumerate(ops):
        m.apply(concrete(m, op))
        if (i + 1) % every == 0 or i == len(ops) - 1:
            apply_delta(viewer, json.loads(json.dumps(tracker.delta(m.take_raw_events()))))
    assert viewer == m.state()
    assert tracker.state == m.state()


def test_churn_deltas_are_small_next_to_the_snapshot() -> None:
    m = Machine(MachineConfig(), HintingConfig(), record_events=True)
    wl = Workload(seed=5)
    steps: list[dict[str, Any]] = [{"do": "hinting_start"}]
    for _ in range(3000):
        step = wl.next_step(m)
        steps.append(step)
        wl.observe(step, m.apply(step))
    m.take_raw_events()
    more = []
    for i in range(800):
        step = wl.next_step(m)
        more.append(step)
        wl.observe(step, m.apply(step))
        if i % 16 == 15:
            more.append({"do": "advance", "ms": 16})
            m.apply(more[-1])
    # Re-run the last part against a tracker, 17 steps per delta (one frame at 1,000 steps/s).
    m2 = Machine(MachineConfig(), HintingConfig(), record_events=True)
    for s in steps + more[:0]:
        m2.apply(s)
    m2.take_raw_events()
    viewer, deltas = follow(m2, more, every=17)
    assert viewer == m2.state()
    snapshot = len(json.dumps(m2.state()))
    biggest = max(len(json.dumps(d)) for d in deltas)
    # Residency and the marked list dominate a churn frame; the costs' lock record and each zone's
    # page_repr (three encodings' figures, some 330 bytes) ride along whenever they change.  Measured
    # at the merge of the two: biggest 11,453 bytes against a 111,879-byte snapshot (10.2%).
    assert biggest < snapshot / 9


def test_list_ops() -> None:
    assert _list_ops([1, 2, 3], [1, 3]) == {"del": [2], "ins": []}
    assert _list_ops([1, 2, 3, 4, 5], [9, 1, 2, 3, 4, 5]) == {"del": [], "ins": [[9, 1]]}
    assert _list_ops([1, 2, 3, 4, 5], [1, 2, 3, 4, 5, 7, 8]) == {"del": [], "ins": [[8, None], [7, 8]]}
    assert _list_ops([1, 2, 3], [3, 2, 1]) == {"full": [3, 2, 1]}
    assert _list_ops([], [4]) == {"full": [4]}
