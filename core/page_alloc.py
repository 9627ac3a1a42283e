"""The buddy allocator of a v5.3 mm/page_alloc.c, with the seed's changes.

Function names, argument order and control flow follow the kernel so the file
can be read beside it.  What is left out is what MODEL.md leaves out: per-cpu
lists, watermarks, compaction capture, guard pages, shuffling, CMA and
ALLOC_NOFRAGMENT.

The hinting design is reached only through `pgdat.hooks` (see mmzone.py); the
seed's own additions to page_alloc.c (`get_unhinted_page`, `put_hinted_page`)
live beside the rest of the seed in page_hinting.py.

Events: when `pgdat.trace` is a list, each function appends raw tuples
`(kind, zone_idx, pfn, order, migratetype, arg)`; events.py turns them into
words.  The checks are `if trace is not None`, so recording off costs one
comparison per event site.
"""

from __future__ import annotations

from .mmzone import (
    MIGRATE_HIGHATOMIC,
    MIGRATE_ISOLATE,
    MIGRATE_MOVABLE,
    MIGRATE_RECLAIMABLE,
    MIGRATE_UNMOVABLE,
    MT_MASK,
    MT_SHIFT,
    ORDER_MASK,
    PG_HINTED,
    SPARE_PAGES_MAX,
    Page,
    Zone,
    add_to_free_list_tail,
    del_page_from_free_list,
    get_pageblock_migratetype,
    move_to_free_list,
    release_page_struct,
)


def __find_buddy_pfn(pfn: int, order: int) -> int:
    return pfn ^ (1 << order)


def page_is_buddy(buddy: object, order: int) -> bool:
    """Is the mem_map entry `buddy` the head of a free block of `order`?

    Zones are aligned to max-order blocks, so a buddy below MAX_ORDER - 1 is
    always in the same zone and the kernel's zone check cannot fail here.
    """
    return (
        buddy.__class__ is Page
        and buddy.prev is not None  # type: ignore[attr-defined]
        and buddy.info & ORDER_MASK == order  # type: ignore[attr-defined]
    )


def buddy_merge_likely(zone: Zone, pfn: int, buddy_pfn: int, order: int) -> bool:
    """Patch 1/5: will this block probably merge soon?  Then it goes to the tail.

    True when the buddy of the block one order up is itself free at that
    order; never for the two highest orders.
    """
    pgdat = zone.zone_pgdat
    if order >= pgdat.max_order - 2:
        return False
    combined_pfn = buddy_pfn & pfn
    higher_buddy_pfn = combined_pfn ^ (1 << (order + 1))
    return page_is_buddy(pgdat.mem_map[higher_buddy_pfn], order + 1)


def set_pageblock_migratetype(zone: Zone, pfn: int, migratetype: int) -> None:
    """Set the pageblock's type, keeping the zone's isolated-pageblock count.

    The count is what has_isolate_pageblock() reads (set_migratetype_isolate /
    unset_migratetype_isolate in mm/page_isolation.c).
    """
    pgdat = zone.zone_pgdat
    idx = (pfn - zone.zone_start_pfn) >> pgdat.pageblock_order
    old = zone.pageblock_mt[idx]
    if old == migratetype:
        return
    if migratetype == MIGRATE_ISOLATE:
        zone.nr_isolate_pageblock += 1
    elif old == MIGRATE_ISOLATE:
        zone.nr_isolate_pageblock -= 1
    zone.pageblock_mt[idx] = migratetype
    trace = pgdat.trace
    if trace is not None:
        start = zone.zone_start_pfn + (idx << pgdat.pageblock_order)
        trace.append(("pageblock", zone.idx, start, None, migratetype, old))


# --- freeing ----------------------------------------------------------------


def __free_one_page(page: Page | None, pfn: int, zone: Zone, order: int, migratetype: int, hinted: bool) -> Page:
    """Merge a block with its free buddies and put it on a free list.

    `page` is the block's struct page if it already has one (a block coming
    back from the hinting batch), or None for a block that was allocated.
    `hinted` is the seed's new argument (seed 2238-2268): a block coming back
    from the device always goes to the tail (in front of the boundary) and
    does not notify.  Returns the head of the final, possibly merged, block.

    This is the allocator's hottest function, so the kernel's static inline
    helpers (page_is_buddy, del_page_from_free_list for a page that is not
    Hinted, buddy_merge_likely, add_to_free_list) are written out in place,
    each under a comment with its name.
    """
    pgdat = zone.zone_pgdat
    mem_map = pgdat.mem_map
    free_area = zone.free_area
    trace = pgdat.trace
    MAX_ORDER = pgdat.max_order  # noqa: N806 - the kernel's constant
    max_order = pgdat.merge_order_cap  # min(MAX_ORDER, pageblock_order + 1)
    buddy_pfn = -1

    while True:  # continue_merging
        while order < max_order - 1:
            buddy_pfn = pfn ^ (1 << order)
            buddy = mem_map[buddy_pfn]
            # page_is_buddy(page, buddy, order)
            if buddy.__class__ is not Page or buddy.prev is None or buddy.info & ORDER_MASK != order:
                break  # goto done_merging
            if trace is not None:
                trace.append(("merge", zone.idx, buddy_pfn, order, (buddy.info >> MT_SHIFT) & MT_MASK, pfn))
            if buddy.info & PG_HINTED:
                del_page_from_free_list(buddy, zone, order)  # clears Hinted through the hooks
                if not buddy.info & PG_HINTED:
                    pgdat.host.hint_wasted(zone, buddy_pfn, order, "merge")  # type: ignore[union-attr]
            else:
                # del_page_from_free_list(buddy, zone, order)
                prev = buddy.prev
                nxt = buddy.next
                nxt.prev = prev  # type: ignore[union-attr]
                prev.next = nxt
                buddy.prev = buddy.next = None
                free_area[order].nr_free -= 1
            if buddy_pfn < pfn:
                mem_map[pfn] = None  # our head is now a tail page of the buddy's block
                page = buddy
                pfn = buddy_pfn
            else:
                mem_map[buddy_pfn] = None
                release_page_struct(pgdat, buddy)
            order += 1
        else:
            if max_order < MAX_ORDER:
                # Above pageblock_order: refuse to merge across an isolated
                # pageblock boundary, but only when the zone has one.
                # At MAX_ORDER - 1 the kernel reads the pageblock type of a buddy
                # beyond the max-order block (maybe beyond the zone); either answer
                # ends in done_merging without a merge, so the model skips the read.
                if zone.nr_isolate_pageblock and order < MAX_ORDER - 1:
                    buddy_pfn = pfn ^ (1 << order)
                    buddy_mt = get_pageblock_migratetype(zone, buddy_pfn)
                    if migratetype != buddy_mt and (migratetype == MIGRATE_ISOLATE or buddy_mt == MIGRATE_ISOLATE):
                        if trace is not None:
                            trace.append(("isolated", zone.idx, pfn, order, migratetype, buddy_pfn))
                        break
                max_order += 1
                continue
        break

    # done_merging: set_page_order
    if page is None:
        spare = pgdat.spare_pages
        if spare:
            page = spare.pop()
            page.pfn = pfn
        else:
            page = Page(pfn, 0)
    mem_map[pfn] = page
    page.info = order | (migratetype << MT_SHIFT)

    # buddy_merge_likely(pfn, buddy_pfn, page, order), patch 1/5
    if not hinted and order < MAX_ORDER - 2:
        higher = mem_map[(buddy_pfn & pfn) ^ (1 << (order + 1))]
        likely = higher.__class__ is Page and higher.prev is not None and higher.info & ORDER_MASK == order + 1
    else:
        likely = False

    if hinted or likely:
        tail = add_to_free_list_tail(page, zone, order, migratetype)
        if trace is not None:
            before = tail.pfn if tail.__class__ is Page else None  # type: ignore[attr-defined]
            trace.append(("place_tail", zone.idx, pfn, order, migratetype, (before, hinted)))
    else:
        # add_to_free_list(page, zone, order, migratetype)
        area = free_area[order]
        head = area.free_list[migratetype]
        first = head.next
        first.prev = page  # type: ignore[union-attr]
        page.next = first
        page.prev = head
        head.next = page
        area.nr_free += 1
        if trace is not None:
            trace.append(("place_head", zone.idx, pfn, order, migratetype, None))

    # The seed: a block coming back from the device does not notify.
    if not hinted:
        hooks = pgdat.hooks
        threshold = hooks.notify_from_order
        if threshold is not None and order >= threshold:
            hooks.notify_free(zone, order)
    return page


def free_one_page(zone: Zone, pfn: int, order: int, migratetype: int) -> Page:
    """Free an allocated block (no per-cpu lists: straight to the buddy lists)."""
    return __free_one_page(None, pfn, zone, order, migratetype, False)


# --- allocating -------------------------------------------------------------


def expand(zone: Zone, page: Page, low: int, high: int, migratetype: int) -> None:
    """Split a block down to `low`, each upper half to the head of its list."""
    pgdat = zone.zone_pgdat
    mem_map = pgdat.mem_map
    spare = pgdat.spare_pages
    free_area = zone.free_area
    trace = pgdat.trace
    pfn = page.pfn
    size = 1 << high
    while high > low:
        high -= 1
        size >>= 1
        if spare:
            half = spare.pop()
            half.pfn = pfn + size
        else:
            half = Page(pfn + size, 0)
        mem_map[pfn + size] = half
        # add_to_free_list(half, zone, high, migratetype), with set_page_order
        half.info = high | (migratetype << MT_SHIFT)
        area = free_area[high]
        head = area.free_list[migratetype]
        first = head.next
        first.prev = half  # type: ignore[union-attr]
        half.next = first
        half.prev = head
        head.next = half
        area.nr_free += 1
        if trace is not None:
            trace.append(("expand", zone.idx, pfn + size, high, migratetype, None))


def __rmqueue_smallest(zone: Zone, order: int, migratetype: int) -> Page | None:
    """The head of the smallest non-empty list of this type at order >= `order`."""
    free_area = zone.free_area
    current_order = order
    nr_orders = len(free_area)
    while current_order < nr_orders:
        area = free_area[current_order]
        head = area.free_list[migratetype]
        page = head.next
        if page is head:
            current_order += 1
            continue
        if page.info & PG_HINTED:  # type: ignore[union-attr]
            del_page_from_free_list(page, zone, current_order)  # type: ignore[arg-type]
        else:
            # del_page_from_free_list(page, zone, current_order)
            nxt = page.next  # type: ignore[union-attr]
            nxt.prev = head  # type: ignore[union-attr]
            head.next = nxt
            page.prev = page.next = None  # type: ignore[union-attr]
            area.nr_free -= 1
        trace = zone.zone_pgdat.trace
        if trace is not None:
            trace.append(("rmqueue", zone.idx, page.pfn, order, migratetype, current_order))  # type: ignore[union-attr]
        if current_order > order:
            expand(zone, page, order, current_order, migratetype)  # type: ignore[arg-type]
        return page  # type: ignore[return-value]
    return None


# The order in which other migratetypes' lists are raided (CMA and isolation
# entries are "never used").
fallbacks: dict[int, tuple[int, ...]] = {
    MIGRATE_UNMOVABLE: (MIGRATE_RECLAIMABLE, MIGRATE_MOVABLE),
    MIGRATE_MOVABLE: (MIGRATE_RECLAIMABLE, MIGRATE_UNMOVABLE),
    MIGRATE_RECLAIMABLE: (MIGRATE_UNMOVABLE, MIGRATE_MOVABLE),
}


def can_steal_fallback(pageblock_order: int, order: int, start_mt: int) -> bool:
    """May the whole pageblock be claimed?  (page_group_by_mobility_disabled is off.)"""
    if order >= pageblock_order:
        return True
    return order >= pageblock_order // 2 or start_mt in (MIGRATE_RECLAIMABLE, MIGRATE_UNMOVABLE)


def find_suitable_fallback(zone: Zone, order: int, migratetype: int, only_stealable: bool) -> tuple[int, bool]:
    """First non-empty fallback list at `order`, and whether it may be stolen."""
    area = zone.free_area[order]
    if area.nr_free == 0:
        return -1, False
    can_steal = False
    for fallback_mt in fallbacks[migratetype]:
        head = area.free_list[fallback_mt]
        if head.next is head:
            continue
        if can_steal_fallback(zone.zone_pgdat.pageblock_order, order, migratetype):
            can_steal = True
        if not only_stealable:
            return fallback_mt, can_steal
        if can_steal:
            return fallback_mt, can_steal
    return -1, can_steal


def move_freepages(zone: Zone, start_pfn: int, end_pfn: int, migratetype: int) -> tuple[int, int]:
    """Move every free block in [start_pfn, end_pfn] to `migratetype`'s lists.

    Returns (pages moved, allocated Movable pages seen).  Pages of an
    allocated block count one by one, as the kernel's per-page walk does;
    blocks are skipped whole since none of their other pages is PageBuddy.
    """
    pgdat = zone.zone_pgdat
    mem_map = pgdat.mem_map
    trace = pgdat.trace
    pages_moved = 0
    num_movable = 0
    pfn = start_pfn
    while pfn <= end_pfn:
        entry = mem_map[pfn]
        if entry is None:
            pfn += 1  # a page inside a block that started before the range
        elif entry.__class__ is Page:
            order = entry.info & ORDER_MASK
            if entry.prev is not None:  # PageBuddy
                old_mt = (entry.info >> MT_SHIFT) & MT_MASK
                lost = move_to_free_list(entry, zone, order, migratetype)
                if trace is not None:
                    trace.append(("move", zone.idx, pfn, order, migratetype, old_mt))
                if lost:
                    pgdat.host.hint_wasted(zone, pfn, order, "move")  # type: ignore[union-attr]
                pages_moved += 1 << order
            pfn += 1 << order  # a block in the hinting batch is skipped whole
        else:  # an allocated block
            n = min(1 << (entry & ORDER_MASK), end_pfn + 1 - pfn)
            if entry >> MT_SHIFT == MIGRATE_MOVABLE:
                num_movable += n
            pfn += n
    return pages_moved, num_movable


def move_freepages_block(zone: Zone, pfn: int, migratetype: int) -> tuple[int, int]:
    """move_freepages over the pageblock holding `pfn`, not crossing the zone."""
    pageblock_nr_pages = 1 << zone.zone_pgdat.pageblock_order
    start_pfn = pfn & ~(pageblock_nr_pages - 1)
    end_pfn = start_pfn + pageblock_nr_pages - 1
    if not zone.zone_spans_pfn(start_pfn):
        start_pfn = pfn
    if not zone.zone_spans_pfn(end_pfn):
        return 0, 0
    return move_freepages(zone, start_pfn, end_pfn, migratetype)


def change_pageblock_range(zone: Zone, pfn: int, start_order: int, migratetype: int) -> None:
    pageblock_order = zone.zone_pgdat.pageblock_order
    for i in range(1 << (start_order - pageblock_order)):
        set_pageblock_migratetype(zone, pfn + (i << pageblock_order), migratetype)


def steal_suitable_fallback(zone: Zone, page: Page, start_type: int, whole_block: bool) -> None:
    """Take a block from another type's list, possibly claiming its pageblock."""
    pgdat = zone.zone_pgdat
    pageblock_order = pgdat.pageblock_order
    current_order = page.info & ORDER_MASK
    old_block_type = get_pageblock_migratetype(zone, page.pfn)
    trace = pgdat.trace
    if trace is not None:
        trace.append(("steal", zone.idx, page.pfn, current_order, start_type, (old_block_type, whole_block)))

    if old_block_type == MIGRATE_HIGHATOMIC:
        pass  # goto single_page
    elif current_order >= pageblock_order:
        change_pageblock_range(zone, page.pfn, current_order, start_type)
    elif whole_block:
        free_pages, movable_pages = move_freepages_block(zone, page.pfn, start_type)
        if start_type == MIGRATE_MOVABLE:
            alike_pages = movable_pages
        elif old_block_type == MIGRATE_MOVABLE:
            alike_pages = (1 << pageblock_order) - (free_pages + movable_pages)
        else:
            alike_pages = 0
        if free_pages:
            if free_pages + alike_pages >= 1 << (pageblock_order - 1):
                set_pageblock_migratetype(zone, page.pfn, start_type)
            return
    # single_page
    old_mt = (page.info >> MT_SHIFT) & MT_MASK
    lost = move_to_free_list(page, zone, current_order, start_type)
    if trace is not None:
        trace.append(("move", zone.idx, page.pfn, current_order, start_type, old_mt))
    if lost:
        pgdat.host.hint_wasted(zone, page.pfn, current_order, "move")  # type: ignore[union-attr]


def __rmqueue_fallback(zone: Zone, order: int, start_migratetype: int) -> bool:
    """Find the largest block on another type's list and steal it (v5.3)."""
    MAX_ORDER = zone.zone_pgdat.max_order  # noqa: N806
    min_order = order  # no ALLOC_NOFRAGMENT
    for current_order in range(MAX_ORDER - 1, min_order - 1, -1):
        fallback_mt, can_steal = find_suitable_fallback(zone, current_order, start_migratetype, False)
        if fallback_mt == -1:
            continue
        if not can_steal and start_migratetype == MIGRATE_MOVABLE and current_order > order:
            # find_smallest: a movable request that cannot claim the block
            # splits the smallest suitable block instead of the largest.
            for current_order in range(order, MAX_ORDER):
                fallback_mt, can_steal = find_suitable_fallback(zone, current_order, start_migratetype, False)
                if fallback_mt != -1:
                    break
        # do_steal
        page = zone.free_area[current_order].free_list[fallback_mt].next
        trace = zone.zone_pgdat.trace
        if trace is not None:
            trace.append(("fallback", zone.idx, page.pfn, current_order, fallback_mt, start_migratetype))  # type: ignore[union-attr]
        steal_suitable_fallback(zone, page, start_migratetype, can_steal)  # type: ignore[arg-type]
        return True
    return False


def __rmqueue(zone: Zone, order: int, migratetype: int) -> Page | None:
    while True:  # retry
        page = __rmqueue_smallest(zone, order, migratetype)
        if page is None and __rmqueue_fallback(zone, order, migratetype):
            continue
        return page


def rmqueue(zone: Zone, order: int, migratetype: int) -> int | None:
    """Allocate a block; returns its pfn, or None with nothing changed.

    The block's struct page leaves mem_map: an allocated block is recorded
    as a small integer (mmzone.alloc_code) and its Page goes back to the
    spare pool.
    """
    page = __rmqueue_smallest(zone, order, migratetype)
    if page is None:
        page = __rmqueue(zone, order, migratetype)  # the fallback path
        if page is None:
            return None
    pfn = page.pfn
    pgdat = zone.zone_pgdat
    pgdat.mem_map[pfn] = order | (migratetype << MT_SHIFT)  # alloc_code
    spare = pgdat.spare_pages  # release_page_struct(pgdat, page)
    if len(spare) < SPARE_PAGES_MAX:
        spare.append(page)
    return pfn
