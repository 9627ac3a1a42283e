"""The reporting design's walk position (state `hinting.walk`): the entry the next cycle of each list isolates first.

Checked by hand on the rotation after a spent budget, and against the model
itself: on random churn, the first block each pass isolates from the first
list it works on is that list's walk position read just before the pass.
"""

from __future__ import annotations

import random

from core.events import decode_all

from .helpers import advance, alloc, eight_order2, fl, free, hstate, reported, rmachine, start


def walk(m) -> list[tuple[int, str, int, int]]:  # type: ignore[no-untyped-def]
    return [(w["order"], w["migratetype"], w["pfn"], w["skipped"]) for w in hstate(m)["walk"]]


def test_walk_position_by_hand_after_a_spent_budget() -> None:
    m = rmachine(zones=(("Normal", 256),), stepping=False, delay_ms=10)
    for _ in range(64):
        alloc(m, 2)
    for pfn in range(0, 256, 8):  # 32 free order-2 blocks, [248, 240, ..., 0]
        free(m, pfn)
    assert walk(m) == [(2, "Movable", 248, 0)]  # nothing Reported yet: the head
    start(m)
    advance(m, 10)
    # Budget 2: 248, 240, 232 reported and drained back to the head; at 224 the budget is
    # spent and 224 is rotated to the front: the next cycle starts there, skipping nothing.
    assert reported(m) == [232, 240, 248]
    assert fl(m, 2)[0] == 224
    assert walk(m) == [(2, "Movable", 224, 0)]


def test_reported_entries_at_the_head_are_skipped_and_counted() -> None:
    m = rmachine(stepping=False)
    eight_order2(m)
    start(m)
    for pfn in (0, 8):
        free(m, pfn)
    advance(m, 100)  # both reported (capacity 1: one per batch), drained back to the head
    assert sorted(reported(m)) == [0, 8]
    free(m, 24)  # not a buddy of a free block: to the head, unreported
    lst = fl(m, 2)
    first = next(p for p in lst if p not in (0, 8))
    assert walk(m) == [(2, "Movable", first, lst.index(first))]


def test_isolate_lists_and_low_orders_have_no_walk_position() -> None:
    m = rmachine(stepping=False)
    eight_order2(m)
    free(m, 16)
    m.apply({"do": "move_pageblock", "pfn": 16, "migratetype": "Isolate"})
    assert fl(m, 2, "Isolate") == [16]
    assert walk(m) == []  # the only free block at min_order or above is on an Isolate list


def test_the_next_pass_isolates_the_walk_position_first_on_random_churn() -> None:
    rng = random.Random(7)
    checked = 0
    for seed in range(12):
        rng.seed(seed)
        m = rmachine(zones=(("Normal", 256),), stepping=False, delay_ms=10, capacity=2, record_events=True)
        live: list[int] = []
        start(m)
        for _ in range(300):
            if live and rng.random() < 0.5:
                free(m, live.pop(rng.randrange(len(live))))
            else:
                res = m.apply({"do": "alloc", "zone": "Normal", "order": rng.choice([0, 1, 2, 3]),
                               "migratetype": rng.choice(["Movable", "Unmovable"])})
                if res["ok"]:
                    live.append(res["pfn"])
            before = {(w["order"], w["migratetype"]): w["pfn"] for w in hstate(m)["walk"]}
            m.take_raw_events()
            advance(m, 1)
            events = decode_all(m, m.take_raw_events())
            kinds = [e["kind"] for e in events]
            if "cycle_start" not in kinds:
                continue
            first_cycle = kinds.index("cycle_start")
            key = (events[first_cycle]["order"], events[first_cycle]["migratetype"])
            pulled = [e["pfn"] for e in events[first_cycle:] if e["kind"] == "isolate"]
            if key in before:
                assert pulled and pulled[0] == before[key], (seed, key, before, pulled)
                checked += 1
    assert checked >= 20
