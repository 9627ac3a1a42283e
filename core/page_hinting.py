"""The seed: mm/page_hinting.c, include/linux/page_hinting.h and its page_alloc.c hunks.

Read it beside `shared/seed/000_4d67359d60dc2608.txt`; every function below
carries the seed's name and its line range there, and runs in the seed's
order.  The C file's globals (the boundary array, the device pointer, the
static key) become the attributes of one `PageHinting` object per machine,
and the seed's additions to `struct zone` (its REQUESTED and ACTIVE flags,
`hinted_pages`) one `ZoneHinting` per zone.  page_hinting_design.py installs
this code on the allocator's hooks and reads it for the state; the seed's
event and anomaly kinds are in page_hinting_events.py.

The seed keeps its Hinted page type in the page's design mark
(mmzone.DESIGN_MARK, set and cleared through SetPageMarked and
ClearPageMarked): the allocator then calls the seed's hooks, and so
`clear_page_hinted`, whenever a Hinted page leaves or moves a list.

What the seed's work costs (costs.py) is counted here, where the seed does
it: every list entry its probes read (the entry before the boundary, the
head, the boundary's own entry), each zone-lock hold of
`page_hinting_cycle`, the blocks pulled and put back, the merges on the way
back.

Where the C code would follow a pointer the model cannot follow (a boundary
that points at a page no longer on that list, which the kernel would
dereference as poisoned or foreign list memory), the model uses the list head
instead and records a `stale_boundary_used` anomaly: it reports, it never
silently repairs.

Boundary entries are either a `FreeList` (the list head itself) or an `int`
pfn, meaning "the `lru` of the struct page at that pfn".  A pfn rather than a
node object keeps the kernel's identity: the same struct page is the same
pointer even after it was allocated and freed again.
"""

from __future__ import annotations

from collections.abc import Callable, Generator
from typing import TYPE_CHECKING

from .costs import MERGED_ON_RETURN, Costs
from .kinds import ANOMALY
from .lists import ListHead
from .mmzone import (
    DESIGN_MARK,
    MIGRATE_TYPES,
    MT_MASK,
    MT_SHIFT,
    NEVER,
    ClearPageMarked,
    FreeList,
    FreeListHooks,
    Leave,
    Page,
    PageBuddy,
    PglistData,
    SetPageMarked,
    Zone,
    del_page_from_free_list,
    get_pageblock_migratetype,
    has_isolate_pageblock,
    is_migrate_isolate,
    page_migratetype,
    page_order,
)
from .page_alloc import FPI_SKIP_NOTIFY, FPI_TO_TAIL, __free_one_page, __mod_zone_freepage_state
from .page_hinting_events import (
    BOTH_HINTED,
    BOUNDARY_ADD,
    BOUNDARY_DEL,
    BOUNDARY_LEFT,
    CLEAR_HINTED,
    CYCLE_END,
    CYCLE_START,
    DRAIN,
    FILL_END,
    FILL_FULL,
    LIST_DONE,
    NOTIFY,
    NOTIFY_QUIET,
    NOTIFY_SKIPPED_AFTER_MERGE,
    NR_FREE_PAGES_DRIFT,
    POPULATE,
    PROCESS_END,
    PROCESS_SKIP,
    PROCESS_SPINS,
    PROCESS_START,
    PULL,
    PUT_HINTED,
    PUT_MERGED,
    REQUEST,
    SHUTDOWN,
    SHUTDOWN_QUIET,
    STALE_BOUNDARY_USED,
    STARTUP,
    WASTED,
)
from .workqueue import Clock, DelayedWork, WorkPhase, WorkRun, cancel_delayed_work_sync, schedule_delayed_work

if TYPE_CHECKING:  # pragma: no cover
    from .host import Host
    from .trace import Trace

EBUSY = 16
Boundary = FreeList | int
PG_HINTED = DESIGN_MARK  # PAGE_TYPE_OPS(Hinted, offline): the seed's page type, kept in the design mark
# __free_one_page(..., hinted = true): to the tail (in front of the boundary), no notify.
FPI_HINTED = FPI_TO_TAIL | FPI_SKIP_NOTIFY


def PageHinted(page: Page) -> bool:
    return bool(page.info & PG_HINTED)


class PageHintingDevInfo:
    """struct page_hinting_dev_info (seed 2062-2084), as the v2 balloon fills it."""

    def __init__(self, capacity: int, react: Callable[[PageHintingDevInfo, int], None]) -> None:
        self.react = react
        self.sg: list[Page] | None = None  # the scatterlist: pages of the current batch
        self.capacity = capacity
        self.work: DelayedWork | None = None
        self.refcnt = 0


class ZoneHinting:
    """What the seed adds to one `struct zone`: its field (seed 1946-1953) and flags (seed 1961-1964, 1965-1968)."""

    __slots__ = ("active", "hinted_pages", "nr_free_pages_drift", "requested")

    def __init__(self) -> None:
        # ZONE_PAGE_HINTING_REQUESTED / ZONE_PAGE_HINTING_ACTIVE in zone->flags
        self.requested = False
        self.active = False
        # zone->hinted_pages: None until the first cycle allocates it.
        self.hinted_pages: list[int] | None = None
        # The model's: pages get_unhinted_page took off NR_FREE_PAGES that were
        # never on it (blocks pulled from Isolate lists).
        self.nr_free_pages_drift = 0


class PageHinting:
    """The state mm/page_hinting.c keeps in globals, and the zones' seed fields."""

    def __init__(
        self,
        pgdat: PglistData,
        clock: Clock,
        host: Host,
        hooks: FreeListHooks,
        min_order: int,
        hwm: int,
        delay_ms: int,
    ) -> None:
        self.pgdat = pgdat
        self.min_order = min_order  # PAGE_HINTING_MIN_ORDER
        self.hwm = hwm  # PAGE_HINTING_HWM
        self.delay_ms = delay_ms  # HZ / 10
        self.clock = clock
        self.host = host  # behind the device: counts the hints wasted
        self.hooks = hooks  # the allocator's view of the static key
        self.zones = [ZoneHinting() for _ in pgdat.node_zones]
        # struct list_head *boundary[MAX_ORDER - PAGE_HINTING_MIN_ORDER][MIGRATE_TYPES]
        # (seed 2430): None until the first cycle fills it in.
        self.boundary: list[list[Boundary | None]] | None = None
        self.ph_dev_info: PageHintingDevInfo | None = None  # the RCU-protected device
        self.page_hinting_notify_enabled = 0  # the static key's count
        self.cycling_zone: Zone | None = None
        self.costs = Costs()  # the model's: what the work costs (costs.py)

    def set_notify_enabled(self, delta: int) -> None:
        """static_key_slow_inc / _dec, and the allocator's fast-path filter with it."""
        self.page_hinting_notify_enabled += delta
        self.hooks.notify_from_order = self.min_order if self.page_hinting_notify_enabled else NEVER


def _trace(ph: PageHinting) -> Trace | None:
    return ph.pgdat.trace


def hint_wasted(ph: PageHinting, zone: Zone, pfn: int, order: int, why: str) -> None:
    """The host reported a block that lost Hinted before it was allocated (the model's count)."""
    ph.host.hint_wasted()
    trace = _trace(ph)
    if trace is not None:
        trace.append((WASTED, zone.idx, pfn, order, None, why))


# --- include/linux/page_hinting.h -----------------------------------------


def get_unhinted_tail(ph: PageHinting, zone: Zone, order: int, migratetype: int) -> ListHead:
    """Where a tail insert goes: the boundary while the zone is ACTIVE (seed 2108-2118)."""
    if order >= ph.min_order and ph.zones[zone.idx].active:
        return _boundary_entry(ph, zone, order, migratetype)
    return zone.free_area[order].free_list[migratetype]


def _boundary_entry(ph: PageHinting, zone: Zone, order: int, migratetype: int) -> ListHead:
    """Follow boundary[order][migratetype] to the list entry it points at.

    The C code simply uses the pointer.  The model checks that it still points
    into this zone's list for (order, migratetype); if not, the kernel would be
    using a stale pointer, so the model reports it and uses the list head.
    """
    head = zone.free_area[order].free_list[migratetype]
    target = __page_hinting_get_boundary(ph, order, migratetype)
    if target is head:
        return head
    if type(target) is int:
        ph.costs.entries += 1  # the boundary's entry
        node = ph.pgdat.mem_map[target]
        if (
            type(node) is Page
            and PageBuddy(node)
            and page_order(node) == order
            and page_migratetype(node) == migratetype
            and ph.pgdat.page_zone(target) is zone
        ):
            return node
    trace = _trace(ph)
    if trace is not None:
        where = target if type(target) is int else None
        trace.append((ANOMALY, zone.idx, where, order, migratetype, (STALE_BOUNDARY_USED, None)))
    return head


def clear_page_hinted(ph: PageHinting, page: Page, zone: Zone, on_list: bool = False) -> None:
    """Drop a page's Hinted state as it leaves its place (seed 2120-2136).

    Only called for Hinted pages (the inline's `likely(!PageHinted)` test is
    the allocator's design-mark test).  The boundary is pushed back only
    while ACTIVE.  `on_list`: the page stays on a list (move_to_free_list)
    rather than leaving it (del_page_from_free_list); the zone's mark
    counters tell the two apart for the flag-write counts.
    """
    zh = ph.zones[zone.idx]
    if zh.active:
        page_hinting_del_from_boundary(ph, page, zone)
    ClearPageMarked(zone, page, on_list=on_list)  # __ClearPageHinted
    order = page_order(page)
    assert zh.hinted_pages is not None, "a Hinted page in a zone that never cycled"
    zh.hinted_pages[order - ph.min_order] -= 1
    trace = _trace(ph)
    if trace is not None:
        trace.append((CLEAR_HINTED, zone.idx, page.pfn, order, page_migratetype(page), None))


def note_boundary_left(ph: PageHinting, page: Page, zone: Zone, why: str) -> None:
    """Recording only: clear_page_hinted is about to leave a boundary on this page (ACTIVE is clear).

    The hooks that call clear_page_hinted know why the page goes (allocated,
    merged, moved), so they record it; the C code simply does not call
    page_hinting_del_from_boundary.
    """
    trace = _trace(ph)
    if trace is None or ph.boundary is None or ph.zones[zone.idx].active:
        return
    order, mt = page_order(page), page_migratetype(page)
    if ph.boundary[order - ph.min_order][mt] == page.pfn:
        trace.append((BOUNDARY_LEFT, zone.idx, page.pfn, order, mt, why))


def page_hinting_notify_free(ph: PageHinting, zone: Zone, order: int) -> None:
    """Ask for hinting once a zone's order has hwm more free than hinted blocks (seed 2158-2186).

    Called behind the static key (the design's hook tests it).  The early
    returns record quiet events: "did nothing, because".
    """
    trace = _trace(ph)
    if order < ph.min_order:
        if trace is not None:
            trace.append((NOTIFY_QUIET, zone.idx, None, order, None, ("order", ph.min_order)))
        return
    zh = ph.zones[zone.idx]
    if zh.requested:
        if trace is not None:
            trace.append((NOTIFY_QUIET, zone.idx, None, order, None, ("requested", ph.min_order)))
        return
    nr_hinted = zh.hinted_pages[order - ph.min_order] if zh.hinted_pages else 0
    nr_free = zone.free_area[order].nr_free
    if nr_free < nr_hinted + ph.hwm:
        if trace is not None:
            trace.append((NOTIFY, zone.idx, None, order, None, (nr_free, nr_hinted, ph.hwm, False)))
        return
    if trace is not None:
        trace.append((NOTIFY, zone.idx, None, order, None, (nr_free, nr_hinted, ph.hwm, True)))
    __page_hinting_request(ph, zone)


# --- mm/page_alloc.c (the seed's hinted page accessors) ---------------------


def get_unhinted_page(ph: PageHinting, zone: Zone, order: int, mt: int) -> Page | None:
    """Pull an unhinted block for the batch (seed 2308-2354).

    Tries the entry just before the boundary; if that one is Hinted, tries the
    list's first entry; if that is Hinted too, the boundary moves to the first
    entry (the list reads as done) and nothing is pulled.  The block's pages
    leave NR_FREE_PAGES whatever list it came from (seed 2344-2348).
    """
    tail = get_unhinted_tail(ph, zone, order, mt)
    head = zone.free_area[order].free_list[mt]
    page = tail.prev  # list_last_entry(tail, ...)
    trace = _trace(ph)
    if type(page) is not Page:  # the reverse walk from there ends at once: the list head
        if trace is not None and type(tail) is Page:  # a list with blocks, all behind the boundary
            trace.append((LIST_DONE, zone.idx, tail.pfn, order, mt, None))
        return None
    costs = ph.costs
    costs.entries += 1  # the entry before the boundary
    via = "tail"
    tried = page.pfn
    if PageHinted(page):
        page = head.next  # list_first_entry(list, ...)
        assert type(page) is Page, "a list with a Hinted entry is not empty"
        costs.entries += 1  # the head
        if PageHinted(page):
            if trace is not None:  # the explanation first, then the boundary it moves
                at = tail.pfn if type(tail) is Page else None
                trace.append((BOTH_HINTED, zone.idx, page.pfn, order, mt, (at, tried)))
            page_hinting_add_to_boundary(ph, page, zone, mt)
            return None
        via = "head"
    del_page_from_free_list(page, zone, order, Leave.ISOLATE)
    costs.pulled += 1
    costs.pages_moved += 1 << order
    # set_pcppage_migratetype(page, mt); set_page_private(page, order)
    page.info = order | (mt << MT_SHIFT)
    if trace is not None:
        trace.append((PULL, zone.idx, page.pfn, order, mt, (via, tail.pfn if type(tail) is Page else None, tried)))
    __mod_zone_freepage_state(zone, -(1 << order), mt)
    if is_migrate_isolate(mt):
        # Pages of an Isolate list were never on NR_FREE_PAGES: they are lost from it for good.
        zh = ph.zones[zone.idx]
        zh.nr_free_pages_drift += 1 << order
        if trace is not None:
            detail = {"pages": 1 << order, "drift": zh.nr_free_pages_drift}
            trace.append((ANOMALY, zone.idx, page.pfn, order, mt, (NR_FREE_PAGES_DRIFT, detail)))
    return page


def put_hinted_page(ph: PageHinting, zone: Zone, page: Page) -> None:
    """Return a reported block to the free lists, Hinted unless it merged (seed 2366-2404)."""
    mt = pulled_mt = page_migratetype(page)  # get_pcppage_migratetype
    pfn = page.pfn
    checked = has_isolate_pageblock(zone) or is_migrate_isolate(mt)
    if checked:
        mt = get_pageblock_migratetype(zone, pfn)
        page.info = (page.info & ~(MT_MASK << MT_SHIFT)) | (mt << MT_SHIFT)
    order = page_order(page)

    head = __free_one_page(page, pfn, zone, order, mt, FPI_HINTED)
    costs = ph.costs
    costs.put_back += 1
    costs.pages_moved += 1 << order

    trace = _trace(ph)
    if trace is not None:
        # Which list, and why: (the list it was pulled from, whether the pageblock was read, its type now).
        where = (pulled_mt, checked, get_pageblock_migratetype(zone, pfn))
        trace.append((NOTIFY_QUIET, zone.idx, head.pfn, page_order(head), None, ("hinted", ph.min_order)))
    if not PageBuddy(page) or page_order(page) != order:
        costs.merges += 1
        costs.wasted[MERGED_ON_RETURN] += 1
        # Merged with a free buddy: the block is not Hinted, the report is
        # wasted, and (hinted=true) nobody was notified of the bigger block.
        merged_order = page_order(head)
        if trace is not None:
            trace.append((PUT_MERGED, zone.idx, pfn, order, mt, (head.pfn, merged_order, *where)))
        hint_wasted(ph, zone, pfn, order, "put_merge")
        if trace is not None:
            _check_skipped_notify(ph, zone, head, trace)
        return

    zh = ph.zones[zone.idx]
    assert zh.hinted_pages is not None, "put_hinted_page before page_hinting_populate_metadata"
    zh.hinted_pages[order - ph.min_order] += 1
    page_hinting_add_to_boundary(ph, page, zone, mt)
    SetPageMarked(zone, page)  # __SetPageHinted
    if trace is not None:
        trace.append((PUT_HINTED, zone.idx, pfn, order, mt, where))


def _check_skipped_notify(ph: PageHinting, zone: Zone, head: Page, trace: Trace) -> None:
    """The seed's comment says a merged hinted block needs no notify; say when it did."""
    order = page_order(head)
    zh = ph.zones[zone.idx]
    if not ph.page_hinting_notify_enabled or order < ph.min_order or zh.requested:
        return
    nr_hinted = zh.hinted_pages[order - ph.min_order] if zh.hinted_pages else 0
    if zone.free_area[order].nr_free >= nr_hinted + ph.hwm:
        trace.append((ANOMALY, zone.idx, head.pfn, order, page_migratetype(head), (NOTIFY_SKIPPED_AFTER_MERGE, None)))


# --- mm/page_hinting.c ------------------------------------------------------


def page_hinting_reset_boundary(ph: PageHinting, zone: Zone, order: int, migratetype: int) -> None:
    """Point boundary[order][migratetype] at this zone's list head (seed 2432-2437)."""
    assert ph.boundary is not None
    ph.boundary[order - ph.min_order][migratetype] = zone.free_area[order].free_list[migratetype]


def for_each_hinting_migratetype_order(ph: PageHinting) -> Generator[tuple[int, int], None, None]:
    """Orders from MAX_ORDER - 1 down to the minimum, types from the last down (seed 2439-2441)."""
    for order in range(ph.pgdat.max_order - 1, ph.min_order - 1, -1):
        for mt in range(MIGRATE_TYPES - 1, -1, -1):
            yield order, mt


def page_hinting_populate_metadata(ph: PageHinting, zone: Zone) -> None:
    """Allocate hinted_pages on first use and reset every boundary (seed 2443-2465)."""
    zh = ph.zones[zone.idx]
    allocated = zh.hinted_pages is None
    if allocated:
        zh.hinted_pages = [0] * (ph.pgdat.max_order - ph.min_order)
    if ph.boundary is None:
        ph.boundary = [[None] * MIGRATE_TYPES for _ in range(ph.pgdat.max_order - ph.min_order)]
    for order, mt in for_each_hinting_migratetype_order(ph):
        page_hinting_reset_boundary(ph, zone, order, mt)
    trace = _trace(ph)
    if trace is not None:
        trace.append((POPULATE, zone.idx, None, None, None, allocated))


def __page_hinting_get_boundary(ph: PageHinting, order: int, migratetype: int) -> Boundary | None:
    assert ph.boundary is not None
    return ph.boundary[order - ph.min_order][migratetype]


def page_hinting_del_from_boundary(ph: PageHinting, page: Page, zone: Zone) -> None:
    """If the boundary is this page, move it to the next entry (seed 2473-2481)."""
    order = page_order(page)
    mt = page_migratetype(page)  # get_pcppage_migratetype(page)
    assert ph.boundary is not None
    row = ph.boundary[order - ph.min_order]
    target = row[mt]
    if type(target) is int and target == page.pfn:
        ph.costs.entries += 1  # page->lru.next
        nxt = page.next
        if type(nxt) is Page:
            row[mt] = nxt.pfn
        else:
            assert type(nxt) is FreeList
            row[mt] = nxt
        trace = _trace(ph)
        if trace is not None:
            new = nxt.pfn if type(nxt) is Page else None
            trace.append((BOUNDARY_DEL, zone.idx, page.pfn, order, mt, new))


def page_hinting_add_to_boundary(ph: PageHinting, page: Page, zone: Zone, migratetype: int) -> None:
    """The boundary now starts at this page (seed 2483-2490)."""
    order = page_order(page)
    assert ph.boundary is not None
    ph.boundary[order - ph.min_order][migratetype] = page.pfn
    trace = _trace(ph)
    if trace is not None:
        trace.append((BOUNDARY_ADD, zone.idx, page.pfn, order, migratetype, None))


def page_hinting_fill(ph: PageHinting, zone: Zone, phdev: PageHintingDevInfo) -> int:
    """Pull up to `capacity` unhinted blocks, largest orders first (seed 2492-2527)."""
    sg = phdev.sg
    assert sg is not None
    sg.clear()  # sg_init_table
    trace = _trace(ph)
    costs = ph.costs
    for order, mt in for_each_hinting_migratetype_order(ph):
        costs.lists += 1
        while (page := get_unhinted_page(ph, zone, order, mt)) is not None:
            sg.append(page)
            if len(sg) == phdev.capacity:
                if trace is not None:
                    trace.append((FILL_FULL, zone.idx, None, None, None, len(sg)))
                return len(sg)
    # Underflow: not enough left to fill a batch, so this zone is done.
    ph.zones[zone.idx].requested = False
    phdev.refcnt -= 1
    if trace is not None:
        trace.append((FILL_END, zone.idx, None, None, None, (len(sg), phdev.refcnt, phdev.capacity)))
    return len(sg)


def page_hinting_drain(ph: PageHinting, zone: Zone, phdev: PageHintingDevInfo) -> None:
    """Give every block of the batch back (seed 2529-2541)."""
    sg = phdev.sg
    assert sg is not None
    trace = _trace(ph)
    if trace is not None:
        trace.append((DRAIN, zone.idx, None, None, None, len(sg)))
    for page in sg:
        put_hinted_page(ph, zone, page)
    sg.clear()
    page_hinting_take_stock(ph)


def page_hinting_take_stock(ph: PageHinting) -> None:
    """The model's: with no batch out, note the share of free memory Hinted and whether all of it is."""
    hinted = 0
    blocks = 0
    free_pages = 0
    free_blocks = 0
    min_order = ph.min_order
    for zone in ph.pgdat.node_zones:
        counts = ph.zones[zone.idx].hinted_pages
        for order, area in enumerate(zone.free_area):
            free_pages += area.nr_free << order
            if order >= min_order:
                free_blocks += area.nr_free
                if counts is not None:
                    n = counts[order - min_order]
                    blocks += n
                    hinted += n << order
    now = ph.clock.now_ms
    ph.costs.sample(now, hinted, free_pages)
    ph.costs.check_full(now, blocks == free_blocks)


def page_hinting_cycle(ph: PageHinting, zone: Zone, phdev: PageHintingDevInfo) -> WorkRun:
    """fill, react, drain until a fill comes back short (seed 2548-2591).

    Stops at REACT where the zone lock is dropped before the device runs and
    at DRAIN where it is about to be taken again: the two stopping points.
    """
    page_hinting_populate_metadata(ph, zone)
    costs = ph.costs
    costs.cycles += 1
    costs.lock(ph.clock.now_ms, zone.name)  # spin_lock(&zone->lock)
    zh = ph.zones[zone.idx]
    zh.active = True
    ph.cycling_zone = zone
    trace = _trace(ph)
    if trace is not None:
        trace.append((CYCLE_START, zone.idx, None, None, None, ph.min_order))
    while True:
        num_hints = page_hinting_fill(ph, zone, phdev)
        if not num_hints:
            why = "empty"
            break
        costs.unlock()
        yield WorkPhase.REACT
        phdev.react(phdev, num_hints)
        yield WorkPhase.DRAIN
        costs.lock(ph.clock.now_ms, zone.name)
        page_hinting_drain(ph, zone, phdev)
        if not zh.requested:
            why = "done"
            break
    zh.active = False
    costs.unlock()
    ph.cycling_zone = None
    trace = _trace(ph)
    if trace is not None:
        trace.append((CYCLE_END, zone.idx, None, None, None, why))


def page_hinting_process(ph: PageHinting, phdev: PageHintingDevInfo) -> WorkRun:
    """The work: cycle requested zones round-robin until refcnt drops to 0 (seed 2593-2618)."""
    zones = ph.pgdat.node_zones
    ph.costs.passes += 1
    trace = _trace(ph)
    if trace is not None:
        trace.append((PROCESS_START, None, None, None, None, phdev.refcnt))
    i = 0
    idle_visits = 0
    while True:
        zone = zones[i]
        if ph.zones[zone.idx].requested:
            idle_visits = 0
            yield from page_hinting_cycle(ph, zone, phdev)
        else:
            idle_visits += 1
            trace = _trace(ph)
            if trace is not None:
                trace.append((PROCESS_SKIP, zone.idx, None, None, None, phdev.refcnt))
        i += 1
        if i == len(zones):
            i = 0
        if not phdev.refcnt:
            break
        if idle_visits > len(zones):
            # refcnt says zones want hinting but none is REQUESTED: the C loop
            # would spin for ever.  Report it and stop.
            trace = _trace(ph)
            if trace is not None:
                trace.append((ANOMALY, None, None, None, None, (PROCESS_SPINS, phdev.refcnt)))
            break
    page_hinting_take_stock(ph)
    trace = _trace(ph)
    if trace is not None:
        trace.append((PROCESS_END, None, None, None, None, phdev.refcnt))


def __page_hinting_request(ph: PageHinting, zone: Zone) -> None:
    """Mark the zone REQUESTED; the first requester schedules the work (seed 2621-2654)."""
    phdev = ph.ph_dev_info
    if phdev is None:
        return
    ph.zones[zone.idx].requested = True
    old = phdev.refcnt
    phdev.refcnt += 1
    due = None
    if not old:
        assert phdev.work is not None
        if schedule_delayed_work(phdev.work, ph.delay_ms):
            due = phdev.work.due_ms
    trace = _trace(ph)
    if trace is not None:
        trace.append((REQUEST, zone.idx, None, None, None, (phdev.refcnt, due)))


def page_hinting_shutdown(ph: PageHinting, phdev: PageHintingDevInfo) -> None:
    """Stop notifications, let a running work item finish, drop pending work (seed 2663-2679).

    The running item is the whole page_hinting_process: it goes on over every
    REQUESTED zone until refcnt is 0, calling react for each batch, after
    the device was unregistered (cancel_delayed_work_sync waits for it).
    """
    trace = _trace(ph)
    if ph.ph_dev_info is not phdev:
        if trace is not None:
            trace.append((SHUTDOWN_QUIET, None, None, None, None, None))
        return
    ph.set_notify_enabled(-1)
    ph.ph_dev_info = None
    assert phdev.work is not None
    if trace is not None:
        work = phdev.work
        trace.append((SHUTDOWN, None, None, None, None, (work.running is not None, work.pending, phdev.refcnt)))
    cancel_delayed_work_sync(phdev.work)
    phdev.sg = None


def page_hinting_startup(ph: PageHinting, phdev: PageHintingDevInfo) -> int:
    """Install the device and request every populated zone (seed 2682-2711)."""
    if ph.ph_dev_info is not None:
        return -EBUSY
    phdev.sg = []
    phdev.refcnt = 0
    assert phdev.work is not None, "the device's work item comes with the device"
    phdev.work.init()  # INIT_DELAYED_WORK(&phdev->work, page_hinting_process)
    ph.ph_dev_info = phdev
    trace = _trace(ph)
    if trace is not None:
        trace.append((STARTUP, None, None, None, None, None))
    for zone in ph.pgdat.node_zones:
        if zone.spanned_pages:
            __page_hinting_request(ph, zone)
    ph.set_notify_enabled(+1)
    return 0
