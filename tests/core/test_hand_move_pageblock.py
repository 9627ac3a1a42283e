"""move_pageblock (set_pageblock_migratetype + move_freepages_block) and the
v5.3 isolation rule in __free_one_page, computed by hand.

References: move_freepages (v5.3) walks the pageblock upwards and moves every
PageBuddy head with move_to_free_list, which (seed, mmzone.h hunk) calls
clear_page_hinted first and then list_move()s to the HEAD of the new list.
clear_page_hinted pushes the boundary back only while the zone is ACTIVE.
__free_one_page above pageblock_order: when has_isolate_pageblock(zone), an
Isolate block does not merge with a buddy of another type (or vice versa).
"""

from __future__ import annotations

from .helpers import (
    advance,
    alloc,
    batch,
    boundary,
    eight_order2,
    fl,
    flags,
    free,
    hinted,
    hinted_pages,
    host,
    lists,
    machine,
    move,
    pageblocks,
    prefix_p,
    start,
    step,
)


def _three_hinted_order2(m):
    eight_order2(m)
    free(m, 0)  # buddy 4 allocated, o3 buddy 8 allocated -> head: o2 [0]
    free(m, 8)  # buddy 12 allocated, o3 buddy 0 only o2 -> head: [8, 0]
    free(m, 24)  # buddy 28 allocated, o3 buddy 16 allocated -> head: [24, 8, 0]
    assert fl(m, 2) == [24, 8, 0]
    start(m)
    # Auto mode, capacity 32: one fill pulls 0, 8, 24 (always the entry before
    # the boundary = list head, i.e. the tail), returns 3 < 32 so REQUESTED is
    # cleared; the drain puts 0 (boundary 0), then 8 before 0 (boundary 8), then
    # 24 before 8 (boundary 24): o2 [24, 8, 0], all Hinted.
    advance(m, 100)
    assert fl(m, 2) == [24, 8, 0]
    assert hinted(m) == [0, 8, 24]
    assert hinted_pages(m) == [3, 0, 0]
    assert boundary(m, 2) == ("Normal", 24)
    assert flags(m) == (False, False)
    assert host(m)["reported_pages"] == 12


def test_move_hinted_blocks_to_head_and_clear_hinted():
    m = machine(capacity=32, stepping=False)
    _three_hinted_order2(m)
    wasted = host(m)["wasted_hints"]
    # Pageblock 8 -> Unmovable: 8 leaves the Movable list for the head of U o2,
    # loses Hinted; not ACTIVE so boundary[2][Movable] stays at 24.
    move(m, 8, "Unmovable")
    assert fl(m, 2) == [24, 0]
    assert fl(m, 2, "Unmovable") == [8]
    assert hinted(m) == [0, 24]
    assert hinted_pages(m) == [2, 0, 0]
    assert host(m)["wasted_hints"] == wasted + 1
    # Pageblock 0 -> Unmovable: 0 goes to the HEAD of U o2: [0, 8].
    move(m, 0, "Unmovable")
    assert fl(m, 2, "Unmovable") == [0, 8]
    assert fl(m, 2) == [24]
    assert hinted_pages(m) == [1, 0, 0]
    # Pageblock 24 -> Isolate; the boundary is not touched (not ACTIVE) and now
    # points at a block on another list.
    move(m, 24, "Isolate")
    assert fl(m, 2, "Isolate") == [24]
    assert fl(m, 2) == []
    assert hinted(m) == [] and hinted_pages(m) == [0, 0, 0]
    assert boundary(m, 2) == ("Normal", 24)
    assert host(m)["wasted_hints"] == wasted + 3
    assert pageblocks(m) == ["Unmovable", "Movable", "Unmovable", "Movable", "Movable", "Movable", "Isolate", "Movable"]
    # Movable o2: no Movable block; fallback order 2: Reclaimable empty, Unmovable
    # [0, 8] -> head 0, order 2 >= pageblock_order: pageblock 0 -> Movable; 0 moves; retry -> 0.
    assert alloc(m, 2) == 0
    assert fl(m, 2, "Unmovable") == [8]
    assert pageblocks(m)[0] == "Movable"
    # Leaving Isolate: 24 back to the head of M o2.
    move(m, 24, "Movable")
    assert fl(m, 2) == [24] and fl(m, 2, "Isolate") == []


def test_move_boundary_block_while_active_pushes_boundary():
    m = machine()
    prefix_p(m)
    assert batch(m) == [(8, 2, "Movable")]
    assert fl(m, 2) == [0] and boundary(m, 2) == ("Normal", 0)
    assert hinted_pages(m) == [1, 1, 0]
    # Stopped before react, ACTIVE.  Pageblock 0 -> Unmovable: clear_page_hinted
    # -> page_hinting_del_from_boundary: boundary[2][M] was 0 -> 0's next = list head.
    move(m, 0, "Unmovable")
    assert boundary(m, 2) == ("Normal", None)
    assert fl(m, 2, "Unmovable") == [0] and fl(m, 2) == []
    assert hinted_pages(m) == [0, 1, 0]
    step(m)  # react(8)
    # drain: put 8 (buddy 12 allocated), tail = boundary = M list head -> M o2 [8];
    # boundary[2][M] = 8.  REQUESTED still set -> fill: o3 M boundary 24, nothing
    # before it; o2 M boundary 8, nothing before it; o2 U boundary = U list head
    # (reset at cycle start), entry before it is 0, unhinted -> pull 0 -> full.
    step(m)
    assert batch(m) == [(0, 2, "Unmovable")]
    assert fl(m, 2) == [8] and boundary(m, 2) == ("Normal", 8)
    assert flags(m) == (True, True)
    step(m)  # react(0)
    # drain: put 0 back to U o2 (page->index says Unmovable), boundary[2][U] = 0;
    # fill finds nothing -> REQUESTED cleared, refcnt 0, cycle over.
    step(m)
    assert fl(m, 2, "Unmovable") == [0] and fl(m, 2) == [8] and fl(m, 3) == [24]
    assert hinted(m) == [0, 8, 24]
    assert hinted_pages(m) == [2, 1, 0]
    assert boundary(m, 2, "Unmovable") == ("Normal", 0)
    assert boundary(m, 2) == ("Normal", 8)
    assert flags(m) == (False, False)
    assert batch(m) == []


def test_move_whole_large_block_only_from_its_head_pageblock():
    m = machine()  # o4 [16, 0]
    # Pageblock 4: pfn 4 is inside the free order-4 block at 0 (not a PageBuddy head).
    move(m, 4, "Unmovable")
    assert lists(m) == {(4, "Movable"): [16, 0]}
    # Pageblock 0: 0 is the head of a free order-4 block: it moves whole to U o4,
    # only pageblock 0 changes type.
    move(m, 0, "Unmovable")
    assert lists(m) == {(4, "Movable"): [16], (4, "Unmovable"): [0]}
    assert pageblocks(m) == ["Unmovable", "Unmovable"] + ["Movable"] * 6
    assert alloc(m, 4) == 16
    # Movable o4 again: fallback order 4 Unmovable 0; order >= pageblock_order ->
    # change_pageblock_range sets pageblocks 0, 4, 8, 12 to Movable; retry -> 0.
    assert alloc(m, 4) == 0
    assert pageblocks(m) == ["Movable"] * 8


def test_isolate_blocks_do_not_merge_with_other_types_above_pageblock_order():
    m = machine()
    eight_order2(m)
    move(m, 0, "Isolate")  # 0..3 allocated: nothing moves
    # free 0: pageblock type Isolate.  At order 2 (= pageblock_order) the zone has
    # an isolated pageblock and buddy 4 is Movable: no merge (4 is allocated anyway).
    # o3 buddy of combined 0 is 8 (allocated) -> head.
    free(m, 0)
    assert fl(m, 2, "Isolate") == [0]
    # free 4: Movable; buddy 0 is free at order 2 but in an Isolate pageblock -> no merge.
    # buddy_merge_likely(4, 0): o3 buddy 8 allocated -> head.
    free(m, 4)
    assert fl(m, 2) == [4] and fl(m, 2, "Isolate") == [0]
    # free 8: buddy 12 allocated; o3 buddy 0 is an order-2 block -> head: M o2 [8, 4].
    free(m, 8)
    assert fl(m, 2) == [8, 4]
    # free 12: merges 8 (both Movable) -> 8/o3; next buddy 0's pageblock is Isolate -> stop.
    free(m, 12)
    assert fl(m, 2) == [4] and fl(m, 3) == [8]
    # Two isolated pageblocks merge with each other: 16 and 20 -> 16/o3 on Isolate;
    # at order 3 the buddy 24 is Movable -> stop; head.
    move(m, 16, "Isolate")
    move(m, 20, "Isolate")
    free(m, 16)  # buddy 20 allocated; o3 buddy 24 allocated -> head
    free(m, 20)
    assert fl(m, 3, "Isolate") == [16] and fl(m, 2, "Isolate") == [0]
    # Leaving Isolate: 0 moves to the head of M o2 -> [0, 4].  Nothing re-merges
    # (the model does not re-free as unset_migratetype_isolate would).
    move(m, 0, "Movable")
    assert fl(m, 2) == [0, 4]
    assert pageblocks(m)[:1] == ["Movable"]
    assert alloc(m, 2) == 0
    # With pageblocks 16, 20 still isolated, freeing 0 (Movable) merges 4 (Movable),
    # then 8 (Movable, o3) -> 0/o4.
    free(m, 0)
    assert lists(m) == {(4, "Movable"): [0], (3, "Isolate"): [16]}


def test_non_isolate_types_merge_above_pageblock_order_even_with_isolation():
    m = machine()
    eight_order2(m)
    move(m, 4, "Unmovable")  # allocated: nothing moves
    move(m, 28, "Isolate")  # the zone now has an isolated pageblock
    free(m, 0)  # Movable; buddy 4 allocated; o3 buddy 8 allocated -> head: M o2 [0]
    # free 4 (Unmovable pageblock): buddy 0 is Movable; neither is Isolate -> merge
    # -> 0/o3; buddy 8 allocated -> stop.  Order 3 -> head of the UNMOVABLE o3 list
    # (the freed block's migratetype), although pageblock 0 is Movable.
    free(m, 4)
    assert lists(m) == {(3, "Unmovable"): [0]}
    assert pageblocks(m) == ["Movable", "Unmovable"] + ["Movable"] * 5 + ["Isolate"]


def test_isolated_hinted_cycle_returns_block_to_pageblock_type():
    # put_hinted_page re-reads the pageblock when the zone has an isolated pageblock.
    m = machine(capacity=32)
    eight_order2(m)
    free(m, 0)  # M o2 [0]
    start(m)
    advance(m, 100)  # fill pulls 0; 1 < 32 so REQUESTED is cleared; stopped before react
    assert batch(m) == [(0, 2, "Movable")]
    assert flags(m) == (False, True)
    # While 0 is in flight, its pageblock goes Unmovable (nothing free to move).
    move(m, 0, "Unmovable")
    step(m)  # react
    # drain: has_isolate_pageblock is false and page->index is Movable: put back on
    # the MOVABLE list (the seed only re-reads the pageblock when isolation is involved).
    step(m)
    assert fl(m, 2) == [0] and fl(m, 2, "Unmovable") == []
    assert hinted(m) == [0]
    m2 = machine(capacity=32)
    eight_order2(m2)
    free(m2, 0)
    start(m2)
    advance(m2, 100)
    move(m2, 28, "Isolate")  # some pageblock of the zone is isolated
    move(m2, 0, "Unmovable")
    step(m2)
    # drain: has_isolate_pageblock -> mt = pageblock type of 0 = Unmovable.
    step(m2)
    assert fl(m2, 2, "Unmovable") == [0] and fl(m2, 2) == []
    assert hinted(m2) == [0]
    assert boundary(m2, 2, "Unmovable") == ("Normal", 0)
    assert boundary(m2, 2) == ("Normal", None)


def test_move_to_same_type_still_moves_blocks_to_head_and_clears_hinted():
    m = machine(capacity=32, stepping=False)
    _three_hinted_order2(m)  # M o2 [24, 8, 0], all Hinted, boundary 24
    # set_pageblock_migratetype is a no-op, but move_freepages_block still
    # list_move()s 8 to the head of the Movable list, clearing Hinted.
    move(m, 8, "Movable")
    assert fl(m, 2) == [8, 24, 0]
    assert hinted(m) == [0, 24] and hinted_pages(m) == [2, 0, 0]
    assert boundary(m, 2) == ("Normal", 24)
    assert pageblocks(m) == ["Movable"] * 8


def test_block_in_flight_returns_to_isolate_list_when_its_pageblock_was_isolated():
    m = machine(capacity=32)
    eight_order2(m)
    free(m, 0)  # M o2 [0]
    start(m)
    advance(m, 100)  # batch [0], stopped before react, ACTIVE
    assert batch(m) == [(0, 2, "Movable")]
    move(m, 0, "Isolate")  # 0 is in flight: nothing on a list to move
    assert lists(m) == {}
    step(m)
    # drain: has_isolate_pageblock -> mt = Isolate.  __free_one_page: buddy 4 (allocated,
    # and in a Movable pageblock) -> no merge; tail via boundary[2][Isolate] (its list
    # head) -> Isolate o2 [0]; Hinted; boundary[2][Isolate] = 0.
    step(m)
    assert lists(m) == {(2, "Isolate"): [0]}
    assert hinted(m) == [0] and hinted_pages(m) == [1, 0, 0]
    assert boundary(m, 2, "Isolate") == ("Normal", 0)
    assert boundary(m, 2) == ("Normal", None)
    # Leaving Isolate (not ACTIVE): 0 to the head of M o2, Hinted cleared; the Isolate
    # boundary is left pointing at 0.
    move(m, 0, "Movable")
    assert lists(m) == {(2, "Movable"): [0]}
    assert hinted(m) == [] and hinted_pages(m) == [0, 0, 0]
    assert boundary(m, 2, "Isolate") == ("Normal", 0)
