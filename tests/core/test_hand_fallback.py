"""__rmqueue_fallback and friends (v5.3), computed by hand.

Kernel references (mm/page_alloc.c, v5.3): __rmqueue_fallback scans from
MAX_ORDER-1 down; find_suitable_fallback returns the first non-empty list in
fallbacks[] (Unmovable: Reclaimable, Movable; Movable: Reclaimable, Unmovable;
Reclaimable: Unmovable, Movable) with can_steal from can_steal_fallback
(order >= pageblock_order, or >= pageblock_order/2, or an Unmovable or
Reclaimable request); a Movable request that may not steal and found a larger
block rescans from the requested order (find_smallest); then the head of that
list goes to steal_suitable_fallback: HighAtomic pageblock -> single page;
order >= pageblock_order -> change_pageblock_range then single page; whole
block -> move_freepages_block and claim the pageblock when
free + alike >= pageblock_nr_pages/2; else single page (move_to_free_list,
head of the requested list).  Then __rmqueue_smallest retries.
"""

from __future__ import annotations

from .helpers import alloc, allocated, fails, fl, free, lists, machine, move, pageblocks


def test_large_fallback_claims_every_pageblock_and_largest_wins():
    m = machine()  # max_order 5, pageblock_order 2 (4 pages), o4 Movable [16, 0]
    # Unmovable o0: no Unmovable block.  Fallback order 4: Reclaimable empty,
    # Movable [16, 0] -> head 16, order 4 >= pageblock_order: the 4 pageblocks
    # 16, 20, 24, 28 become Unmovable, 16 moves to Unmovable o4, and the retry
    # splits it: 24 -> U o3, 20 -> U o2, 18 -> U o1, 17 -> U o0.
    assert alloc(m, 0, "Unmovable") == 16
    assert pageblocks(m) == ["Movable"] * 4 + ["Unmovable"] * 4
    assert lists(m) == {
        (4, "Movable"): [0],
        (3, "Unmovable"): [24],
        (2, "Unmovable"): [20],
        (1, "Unmovable"): [18],
        (0, "Unmovable"): [17],
    }
    # Reclaimable o0: fallbacks[Reclaimable] lists Unmovable first, but the scan
    # goes from the largest order down, so order 4 (Movable 0) wins over the
    # Unmovable order-3 block.  0..15 become Reclaimable.
    assert alloc(m, 0, "Reclaimable") == 0
    assert pageblocks(m) == ["Reclaimable"] * 4 + ["Unmovable"] * 4
    assert lists(m) == {
        (3, "Reclaimable"): [8],
        (2, "Reclaimable"): [4],
        (1, "Reclaimable"): [2],
        (0, "Reclaimable"): [1],
        (3, "Unmovable"): [24],
        (2, "Unmovable"): [20],
        (1, "Unmovable"): [18],
        (0, "Unmovable"): [17],
    }
    # Movable o0: order 4 empty; order 3 has Reclaimable 8 and Unmovable 24;
    # fallbacks[Movable] = Reclaimable first -> 8.  Order 3 >= pageblock_order:
    # pageblocks 8 and 12 become Movable; the retry splits 8: 12 -> o2, 10 -> o1, 9 -> o0.
    assert alloc(m, 0, "Movable") == 8
    assert pageblocks(m) == ["Reclaimable"] * 2 + ["Movable"] * 2 + ["Unmovable"] * 4
    assert lists(m) == {
        (2, "Movable"): [12],
        (1, "Movable"): [10],
        (0, "Movable"): [9],
        (2, "Reclaimable"): [4],
        (1, "Reclaimable"): [2],
        (0, "Reclaimable"): [1],
        (3, "Unmovable"): [24],
        (2, "Unmovable"): [20],
        (1, "Unmovable"): [18],
        (0, "Unmovable"): [17],
    }
    assert allocated(m) == [(0, 0, "Reclaimable"), (8, 0, "Movable"), (16, 0, "Unmovable")]


def _pb3_all_order0():
    # max_order 5, pageblock_order 3 (8 pages, half = 4, pageblock_order/2 = 1).
    m = machine(pageblock_order=3, min_order=3)
    assert [alloc(m, 0) for _ in range(32)] == list(range(16, 32)) + list(range(16))
    return m


def test_whole_block_steal_below_half_keeps_pageblock_type():
    m = _pb3_all_order0()
    free(m, 0)  # buddy 1 allocated, o1 buddy 2 allocated -> head: M o0 [0]
    free(m, 1)  # merges 0 -> 0/o1; buddy 2 allocated; o2 buddy 4 allocated -> head
    free(m, 4)  # buddy 5 allocated, o1 buddy 6 allocated -> head
    assert lists(m) == {(0, "Movable"): [4], (1, "Movable"): [0]}
    # Unmovable o0: fallback from order 4 down; first hit order 1 (Movable 0).
    # can_steal: 1 >= pageblock_order/2 = 1.  move_freepages_block(0..7):
    # 0/o1 -> U o1, 4/o0 -> U o0; free_pages = 3, allocated Movable pages 2,3,5,6,7 = 5;
    # alike = 8 - (3 + 5) = 0; 3 + 0 < 4 -> pageblock stays Movable.
    # Retry: U o0 [4] -> 4.
    assert alloc(m, 0, "Unmovable") == 4
    assert lists(m) == {(1, "Unmovable"): [0]}
    assert pageblocks(m) == ["Movable"] * 4
    # Next Unmovable o0: U o1 [0] -> 0, expand 1 -> U o0.
    assert alloc(m, 0, "Unmovable") == 0
    assert lists(m) == {(0, "Unmovable"): [1]}
    # Freeing 0 uses the pageblock's type (Movable): it merges with 1 although 1
    # sits on the Unmovable list; 0/o1, buddy 2 allocated, o2 buddy 4 allocated -> head.
    free(m, 0)
    assert lists(m) == {(1, "Movable"): [0]}


def test_whole_block_steal_at_half_claims_pageblock_and_moves_to_heads():
    m = _pb3_all_order0()
    free(m, 0)
    free(m, 1)
    free(m, 4)
    # free 6: buddy 7 allocated; combined 6, o1 buddy 4 is free only at o0 -> head
    free(m, 6)
    assert lists(m) == {(0, "Movable"): [6, 4], (1, "Movable"): [0]}
    # Unmovable o0 steals via order 1 (0).  move_freepages walks 0..7 upwards and
    # moves each free block to the HEAD: 0 -> U o1 [0]; 4 -> U o0 [4]; 6 -> U o0 [6, 4].
    # free 4 + alike (8 - (4 + 4) = 0) >= 4 -> pageblock 0 becomes Unmovable.
    # Retry takes the head of U o0: 6.
    assert alloc(m, 0, "Unmovable") == 6
    assert lists(m) == {(0, "Unmovable"): [4], (1, "Unmovable"): [0]}
    assert pageblocks(m) == ["Unmovable", "Movable", "Movable", "Movable"]


def test_movable_steal_counts_allocated_movable_pages_as_alike():
    m = _pb3_all_order0()
    # Pageblock 0 (pfns 0..7) to Unmovable: every page is allocated, nothing moves.
    move(m, 0, "Unmovable")
    assert lists(m) == {}
    free(m, 0)  # frees go to the pageblock's type: U o0 [0]
    free(m, 1)  # -> U o1 [0]
    free(m, 4)  # -> U o0 [4]
    assert lists(m) == {(0, "Unmovable"): [4], (1, "Unmovable"): [0]}
    # Movable o0: no Movable block.  Order 1: Reclaimable empty, Unmovable [0];
    # can_steal: 1 >= pageblock_order/2 = 1 -> yes.  move_freepages_block:
    # 0 -> M o1, 4 -> M o0; free 3, allocated Movable pages 2,3,5,6,7 = 5.
    # Movable request: alike = 5; 3 + 5 >= 4 -> pageblock 0 becomes Movable.
    assert alloc(m, 0, "Movable") == 4
    assert lists(m) == {(1, "Movable"): [0]}
    assert pageblocks(m) == ["Movable"] * 4


def test_reclaimable_steal_counts_non_movable_allocations_as_alike():
    # pageblock_order 4 on max_order 5: two pageblocks, 0..15 and 16..31.
    m = machine(pageblock_order=4, min_order=4)
    # Unmovable o0: fallback order 4 Movable head 16, claims pageblock 16 -> U;
    # split: U o3 24, o2 20, o1 18, o0 17.
    assert alloc(m, 0, "Unmovable") == 16
    assert pageblocks(m) == ["Movable", "Unmovable"]
    # Back to Movable: free blocks 17, 18, 20, 24 move to the Movable heads.
    move(m, 16, "Movable")
    assert lists(m) == {
        (0, "Movable"): [17],
        (1, "Movable"): [18],
        (2, "Movable"): [20],
        (3, "Movable"): [24],
        (4, "Movable"): [0],
    }
    # Eight Movable o0: 17; 18 (19 -> o0); 19; 20 (22 -> o1, 21 -> o0); 21; 22 (23 -> o0);
    # 23; 24 (28 -> o2, 26 -> o1, 25 -> o0).
    assert [alloc(m, 0) for _ in range(8)] == [17, 18, 19, 20, 21, 22, 23, 24]
    assert alloc(m, 4) == 0
    assert lists(m) == {(0, "Movable"): [25], (1, "Movable"): [26], (2, "Movable"): [28]}
    # Reclaimable o0: order 2 is the largest non-empty; fallbacks[Reclaimable]:
    # Unmovable empty, Movable [28]; Reclaimable may steal.  move_freepages_block
    # (16..31): 25, 26, 28 -> Reclaimable heads; free = 1 + 2 + 4 = 7; allocated
    # Movable pages 17..24 = 8; 16 is allocated Unmovable.  Block was Movable, so
    # alike = 16 - (7 + 8) = 1; 7 + 1 >= 8 -> pageblock 16 becomes Reclaimable.
    assert alloc(m, 0, "Reclaimable") == 25
    assert lists(m) == {(1, "Reclaimable"): [26], (2, "Reclaimable"): [28]}
    assert pageblocks(m) == ["Movable", "Reclaimable"]


def test_movable_find_smallest_rescan_and_single_page_steal():
    m = machine(pageblock_order=4, min_order=4)
    assert alloc(m, 0, "Unmovable") == 16  # pageblock 16 -> U; U o3 24, o2 20, o1 18, o0 17
    assert alloc(m, 3, "Unmovable") == 24
    assert alloc(m, 2, "Unmovable") == 20
    assert alloc(m, 4, "Movable") == 0
    assert lists(m) == {(0, "Unmovable"): [17], (1, "Unmovable"): [18]}
    # Movable o0: largest fallback is order 1 (Unmovable 18); can_steal: 1 < 4,
    # 1 < 4/2, Movable -> false, and 1 > 0 -> find_smallest from order 0: Unmovable
    # 17.  No whole-block steal: 17 alone moves to Movable o0; pageblock stays U.
    assert alloc(m, 0, "Movable") == 17
    assert lists(m) == {(1, "Unmovable"): [18]}
    assert pageblocks(m) == ["Movable", "Unmovable"]
    # Movable o1: order 1 Unmovable 18, cannot steal, but order == requested:
    # no rescan, single page move, retry takes it.
    assert alloc(m, 1, "Movable") == 18
    assert lists(m) == {}
    assert pageblocks(m) == ["Movable", "Unmovable"]


def test_highatomic_pageblock_takes_single_page_path():
    m = machine()  # pageblock_order 2
    assert alloc(m, 4) == 16
    assert alloc(m, 3) == 0  # o4 [0] split: 8 -> o3
    assert alloc(m, 3) == 8
    free(m, 0)  # buddy 8 allocated; order 3 -> head: M o3 [0]
    # Pageblock 4..7 -> HighAtomic: pfn 4 is inside the free order-3 block at 0,
    # so move_freepages finds no PageBuddy head there; nothing moves.
    move(m, 4, "HighAtomic")
    assert lists(m) == {(3, "Movable"): [0]}
    assert pageblocks(m) == ["Movable", "HighAtomic"] + ["Movable"] * 6
    # Movable o2 splits 0: 4 -> M o2 (a Movable-list block in a HighAtomic pageblock).
    assert alloc(m, 2) == 0
    assert lists(m) == {(2, "Movable"): [4]}
    # Unmovable o0: fallback order 2, Movable [4], may steal (2 >= pageblock_order).
    # old_block_type is HighAtomic -> single_page: 4 moves to U o2, pageblock NOT
    # changed (the order >= pageblock_order branch would have made it Unmovable).
    # Retry: U o2 [4] -> 4, split 6 -> U o1, 5 -> U o0.
    assert alloc(m, 0, "Unmovable") == 4
    assert lists(m) == {(1, "Unmovable"): [6], (0, "Unmovable"): [5]}
    assert pageblocks(m) == ["Movable", "HighAtomic"] + ["Movable"] * 6
    # Free 4: the pageblock's type (HighAtomic) decides the list; it merges 5 and 6
    # (from the Unmovable lists) -> 4/o2; buddy 0 allocated, o3 buddy 8 allocated -> head.
    free(m, 4)
    assert lists(m) == {(2, "HighAtomic"): [4]}
    # HighAtomic lists are never a fallback: an Unmovable o2 request fails.
    fails(m, {"do": "alloc", "zone": "Normal", "order": 2, "migratetype": "Unmovable"})
    assert fl(m, 2, "HighAtomic") == [4]


def test_unmovable_request_may_steal_whole_block_even_at_order_0():
    # pageblock_order 4: order 0 < pageblock_order/2 = 2, but an Unmovable request
    # may always steal (can_steal_fallback), so move_freepages_block runs.
    m = machine(pageblock_order=4, min_order=4)
    assert [alloc(m, 0) for _ in range(32)] == list(range(16, 32)) + list(range(16))
    free(m, 17)  # buddy 16 allocated; o1 buddy 18 allocated -> head
    free(m, 20)  # buddy 21 allocated; o1 buddy 22 allocated -> head
    assert lists(m) == {(0, "Movable"): [20, 17]}
    # Fallback order 0: Reclaimable empty, Movable [20, 17] -> head 20, whole block:
    # 17 -> U o0 [17], 20 -> U o0 [20, 17]; free 2, allocated Movable 14 (16, 18, 19,
    # 21..31); alike = 16 - 16 = 0; 2 < 8: pageblock stays Movable.  Retry -> 20.
    assert alloc(m, 0, "Unmovable") == 20
    assert lists(m) == {(0, "Unmovable"): [17]}
    assert pageblocks(m) == ["Movable", "Movable"]
