"""Initial states in the scenario format, and `alloc` at a named pfn (take_page_off_buddy)."""

from __future__ import annotations

import json
import os
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from core import InvalidInput, parse_scenario, replay
from core.invariants import check_invariants
from core.mmzone import MIGRATETYPE_NAMES
from core.scenario import run_steps


def scenario(zones: list[dict[str, Any]], steps: list[dict[str, Any]] | None = None, **machine: Any) -> dict[str, Any]:
    return {"format": "hinting-scenario/1",
            "machine": {"max_order": 4, "pageblock_order": 2, "zones": zones, **machine}, "steps": steps or []}


def lists(state: dict[str, Any], zone: int = 0) -> dict[tuple[int, str], list[int]]:
    return {(a["order"], mt): pfns for a in state["zones"][zone]["free_area"] for mt, pfns in a["free_list"].items()
            if pfns}


EXPLICIT = {"name": "Normal", "pages": 32, "initial": {
    "pageblocks": ["Unmovable", "Movable", "Movable", "Reclaimable", "Movable", "Movable", "Isolate", "Movable"],
    "free": [{"pfn": 16, "order": 3}, {"pfn": 4, "order": 2}, {"pfn": 0, "order": 1, "migratetype": "Unmovable"},
             {"pfn": 24, "order": 2, "migratetype": "Isolate"}, {"pfn": 12, "order": 1}],
    "allocated": [{"pfn": 2, "order": 1, "migratetype": "Unmovable", "as": "k"}]}}


def test_explicit_initial_state_is_laid_out_exactly() -> None:
    sc = parse_scenario(scenario([EXPLICIT]))
    m = sc.machine_instance()
    check_invariants(m)
    st = m.state()
    z = st["zones"][0]
    assert z["pageblocks"] == EXPLICIT["initial"]["pageblocks"]
    # Free blocks where they were put; 12 (o1) is on Reclaimable by its pageblock (no migratetype given).
    assert lists(st) == {(1, "Unmovable"): [0], (1, "Reclaimable"): [12], (2, "Movable"): [4], (2, "Isolate"): [24],
                         (3, "Movable"): [16]}
    assert [a["nr_free"] for a in z["free_area"]] == [0, 2, 2, 1]
    # Everything else is allocated filler: 8 (o2, Movable pageblock), 14 (o1, Reclaimable pageblock), 28 (o2).
    assert [(a["pfn"], a["order"], a["migratetype"]) for a in z["allocated"]] == [
        (2, 1, "Unmovable"), (8, 2, "Movable"), (14, 1, "Reclaimable"), (28, 2, "Movable")]
    # The named block frees by its name, and merges as the allocator does (0 o1 + 2 o1 -> 0 o2 -> with 4 o2 -> 0 o3).
    results = run_steps(m, [{"do": "free", "ref": "k"}])
    assert results == [{"ok": True}]
    assert lists(m.state())[(3, "Unmovable")] == [0]


def test_counts_follow_the_documented_layout() -> None:
    zone = {"name": "Normal", "pages": 64, "initial": {
        "pageblocks": {"Unmovable": 2, "Reclaimable": 1},
        "free_counts": {"Movable": [3, 1, 1, 2], "Unmovable": [1, 1], "Reclaimable": [0, 0, 1]}}}
    m = parse_scenario(scenario([zone])).machine_instance()
    check_invariants(m)
    st = m.state()
    assert st["zones"][0]["pageblocks"][:4] == ["Unmovable", "Unmovable", "Reclaimable", "Movable"]
    # By hand: order 3 first (max_order - 1: no buddy rule): Movable at the lowest Movable-pageblock places, 16
    # and 24.  Order 2: Movable at 12 (pageblock 3); Reclaimable's own pageblock (8) has 12 as buddy, so it falls
    # back to the lowest free place, 0.  Order 1: Unmovable at 4 (pageblock 1), Movable at 32.  Order 0:
    # Unmovable 6; Movable 34, 36, 38 (35 and 37 are buddies of free order-0 blocks).
    assert lists(st) == {
        (3, "Movable"): [16, 24], (2, "Movable"): [12], (2, "Reclaimable"): [0], (1, "Unmovable"): [4],
        (1, "Movable"): [32], (0, "Unmovable"): [6], (0, "Movable"): [34, 36, 38]}


def test_explicit_list_order_is_kept_head_to_tail() -> None:
    zone = {"name": "Normal", "pages": 32, "initial": {"free": [
        {"pfn": 8, "order": 0}, {"pfn": 2, "order": 0}, {"pfn": 20, "order": 0}]}}
    st = parse_scenario(scenario([zone])).machine_instance().state()
    assert lists(st) == {(0, "Movable"): [8, 2, 20]}


def test_initial_state_round_trips_through_the_scenario() -> None:
    doc = scenario([EXPLICIT], [{"do": "alloc", "zone": "Normal", "order": 0, "pfn": 17}])
    sc = parse_scenario(doc)
    again = parse_scenario(json.loads(json.dumps(sc.to_json())))
    assert replay(sc) == replay(again)
    # Old files (no initial state) are untouched: the same replay as before the extension.
    plain = scenario([{"name": "Normal", "pages": 32}], [{"do": "alloc", "zone": "Normal", "order": 1}])
    assert replay(parse_scenario(plain))["results"] == [{"ok": True, "pfn": 24}]


@pytest.mark.parametrize("initial,field", [
    ({"free": [{"pfn": 3, "order": 1}]}, "machine.zones[0].initial.free[0].pfn"),
    ({"free": [{"pfn": 40, "order": 0}]}, "machine.zones[0].initial.free[0].pfn"),
    ({"free": [{"pfn": 0, "order": 1}, {"pfn": 1, "order": 0}]}, "machine.zones[0].initial.free[1].pfn"),
    ({"free": [{"pfn": 0, "order": 1}, {"pfn": 2, "order": 1}]}, "machine.zones[0].initial.free[1].pfn"),
    ({"free": [{"pfn": 0, "order": 9}]}, "machine.zones[0].initial.free[0].order"),
    ({"free": [{"pfn": 0, "migratetype": "Isolate"}]}, "machine.zones[0].initial.free[0].migratetype"),
    ({"free": [{"pfn": 0, "migratetype": "Weird"}]}, "machine.zones[0].initial.free[0].migratetype"),
    ({"allocated": [{"pfn": 0, "migratetype": "HighAtomic"}]}, "machine.zones[0].initial.allocated[0].migratetype"),
    ({"allocated": [{"pfn": 0, "as": "a"}, {"pfn": 1, "as": "a"}]}, "machine.zones[0].initial.allocated[1].as"),
    ({"pageblocks": ["Movable"]}, "machine.zones[0].initial.pageblocks"),
    ({"pageblocks": {"Unmovable": 9}}, "machine.zones[0].initial.pageblocks.Unmovable"),
    ({"free_counts": {"Movable": [20, 10]}}, "machine.zones[0].initial.free_counts"),
    ({"free_counts": {"Movable": [0, 0, 5]}}, "machine.zones[0].initial.free_counts.Movable[2]"),
    ({"free": [], "free_counts": {}}, "machine.zones[0].initial.free_counts"),
    ({"surprise": 1}, "machine.zones[0].initial.surprise"),
    ("no", "machine.zones[0].initial"),
])
def test_invalid_initial_states_name_the_field(initial: Any, field: str) -> None:
    with pytest.raises(InvalidInput) as err:
        parse_scenario(scenario([{"name": "Normal", "pages": 32, "initial": initial}]))
    assert err.value.field == field, err.value


def test_isolation_keeps_explicit_buddies_apart() -> None:
    zone = {"name": "Normal", "pages": 32, "initial": {
        "pageblocks": ["Movable"] * 6 + ["Isolate", "Movable"],
        "free": [{"pfn": 24, "order": 2, "migratetype": "Isolate"}, {"pfn": 28, "order": 2}]}}
    m = parse_scenario(scenario([zone])).machine_instance()
    check_invariants(m)
    assert lists(m.state()) == {(2, "Isolate"): [24], (2, "Movable"): [28]}


def test_targeted_alloc_breaks_the_block_down_like_the_kernel() -> None:
    # One free order-3 block at 0 (Movable pageblocks): take pfn 5 (order 0).  By hand,
    # break_down_buddy_pages keeps the half holding 5 each time: 0 o2 goes to the head, then 6 o1, then 4 o0.
    zone = {"name": "Normal", "pages": 16, "initial": {"free": [{"pfn": 0, "order": 3}]}}
    doc = scenario([zone], [{"do": "alloc", "zone": "Normal", "order": 0, "pfn": 5, "as": "x"},
                            {"do": "alloc", "zone": "Normal", "order": 0, "pfn": 5},
                            {"do": "alloc", "zone": "Normal", "order": 1, "pfn": 4},
                            {"do": "alloc", "zone": "Normal", "order": 2, "pfn": 8},
                            {"do": "free", "ref": "x"}])
    sc = parse_scenario(doc)
    m = sc.machine_instance(check_invariants=True, record_events=True)
    r = run_steps(m, sc.steps[:1])
    assert r == [{"ok": True, "pfn": 5}]
    assert lists(m.state()) == {(2, "Movable"): [0], (1, "Movable"): [6], (0, "Movable"): [4]}
    kinds = [ev[0].name for ev in m.take_raw_events()]
    assert kinds == ["step", "take_off", "expand", "expand", "expand", "alloc"]
    r = run_steps(m, sc.steps[1:])
    assert r[0]["ok"] is False and "allocated" in r[0]["error"]  # 5 is the allocated block itself
    assert r[1]["ok"] is False and "only part of it is free" in r[1]["error"]
    assert r[2]["ok"] is False and "allocated" in r[2]["error"]  # 8..15 is filler
    assert r[3] == {"ok": True}
    assert lists(m.state()) == {(3, "Movable"): [0]}


def test_targeted_alloc_input_errors_name_the_field() -> None:
    zone = {"name": "Normal", "pages": 16}
    for step, why in (({"pfn": 3, "order": 1}, "aligned"), ({"pfn": 99, "order": 0}, "not in zone"),
                      ({"pfn": -1, "order": 0}, ">= 0")):
        with pytest.raises(InvalidInput) as err:
            parse_scenario(scenario([zone], [{"do": "alloc", "zone": "Normal", **step}]))
        assert err.value.field == "steps[0].pfn" and why in err.value.message


ALLOC = ["Unmovable", "Movable", "Reclaimable"]


@st.composite
def initial_states(draw: st.DrawFn) -> dict[str, Any]:
    """A zone of 64 pages (max_order 4, pageblock_order 2) with random counts or random explicit blocks."""
    pbs = [draw(st.sampled_from(MIGRATETYPE_NAMES)) for _ in range(16)]
    if draw(st.booleans()):
        counts = {mt: [draw(st.integers(0, 3)) for _ in range(4)] for mt in draw(st.sets(st.sampled_from(ALLOC)))}
        return {"pageblocks": pbs, "free_counts": counts}
    free, used = [], set()
    for _ in range(draw(st.integers(0, 10))):
        order = draw(st.integers(0, 3))
        pfn = draw(st.integers(0, 63)) & ~((1 << order) - 1)
        pages = set(range(pfn, pfn + (1 << order)))
        if pages & used or (pfn ^ (1 << order), order) in {(b["pfn"], b["order"]) for b in free}:
            continue
        used |= pages
        mt = "Isolate" if pbs[pfn >> 2] == "Isolate" else draw(st.sampled_from(ALLOC))
        free.append({"pfn": pfn, "order": order, "migratetype": mt})
    return {"pageblocks": pbs, "free": free}


@settings(max_examples=int(os.environ.get("HYPOTHESIS_EXAMPLES", "150")), deadline=None,
          suppress_health_check=[HealthCheck.too_slow])
@given(initial_states(), st.lists(st.tuples(st.integers(0, 63), st.integers(0, 3), st.sampled_from(ALLOC)),
                                  max_size=12))
def test_invariants_hold_after_initial_states_and_targeted_allocs(initial: dict[str, Any],
                                                                   allocs: list[tuple[int, int, str]]) -> None:
    try:
        sc = parse_scenario(scenario([{"name": "Normal", "pages": 64, "initial": initial}]))
    except InvalidInput:
        return  # e.g. counts that do not fit: refused, nothing built
    m = sc.machine_instance(check_invariants=True)
    check_invariants(m)
    free_before = sum(a["nr_free"] << a["order"] for a in m.state()["zones"][0]["free_area"])
    taken = 0
    for pfn, order, mt in allocs:
        pfn &= ~((1 << order) - 1)
        before = json.dumps(m.state())
        r = m.apply({"do": "alloc", "zone": "Normal", "order": order, "migratetype": mt, "pfn": pfn})
        if r["ok"]:
            taken += 1 << order
        else:
            assert json.dumps(m.state()) == before  # a refused alloc changes nothing
    free_after = sum(a["nr_free"] << a["order"] for a in m.state()["zones"][0]["free_area"])
    assert free_after == free_before - taken


def test_targeted_alloc_from_a_list_of_the_other_kind_keeps_the_counter_identity() -> None:
    """An order-3 free block over an Unmovable and an Isolate pageblock sits on the Unmovable list.  Taking pfn 8
    returns 12 (order 2) to the Unmovable list (its head's pageblock); taking pfn 12 then moves its halves to the
    Isolate lists (12's own pageblock) without charging NR_FREE_PAGES: v5.9's take_page_off_buddy reads the
    pageblock, not the list (found by the property below)."""
    zone = {"name": "Normal", "pages": 16, "initial": {
        "pageblocks": ["Unmovable", "Unmovable", "Unmovable", "Isolate"],
        "free": [{"pfn": 8, "order": 3, "migratetype": "Unmovable"}]}}
    m = parse_scenario(scenario([zone])).machine_instance(check_invariants=True)
    assert m.state()["zones"][0]["nr_free_pages"] == 8
    r = [m.apply({"do": "alloc", "zone": "Normal", "order": 0, "pfn": pfn}) for pfn in (8, 12)]
    assert r == [{"ok": True, "pfn": 8}, {"ok": True, "pfn": 12}]
    st = m.state()
    assert lists(st) == {(0, "Unmovable"): [9], (1, "Unmovable"): [10], (0, "Isolate"): [13], (1, "Isolate"): [14]}
    assert st["zones"][0]["nr_free_pages"] == 8 - 1  # pfn 8 charged; pfn 12, in an Isolate pageblock, not
    check_invariants(m)
