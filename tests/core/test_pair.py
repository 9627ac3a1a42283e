"""Compare mode's pair of timelines (core/pair.py): lockstep, free translation, travel, undo, samples."""

from __future__ import annotations

import json

from core import parse_scenario
from core.pair import SAMPLE_FIELDS, PairTimeline, pair_scenarios
from core.workload import Workload

DOC = {
    "format": "hinting-scenario/1",
    "machine": {"max_order": 5, "pageblock_order": 2, "zones": [{"name": "Normal", "pages": 64}]},
    "hinting": {"min_order": 2, "delay_ms": 10, "capacity": 2},
    "steps": [{"do": "hinting_start"}],
}


def churn(pair: PairTimeline, n: int, seed: int = 3) -> None:
    wl = Workload(seed=seed, live_target=10, orders=(0, 1, 2), zone="Normal")
    for i in range(n):
        step = wl.next_step(pair.machine)
        wl.observe(step, pair.apply(step))
        if i % 7 == 0:
            pair.apply({"do": "advance", "ms": 5})


def test_both_sides_take_every_step_and_frees_follow_the_allocations() -> None:
    pair = PairTimeline(parse_scenario(DOC))
    churn(pair, 400)
    left, right = pair.left, pair.right
    assert len(left.history) == len(right.history) == pair.cursor
    assert left.machine.design.name == "seed" and right.machine.design.name == "reporting"
    assert left.machine.now_ms == right.machine.now_ms
    differ = [i for i, s in enumerate(left.history) if s["do"] == "alloc" and
              left.results[i].get("pfn") != right.results[i].get("pfn")]
    assert differ, "the designs' list orders never made an allocation differ: the translation is untested"
    frees = [i for i, s in enumerate(left.history) if s["do"] == "free"]
    translated = [i for i in frees if right.history[i]["pfn"] != left.history[i]["pfn"]]
    assert translated
    # Every free the left side took, the right side took too: the same allocation, freed on both.
    for i in frees:
        if left.results[i]["ok"]:
            assert right.results[i]["ok"], (i, left.history[i], right.history[i], right.results[i])


def test_each_side_is_a_plain_replay_of_its_own_steps() -> None:
    pair = PairTimeline(parse_scenario(DOC))
    churn(pair, 200)
    scenarios = pair_scenarios(parse_scenario(DOC))
    for side in ("left", "right"):
        tl = pair.sides[side]
        single = scenarios[side].machine_instance()
        for step in tl.history:
            single.apply_parsed(step)
        assert json.dumps(single.state()) == json.dumps(tl.machine.state())


def test_travel_and_undo_move_both_sides_and_rebuild_the_translation() -> None:
    pair = PairTimeline(parse_scenario(DOC))
    churn(pair, 150)
    end = pair.cursor
    at_end = {s: json.dumps(tl.machine.state()) for s, tl in pair.sides.items()}
    pair.travel(40)
    assert pair.left.cursor == pair.right.cursor == 40
    assert pair.left.machine.now_ms == pair.right.machine.now_ms
    pair.travel(end)
    assert {s: json.dumps(tl.machine.state()) for s, tl in pair.sides.items()} == at_end
    pair.travel(60)
    mapping = dict(pair._mapping())
    pair._map = None
    assert pair._mapping() == mapping  # rebuilt from both histories, the same
    target = pair.undo_target()
    assert target is not None
    expected = pair.history[target]
    assert pair.undo() == expected
    assert pair.cursor == len(pair.history) == len(pair.right.history) == target


def test_the_defaults_are_each_designs_own() -> None:
    doc = {**DOC, "hinting": {"min_order": 2}}
    s = pair_scenarios(parse_scenario(doc))
    assert s["left"].hinting.delay_ms == 100 and s["right"].hinting.delay_ms == 2000


def test_samples_follow_the_history_and_are_cut_when_it_forks() -> None:
    pair = PairTimeline(parse_scenario(DOC))
    churn(pair, 100)
    series = pair.samples.series
    assert [p[0] for p in series["left"]] == sorted({p[0] for p in series["left"]})
    last = dict(zip(SAMPLE_FIELDS, series["right"][-1], strict=True))
    m = pair.right.machine
    assert last["pos"] == pair.cursor and last["t_ms"] == m.now_ms
    assert last["nr_free_pages"] == sum(z.nr_free_pages for z in m.zones)
    pair.travel(30)
    pair.apply({"do": "advance", "ms": 1})  # forks: the samples after 30 belong to a branch now
    assert max(p[0] for p in pair.samples.series["left"]) == 31
