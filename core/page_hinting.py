"""The seed: mm/page_hinting.c, include/linux/page_hinting.h and its page_alloc.c hunks.

Read it beside `shared/seed/000_4d67359d60dc2608.txt`; every function below
carries the seed's name and its line range there, and runs in the seed's
order.  The C file's globals (the boundary array, the device pointer, the
static key) become the attributes of one `PageHinting` object per machine,
which is also the set of hooks the allocator calls (mmzone.HintingHooks).

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
from typing import Any

from .lists import ListHead
from .mmzone import (
    MIGRATE_ISOLATE,
    MIGRATE_TYPES,
    MT_MASK,
    MT_SHIFT,
    ORDER_MASK,
    PG_HINTED,
    FreeList,
    HintingHooks,
    Page,
    PglistData,
    Zone,
    del_page_from_free_list,
    get_pageblock_migratetype,
)
from .page_alloc import __free_one_page
from .workqueue import Clock, DelayedWork, cancel_delayed_work_sync, schedule_delayed_work

EBUSY = 16
Boundary = FreeList | int


class PageHintingDevInfo:
    """struct page_hinting_dev_info (seed 2061-2084), as the v2 balloon fills it."""

    def __init__(self, capacity: int, react: Callable[[PageHintingDevInfo, int], None]) -> None:
        self.react = react
        self.sg: list[Page] | None = None  # the scatterlist: pages of the current batch
        self.capacity = capacity
        self.work: DelayedWork | None = None
        self.refcnt = 0


class PageHinting(HintingHooks):
    """The state mm/page_hinting.c keeps in globals, and the hooks it installs."""

    def __init__(
        self,
        pgdat: PglistData,
        clock: Clock,
        min_order: int,
        hwm: int,
        delay_ms: int,
    ) -> None:
        self.pgdat = pgdat
        self.min_order = min_order  # PAGE_HINTING_MIN_ORDER
        self.hwm = hwm  # PAGE_HINTING_HWM
        self.delay_ms = delay_ms  # HZ / 10
        self.clock = clock
        # struct list_head *boundary[MAX_ORDER - PAGE_HINTING_MIN_ORDER][MIGRATE_TYPES]
        # (seed 2430): None until the first cycle fills it in.
        self.boundary: list[list[Boundary]] | None = None
        self.ph_dev_info: PageHintingDevInfo | None = None  # the RCU-protected device
        self.page_hinting_notify_enabled = 0  # the static key's count
        self.cycling_zone: Zone | None = None

    # --- hooks the allocator calls ------------------------------------------

    def get_unhinted_tail(self, zone: Zone, order: int, migratetype: int) -> ListHead:
        return get_unhinted_tail(self, zone, order, migratetype)

    def clear_page_hinted(self, page: Page, zone: Zone) -> None:
        clear_page_hinted(self, page, zone)

    def notify_free(self, zone: Zone, order: int) -> None:
        # Inline of page_hinting_notify_free's first test: the static key.
        if self.page_hinting_notify_enabled:
            page_hinting_notify_free(self, zone, order)

    def set_notify_enabled(self, delta: int) -> None:
        """static_key_slow_inc / _dec, and the allocator's fast-path filter with it."""
        self.page_hinting_notify_enabled += delta
        self.notify_from_order = self.min_order if self.page_hinting_notify_enabled else None


def _trace(ph: PageHinting) -> list[tuple[Any, ...]] | None:
    return ph.pgdat.trace


# --- include/linux/page_hinting.h -----------------------------------------


def get_unhinted_tail(ph: PageHinting, zone: Zone, order: int, migratetype: int) -> ListHead:
    """Where a tail insert goes: the boundary while the zone is ACTIVE (seed 2108-2118)."""
    if order >= ph.min_order and zone.active:
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
    if target.__class__ is int:
        node = ph.pgdat.mem_map[target]  # type: ignore[index]
        if (
            node.__class__ is Page
            and node.prev is not None
            and node.info & ORDER_MASK == order
            and (node.info >> MT_SHIFT) & MT_MASK == migratetype
            and ph.pgdat.page_zone(target) is zone  # type: ignore[arg-type]
        ):
            return node  # type: ignore[no-any-return]
    trace = _trace(ph)
    if trace is not None:
        where = target if target.__class__ is int else None
        trace.append(("anomaly", zone.idx, where, order, migratetype, ("stale_boundary_used", None)))
    return head


def clear_page_hinted(ph: PageHinting, page: Page, zone: Zone) -> None:
    """Drop a page's Hinted state as it leaves its place (seed 2120-2136).

    Only called for Hinted pages (the inline's `likely(!PageHinted)` test is
    done by the caller).  The boundary is pushed back only while ACTIVE.
    """
    if zone.active:
        page_hinting_del_from_boundary(ph, page, zone)
    page.info &= ~PG_HINTED
    order = page.info & ORDER_MASK
    zone.hinted_pages[order - ph.min_order] -= 1  # type: ignore[index]
    trace = _trace(ph)
    if trace is not None:
        trace.append(("clear_hinted", zone.idx, page.pfn, order, (page.info >> MT_SHIFT) & MT_MASK, None))


def page_hinting_notify_free(ph: PageHinting, zone: Zone, order: int) -> None:
    """Ask for hinting once a zone's order has hwm more free than hinted blocks (seed 2158-2186)."""
    if order < ph.min_order:
        return
    if zone.requested:
        return
    nr_hinted = zone.hinted_pages[order - ph.min_order] if zone.hinted_pages else 0
    nr_free = zone.free_area[order].nr_free
    trace = _trace(ph)
    if nr_free < nr_hinted + ph.hwm:
        if trace is not None:
            trace.append(("notify", zone.idx, None, order, None, (nr_free, nr_hinted, ph.hwm, False)))
        return
    if trace is not None:
        trace.append(("notify", zone.idx, None, order, None, (nr_free, nr_hinted, ph.hwm, True)))
    __page_hinting_request(ph, zone)


# --- mm/page_alloc.c (the seed's hinted page accessors) ---------------------


def get_unhinted_page(ph: PageHinting, zone: Zone, order: int, mt: int) -> Page | None:
    """Pull an unhinted block for the batch (seed 2308-2354).

    Tries the entry just before the boundary; if that one is Hinted, tries the
    list's first entry; if that is Hinted too, the boundary moves to the first
    entry (the list reads as done) and nothing is pulled.
    """
    tail = get_unhinted_tail(ph, zone, order, mt)
    head = zone.free_area[order].free_list[mt]
    page = tail.prev  # list_last_entry(tail, ...)
    if page is head:  # the reverse walk from there ends at once
        return None
    via = "tail"
    if page.info & PG_HINTED:  # type: ignore[union-attr]
        page = head.next  # list_first_entry(list, ...)
        if page.info & PG_HINTED:  # type: ignore[union-attr]
            page_hinting_add_to_boundary(ph, page, zone, mt)  # type: ignore[arg-type]
            trace = _trace(ph)
            if trace is not None:
                trace.append(("both_hinted", zone.idx, page.pfn, order, mt, None))  # type: ignore[union-attr]
            return None
        via = "head"
    del_page_from_free_list(page, zone, order)  # type: ignore[arg-type]
    # set_pcppage_migratetype(page, mt); set_page_private(page, order)
    page.info = order | (mt << MT_SHIFT)  # type: ignore[union-attr]
    trace = _trace(ph)
    if trace is not None:
        trace.append(("pull", zone.idx, page.pfn, order, mt, via))  # type: ignore[union-attr]
    return page  # type: ignore[return-value]


def put_hinted_page(ph: PageHinting, zone: Zone, page: Page) -> None:
    """Return a reported block to the free lists, Hinted unless it merged (seed 2366-2404)."""
    mt = (page.info >> MT_SHIFT) & MT_MASK  # get_pcppage_migratetype
    pfn = page.pfn
    if zone.nr_isolate_pageblock or mt == MIGRATE_ISOLATE:
        mt = get_pageblock_migratetype(zone, pfn)
        page.info = (page.info & ~(MT_MASK << MT_SHIFT)) | (mt << MT_SHIFT)
    order = page.info & ORDER_MASK

    head = __free_one_page(page, pfn, zone, order, mt, True)

    trace = _trace(ph)
    if page.prev is None or page.info & ORDER_MASK != order:
        # Merged with a free buddy: the block is not Hinted, the report is
        # wasted, and (hinted=true) nobody was notified of the bigger block.
        merged_order = head.info & ORDER_MASK
        if trace is not None:
            trace.append(("put_merged", zone.idx, pfn, order, mt, (head.pfn, merged_order)))
        host = ph.pgdat.host
        if host is not None:
            host.hint_wasted(zone, pfn, order, "put_merge")
        if trace is not None:
            _check_skipped_notify(ph, zone, head, trace)
        return

    zone.hinted_pages[order - ph.min_order] += 1  # type: ignore[index]
    page_hinting_add_to_boundary(ph, page, zone, mt)
    page.info |= PG_HINTED
    if trace is not None:
        trace.append(("put_hinted", zone.idx, pfn, order, mt, None))


def _check_skipped_notify(ph: PageHinting, zone: Zone, head: Page, trace: list[tuple[Any, ...]]) -> None:
    """The seed's comment says a merged hinted block needs no notify; say when it did."""
    order = head.info & ORDER_MASK
    if not ph.page_hinting_notify_enabled or order < ph.min_order or zone.requested:
        return
    nr_hinted = zone.hinted_pages[order - ph.min_order] if zone.hinted_pages else 0
    if zone.free_area[order].nr_free >= nr_hinted + ph.hwm:
        trace.append(
            (
                "anomaly",
                zone.idx,
                head.pfn,
                order,
                (head.info >> MT_SHIFT) & MT_MASK,
                ("notify_skipped_after_merge", None),
            )
        )


# --- mm/page_hinting.c ------------------------------------------------------


def page_hinting_reset_boundary(ph: PageHinting, zone: Zone, order: int, migratetype: int) -> None:
    """Point boundary[order][migratetype] at this zone's list head (seed 2432-2437)."""
    ph.boundary[order - ph.min_order][migratetype] = zone.free_area[order].free_list[migratetype]  # type: ignore[index]


def for_each_hinting_migratetype_order(ph: PageHinting) -> Generator[tuple[int, int], None, None]:
    """Orders from MAX_ORDER - 1 down to the minimum, types from the last down (seed 2439-2441)."""
    for order in range(ph.pgdat.max_order - 1, ph.min_order - 1, -1):
        for mt in range(MIGRATE_TYPES - 1, -1, -1):
            yield order, mt


def page_hinting_populate_metadata(ph: PageHinting, zone: Zone) -> None:
    """Allocate hinted_pages on first use and reset every boundary (seed 2443-2465)."""
    allocated = zone.hinted_pages is None
    if allocated:
        zone.hinted_pages = [0] * (ph.pgdat.max_order - ph.min_order)
    if ph.boundary is None:
        ph.boundary = [[None] * MIGRATE_TYPES for _ in range(ph.pgdat.max_order - ph.min_order)]  # type: ignore[list-item]
    for order, mt in for_each_hinting_migratetype_order(ph):
        page_hinting_reset_boundary(ph, zone, order, mt)
    trace = _trace(ph)
    if trace is not None:
        trace.append(("populate", zone.idx, None, None, None, allocated))


def __page_hinting_get_boundary(ph: PageHinting, order: int, migratetype: int) -> Boundary:
    return ph.boundary[order - ph.min_order][migratetype]  # type: ignore[index]


def page_hinting_del_from_boundary(ph: PageHinting, page: Page, zone: Zone) -> None:
    """If the boundary is this page, move it to the next entry (seed 2473-2481)."""
    order = page.info & ORDER_MASK
    mt = (page.info >> MT_SHIFT) & MT_MASK  # get_pcppage_migratetype(page)
    row = ph.boundary[order - ph.min_order]  # type: ignore[index]
    target = row[mt]
    if target.__class__ is int and target == page.pfn:
        nxt = page.next
        row[mt] = nxt.pfn if nxt.__class__ is Page else nxt  # type: ignore[union-attr]
        trace = _trace(ph)
        if trace is not None:
            new = nxt.pfn if nxt.__class__ is Page else None  # type: ignore[union-attr]
            trace.append(("boundary_del", zone.idx, page.pfn, order, mt, new))


def page_hinting_add_to_boundary(ph: PageHinting, page: Page, zone: Zone, migratetype: int) -> None:
    """The boundary now starts at this page (seed 2483-2490)."""
    order = page.info & ORDER_MASK
    ph.boundary[order - ph.min_order][migratetype] = page.pfn  # type: ignore[index]
    trace = _trace(ph)
    if trace is not None:
        trace.append(("boundary_add", zone.idx, page.pfn, order, migratetype, None))


def page_hinting_fill(ph: PageHinting, zone: Zone, phdev: PageHintingDevInfo) -> int:
    """Pull up to `capacity` unhinted blocks, largest orders first (seed 2492-2527)."""
    sg = phdev.sg
    assert sg is not None
    sg.clear()  # sg_init_table
    trace = _trace(ph)
    for order, mt in for_each_hinting_migratetype_order(ph):
        while (page := get_unhinted_page(ph, zone, order, mt)) is not None:
            sg.append(page)
            if len(sg) == phdev.capacity:
                if trace is not None:
                    trace.append(("fill_full", zone.idx, None, None, None, len(sg)))
                return len(sg)
    # Underflow: not enough left to fill a batch, so this zone is done.
    zone.requested = False
    phdev.refcnt -= 1
    if trace is not None:
        trace.append(("fill_end", zone.idx, None, None, None, (len(sg), phdev.refcnt)))
    return len(sg)


def page_hinting_drain(ph: PageHinting, zone: Zone, phdev: PageHintingDevInfo) -> None:
    """Give every block of the batch back (seed 2529-2541)."""
    sg = phdev.sg
    assert sg is not None
    trace = _trace(ph)
    if trace is not None:
        trace.append(("drain", zone.idx, None, None, None, len(sg)))
    for page in sg:
        put_hinted_page(ph, zone, page)
    sg.clear()


def page_hinting_cycle(ph: PageHinting, zone: Zone, phdev: PageHintingDevInfo) -> Generator[str, None, None]:
    """fill, react, drain until a fill comes back short (seed 2548-2591).

    Yields "react" where the zone lock is dropped before the device runs and
    "drain" where it is about to be taken again: the two stopping points.
    """
    page_hinting_populate_metadata(ph, zone)
    zone.active = True
    ph.cycling_zone = zone
    trace = _trace(ph)
    if trace is not None:
        trace.append(("cycle_start", zone.idx, None, None, None, None))
    while True:
        num_hints = page_hinting_fill(ph, zone, phdev)
        if not num_hints:
            break
        yield "react"
        phdev.react(phdev, num_hints)
        yield "drain"
        page_hinting_drain(ph, zone, phdev)
        if not zone.requested:
            break
    zone.active = False
    ph.cycling_zone = None
    trace = _trace(ph)
    if trace is not None:
        trace.append(("cycle_end", zone.idx, None, None, None, None))


def page_hinting_process(ph: PageHinting, phdev: PageHintingDevInfo) -> Generator[str, None, None]:
    """The work: cycle requested zones round-robin until refcnt drops to 0 (seed 2593-2618)."""
    zones = ph.pgdat.node_zones
    trace = _trace(ph)
    if trace is not None:
        trace.append(("process_start", None, None, None, None, phdev.refcnt))
    i = 0
    idle_visits = 0
    while True:
        zone = zones[i]
        if zone.requested:
            idle_visits = 0
            yield from page_hinting_cycle(ph, zone, phdev)
        else:
            idle_visits += 1
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
                trace.append(("anomaly", None, None, None, None, ("process_spins", phdev.refcnt)))
            break
    trace = _trace(ph)
    if trace is not None:
        trace.append(("process_end", None, None, None, None, phdev.refcnt))


def __page_hinting_request(ph: PageHinting, zone: Zone) -> None:
    """Mark the zone REQUESTED; the first requester schedules the work (seed 2621-2654)."""
    phdev = ph.ph_dev_info
    if phdev is None:
        return
    zone.requested = True
    old = phdev.refcnt
    phdev.refcnt += 1
    due = None
    if not old:
        assert phdev.work is not None
        if schedule_delayed_work(phdev.work, ph.delay_ms):
            due = phdev.work.due_ms
    trace = _trace(ph)
    if trace is not None:
        trace.append(("request", zone.idx, None, None, None, (phdev.refcnt, due)))


def page_hinting_shutdown(ph: PageHinting, phdev: PageHintingDevInfo) -> None:
    """Stop notifications, finish a running cycle, drop pending work (seed 2663-2679)."""
    if ph.ph_dev_info is not phdev:
        return
    ph.set_notify_enabled(-1)
    ph.ph_dev_info = None
    trace = _trace(ph)
    if trace is not None:
        trace.append(("shutdown", None, None, None, None, None))
    assert phdev.work is not None
    cancel_delayed_work_sync(phdev.work)
    phdev.sg = None


def page_hinting_startup(ph: PageHinting, phdev: PageHintingDevInfo) -> int:
    """Install the device and request every populated zone (seed 2682-2711)."""
    if ph.ph_dev_info is not None:
        return -EBUSY
    phdev.sg = []
    phdev.refcnt = 0
    if phdev.work is None:
        phdev.work = DelayedWork(lambda: page_hinting_process(ph, phdev), ph.clock)
    phdev.work.init()
    ph.ph_dev_info = phdev
    trace = _trace(ph)
    if trace is not None:
        trace.append(("startup", None, None, None, None, None))
    for zone in ph.pgdat.node_zones:
        if zone.spanned_pages:
            __page_hinting_request(ph, zone)
    ph.set_notify_enabled(+1)
    return 0
