"""Boot, expand, __rmqueue_smallest and __free_one_page, computed by hand.

Kernel references (v5.3 mm/page_alloc.c): __free_one_page merges while
order < max_order - 1 with max_order capped at pageblock_order + 1, then one
order at a time; done_merging puts the block at the tail when
buddy_merge_likely() (patch 1/5) says so, else at the head.  expand() puts
each upper half at the head of the next lower list; __rmqueue_smallest takes
the first entry of the smallest non-empty list.

Lists are written head to tail.
"""

from __future__ import annotations

from .helpers import alloc, allocated, eight_order2, fl, free, hinted_pages, lists, machine, nr_free, pageblocks, zstate


def test_boot_releases_max_order_blocks_ascending_each_at_head():
    # max_order 4: blocks of 8 pages.  Boot frees 0, 8, ..., 56 in that order,
    # each of order 3 = MAX_ORDER-1 (no buddy to merge with; order >= MAX_ORDER-2
    # so buddy_merge_likely is false): every one goes to the head, so the list
    # reads descending.
    m = machine(max_order=4, pageblock_order=2, zones=(("Normal", 64),))
    assert lists(m) == {(3, "Movable"): [56, 48, 40, 32, 24, 16, 8, 0]}
    assert nr_free(m) == [0, 0, 0, 8]
    assert pageblocks(m) == ["Movable"] * 16
    assert allocated(m) == []
    z = zstate(m)
    assert z["hinted"] == [] and z["hinted_pages"] is None
    assert z["flags"] == {"requested": False, "active": False}
    assert m.state()["hinting"]["boundary"] in ({}, None)


def test_boot_two_zones_each_released_in_order():
    # DMA32 = pfns 0..15, Normal = pfns 16..47; each zone separately, ascending,
    # head insertion: DMA32 o3 [8, 0], Normal o3 [40, 32, 24, 16].
    m = machine(max_order=4, pageblock_order=2, zones=(("DMA32", 16), ("Normal", 32)))
    assert lists(m, "DMA32") == {(3, "Movable"): [8, 0]}
    assert lists(m, "Normal") == {(3, "Movable"): [40, 32, 24, 16]}
    assert zstate(m, "Normal")["start_pfn"] == 16
    assert zstate(m, "DMA32")["start_pfn"] == 0
    assert pageblocks(m, "DMA32") == ["Movable"] * 4
    assert pageblocks(m, "Normal") == ["Movable"] * 8


def test_expand_and_rmqueue_smallest():
    m = machine()  # max_order 5, pageblock_order 2, 32 pages: o4 [16, 0]
    assert lists(m) == {(4, "Movable"): [16, 0]}
    # o0 request: smallest non-empty Movable list is o4, head 16.  expand(16, 0, 4)
    # halves from the top: 24 -> o3, 20 -> o2, 18 -> o1, 17 -> o0 (each at the head).
    assert alloc(m, 0) == 16
    assert lists(m) == {
        (0, "Movable"): [17],
        (1, "Movable"): [18],
        (2, "Movable"): [20],
        (3, "Movable"): [24],
        (4, "Movable"): [0],
    }
    assert alloc(m, 0) == 17  # o0 head
    assert alloc(m, 1) == 18  # o1 head
    # o0 request: o0 and o1 empty, o2 [20]; expand 20 -> 22 on o1, 21 on o0.
    assert alloc(m, 0) == 20
    assert lists(m) == {
        (0, "Movable"): [21],
        (1, "Movable"): [22],
        (3, "Movable"): [24],
        (4, "Movable"): [0],
    }
    # o2 request: o2 empty, o3 [24]; expand 24 -> 28 on o2.
    assert alloc(m, 2) == 24
    assert lists(m) == {
        (0, "Movable"): [21],
        (1, "Movable"): [22],
        (2, "Movable"): [28],
        (4, "Movable"): [0],
    }
    assert allocated(m) == [
        (16, 0, "Movable"),
        (17, 0, "Movable"),
        (18, 1, "Movable"),
        (20, 0, "Movable"),
        (24, 2, "Movable"),
    ]
    assert nr_free(m) == [1, 1, 1, 0, 1]


def test_order0_allocations_walk_each_max_block_upwards():
    # Every split keeps the lower half and puts the upper halves at the heads
    # of the lower lists, so 32 order-0 requests return 16..31, then 0..15.
    m = machine()
    got = [alloc(m, 0) for _ in range(32)]
    assert got == list(range(16, 32)) + list(range(16))
    assert lists(m) == {}
    assert m.apply({"do": "alloc", "zone": "Normal", "order": 0, "migratetype": "Movable"})["ok"] is False


def test_rmqueue_takes_head_of_a_list_with_several_entries():
    m = machine()
    # o4 [16, 0]: head first.
    assert alloc(m, 4) == 16
    assert alloc(m, 4) == 0
    free(m, 0)  # no buddy can merge at MAX_ORDER-1; head -> o4 [0]
    free(m, 16)  # head -> o4 [16, 0]
    assert fl(m, 4) == [16, 0]
    assert alloc(m, 4) == 16


def test_free_merges_all_the_way_back_and_goes_to_head():
    m = machine()
    assert alloc(m, 0) == 16  # lists o0 [17] o1 [18] o2 [20] o3 [24] o4 [0]
    # free 16: merge 17 (o0), 18 (o1) below the cap (pageblock_order+1 = 3),
    # then one order at a time: 20 (o2), 24 (o3) -> order 4 at 16.
    # Order 4 >= MAX_ORDER-2: head -> o4 [16, 0], exactly the boot lists.
    free(m, 16)
    assert lists(m) == {(4, "Movable"): [16, 0]}
    assert nr_free(m) == [0, 0, 0, 0, 2]


def test_buddy_merge_likely_tail_at_orders_0_and_1():
    m = machine()
    assert [alloc(m, 0) for _ in range(32)] == list(range(16, 32)) + list(range(16))
    # free 0: buddy 1 allocated; combined 0, order-1 buddy 2 allocated -> head.
    free(m, 0)
    assert fl(m, 0) == [0]
    # free 6: buddy 7 allocated; combined 6, order-1 buddy 4 allocated -> head.
    free(m, 6)
    assert fl(m, 0) == [6, 0]
    # free 7: merges 6 -> 6/o1; its buddy 4 allocated; combined 4, order-2
    # buddy 0 is not a free order-2 block -> head.
    free(m, 7)
    assert fl(m, 0) == [0] and fl(m, 1) == [6]
    # free 5: buddy 4 allocated; combined 4, order-1 buddy 6 IS free at order 1
    # -> buddy_merge_likely -> tail.
    free(m, 5)
    assert fl(m, 0) == [0, 5]
    # free 17: buddy 16 allocated, order-1 buddy 18 allocated -> head.
    free(m, 17)
    assert fl(m, 0) == [17, 0, 5]
    # free 12: buddy 13 allocated; order-1 buddy 14 allocated -> head.
    free(m, 12)
    assert fl(m, 0) == [12, 17, 0, 5]
    # free 13: merges 12 -> 12/o1; buddy 14 allocated; combined 12, order-2
    # buddy 8 allocated -> head.
    free(m, 13)
    assert fl(m, 0) == [17, 0, 5] and fl(m, 1) == [12, 6]
    # free 14: buddy 15 allocated; combined 14, order-1 buddy 12 free at order 1 -> tail.
    free(m, 14)
    assert fl(m, 0) == [17, 0, 5, 14]
    # free 15: merges 14 -> 14/o1, then 12 -> 12/o2; buddy 8 allocated; combined 8,
    # order-3 buddy 0 is free only at order 0 -> head.
    free(m, 15)
    assert fl(m, 0) == [17, 0, 5] and fl(m, 1) == [6] and fl(m, 2) == [12]
    # free 10: buddy 11 allocated; order-1 buddy 8 allocated -> head.
    free(m, 10)
    assert fl(m, 0) == [10, 17, 0, 5]
    # free 11: merges 10 -> 10/o1; buddy 8 allocated; combined 8, order-2 buddy 12
    # free at order 2 -> tail.
    free(m, 11)
    assert fl(m, 0) == [17, 0, 5] and fl(m, 1) == [6, 10] and fl(m, 2) == [12]
    assert nr_free(m) == [3, 2, 1, 0, 0]


def test_buddy_merge_likely_tail_and_head_at_order2_then_full_merge():
    m = machine()
    eight_order2(m)  # allocated: 16, 20, 24, 28, 0, 4, 8, 12 (all order 2)
    free(m, 24)  # buddy 28 allocated; combined 24, o3 buddy 16 allocated -> head
    assert fl(m, 2) == [24]
    free(m, 8)  # buddy 12 allocated; combined 8, o3 buddy 0 allocated -> head
    assert fl(m, 2) == [8, 24]
    # free 12: merges 8 -> 8/o3; o3 buddy 0 allocated; order 3 >= MAX_ORDER-2 -> head
    free(m, 12)
    assert fl(m, 2) == [24] and fl(m, 3) == [8]
    # free 0: buddy 4 allocated; combined 0, o3 buddy 8 IS free at order 3 -> tail
    free(m, 0)
    assert fl(m, 2) == [24, 0]
    # free 20: buddy 16 allocated; combined 16, o3 buddy 24 free only at o2 -> head
    free(m, 20)
    assert fl(m, 2) == [20, 24, 0]
    # free 16: merges 20 -> 16/o3 (o2 [24, 0]); o3 buddy 24 is order 2 -> stop; head
    free(m, 16)
    assert fl(m, 2) == [24, 0] and fl(m, 3) == [16, 8]
    # free 28: merges 24 -> 24/o3, then 16 -> 16/o4; head
    free(m, 28)
    assert fl(m, 2) == [0] and fl(m, 3) == [8] and fl(m, 4) == [16]
    # free 4: merges 0 -> 0/o3, then 8 -> 0/o4; head -> [0, 16]: the reverse of boot
    free(m, 4)
    assert lists(m) == {(4, "Movable"): [0, 16]}


def test_buddy_merge_likely_false_at_max_order_minus_2():
    # 64 pages, max_order 5: boot o4 [48, 32, 16, 0].
    m = machine(zones=(("Normal", 64),))
    assert fl(m, 4) == [48, 32, 16, 0]
    assert alloc(m, 3) == 48  # expand 56 -> o3
    assert alloc(m, 3) == 56
    assert alloc(m, 4) == 32
    assert alloc(m, 4) == 16
    assert alloc(m, 3) == 0  # o4 [0], expand 8 -> o3
    assert fl(m, 3) == [8]
    free(m, 32)  # order 4: nothing to merge with; head -> o4 [32]
    assert fl(m, 4) == [32]
    # free 48 (order 3): buddy 56 allocated.  The o4 buddy of combined 48 is 32,
    # a free order-4 block, but order 3 >= MAX_ORDER-2 so buddy_merge_likely is
    # false: head.
    free(m, 48)
    assert fl(m, 3) == [48, 8]
    assert hinted_pages(m) is None
