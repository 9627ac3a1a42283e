"""The buddy allocator of a v5.3 mm/page_alloc.c, as the hinting designs see it.

Function names, argument order and control flow follow the kernel so the file
can be read beside it.  What is left out is what MODEL.md leaves out: per-cpu
lists, watermarks, compaction capture, guard pages, shuffling, CMA and
ALLOC_NOFRAGMENT.

The hinting design is reached only through `pgdat.hooks` (mmzone.py).  A
design's own additions to page_alloc.c (the seed's `get_unhinted_page` and
`put_hinted_page`) live with the rest of that design.  What v5.7 added for
free page reporting and is allocator code (`__isolate_free_page`,
`__putback_isolated_page`) is here.

`__free_one_page` says how a block comes back with `fpi` flags, named after
the `fpi_t` flags later kernels gave it (5.10) for the same two needs:
FPI_TO_TAIL puts the block at the (design's) tail whatever
buddy_merge_likely says, FPI_SKIP_NOTIFY skips the design's free
notification.  The seed's `hinted = true` is both; reporting's
`report = false` is FPI_SKIP_NOTIFY alone.

NR_FREE_PAGES (`zone.nr_free_pages`) changes only through
`__mod_zone_freepage_state`, called where the kernel calls it (MODEL.md,
"Free page accounting").  Where v5.3 (or a design) moves free pages between
an Isolate list and another without accounting for them, the zone's
`freepage_skew` records the pages, so the invariant checker can hold the
counter to an exact rule (invariants.py).

Events: when `pgdat.trace` is a list, each function appends raw events
(trace.py; kinds in kinds.py).  The checks are `if trace is not None`, so
recording off costs one comparison per event site.

The hottest functions (__free_one_page, expand, __rmqueue_smallest) write a
few of the kernel's static inline helpers out in place; each such copy sits
under a comment "inline of <helper>", and tests/core/test_inline_helpers.py
runs the machine with those functions rebuilt from the helpers themselves and
checks that both agree step by step.
"""

from __future__ import annotations

from .kinds import EXPAND, FALLBACK, ISOLATED, MERGE, MOVE, PAGEBLOCK, PLACE_HEAD, PLACE_TAIL, RMQUEUE, STEAL
from .lists import LIST_POISON1, LIST_POISON2, list_empty
from .mmzone import (
    DESIGN_MARK,
    MIGRATE_HIGHATOMIC,
    MIGRATE_ISOLATE,
    MIGRATE_MOVABLE,
    MIGRATE_RECLAIMABLE,
    MIGRATE_UNMOVABLE,
    MT_MASK,
    MT_SHIFT,
    ORDER_MASK,
    SPARE_PAGES_MAX,
    Leave,
    Move,
    Page,
    PageBuddy,
    Zone,
    add_to_free_list_tail,
    alloc_code,
    del_page_from_free_list,
    get_pageblock_migratetype,
    is_migrate_isolate,
    move_to_free_list,
    page_migratetype,
    page_order,
    release_page_struct,
)

# How __free_one_page places and announces a block (see the module docstring).
FPI_NONE = 0
FPI_SKIP_NOTIFY = 1
FPI_TO_TAIL = 2


def __mod_zone_freepage_state(zone: Zone, nr_pages: int, migratetype: int) -> None:
    """NR_FREE_PAGES += nr_pages (no CMA here, so the migratetype changes nothing else)."""
    zone.nr_free_pages += nr_pages


def __find_buddy_pfn(pfn: int, order: int) -> int:
    return pfn ^ (1 << order)


def page_is_buddy(buddy: Page | int | None, order: int) -> bool:
    """Is the mem_map entry `buddy` the head of a free block of `order`?

    Zones are aligned to max-order blocks, so a buddy below MAX_ORDER - 1 is
    always in the same zone and the kernel's zone check cannot fail here.
    """
    return buddy.__class__ is Page and buddy.prev is not LIST_POISON2 and buddy.info & ORDER_MASK == order


def buddy_merge_likely(zone: Zone, pfn: int, buddy_pfn: int, order: int) -> bool:
    """Patch 1/5: will this block probably merge soon?  Then it goes to the tail.

    True when the buddy of the block one order up is itself free at that
    order; never for the two highest orders.
    """
    pgdat = zone.zone_pgdat
    if order >= pgdat.max_order - 2:
        return False
    combined_pfn = buddy_pfn & pfn
    higher_buddy_pfn = __find_buddy_pfn(combined_pfn, order + 1)
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
        zone.isolate_seen = True
    elif old == MIGRATE_ISOLATE:
        zone.nr_isolate_pageblock -= 1
    zone.pageblock_mt[idx] = migratetype
    trace = pgdat.trace
    if trace is not None:
        start = zone.zone_start_pfn + (idx << pgdat.pageblock_order)
        trace.append((PAGEBLOCK, zone.idx, start, None, migratetype, old))


# --- freeing ----------------------------------------------------------------


def __free_one_page(page: Page | None, pfn: int, zone: Zone, order: int, migratetype: int, fpi: int) -> Page:
    """Merge a block with its free buddies and put it on a free list.

    `page` is the block's struct page if it already has one (a block coming
    back from a design's batch), or None for a block that was allocated.
    `fpi`: FPI_TO_TAIL and FPI_SKIP_NOTIFY (module docstring).  Returns the
    head of the final, possibly merged, block.
    """
    pgdat = zone.zone_pgdat
    mem_map = pgdat.mem_map
    spare = pgdat.spare_pages
    free_area = zone.free_area
    trace = pgdat.trace
    MAX_ORDER = pgdat.max_order  # noqa: N806 - the kernel's constant
    max_order = pgdat.merge_order_cap  # min(MAX_ORDER, pageblock_order + 1)
    buddy_pfn = -1

    if migratetype != MIGRATE_ISOLATE:  # v5.3: accounted on entry, isolated pages never
        zone.nr_free_pages += 1 << order  # inline of __mod_zone_freepage_state

    while True:  # continue_merging
        while order < max_order - 1:
            buddy_pfn = pfn ^ (1 << order)
            buddy = mem_map[buddy_pfn]
            # inline of page_is_buddy(buddy, order)
            if buddy.__class__ is not Page or buddy.prev is LIST_POISON2 or buddy.info & ORDER_MASK != order:
                break  # goto done_merging
            if trace is not None:
                trace.append((MERGE, zone.idx, buddy_pfn, order, (buddy.info >> MT_SHIFT) & MT_MASK, pfn))
            if zone.isolate_seen and ((buddy.info >> MT_SHIFT) & MT_MASK == MIGRATE_ISOLATE) != (
                migratetype == MIGRATE_ISOLATE
            ):
                # Counted and uncounted pages merge into one block of the freed block's kind.
                _skew_merge(zone, buddy, order, migratetype)
            if buddy.info & DESIGN_MARK:
                del_page_from_free_list(buddy, zone, order, Leave.MERGE)
            else:
                # inline of del_page_from_free_list(buddy, zone, order): unmarked, so no hook
                prev = buddy.prev
                nxt = buddy.next
                nxt.prev = prev
                prev.next = nxt
                buddy.next = LIST_POISON1
                buddy.prev = LIST_POISON2
                free_area[order].nr_free -= 1
            if buddy_pfn < pfn:
                mem_map[pfn] = None  # our head is now a tail page of the buddy's block
                page = buddy
                pfn = buddy_pfn
            else:
                mem_map[buddy_pfn] = None
                if len(spare) < SPARE_PAGES_MAX:  # inline of release_page_struct(pgdat, buddy)
                    spare.append(buddy)
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
                            trace.append((ISOLATED, zone.idx, pfn, order, migratetype, (buddy_pfn, buddy_mt)))
                        break
                max_order += 1
                continue
        break

    # done_merging: set_page_order
    if page is None:
        # inline of new_page_struct(pgdat, pfn)
        if spare:
            page = spare.pop()
            page.pfn = pfn
        else:
            page = Page(pfn, 0)
    mem_map[pfn] = page
    page.info = order | (migratetype << MT_SHIFT)

    if fpi & FPI_TO_TAIL:
        to_tail = True
    elif order < MAX_ORDER - 2:
        # inline of buddy_merge_likely(zone, pfn, buddy_pfn, order), patch 1/5
        higher = mem_map[(buddy_pfn & pfn) ^ (1 << (order + 1))]
        to_tail = higher.__class__ is Page and higher.prev is not LIST_POISON2 and higher.info & ORDER_MASK == order + 1
    else:
        to_tail = False

    if to_tail:
        tail = add_to_free_list_tail(page, zone, order, migratetype)
        if trace is not None:
            before = tail.pfn if tail.__class__ is Page else None
            trace.append((PLACE_TAIL, zone.idx, pfn, order, migratetype, (before, bool(fpi & FPI_TO_TAIL))))
    else:
        # inline of add_to_free_list(page, zone, order, migratetype)
        area = free_area[order]
        head = area.free_list[migratetype]
        first = head.next
        first.prev = page
        page.next = first
        page.prev = head
        head.next = page
        area.nr_free += 1
        zone.nr_list_adds += 1
        if trace is not None:
            trace.append((PLACE_HEAD, zone.idx, pfn, order, migratetype, None))

    if not fpi & FPI_SKIP_NOTIFY:
        hooks = pgdat.hooks
        if order >= hooks.notify_from_order:
            hooks.notify_free(zone, order)
        elif trace is not None:  # recording only: the design may say why it heard nothing
            hooks.notify_quiet(zone, order)
    return page


def _skew_merge(zone: Zone, buddy: Page, order: int, migratetype: int) -> None:
    """A buddy from a list of the other kind (Isolate or not) joins a block freed as `migratetype`."""
    if is_migrate_isolate(page_migratetype(buddy)):
        zone.freepage_skew += 1 << order  # uncounted pages join a counted block
    else:
        zone.freepage_skew -= 1 << order  # counted pages join an uncounted block


def free_one_page(zone: Zone, pfn: int, order: int, migratetype: int) -> Page:
    """Free an allocated block (no per-cpu lists: straight to the buddy lists)."""
    return __free_one_page(None, pfn, zone, order, migratetype, FPI_NONE)


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
    zone.nr_list_adds += high - low  # the add_to_free_list below, counted at once
    while high > low:
        high -= 1
        size >>= 1
        # inline of new_page_struct(pgdat, pfn + size)
        if spare:
            half = spare.pop()
            half.pfn = pfn + size
        else:
            half = Page(pfn + size, 0)
        mem_map[pfn + size] = half
        # inline of add_to_free_list(half, zone, high, migratetype), with set_page_order
        half.info = high | (migratetype << MT_SHIFT)
        area = free_area[high]
        head = area.free_list[migratetype]
        first = head.next
        first.prev = half
        half.next = first
        half.prev = head
        head.next = half
        area.nr_free += 1
        if trace is not None:
            trace.append((EXPAND, zone.idx, pfn + size, high, migratetype, None))


def __rmqueue_smallest(zone: Zone, order: int, migratetype: int) -> Page | None:
    """The head of the smallest non-empty list of this type at order >= `order`."""
    free_area = zone.free_area
    current_order = order
    nr_orders = len(free_area)
    while current_order < nr_orders:
        area = free_area[current_order]
        head = area.free_list[migratetype]
        page = head.next
        if page.__class__ is not Page:  # inline of list_empty(head): only the head is not a Page
            current_order += 1
            continue
        if page.info & DESIGN_MARK:
            del_page_from_free_list(page, zone, current_order, Leave.ALLOC)
        else:
            # inline of del_page_from_free_list(page, zone, current_order): unmarked, first on its list
            nxt = page.next
            nxt.prev = head
            head.next = nxt
            page.next = LIST_POISON1
            page.prev = LIST_POISON2
            area.nr_free -= 1
        trace = zone.zone_pgdat.trace
        if trace is not None:
            trace.append((RMQUEUE, zone.idx, page.pfn, order, migratetype, current_order))
        if current_order > order:
            expand(zone, page, order, current_order, migratetype)
        return page
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
        if list_empty(area.free_list[fallback_mt]):
            continue
        if can_steal_fallback(zone.zone_pgdat.pageblock_order, order, migratetype):
            can_steal = True
        if not only_stealable:
            return fallback_mt, can_steal
        if can_steal:
            return fallback_mt, can_steal
    return -1, can_steal


def move_freepages(
    zone: Zone, start_pfn: int, end_pfn: int, migratetype: int, why: Move = Move.PAGEBLOCK
) -> tuple[int, int, int]:
    """Move every free block in [start_pfn, end_pfn] to `migratetype`'s lists.

    Returns (pages moved, allocated Movable pages seen, pages moved that were
    on Isolate lists).  Pages of an allocated block count one by one, as the
    kernel's per-page walk does; blocks are skipped whole since none of their
    other pages is PageBuddy.  The third figure is the model's: the callers'
    accounting needs it (freepage_skew).
    """
    pgdat = zone.zone_pgdat
    mem_map = pgdat.mem_map
    trace = pgdat.trace
    pages_moved = 0
    num_movable = 0
    from_isolate = 0
    pfn = start_pfn
    while pfn <= end_pfn:
        entry = mem_map[pfn]
        if entry is None:
            pfn += 1  # a page inside a block that started before the range
        elif isinstance(entry, Page):
            order = page_order(entry)
            if PageBuddy(entry):
                old_mt = page_migratetype(entry)
                move_to_free_list(entry, zone, order, migratetype, why)
                if trace is not None:
                    trace.append((MOVE, zone.idx, pfn, order, migratetype, old_mt))
                pages_moved += 1 << order
                if old_mt == MIGRATE_ISOLATE:
                    from_isolate += 1 << order
            pfn += 1 << order  # a block in a design's batch is skipped whole
        else:  # an allocated block
            n = min(1 << (entry & ORDER_MASK), end_pfn + 1 - pfn)
            if entry >> MT_SHIFT == MIGRATE_MOVABLE:
                num_movable += n
            pfn += n
    return pages_moved, num_movable, from_isolate


def move_freepages_block(
    zone: Zone, pfn: int, migratetype: int, why: Move = Move.PAGEBLOCK
) -> tuple[int, int, int]:
    """move_freepages over the pageblock holding `pfn`, not crossing the zone (`why`: for the design's figures)."""
    pageblock_nr_pages = 1 << zone.zone_pgdat.pageblock_order
    start_pfn = pfn & ~(pageblock_nr_pages - 1)
    end_pfn = start_pfn + pageblock_nr_pages - 1
    if not zone.zone_spans_pfn(start_pfn):
        start_pfn = pfn
    if not zone.zone_spans_pfn(end_pfn):
        return 0, 0, 0
    return move_freepages(zone, start_pfn, end_pfn, migratetype, why)


def move_pageblock(zone: Zone, pfn: int, migratetype: int) -> int:
    """A pageblock changes type and its free blocks follow; returns the pages moved.

    Into Isolate from another type this is v5.3's set_migratetype_isolate
    (mm/page_isolation.c): the moved pages leave NR_FREE_PAGES; out of
    Isolate, unset_migratetype_isolate: they come back.  Any other change
    leaves the counter alone.  (unset_migratetype_isolate also re-frees a
    free block of pageblock_order or more so it can merge; the model does
    not.)
    """
    old = get_pageblock_migratetype(zone, pfn)
    set_pageblock_migratetype(zone, pfn, migratetype)
    moved, _, from_isolate = move_freepages_block(zone, pfn, migratetype)
    to_isolate = migratetype == MIGRATE_ISOLATE
    if to_isolate and old != MIGRATE_ISOLATE:
        __mod_zone_freepage_state(zone, -moved, old)
        zone.freepage_skew += from_isolate  # already uncounted, subtracted again
    elif old == MIGRATE_ISOLATE and not to_isolate:
        __mod_zone_freepage_state(zone, moved, migratetype)
        zone.freepage_skew -= moved - from_isolate  # already counted, added again
    elif to_isolate:
        zone.freepage_skew -= moved - from_isolate  # counted pages onto Isolate lists, still counted
    else:
        zone.freepage_skew += from_isolate  # uncounted pages onto other lists, still uncounted
    return moved


def change_pageblock_range(zone: Zone, pfn: int, start_order: int, migratetype: int) -> None:
    pageblock_order = zone.zone_pgdat.pageblock_order
    for i in range(1 << (start_order - pageblock_order)):
        set_pageblock_migratetype(zone, pfn + (i << pageblock_order), migratetype)


def steal_suitable_fallback(zone: Zone, page: Page, start_type: int, whole_block: bool) -> None:
    """Take a block from another type's list, possibly claiming its pageblock."""
    pgdat = zone.zone_pgdat
    pageblock_order = pgdat.pageblock_order
    current_order = page_order(page)
    old_block_type = get_pageblock_migratetype(zone, page.pfn)
    trace = pgdat.trace
    if trace is not None:
        trace.append((STEAL, zone.idx, page.pfn, current_order, start_type, (old_block_type, whole_block)))

    if old_block_type == MIGRATE_HIGHATOMIC:
        pass  # goto single_page
    elif current_order >= pageblock_order:
        change_pageblock_range(zone, page.pfn, current_order, start_type)
    elif whole_block:
        free_pages, movable_pages, from_isolate = move_freepages_block(zone, page.pfn, start_type, Move.STEAL)
        zone.freepage_skew += from_isolate  # uncounted pages onto counted lists, still uncounted
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
    # single_page: from a fallback list (never Isolate) to another non-Isolate one
    old_mt = page_migratetype(page)
    move_to_free_list(page, zone, current_order, start_type, Move.STEAL)
    if trace is not None:
        trace.append((MOVE, zone.idx, page.pfn, current_order, start_type, old_mt))


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
        assert page.__class__ is Page, "find_suitable_fallback returned an empty list"
        trace = zone.zone_pgdat.trace
        if trace is not None:
            trace.append((FALLBACK, zone.idx, page.pfn, current_order, fallback_mt, start_migratetype))
        steal_suitable_fallback(zone, page, start_migratetype, can_steal)
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
    __mod_zone_freepage_state(zone, -(1 << order), migratetype)
    pfn = page.pfn
    pgdat = zone.zone_pgdat
    pgdat.mem_map[pfn] = alloc_code(order, migratetype)
    release_page_struct(pgdat, page)
    return pfn


# --- v5.7: taking a free block out for a report, and putting it back ------------


def __isolate_free_page(zone: Zone, page: Page, order: int) -> int:
    """Take a free block off its list for free page reporting (v5.7); returns its pages.

    The kernel finds the zone from the page (page_zone); the model passes it.

    The counter loses the pages unless the block's pageblock is isolated
    (those were never counted).  A block of at least half a pageblock takes
    its pageblocks over for Movable, except Isolate and HighAtomic ones.
    Watermarks are not modelled, so the watermark check always passes.
    """
    assert PageBuddy(page), f"__isolate_free_page on {page.pfn}, which is not a free block on a list"
    pfn = page.pfn
    mt = get_pageblock_migratetype(zone, pfn)
    if not is_migrate_isolate(mt):
        __mod_zone_freepage_state(zone, -(1 << order), mt)
    list_isolate = is_migrate_isolate(page_migratetype(page))
    if list_isolate != is_migrate_isolate(mt):
        # The list and the accounting disagree about this block's kind.
        zone.freepage_skew += (1 << order) if list_isolate else -(1 << order)
    del_page_from_free_list(page, zone, order, Leave.ISOLATE)
    pageblock_order = zone.zone_pgdat.pageblock_order
    if order >= pageblock_order - 1:
        end = pfn + (1 << order) - 1
        block = pfn
        while block < end:
            block_mt = get_pageblock_migratetype(zone, block)
            if block_mt not in (MIGRATE_ISOLATE, MIGRATE_HIGHATOMIC):
                set_pageblock_migratetype(zone, block, MIGRATE_MOVABLE)
            block += 1 << pageblock_order
    return 1 << order


def __putback_isolated_page(zone: Zone, page: Page, order: int, mt: int) -> Page:
    """Return a block __isolate_free_page took, without notifying (v5.7's report = false)."""
    return __free_one_page(page, page.pfn, zone, order, mt, FPI_SKIP_NOTIFY)
