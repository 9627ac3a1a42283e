"""Free page reporting as merged in Linux 5.7: mm/page_reporting.c, mm/page_reporting.h, include/linux/page_reporting.h.

The design that replaced the seed upstream (MODEL-REPORTING.md).  Read it
beside a v5.7 tree: every function below carries the kernel's name and runs
in the kernel's order.  The C file's globals (the device pointer, the static
key) and the constants PAGE_REPORTING_MIN_ORDER, PAGE_REPORTING_CAPACITY and
PAGE_REPORTING_DELAY become the attributes of one `PageReporting` object per
machine; `struct page_reporting_dev_info` is `PageReportingDevInfo`.
page_reporting_design.py installs this code on the allocator's hooks and
reads it for the state; its event kinds are in page_reporting_events.py.

No boundaries, no per-zone flags or counts: one device state word, one
delayed work item, and the **Reported** flag (`PG_reported`) on the head page
of a free block, kept in the page's design mark (mmzone.DESIGN_MARK, set and
cleared through SetPageMarked and ClearPageMarked).  The allocator calls the
design's hooks whenever a marked page leaves a list, which is where v5.7's
`del_page_from_free_list` clears the flag; a move between lists keeps it.

The pass (`page_reporting_process`) is a generator: it yields where the
kernel drops the zone lock with a batch out (WorkPhase.REPORT, before the
device's `report`) and where it is about to take the lock again for the
drain (WorkPhase.DRAIN).  The machine resumes it at once (auto mode) or
leaves it there (stepping mode); while it is stopped, allocations and frees
go on against the zone, as they do on other CPUs while the kernel waits for
the host.  The lock is also dropped between two lists, with a partial batch
out; that gap is not a stopping point (MODEL-REPORTING.md, "Settled
details").

What v5.7 leaves to the machine is settled by MODEL-REPORTING.md: there are
no watermarks (the zone's check and `__isolate_free_page`'s always pass),
and the device's report always succeeds.

What the work costs (costs.py) is counted here, where the work does it:
every list entry the walk reads (Reported ones it skips included), each
zone-lock hold, the blocks pulled and put back, the merges on the way back.
"""

from __future__ import annotations

from collections.abc import Callable
from enum import StrEnum
from typing import TYPE_CHECKING

from .costs import MERGED_ON_RETURN, Costs
from .lists import list_empty, list_is_first, list_rotate_to_front
from .mmzone import (
    DESIGN_MARK,
    MIGRATE_ISOLATE,
    MIGRATE_TYPES,
    ClearPageMarked,
    FreeListHooks,
    Page,
    PageBuddy,
    PglistData,
    SetPageMarked,
    Zone,
    get_pageblock_migratetype,
    is_migrate_isolate,
    page_migratetype,
    page_order,
)
from .page_alloc import __isolate_free_page, __putback_isolated_page
from .page_reporting_events import (
    BUDGET,
    CLEAR_REPORTED,
    CYCLE_END,
    CYCLE_START,
    DRAIN,
    ISOLATE,
    LEFTOVER,
    PROCESS_END,
    PROCESS_START,
    PUT_MERGED,
    PUT_REPORTED,
    REGISTER,
    REQUEST,
    ROTATE,
    SKIP,
    UNREGISTER,
)
from .workqueue import Clock, DelayedWork, WorkPhase, WorkRun, cancel_delayed_work_sync, schedule_delayed_work

if TYPE_CHECKING:  # pragma: no cover
    from .trace import Trace

EBUSY = 16
PG_REPORTED = DESIGN_MARK  # PG_reported (an alias of PG_uptodate in 5.7), kept in the design mark


def PageReported(page: Page) -> bool:
    return bool(page.info & PG_REPORTED)


# --- the device state (an atomic_t with three values) ------------------------------


class ReportingState(StrEnum):
    """PAGE_REPORTING_IDLE, _REQUESTED, _ACTIVE.  The value is the state's `hinting.state`."""

    IDLE = "idle"
    REQUESTED = "requested"
    ACTIVE = "active"


class DeviceStateError(RuntimeError):
    """The device state was moved in a way the code never moves it: a bug in the model, never input."""


# What each operation of mm/page_reporting.c on prdev->state may find there.  The
# kernel does not check (its atomics cannot fail); the model does, so a change that
# breaks the state machine fails loudly instead of drifting.
_ANY = frozenset(ReportingState)
STATE_OPS: dict[str, frozenset[ReportingState]] = {
    # __page_reporting_request's atomic_xchg: any state (REQUESTED returns before it)
    "request": _ANY,
    # page_reporting_cycle's atomic_set(REQUESTED) on an exhausted budget: only in a pass
    "budget": frozenset({ReportingState.ACTIVE, ReportingState.REQUESTED}),
    # page_reporting_process's atomic_set(ACTIVE): the work only runs when requested
    "process": frozenset({ReportingState.REQUESTED}),
    # page_reporting_process's atomic_cmpxchg(ACTIVE -> IDLE) at the end of the pass
    "process_end": frozenset({ReportingState.ACTIVE, ReportingState.REQUESTED}),
    # page_reporting_register's atomic_set(IDLE): never while a pass runs
    "register": frozenset({ReportingState.IDLE, ReportingState.REQUESTED}),
}


class DeviceState:
    """prdev->state: each operation the kernel performs on it, checked against STATE_OPS."""

    __slots__ = ("value",)

    def __init__(self) -> None:
        self.value = ReportingState.IDLE

    def _check(self, op: str) -> None:
        if self.value not in STATE_OPS[op]:
            raise DeviceStateError(f"{op}: the device state is {self.value}, which this operation never meets")

    def read(self) -> ReportingState:  # atomic_read
        return self.value

    def xchg_requested(self) -> ReportingState:
        """atomic_xchg(&state, REQUESTED): returns the old state."""
        self._check("request")
        old = self.value
        self.value = ReportingState.REQUESTED
        return old

    def set_requested(self) -> None:
        """atomic_set(&state, REQUESTED) when a cycle's budget is spent."""
        self._check("budget")
        self.value = ReportingState.REQUESTED

    def set_active(self) -> None:
        """atomic_set(&state, ACTIVE) as the pass starts."""
        self._check("process")
        self.value = ReportingState.ACTIVE

    def cmpxchg_active_idle(self) -> ReportingState:
        """atomic_cmpxchg(&state, ACTIVE, IDLE) as the pass ends: returns the old state."""
        self._check("process_end")
        old = self.value
        if old is ReportingState.ACTIVE:
            self.value = ReportingState.IDLE
        return old

    def set_idle(self) -> None:
        """atomic_set(&state, IDLE) in page_reporting_register."""
        self._check("register")
        self.value = ReportingState.IDLE


# --- include/linux/page_reporting.h ---------------------------------------------------

ReportFn = Callable[["PageReportingDevInfo", list[Page]], int]


class PageReportingDevInfo:
    """struct page_reporting_dev_info: the device's report function, its work item and its state."""

    def __init__(self, report: ReportFn) -> None:
        self.report = report  # virtio-balloon's virtballoon_free_page_report, as far as the guest sees it
        self.work: DelayedWork | None = None
        self.state = DeviceState()


class PageReporting:
    """What mm/page_reporting.c keeps in globals and constants, plus the model's bookkeeping."""

    def __init__(
        self, pgdat: PglistData, clock: Clock, hooks: FreeListHooks, min_order: int, capacity: int, delay_ms: int
    ) -> None:
        self.pgdat = pgdat
        self.clock = clock
        self.hooks = hooks  # the allocator's view of the static key
        self.min_order = min_order  # PAGE_REPORTING_MIN_ORDER (pageblock_order in 5.7)
        self.capacity = capacity  # PAGE_REPORTING_CAPACITY
        self.delay_ms = delay_ms  # PAGE_REPORTING_DELAY (2 * HZ)
        self.pr_dev_info: PageReportingDevInfo | None = None  # the RCU-protected device pointer
        self.page_reporting_enabled = False  # the static key: on at the first register, never off again
        # The pass's scatterlist (kmalloc'd by page_reporting_process, freed at its end): slots
        # fill from the last one down; None while no pass runs.
        self.sgl: list[Page | None] | None = None
        # page_reporting_process_zone's `offset`, which it passes to each cycle by pointer.
        self.offset = capacity
        # The model's: the zone the pass is on, and the cycle a stopped pass is in
        # (order, migratetype and budget; None at the zone's leftover report).
        self.zone: Zone | None = None
        self.stop_order: int | None = None
        self.stop_mt: int | None = None
        self.stop_budget: int | None = None
        # The model's: Reported blocks and their pages per zone (kept as flags are set and cleared).
        self.reported_blocks = [0] * len(pgdat.node_zones)
        self.reported_pages = [0] * len(pgdat.node_zones)
        self.costs = Costs()


def _trace(pr: PageReporting) -> Trace | None:
    return pr.pgdat.trace


def __SetPageReported(pr: PageReporting, zone: Zone, page: Page) -> None:
    SetPageMarked(zone, page)
    pr.reported_blocks[zone.idx] += 1
    pr.reported_pages[zone.idx] += 1 << page_order(page)


def __ClearPageReported(pr: PageReporting, zone: Zone, page: Page, why: str) -> None:
    """v5.7's del_page_from_free_list: `if (page_reported(page)) __ClearPageReported(page)`."""
    ClearPageMarked(zone, page, on_list=False)
    order = page_order(page)
    pr.reported_blocks[zone.idx] -= 1
    pr.reported_pages[zone.idx] -= 1 << order
    trace = _trace(pr)
    if trace is not None:
        trace.append((CLEAR_REPORTED, zone.idx, page.pfn, order, page_migratetype(page), why))


def page_reporting_notify_free(pr: PageReporting, order: int) -> None:
    """Called from __free_one_page with the merged order (mm/page_reporting.h)."""
    if not pr.page_reporting_enabled:  # static_branch_unlikely(&page_reporting_enabled)
        return
    if order < pr.min_order:  # "Determine if we have crossed reporting threshold"
        return
    __page_reporting_notify(pr)


# --- mm/page_reporting.c ------------------------------------------------------------------


def __page_reporting_request(pr: PageReporting, prdev: PageReportingDevInfo) -> None:
    """Ask for a pass: the first request since the device went idle schedules the work."""
    if prdev.state.read() is ReportingState.REQUESTED:
        return
    old = prdev.state.xchg_requested()
    due = None
    if old is ReportingState.IDLE:
        assert prdev.work is not None
        if schedule_delayed_work(prdev.work, pr.delay_ms):  # "to allow a sizable queue to build"
            due = prdev.work.due_ms
    trace = _trace(pr)
    if trace is not None:
        trace.append((REQUEST, None, None, None, None, (old.value, due)))


def __page_reporting_notify(pr: PageReporting) -> None:
    """The device pointer is read under RCU: no device registered now, no request."""
    prdev = pr.pr_dev_info
    if prdev is not None:
        __page_reporting_request(pr, prdev)


def page_reporting_drain(pr: PageReporting, zone: Zone, first: int, nents: int, reported: bool) -> None:
    """Return slots first .. first+nents-1 to the free lists, in slot order, Reported unless merged."""
    sgl = pr.sgl
    assert sgl is not None
    mem_map = pr.pgdat.mem_map
    costs = pr.costs
    trace = _trace(pr)
    if trace is not None:
        trace.append((DRAIN, zone.idx, None, None, None, nents))
    for i in range(first, first + nents):
        page = sgl[i]
        assert page is not None, f"slot {i} of the scatterlist is empty at the drain"
        pfn = page.pfn
        order = page_order(page)  # get_order(sg->length)
        mt = get_pageblock_migratetype(zone, pfn)  # the pageblock's type now
        head = __putback_isolated_page(zone, page, order, mt)
        costs.put_back += 1
        costs.pages_moved += 1 << order
        if not reported:  # the report failed: leave the flags alone (never, here)
            continue
        # "If page was not comingled with another page we can consider the result
        # to be reported": the struct page at pfn still heads a free block of `order`.
        entry = mem_map[pfn]
        if type(entry) is Page and PageBuddy(entry) and page_order(entry) == order:
            __SetPageReported(pr, zone, entry)
            if trace is not None:
                trace.append((PUT_REPORTED, zone.idx, pfn, order, mt, i))
        else:
            costs.merges += 1
            costs.wasted[MERGED_ON_RETURN] += 1
            if trace is not None:
                trace.append((PUT_MERGED, zone.idx, pfn, order, mt, (head.pfn, page_order(head))))
    for i in range(first, first + nents):  # sg_init_table: the slots are empty again
        sgl[i] = None
    page_reporting_take_stock(pr)


def _report(pr: PageReporting, prdev: PageReportingDevInfo, first: int) -> None:
    """prdev->report(prdev, &sgl[first], capacity - first): the host has the batch (it always succeeds)."""
    sgl = pr.sgl
    assert sgl is not None
    pages = [page for page in sgl[first:] if page is not None]
    assert len(pages) == pr.capacity - first, "a report of a scatterlist with holes"
    prdev.report(prdev, pages)


def page_reporting_cycle(pr: PageReporting, prdev: PageReportingDevInfo, zone: Zone, order: int, mt: int) -> WorkRun:
    """Walk one free list from the head, pulling unreported blocks into the scatterlist.

    Reported blocks are skipped.  A full scatterlist is reported: the list is
    first rotated so that the block that did not fit is at its head, the lock
    is dropped (stopping point REPORT), the host gets the batch, the budget
    goes down (stopping point DRAIN, before the lock is taken again), the
    batch is drained back and the walk starts again from the head.  When the
    budget is spent the device is asked for another pass and the walk stops.
    Whatever stopped the walk, the next unreported block is rotated to the
    head for the next pass.  `pr.offset` is the caller's, carried from list to
    list: a partial batch stays out when the cycle ends.
    """
    area = zone.free_area[order]
    lst = area.free_list[mt]
    if list_empty(lst):  # the early check, before the lock
        return
    costs = pr.costs
    trace = _trace(pr)
    costs.cycles += 1
    costs.lock(pr.clock.now_ms, zone.name)  # spin_lock_irq(&zone->lock)
    costs.lists += 1
    # "enough calls to process over a sixteenth of the current list plus one"
    budget = -(-area.nr_free // (pr.capacity * 16))  # DIV_ROUND_UP
    if trace is not None:
        trace.append((CYCLE_START, zone.idx, None, order, mt, (budget, area.nr_free)))
    sgl = pr.sgl
    assert sgl is not None
    skipped_from: int | None = None
    skipped = 0
    page = lst.next
    nxt = lst.next
    while page is not lst:  # list_for_each_entry_safe(page, next, list, lru)
        assert type(page) is Page
        nxt = page.next
        costs.entries += 1
        if PageReported(page):  # "We are going to skip over the reported pages."
            if skipped_from is None:
                skipped_from = page.pfn
            skipped += 1
            page = nxt
            continue
        if skipped and trace is not None:
            trace.append((SKIP, zone.idx, skipped_from, order, mt, skipped))
        skipped_from, skipped = None, 0
        if budget < 0:  # the budget is spent: ask for another pass and leave this list
            prdev.state.set_requested()
            nxt = page
            if trace is not None:
                trace.append((BUDGET, zone.idx, page.pfn, order, mt, None))
            break
        if pr.offset:  # a slot is free: pull the block into it
            if trace is not None:
                trace.append((ISOLATE, zone.idx, page.pfn, order, mt, pr.offset - 1))
            __isolate_free_page(zone, page, order)  # the watermark check always passes here
            pr.offset -= 1
            sgl[pr.offset] = page
            costs.pulled += 1
            costs.pages_moved += 1 << order
            page = nxt
            continue
        # The scatterlist is full: this block is the first one not reported; make it the head.
        if not list_is_first(page, lst):
            list_rotate_to_front(page, lst)
            if trace is not None:
                trace.append((ROTATE, zone.idx, page.pfn, order, mt, None))
        costs.unlock()  # spin_unlock_irq: the batch is out
        pr.stop_order, pr.stop_mt, pr.stop_budget = order, mt, budget
        yield WorkPhase.REPORT
        _report(pr, prdev, 0)
        pr.offset = pr.capacity  # "reset offset since the full list was reported"
        budget -= 1
        pr.stop_budget = budget
        yield WorkPhase.DRAIN
        pr.stop_order = pr.stop_mt = pr.stop_budget = None
        costs.lock(pr.clock.now_ms, zone.name)  # spin_lock_irq
        costs.lists += 1
        page_reporting_drain(pr, zone, 0, pr.capacity, True)
        # "the old next isn't valid since we dropped the lock": start again from the head
        nxt = lst.next
        page = nxt
    if skipped and trace is not None:
        trace.append((SKIP, zone.idx, skipped_from, order, mt, skipped))
    # "Rotate any leftover pages to the head of the freelist"
    if nxt is not lst and not list_is_first(nxt, lst):
        list_rotate_to_front(nxt, lst)
        if trace is not None:
            assert type(nxt) is Page
            trace.append((ROTATE, zone.idx, nxt.pfn, order, mt, None))
    costs.unlock()  # spin_unlock_irq
    if trace is not None:
        trace.append((CYCLE_END, zone.idx, None, order, mt, (budget, pr.capacity - pr.offset)))


def page_reporting_process_zone(pr: PageReporting, prdev: PageReportingDevInfo, zone: Zone) -> WorkRun:
    """Cycle every list of the zone, orders upwards, Isolate lists skipped; then report the leftover."""
    pr.offset = pr.capacity  # the first used slot; slots fill from the last one down
    pr.zone = zone
    # The zone's watermark check (low watermark + capacity << min_order) always passes here.
    for order in range(pr.min_order, pr.pgdat.max_order):
        for mt in range(MIGRATE_TYPES):
            if is_migrate_isolate(mt):  # "We do not pull pages from the isolate free list"
                continue
            yield from page_reporting_cycle(pr, prdev, zone, order, mt)
    leftover = pr.capacity - pr.offset
    if leftover:  # "report the leftover pages before going idle"
        trace = _trace(pr)
        if trace is not None:
            trace.append((LEFTOVER, zone.idx, None, None, None, leftover))
        offset = pr.offset
        yield WorkPhase.REPORT
        _report(pr, prdev, offset)
        yield WorkPhase.DRAIN
        costs = pr.costs
        costs.lock(pr.clock.now_ms, zone.name)  # spin_lock_irq
        page_reporting_drain(pr, zone, offset, leftover, True)
        costs.unlock()
    pr.zone = None


def page_reporting_process(pr: PageReporting, prdev: PageReportingDevInfo) -> WorkRun:
    """The work: one pass over every zone; re-armed if anything asked for reporting meanwhile."""
    prdev.state.set_active()  # "so that we can track if there is anyone requests page reporting"
    pr.costs.passes += 1
    trace = _trace(pr)
    if trace is not None:
        trace.append((PROCESS_START, None, None, None, None, None))
    pr.sgl = [None] * pr.capacity  # kmalloc_array + sg_init_table
    for zone in pr.pgdat.node_zones:  # for_each_zone
        yield from page_reporting_process_zone(pr, prdev, zone)
    pr.sgl = None  # kfree
    old = prdev.state.cmpxchg_active_idle()
    due = None
    if old is ReportingState.REQUESTED:  # "there may be additional pages to be processed"
        assert prdev.work is not None
        if schedule_delayed_work(prdev.work, pr.delay_ms):
            due = prdev.work.due_ms
    page_reporting_take_stock(pr)
    if trace is not None:
        trace.append((PROCESS_END, None, None, None, None, (prdev.state.value.value, due)))


def page_reporting_register(pr: PageReporting, prdev: PageReportingDevInfo) -> int:
    """hinting_start: install the device and ask for the initial pass over every zone."""
    if pr.pr_dev_info is not None:  # "nothing to do if already in use"
        return -EBUSY
    prdev.state.set_idle()
    assert prdev.work is not None, "the device's work item comes with the device"
    prdev.work.init()  # INIT_DELAYED_WORK(&prdev->work, &page_reporting_process)
    trace = _trace(pr)
    if trace is not None:
        trace.append((REGISTER, None, None, None, None, not pr.page_reporting_enabled))
    __page_reporting_request(pr, prdev)  # "Begin initial flush of zones"
    pr.pr_dev_info = prdev  # rcu_assign_pointer: notifications reach the device from now on
    if not pr.page_reporting_enabled:
        pr.page_reporting_enabled = True  # static_branch_enable
        pr.hooks.notify_from_order = pr.min_order
    return 0


def page_reporting_unregister(pr: PageReporting, prdev: PageReportingDevInfo) -> None:
    """hinting_stop: no more notifications; a pass under way finishes at once and cannot re-arm."""
    if pr.pr_dev_info is not prdev:
        return
    pr.pr_dev_info = None  # RCU_INIT_POINTER + synchronize_rcu
    trace = _trace(pr)
    if trace is not None:
        trace.append((UNREGISTER, None, None, None, None, None))
    assert prdev.work is not None
    cancel_delayed_work_sync(prdev.work)  # "Flush any existing work, and lock it out"


# --- the model's own figures ---------------------------------------------------------------


def page_reporting_take_stock(pr: PageReporting, check_full: bool = True) -> None:
    """Note the share of free memory that is Reported, and whether every reportable block is.

    Reportable: a free block of order >= min_order on a list the pass walks
    (every migratetype but Isolate).  Called where the batch is empty (after
    a drain, at the end of a pass, at register) and, without the check, when
    a Reported block leaves the lists.
    """
    min_order = pr.min_order
    free_pages = 0
    all_reported = True
    sgl = pr.sgl
    if sgl is not None:
        free_pages += sum(1 << page_order(page) for page in sgl if page is not None)
    for zone in pr.pgdat.node_zones:
        blocks = 0
        for order, area in enumerate(zone.free_area):
            free_pages += area.nr_free << order
            if order >= min_order:
                blocks += area.nr_free
        if not check_full or not all_reported:
            continue
        reported = pr.reported_blocks[zone.idx]
        if zone.isolate_seen:  # blocks on Isolate lists are never reported, Reported or not
            for order in range(min_order, pr.pgdat.max_order):
                head = zone.free_area[order].free_list[MIGRATE_ISOLATE]
                node = head.next
                while type(node) is Page:
                    blocks -= 1
                    reported -= PageReported(node)
                    node = node.next
        all_reported = reported == blocks
    now = pr.clock.now_ms
    pr.costs.sample(now, sum(pr.reported_pages), free_pages)
    if check_full:
        pr.costs.check_full(now, all_reported)
