"""The seed's own behaviour ("mm: Introduce Hinted pages", v2), computed by hand.

Seed references (shared/seed/000_4d67359d60dc2608.txt):
  add_to_free_list_tail -> get_unhinted_tail: the boundary while ACTIVE (1984-2000, 2108-2118)
  clear_page_hinted: del_from_boundary only while ACTIVE (2120-2136)
  page_hinting_notify_free: request when nr_free >= hinted + HWM (2158-2186)
  get_unhinted_page: entry before the boundary, else "try the head", both
    hinted -> boundary = head page (2308-2354)
  put_hinted_page: Hinted only if the block did not merge (2366-2404)
  populate_metadata resets every boundary at each cycle start (2443-2465)
  page_hinting_fill clears REQUESTED and drops refcnt only on underflow (2492-2527)
  page_hinting_cycle / page_hinting_process (2548-2618), __page_hinting_request (2621-2654)
  page_hinting_shutdown / startup (2663-2711)

Unless said otherwise the machine is max_order 5, pageblock_order 2, 32 pages,
min_order 2, hwm 1, capacity 1, stepping.  Lists are head to tail.
"""

from __future__ import annotations

from .helpers import (
    advance,
    alloc,
    allocated,
    batch,
    boundary,
    dump,
    eight_order2,
    fails,
    fl,
    flags,
    free,
    hinted,
    hinted_pages,
    host,
    hstate,
    lists,
    machine,
    move,
    ok,
    prefix_p,
    start,
    step,
    stop,
    work,
)

ALL_TYPES = ("Unmovable", "Movable", "Reclaimable", "HighAtomic", "Isolate")


def test_flags_boundaries_and_batch_at_each_stop():
    m = machine()
    for name in ("a16", "a20", "a24", "a28", "a0", "a4", "a8", "a12"):
        alloc(m, 2, name=name)
    for pfn in (24, 28, 0, 8):
        free(m, pfn)
    assert lists(m) == {(2, "Movable"): [8, 0], (3, "Movable"): [24]}
    assert hstate(m)["boundary"] in ({}, None)
    # startup: __page_hinting_request -> REQUESTED, refcnt 0 -> 1 schedules at +100.
    start(m)
    assert flags(m) == (True, False)
    assert hstate(m)["refcnt"] == 1 and hstate(m)["enabled"] is True
    assert work(m) == {"pending": True, "due_ms": 100, "phase": "idle", "zone": None}
    assert hinted_pages(m) is None
    # advance 100: the work runs; cycle: populate (hinted_pages for orders 2..4,
    # all boundaries = list heads), ACTIVE, fill pulls 24 from the o3 tail: full.
    advance(m, 100)
    assert flags(m) == (True, True)
    assert work(m) == {"pending": False, "due_ms": None, "phase": "react", "zone": "Normal"}
    assert batch(m) == [(24, 3, "Movable")]
    assert hinted_pages(m) == [0, 0, 0]
    for order in (2, 3, 4):
        for mt in ALL_TYPES:
            assert boundary(m, order, mt) == ("Normal", None)
    assert lists(m) == {(2, "Movable"): [8, 0]}
    assert host(m)["reported_pages"] == 0
    step(m)  # react: host drops 24..31
    assert work(m)["phase"] == "drain" and flags(m) == (True, True)
    assert host(m)["reported_pages"] == 8 and host(m)["resident_pages"] == 24
    # drain: put 24 (buddy 16 allocated) before boundary[3][M] (= list head) -> o3 [24],
    # boundary[3][M] = 24, Hinted.  REQUESTED still set (the fill was full): fill again,
    # o3 M has nothing before 24; o2 M: entry before the list head is 0 -> pull 0.
    step(m)
    assert work(m)["phase"] == "react" and flags(m) == (True, True)
    assert batch(m) == [(0, 2, "Movable")]
    assert lists(m) == {(2, "Movable"): [8], (3, "Movable"): [24]}
    assert boundary(m, 3) == ("Normal", 24) and boundary(m, 2) == ("Normal", None)
    assert hinted(m) == [24] and hinted_pages(m) == [0, 1, 0]
    step(m)  # react
    assert work(m)["phase"] == "drain"
    # drain: put 0 -> o2 [8, 0], boundary[2][M] = 0; fill: entry before 0 is 8 -> pull 8.
    step(m)
    assert work(m)["phase"] == "react" and flags(m) == (True, True)
    assert batch(m) == [(8, 2, "Movable")]
    assert lists(m) == {(2, "Movable"): [0], (3, "Movable"): [24]}
    assert boundary(m, 2) == ("Normal", 0)
    assert hinted(m) == [0, 24] and hinted_pages(m) == [1, 1, 0]
    assert hstate(m)["refcnt"] == 1
    step(m)  # react
    # drain: put 8 before 0 -> [8, 0], boundary 8.  fill: nothing before any boundary,
    # count 0 -> REQUESTED cleared, refcnt 0, no react; ACTIVE cleared; process ends.
    step(m)
    assert flags(m) == (False, False)
    assert work(m) == {"pending": False, "due_ms": None, "phase": "idle", "zone": None}
    assert batch(m) == []
    assert hstate(m)["refcnt"] == 0
    assert lists(m) == {(2, "Movable"): [8, 0], (3, "Movable"): [24]}
    assert boundary(m, 2) == ("Normal", 8) and boundary(m, 3) == ("Normal", 24)
    assert hinted(m) == [0, 8, 24] and hinted_pages(m) == [2, 1, 0]
    assert host(m)["reported_pages"] == 16 and host(m)["resident_pages"] == 16
    fails(m, {"do": "step"})


def test_prefix_p_state():
    m = machine()
    prefix_p(m)
    assert work(m)["phase"] == "react"
    assert batch(m) == [(8, 2, "Movable")]
    assert lists(m) == {(2, "Movable"): [0], (3, "Movable"): [24]}
    assert boundary(m, 2) == ("Normal", 0) and boundary(m, 3) == ("Normal", 24)
    assert hinted_pages(m) == [1, 1, 0]
    assert flags(m) == (True, True)


def _tail_free_while_stopped(extra_steps: int):
    m = machine()
    prefix_p(m)
    for _ in range(extra_steps):
        step(m)
    assert work(m)["phase"] == ("react", "drain")[extra_steps]
    # free 20: buddy 16 allocated; combined 16, o3 buddy 24 is a free order-3 block
    # -> buddy_merge_likely -> add_to_free_list_tail -> get_unhinted_tail: order 2 >=
    # min_order and ACTIVE -> boundary[2][M] = 0: inserted BEFORE 0, not at the tail.
    free(m, 20)
    assert fl(m, 2) == [20, 0]
    # notify: REQUESTED already set -> nothing; refcnt unchanged.
    assert hstate(m)["refcnt"] == 1 and flags(m) == (True, True)
    for _ in range(2 - extra_steps):
        step(m)
    # put 8 before 0 -> [20, 8, 0], boundary 8; fill: entry before 8 is 20 -> pull 20.
    assert batch(m) == [(20, 2, "Movable")]
    assert fl(m, 2) == [8, 0] and boundary(m, 2) == ("Normal", 8)
    step(m)
    step(m)  # put 20 before 8, boundary 20; fill finds nothing; done
    assert fl(m, 2) == [20, 8, 0] and fl(m, 3) == [24]
    assert boundary(m, 2) == ("Normal", 20)
    assert hinted(m) == [0, 8, 20, 24] and hinted_pages(m) == [3, 1, 0]
    assert flags(m) == (False, False) and work(m)["phase"] == "idle"


def test_tail_free_stopped_before_react_lands_before_boundary():
    _tail_free_while_stopped(0)


def test_tail_free_stopped_before_drain_lands_before_boundary():
    _tail_free_while_stopped(1)


def test_tail_free_below_min_order_while_active_goes_to_list_tail():
    # min_order 3 (hinted_pages has orders 3 and 4), pageblock_order 2.
    m = machine(min_order=3)
    eight_order2(m)
    free(m, 8)  # o2 [8]
    free(m, 12)  # merges 8 -> o3 [8]
    free(m, 24)  # buddy 28 allocated, o3 buddy 16 allocated -> head: o2 [24]
    free(m, 28)  # merges 24 -> 24/o3 -> head: o3 [24, 8]
    # free 4: buddy 0 allocated; combined 0, o3 buddy 8 free at order 3 -> tail: o2 [4]
    free(m, 4)
    assert lists(m) == {(2, "Movable"): [4], (3, "Movable"): [24, 8]}
    start(m)
    advance(m, 100)  # fill: o3 M pulls its tail 8 -> full -> stopped before react, ACTIVE
    assert batch(m) == [(8, 3, "Movable")] and flags(m) == (True, True)
    assert hinted_pages(m) == [0, 0]
    # free 20: buddy 16 allocated; combined 16, o3 buddy 24 free at order 3 -> tail.
    # Order 2 < min_order: get_unhinted_tail returns the list itself -> real tail.
    free(m, 20)
    assert fl(m, 2) == [4, 20]
    step(m)
    step(m)  # put 8 (o3 buddy 0 allocated) -> o3 [24, 8], boundary 8; pull 24
    assert batch(m) == [(24, 3, "Movable")]
    step(m)
    step(m)  # put 24 before 8 -> [24, 8]; nothing else at orders >= 3; done
    assert lists(m) == {(2, "Movable"): [4, 20], (3, "Movable"): [24, 8]}
    assert hinted(m) == [8, 24] and hinted_pages(m) == [2, 0]
    assert boundary(m, 3) == ("Normal", 24)
    assert boundary(m, 2) is None  # no boundary below min_order


def test_head_free_while_stopped_lands_at_head_then_put_merges():
    m = machine()
    prefix_p(m)
    wasted = host(m)["wasted_hints"]
    # free 12: buddy 8 is in the batch (not PageBuddy) -> no merge; combined 8, o3 buddy
    # 0 is free only at order 2 -> head: [12, 0] (the boundary plays no part).
    free(m, 12)
    assert fl(m, 2) == [12, 0]
    step(m)  # react(8)
    # drain: put_hinted_page(8): __free_one_page(hinted) merges 12 -> 8/o3; o3 buddy 0
    # is order 2 -> stop; tail (hinted) -> boundary[3][M] = 24 -> o3 [8, 24].  The page
    # is no longer order 2: not Hinted, hinted_pages unchanged, no boundary update;
    # the host's report of 8..11 is wasted.  REQUESTED -> fill: o3 M, entry before 24
    # is 8 (unhinted) -> pull 8/o3.
    step(m)
    assert batch(m) == [(8, 3, "Movable")]
    assert fl(m, 3) == [24] and fl(m, 2) == [0]
    assert hinted_pages(m) == [1, 1, 0]
    assert boundary(m, 3) == ("Normal", 24) and boundary(m, 2) == ("Normal", 0)
    assert host(m)["wasted_hints"] == wasted + 1
    step(m)
    step(m)  # put 8/o3 before 24, boundary[3][M] = 8; nothing left; done
    assert lists(m) == {(2, "Movable"): [0], (3, "Movable"): [8, 24]}
    assert hinted(m) == [0, 8, 24] and hinted_pages(m) == [1, 2, 0]
    assert boundary(m, 3) == ("Normal", 8)
    # reported: 24/o3 (8) + 0 (4) + 8/o2 (4) + 8/o3 (8); non-resident 24..31, 0..3, 8..15.
    assert host(m)["reported_pages"] == 24
    assert host(m)["resident_pages"] == 12


def test_put_hinted_page_merge_leaves_hinted_pages_unchanged_at_that_instant():
    # Same as above, looking at the drain that merges on its own (auto off, capacity 1).
    m = machine()
    prefix_p(m)
    free(m, 12)
    step(m)
    before = hinted_pages(m)
    assert before == [1, 1, 0]
    step(m)
    assert hinted_pages(m) == before
    assert 8 not in hinted(m)


def test_free_merging_hinted_boundary_block_while_active():
    m = machine()
    prefix_p(m)
    # free 4: buddy 0 is free, Hinted, and boundary[2][M].  del_page_from_free_list ->
    # clear_page_hinted (ACTIVE) -> del_from_boundary: boundary = 0's next = list head.
    # 0 merges -> 0/o3; o3 buddy 8 is in the batch -> stop; order 3 -> head: o3 [0, 24].
    free(m, 4)
    assert boundary(m, 2) == ("Normal", None)
    assert fl(m, 2) == [] and fl(m, 3) == [0, 24]
    assert hinted_pages(m) == [0, 1, 0]
    assert host(m)["wasted_hints"] == 1
    step(m)
    # put 8 (buddy 12 allocated) at boundary[2][M] = list head -> o2 [8], boundary 8;
    # fill: o3 M entry before 24 is 0 (unhinted) -> pull 0/o3.
    step(m)
    assert batch(m) == [(0, 3, "Movable")]
    assert fl(m, 2) == [8] and boundary(m, 2) == ("Normal", 8)
    step(m)
    step(m)  # put 0/o3 before 24 (o3 buddy 8 is order 2: no merge); done
    assert lists(m) == {(2, "Movable"): [8], (3, "Movable"): [0, 24]}
    assert hinted(m) == [0, 8, 24] and hinted_pages(m) == [1, 2, 0]
    assert boundary(m, 3) == ("Normal", 0)


def _three_hinted_stepping():
    m = machine(capacity=32)
    eight_order2(m)
    free(m, 0)
    free(m, 8)
    free(m, 24)
    assert fl(m, 2) == [24, 8, 0]
    start(m)
    # fill pulls 0, 8, 24 (each time the list tail); 3 < 32 -> REQUESTED cleared,
    # refcnt 0, but ACTIVE until the cycle ends.
    advance(m, 100)
    assert batch(m) == [(0, 2, "Movable"), (8, 2, "Movable"), (24, 2, "Movable")]
    assert flags(m) == (False, True) and hstate(m)["refcnt"] == 0
    step(m)
    step(m)  # put 0, 8 before 0, 24 before 8
    assert fl(m, 2) == [24, 8, 0] and boundary(m, 2) == ("Normal", 24)
    assert hinted_pages(m) == [3, 0, 0]
    assert work(m) == {"pending": False, "due_ms": None, "phase": "idle", "zone": None}
    # free 16: buddy 20 allocated; o3 buddy 24 is order 2 -> head: [16, 24, 8, 0].
    # notify: nr_free[2] = 4 >= 3 + 1 -> request at now 100, due 200.
    free(m, 16)
    assert fl(m, 2) == [16, 24, 8, 0]
    assert flags(m) == (True, False) and hstate(m)["refcnt"] == 1
    assert work(m) == {"pending": True, "due_ms": 200, "phase": "idle", "zone": None}
    # Second cycle: boundaries reset; fill: entry before the list head is 0, Hinted ->
    # try the head: 16 unhinted -> pull 16.  Again: 0 Hinted, head 24 Hinted ->
    # boundary[2][M] = 24 and stop.  1 < 32: REQUESTED cleared, refcnt 0.
    advance(m, 100)
    assert batch(m) == [(16, 2, "Movable")]
    assert fl(m, 2) == [24, 8, 0] and boundary(m, 2) == ("Normal", 24)
    assert flags(m) == (False, True) and hstate(m)["refcnt"] == 0
    assert m.now_ms == 200
    return m


def test_try_the_head_and_both_hinted_boundary_reset():
    m = _three_hinted_stepping()
    step(m)
    step(m)  # put 16 before boundary 24 -> [16, 24, 8, 0], boundary 16
    assert fl(m, 2) == [16, 24, 8, 0]
    assert boundary(m, 2) == ("Normal", 16)
    assert hinted(m) == [0, 8, 16, 24] and hinted_pages(m) == [4, 0, 0]
    assert flags(m) == (False, False)


def test_alloc_boundary_block_while_active_moves_boundary_to_next():
    m = machine()
    prefix_p(m)
    free(m, 20)  # before boundary 0: [20, 0]
    step(m)
    step(m)  # put 8 -> [20, 8, 0], boundary 8; pull 20
    assert fl(m, 2) == [8, 0] and boundary(m, 2) == ("Normal", 8)
    assert hinted_pages(m) == [2, 1, 0]
    # alloc o2: head 8 is Hinted and the boundary; ACTIVE -> page_hinting_del_from_boundary:
    # boundary = 8's next = 0.  8..11 were reported: 4 refaults.
    assert alloc(m, 2) == 8
    assert boundary(m, 2) == ("Normal", 0)
    assert hinted_pages(m) == [1, 1, 0]
    assert host(m)["refaults"] == 4
    step(m)
    step(m)  # put 20 before 0, boundary 20; nothing left
    assert fl(m, 2) == [20, 0] and boundary(m, 2) == ("Normal", 20)
    assert (8, 2, "Movable") in allocated(m)


def test_alloc_boundary_block_without_active_leaves_boundary_stale():
    m = machine()
    prefix_p(m)
    step(m)
    step(m)  # cycle over: o2 [8, 0] (boundary 8), o3 [24] (boundary 24)
    assert flags(m) == (False, False)
    assert boundary(m, 2) == ("Normal", 8)
    # Not ACTIVE: clear_page_hinted does not touch the boundary.
    assert alloc(m, 2) == 8
    assert boundary(m, 2) == ("Normal", 8)
    assert (8, 2, "Movable") in allocated(m)
    assert alloc(m, 3) == 24
    assert boundary(m, 3) == ("Normal", 24)
    assert hinted_pages(m) == [1, 0, 0]
    # free 8: buddy 12 allocated; o3 buddy 0 is order 2 -> head: [8, 0].
    # notify: nr_free[2] = 2 >= 1 + 1 -> request (now 100, due 200).
    free(m, 8)
    assert fl(m, 2) == [8, 0]
    assert flags(m) == (True, False) and work(m)["due_ms"] == 200
    # The next cycle resets every boundary before using it: fill, o2 M: entry before
    # the list head is 0 (Hinted) -> head 8 -> pull 8.
    advance(m, 100)
    assert batch(m) == [(8, 2, "Movable")]
    assert boundary(m, 2) == ("Normal", None) and boundary(m, 3) == ("Normal", None)


def test_notify_free_exactly_at_hwm():
    m = machine(hwm=2, capacity=32, stepping=False)
    eight_order2(m)
    free(m, 0)  # before startup: no notification at all
    start(m)
    advance(m, 100)  # auto: the cycle hints 0
    assert hinted_pages(m) == [1, 0, 0] and flags(m) == (False, False)
    # free 24: head, nr_free[2] = 2 < 1 + 2 -> no request.
    free(m, 24)
    assert fl(m, 2) == [24, 0]
    assert flags(m) == (False, False) and work(m)["pending"] is False and hstate(m)["refcnt"] == 0
    # free 8: head (o3 buddy 0 is order 2), nr_free[2] = 3 == 1 + 2 -> request.
    free(m, 8)
    assert fl(m, 2) == [8, 24, 0]
    assert flags(m) == (True, False) and hstate(m)["refcnt"] == 1
    assert work(m) == {"pending": True, "due_ms": 200, "phase": "idle", "zone": None}
    # free 28: merges 24 -> 24/o3; REQUESTED already -> no second request.
    free(m, 28)
    assert fl(m, 2) == [8, 0] and fl(m, 3) == [24]
    assert hstate(m)["refcnt"] == 1
    # Cycle at 200: fill o3 pulls 24; o2: before the head is 0 (Hinted) -> head 8 ->
    # pull 8; then 0 is both head and tail, Hinted -> boundary[2][M] = 0.  2 < 32.
    # Drain: 24 -> o3 [24] (boundary 24); 8 before boundary 0 -> [8, 0] (boundary 8).
    advance(m, 100)
    assert lists(m) == {(2, "Movable"): [8, 0], (3, "Movable"): [24]}
    assert hinted(m) == [0, 8, 24] and hinted_pages(m) == [2, 1, 0]
    assert boundary(m, 2) == ("Normal", 8) and boundary(m, 3) == ("Normal", 24)
    assert flags(m) == (False, False) and hstate(m)["refcnt"] == 0


def test_notify_uses_final_merged_order():
    m = machine(capacity=32, stepping=False)  # hwm 1
    start(m)
    # Cycle: o4 [16, 0]: pull 0, then 16; drain 0 -> [0] (boundary 0), 16 before 0 -> [16, 0].
    advance(m, 100)
    assert fl(m, 4) == [16, 0] and hinted(m) == [0, 16] and hinted_pages(m) == [0, 0, 2]
    assert boundary(m, 4) == ("Normal", 16)
    # alloc o0 takes the Hinted head 16 (not ACTIVE: boundary untouched), split as at boot.
    assert alloc(m, 0) == 16
    assert hinted_pages(m) == [0, 0, 1] and boundary(m, 4) == ("Normal", 16)
    assert host(m)["refaults"] == 1
    assert alloc(m, 0) == 17
    # free 17: buddy 16 allocated; combined 16, o1 buddy 18 free -> tail.  notify(order 0):
    # below min_order -> nothing.
    free(m, 17)
    assert fl(m, 0) == [17] and flags(m) == (False, False)
    # free 16: merges 17, 18, 20, 24 -> 16/o4 -> head [16, 0].  notify(order 4):
    # nr_free[4] = 2 >= hinted 1 + hwm 1 -> request.
    free(m, 16)
    assert lists(m) == {(4, "Movable"): [16, 0]}
    assert hinted(m) == [0]
    assert flags(m) == (True, False) and hstate(m)["refcnt"] == 1
    assert work(m)["pending"] is True and work(m)["due_ms"] == 200


def test_multi_zone_refcnt_round_robin_and_global_boundary():
    m = machine(max_order=4, pageblock_order=2, zones=(("DMA32", 16), ("Normal", 16)))
    assert lists(m, "DMA32") == {(3, "Movable"): [8, 0]}
    assert lists(m, "Normal") == {(3, "Movable"): [24, 16]}
    start(m)
    # startup requests every populated zone: refcnt 2; only the 0 -> 1 request schedules.
    assert hstate(m)["refcnt"] == 2
    assert flags(m, "DMA32") == (True, False) and flags(m, "Normal") == (True, False)
    assert work(m)["due_ms"] == 100
    advance(m, 100)  # DMA32 first: pull 0 (tail) -> full
    assert work(m)["zone"] == "DMA32" and batch(m) == [(0, 3, "Movable")]
    assert hinted_pages(m, "DMA32") == [0, 0] and hinted_pages(m, "Normal") is None
    assert boundary(m, 3) == ("DMA32", None)
    step(m)
    step(m)  # put 0 -> [8, 0], boundary 0; pull 8
    assert batch(m) == [(8, 3, "Movable")] and boundary(m, 3) == ("DMA32", 0)
    step(m)
    # put 8 before 0 -> [8, 0]; fill empty -> DMA32 REQUESTED cleared, refcnt 1; the
    # process goes on to Normal: populate (boundaries now point into Normal), pull 16.
    step(m)
    assert work(m)["zone"] == "Normal" and batch(m) == [(16, 3, "Movable")]
    assert flags(m, "DMA32") == (False, False) and flags(m, "Normal") == (True, True)
    assert hstate(m)["refcnt"] == 1
    assert hinted(m, "DMA32") == [0, 8] and hinted_pages(m, "DMA32") == [0, 2]
    assert hinted_pages(m, "Normal") == [0, 0]
    for order in (2, 3):
        for mt in ALL_TYPES:
            assert boundary(m, order, mt) == ("Normal", None)
    # Meanwhile in DMA32: alloc o2 takes the Hinted head 8 (DMA32 not ACTIVE), split 12.
    assert alloc(m, 2, zone="DMA32") == 8
    assert hinted_pages(m, "DMA32") == [0, 1]
    assert host(m)["refaults"] == 4
    # free 8: merges 12 -> 8/o3 -> head [8, 0]; notify(3): nr_free 2 >= 1 + 1 ->
    # DMA32 REQUESTED, refcnt 1 -> 2 (no new schedule: the work is running).
    free(m, 8)
    assert lists(m, "DMA32") == {(3, "Movable"): [8, 0]}
    assert flags(m, "DMA32") == (True, False) and hstate(m)["refcnt"] == 2
    assert work(m)["pending"] is False
    step(m)
    step(m)  # Normal: put 16 -> [24, 16], boundary 16; pull 24
    assert batch(m) == [(24, 3, "Movable")] and boundary(m, 3) == ("Normal", 16)
    step(m)
    # put 24 before 16; Normal done (refcnt 1); wrap to DMA32 (refcnt != 0): REQUESTED
    # -> cycle: boundaries reset into DMA32; fill: before the head is 0 (Hinted) ->
    # try the head: 8 unhinted -> pull 8.
    step(m)
    assert work(m)["zone"] == "DMA32" and batch(m) == [(8, 3, "Movable")]
    assert lists(m, "Normal") == {(3, "Movable"): [24, 16]} and hinted(m, "Normal") == [16, 24]
    assert boundary(m, 3) == ("DMA32", None)
    assert flags(m, "Normal") == (False, False) and hstate(m)["refcnt"] == 1
    step(m)
    # put 8 at the tail (boundary = head) -> [0, 8], boundary 8; fill: 0 Hinted, head 0
    # Hinted -> boundary[3][M] = 0; nothing pulled -> refcnt 0; process ends.
    step(m)
    assert lists(m, "DMA32") == {(3, "Movable"): [0, 8]}
    assert hinted(m, "DMA32") == [0, 8] and hinted_pages(m, "DMA32") == [0, 2]
    assert hinted_pages(m, "Normal") == [0, 2]
    assert boundary(m, 3) == ("DMA32", 0)
    assert boundary(m, 2) == ("DMA32", None) and boundary(m, 3, "Unmovable") == ("DMA32", None)
    assert hstate(m)["refcnt"] == 0
    assert work(m) == {"pending": False, "due_ms": None, "phase": "idle", "zone": None}
    assert flags(m, "DMA32") == (False, False)
    fails(m, {"do": "step"})


def test_hinting_start_twice_is_ebusy_and_changes_nothing():
    m = machine()
    start(m)
    fails(m, {"do": "hinting_start"})
    m = machine()
    prefix_p(m)
    fails(m, {"do": "hinting_start"})
    assert hstate(m)["refcnt"] == 1


def test_hinting_stop_when_off_does_nothing():
    m = machine()
    before = dump(m)
    stop(m)
    assert dump(m) == before


def test_hinting_stop_mid_cycle_finishes_the_work_item():
    m = machine()
    prefix_p(m)
    # The rest of the item runs: react(8), put 8 before 0 -> [8, 0], fill empty,
    # REQUESTED cleared, refcnt 0.
    stop(m)
    assert hstate(m)["enabled"] is False
    assert work(m) == {"pending": False, "due_ms": None, "phase": "idle", "zone": None}
    assert batch(m) == []
    assert lists(m) == {(2, "Movable"): [8, 0], (3, "Movable"): [24]}
    assert hinted(m) == [0, 8, 24] and hinted_pages(m) == [2, 1, 0]
    assert boundary(m, 2) == ("Normal", 8)
    assert flags(m) == (False, False) and hstate(m)["refcnt"] == 0
    # Notifications are off: free 12 merges the Hinted 8 -> 8/o3 -> head [8, 24];
    # nr_free[3] = 2 >= 1 + 1 would request, but the static key is off.
    free(m, 12)
    assert lists(m) == {(2, "Movable"): [0], (3, "Movable"): [8, 24]}
    assert hinted_pages(m) == [1, 1, 0]
    assert flags(m) == (False, False) and work(m)["pending"] is False
    fails(m, {"do": "step"})
    # Starting again requests the zone anew.
    start(m)
    assert flags(m) == (True, False) and hstate(m)["refcnt"] == 1
    assert work(m)["due_ms"] == m.now_ms + 100


def test_hinting_stop_mid_cycle_with_new_request_runs_it_then_drops_pending():
    m = _three_hinted_stepping()  # now 200, stopped before react, batch [16], refcnt 0
    # free 20: buddy 16 in flight -> no merge; o3 buddy 24 is order 2 -> head.
    # notify: not REQUESTED, nr_free[2] = 4 >= 3 + 1 -> request: refcnt 0 -> 1 schedules
    # (the running item can be queued again): due 300.
    free(m, 20)
    assert fl(m, 2) == [20, 24, 8, 0]
    assert flags(m) == (True, True) and hstate(m)["refcnt"] == 1
    assert work(m)["pending"] is True and work(m)["due_ms"] == 300
    # hinting_stop finishes the item: react(16); put 16 merges 20 -> 16/o3 at the o3
    # boundary (list head) -> o3 [16], not Hinted (wasted).  REQUESTED -> fill: o3 M
    # pulls 16; o2 M: boundary 24 has nothing before it.  1 < 32: REQUESTED cleared,
    # refcnt 0.  react, drain: 16/o3 -> o3 [16] Hinted, boundary[3][M] = 16.  Pending dropped.
    stop(m)
    assert work(m) == {"pending": False, "due_ms": None, "phase": "idle", "zone": None}
    assert lists(m) == {(2, "Movable"): [24, 8, 0], (3, "Movable"): [16]}
    assert hinted(m) == [0, 8, 16, 24] and hinted_pages(m) == [3, 1, 0]
    assert boundary(m, 3) == ("Normal", 16) and boundary(m, 2) == ("Normal", 24)
    assert flags(m) == (False, False) and hstate(m)["refcnt"] == 0
    assert host(m)["wasted_hints"] == 1


def test_step_and_advance_semantics_stepping():
    m = machine()
    eight_order2(m)
    for pfn in (24, 28, 0, 8):
        free(m, pfn)
    fails(m, {"do": "step"})  # nothing pending (hinting off)
    start(m)  # due 100
    advance(m, 50)  # not due yet
    assert m.now_ms == 50
    assert work(m) == {"pending": True, "due_ms": 100, "phase": "idle", "zone": None}
    # step with work pending but not due: starts it now, runs to the first stop.
    step(m)
    assert m.now_ms == 50
    assert work(m)["phase"] == "react" and batch(m) == [(24, 3, "Movable")]
    # advance while stopped: time moves, the work does not.
    advance(m, 1000)
    assert m.now_ms == 1050
    assert work(m)["phase"] == "react" and batch(m) == [(24, 3, "Movable")]
    step(m)
    assert work(m)["phase"] == "drain"


def test_advance_past_due_runs_to_first_stop_only():
    m = machine()
    eight_order2(m)
    for pfn in (24, 28, 0, 8):
        free(m, pfn)
    start(m)
    advance(m, 250)  # due at 100: runs to the first stopping point; clock ends at 250
    assert m.now_ms == 250
    assert work(m)["phase"] == "react" and batch(m) == [(24, 3, "Movable")]
    assert host(m)["reported_pages"] == 0


def test_step_ending_an_item_does_not_start_work_that_fell_due():
    m = _three_hinted_stepping()  # now 200
    free(m, 20)  # request during the run: pending, due 300
    assert work(m)["pending"] is True and work(m)["due_ms"] == 300
    advance(m, 200)  # now 400; the item is still stopped before react
    assert m.now_ms == 400 and work(m)["phase"] == "react"
    step(m)  # react(16)
    step(m)  # put 16 merges 20 -> 16/o3 (not Hinted); fill pulls 16/o3; underflow
    assert batch(m) == [(16, 3, "Movable")] and work(m)["phase"] == "react"
    assert flags(m) == (False, True) and hstate(m)["refcnt"] == 0
    step(m)
    step(m)  # put 16/o3 -> Hinted; cycle and item end
    assert work(m) == {"pending": True, "due_ms": 300, "phase": "idle", "zone": None}
    assert lists(m) == {(2, "Movable"): [24, 8, 0], (3, "Movable"): [16]}
    before = lists(m)
    # The next step starts the pending item: no zone is REQUESTED and refcnt is 0,
    # so page_hinting_process makes one pass and ends without a stop.
    step(m)
    assert work(m) == {"pending": False, "due_ms": None, "phase": "idle", "zone": None}
    assert lists(m) == before
    fails(m, {"do": "step"})


def test_auto_mode_step_runs_pending_work_to_completion():
    m = machine(stepping=False)
    eight_order2(m)
    for pfn in (24, 28, 0, 8):
        free(m, pfn)
    fails(m, {"do": "step"})
    start(m)
    step(m)  # at now 0, the whole item: 24, then 0, then 8 (capacity 1 each round)
    assert m.now_ms == 0
    assert lists(m) == {(2, "Movable"): [8, 0], (3, "Movable"): [24]}
    assert hinted(m) == [0, 8, 24] and hinted_pages(m) == [2, 1, 0]
    assert work(m) == {"pending": False, "due_ms": None, "phase": "idle", "zone": None}
    fails(m, {"do": "step"})
    # advance with nothing pending just moves time.
    advance(m, 100)
    assert m.now_ms == 100


def test_switching_stepping_off_mid_cycle_finishes_item():
    m = machine()
    prefix_p(m)
    ok(m, {"do": "stepping", "on": False})
    assert m.state()["config"]["hinting"]["stepping"] is False
    assert work(m) == {"pending": False, "due_ms": None, "phase": "idle", "zone": None}
    assert lists(m) == {(2, "Movable"): [8, 0], (3, "Movable"): [24]}
    assert hinted_pages(m) == [2, 1, 0]
    assert hstate(m)["enabled"] is True
    ok(m, {"do": "stepping", "on": True})
    assert m.state()["config"]["hinting"]["stepping"] is True


def test_isolated_pair_in_one_batch_put_merges_with_hinted_buddy():
    m = machine(capacity=32)
    eight_order2(m)
    move(m, 0, "Isolate")
    free(m, 0)  # Isolate o2 [0]
    free(m, 4)  # Movable; may not merge with the Isolate buddy: M o2 [4]
    start(m)
    # fill walks migratetypes from Isolate down: Isolate o2 pulls 0, Movable o2 pulls 4.
    # 2 < 32: REQUESTED cleared.
    advance(m, 100)
    assert batch(m) == [(0, 2, "Isolate"), (4, 2, "Movable")]
    assert flags(m) == (False, True)
    # Pageblock 0 back to Movable while 0 is in flight: nothing on a list to move.
    move(m, 0, "Movable")
    step(m)
    # drain: put 0: page->index is Isolate -> mt = pageblock type = Movable; buddy 4 is
    # in flight -> no merge; -> M o2 [0], Hinted, boundary[2][M] = 0.
    # put 4: buddy 0 is free and Hinted -> merge: clear_page_hinted (ACTIVE) pushes
    # boundary[2][M] to 0's next = list head; -> 0/o3 at boundary[3][M] (list head).
    # page 4 is no longer PageBuddy: not Hinted.  Two reports wasted.
    step(m)
    assert lists(m) == {(3, "Movable"): [0]}
    assert hinted(m) == [] and hinted_pages(m) == [0, 0, 0]
    assert boundary(m, 2) == ("Normal", None) and boundary(m, 3) == ("Normal", None)
    assert host(m)["wasted_hints"] == 2 and host(m)["reported_pages"] == 8
    # hinted=true: no notification for the merged block.
    assert flags(m) == (False, False) and work(m)["pending"] is False and hstate(m)["refcnt"] == 0


def test_fallback_steal_of_hinted_block_clears_hinted():
    m = machine(capacity=32, stepping=False)
    start(m)
    advance(m, 100)  # o4 [16, 0] both Hinted, boundary[4][M] = 16
    assert hinted_pages(m) == [0, 0, 2]
    # Unmovable o0: fallback order 4, Movable head 16 -> pageblocks 16..28 Unmovable,
    # move_to_free_list clears Hinted (not ACTIVE: boundary untouched) -> U o4 [16];
    # retry splits 16: U o3 24, o2 20, o1 18, o0 17.
    assert alloc(m, 0, "Unmovable") == 16
    assert hinted(m) == [0] and hinted_pages(m) == [0, 0, 1]
    assert boundary(m, 4) == ("Normal", 16)
    assert lists(m) == {
        (4, "Movable"): [0],
        (3, "Unmovable"): [24],
        (2, "Unmovable"): [20],
        (1, "Unmovable"): [18],
        (0, "Unmovable"): [17],
    }
    assert host(m)["refaults"] == 1


def test_hinting_stop_with_work_pending_keeps_requested_and_refcnt():
    m = machine()
    eight_order2(m)
    free(m, 0)
    start(m)  # REQUESTED, refcnt 1, due 100
    stop(m)  # the pending work is dropped; flags and refcnt stay as the seed leaves them
    assert hstate(m)["enabled"] is False
    assert work(m) == {"pending": False, "due_ms": None, "phase": "idle", "zone": None}
    assert flags(m) == (True, False) and hstate(m)["refcnt"] == 1
    fails(m, {"do": "step"})
    advance(m, 500)
    assert batch(m) == [] and hinted_pages(m) is None
    # startup: refcnt = 0, then the zone is requested again: refcnt 1, due now + 100.
    start(m)
    assert hstate(m)["refcnt"] == 1 and work(m)["due_ms"] == 600
    advance(m, 100)  # fill pulls 0 -> full -> stopped before react
    assert batch(m) == [(0, 2, "Movable")]


def test_hinting_stop_mid_cycle_finishes_every_requested_zone():
    m = machine(max_order=4, pageblock_order=2, zones=(("DMA32", 16), ("Normal", 16)))
    start(m)  # both zones REQUESTED, refcnt 2
    advance(m, 100)  # DMA32 cycle, batch [0]
    assert work(m)["zone"] == "DMA32" and batch(m) == [(0, 3, "Movable")]
    # Shutdown waits for the item: DMA32 puts 0, pulls 8, puts 8 (refcnt 1); then
    # Normal: pulls 16, puts 16, pulls 24, puts 24 (refcnt 0); the process ends.
    stop(m)
    assert lists(m, "DMA32") == {(3, "Movable"): [8, 0]}
    assert lists(m, "Normal") == {(3, "Movable"): [24, 16]}
    assert hinted(m, "DMA32") == [0, 8] and hinted(m, "Normal") == [16, 24]
    assert hinted_pages(m, "DMA32") == [0, 2] and hinted_pages(m, "Normal") == [0, 2]
    assert boundary(m, 3) == ("Normal", 24)
    assert flags(m, "DMA32") == (False, False) and flags(m, "Normal") == (False, False)
    assert hstate(m)["refcnt"] == 0 and hstate(m)["enabled"] is False
    assert work(m) == {"pending": False, "due_ms": None, "phase": "idle", "zone": None}
    assert host(m)["reported_pages"] == 32 and host(m)["resident_pages"] == 0
