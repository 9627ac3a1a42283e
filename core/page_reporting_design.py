"""Free page reporting (Linux 5.7) as a design: its hooks on the allocator, its device, and what it shows.

page_reporting.py is v5.7's code; this module plugs it into the seam
(design.py).  Down, the allocator's hooks become v5.7's: a Reported page
leaving a list loses the flag (`del_page_from_free_list`; when a merge
swallowed it, the host counts a wasted hint), a Reported page moved to
another list keeps it (`move_to_free_list` does not touch it), a tail insert
is the plain tail, and a free calls `page_reporting_notify_free` behind the
static key.  Up, it builds the state's "hinting" object (MODEL-REPORTING.md,
"Scenario and state"), its invariants ("What the model must never do") and
its copy for checkpoints.  The device is virtio-balloon's free page
reporting as the guest sees it: `report` hands the batch to the host and
always succeeds.
"""

from __future__ import annotations

from typing import Any, ClassVar

from .config import DEFAULT_CAPACITY, MachineConfig, want_bool, want_int
from .costs import ALLOCATED, MERGED
from .design import HintingDesign, marked_on_lists
from .errors import HintingBusy
from .host import Host
from .mmzone import (
    MIGRATETYPE_NAMES,
    Leave,
    Move,
    Page,
    PglistData,
    Zone,
    get_pageblock_migratetype,
    is_migrate_isolate,
    page_order,
)
from .page_reporting import (
    EBUSY,
    PageReported,
    PageReporting,
    PageReportingDevInfo,
    ReportingState,
    page_reporting_notify_free,
    page_reporting_process,
    page_reporting_register,
    page_reporting_take_stock,
    page_reporting_unregister,
)
from .page_reporting import __ClearPageReported as _clear_page_reported  # plain name: no mangling in the class
from .page_reporting_events import REPORT, WORK_START, WORK_STOP
from .workqueue import Clock, DelayedWork, WorkPhase

DEFAULT_DELAY_MS = 2000  # PAGE_REPORTING_DELAY = 2 * HZ


class ReportingConfig:
    """MODEL-REPORTING.md's constants; `hwm` means nothing here and a scenario's is ignored.

    Immutable and compared by value, like the seed's frozen dataclass; written
    out by hand because making a dataclass costs every process that imports
    the core more than the rest of this design's modules together.
    """

    design: ClassVar[str] = "reporting"
    __slots__ = ("capacity", "delay_ms", "min_order", "stepping")
    min_order: int  # PAGE_REPORTING_MIN_ORDER: pageblock_order by default (default_config)
    capacity: int  # PAGE_REPORTING_CAPACITY
    delay_ms: int  # PAGE_REPORTING_DELAY
    stepping: bool

    def __init__(self, min_order: int = 9, capacity: int = DEFAULT_CAPACITY, delay_ms: int = DEFAULT_DELAY_MS,
                 stepping: bool = False) -> None:
        for name, value in (("min_order", min_order), ("capacity", capacity), ("delay_ms", delay_ms),
                            ("stepping", stepping)):
            object.__setattr__(self, name, value)

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError(f"a ReportingConfig is immutable (cannot set {name})")

    def _key(self) -> tuple[int, int, int, bool]:
        return (self.min_order, self.capacity, self.delay_ms, self.stepping)

    def __eq__(self, other: object) -> bool:
        return type(other) is ReportingConfig and self._key() == other._key()

    def __hash__(self) -> int:
        return hash(self._key())

    def __repr__(self) -> str:
        return (f"ReportingConfig(min_order={self.min_order}, capacity={self.capacity}, "
                f"delay_ms={self.delay_ms}, stepping={self.stepping})")

    def __reduce__(self) -> tuple[type[ReportingConfig], tuple[int, int, int, bool]]:
        return ReportingConfig, self._key()

    def to_json(self) -> dict[str, Any]:
        return {
            "design": self.design,
            "min_order": self.min_order,
            "capacity": self.capacity,
            "delay_ms": self.delay_ms,
            "stepping": self.stepping,
        }


class ReportingDesign(HintingDesign):
    """Free page reporting (mm/page_reporting.c, Linux 5.7), live on one machine."""

    name = "reporting"
    mark_name = "Reported"
    marked_field = "reported"
    stop_phases = frozenset({WorkPhase.REPORT, WorkPhase.DRAIN})
    work_start_event = WORK_START
    work_stop_event = WORK_STOP
    page_encoding = "uptodate-reported"  # 5.7: PG_reported = PG_uptodate
    batch_keeps_order = False  # __isolate_free_page: del_page_from_free_list leaves page->private 0

    def __init__(self, pgdat: PglistData, clock: Clock, host: Host, config: ReportingConfig) -> None:
        super().__init__(pgdat, clock, host, config)
        self.config: ReportingConfig = config
        self.pr = PageReporting(pgdat, clock, self, config.min_order, config.capacity, config.delay_ms)
        self.prdev = PageReportingDevInfo(self._report)
        # The work item page_reporting_register initialises (INIT_DELAYED_WORK); made once, here.
        self.work = self.prdev.work = DelayedWork(lambda: page_reporting_process(self.pr, self.prdev), clock,
                                                  self.stop_phases)

    # --- configuration ------------------------------------------------------------

    @classmethod
    def default_config(cls, machine: MachineConfig) -> ReportingConfig:
        return ReportingConfig(min_order=machine.pageblock_order)

    @classmethod
    def parse_config(cls, obj: dict[str, Any], machine: MachineConfig, path: str) -> ReportingConfig:
        min_order = want_int(obj.get("min_order", machine.pageblock_order), f"{path}.min_order", 0,
                             machine.max_order - 1)
        capacity = want_int(obj.get("capacity", DEFAULT_CAPACITY), f"{path}.capacity", 1, 1 << 20)
        delay_ms = want_int(obj.get("delay_ms", DEFAULT_DELAY_MS), f"{path}.delay_ms", 0, 10**9)
        stepping = want_bool(obj.get("stepping", False), f"{path}.stepping")
        return ReportingConfig(min_order, capacity, delay_ms, stepping)

    # --- the allocator's hooks (v5.7's page_alloc.c and mmzone.h) --------------------

    def marked_page_leaves(self, page: Page, zone: Zone, order: int, why: Leave) -> None:
        pr = self.pr
        _clear_page_reported(pr, zone, page, "merge" if why is Leave.MERGE else "alloc")
        if why is Leave.MERGE:
            # A Reported block swallowed by a merge: the host's work on it bought nothing lasting.
            pr.costs.wasted[MERGED] += 1
            self.host.hint_wasted()
        elif why is Leave.ALLOC:
            pr.costs.wasted[ALLOCATED] += 1
        page_reporting_take_stock(pr, check_full=False)

    def marked_page_moves(self, page: Page, zone: Zone, order: int, migratetype: int, why: Move) -> None:
        return None  # v5.7's move_to_free_list leaves PG_reported alone: the block stays Reported

    def notify_free(self, zone: Zone, order: int) -> None:
        page_reporting_notify_free(self.pr, order)

    # --- the device ------------------------------------------------------------------

    def _report(self, prdev: PageReportingDevInfo, pages: list[Page]) -> int:
        """virtio-balloon's report: the host drops every page of the batch; it always succeeds."""
        blocks = [(page.pfn, page_order(page)) for page in pages]
        dropped = self.host.report(blocks, self.pr.costs)
        trace = self.pgdat.trace
        if trace is not None:
            zone = self.pr.zone or self.pgdat.page_zone(blocks[0][0])
            nr_pages = sum(1 << o for _, o in blocks)
            trace.append((REPORT, zone.idx, None, None, None, (len(blocks), nr_pages, dropped, tuple(blocks))))
        return 0

    # --- steps ---------------------------------------------------------------------------

    def start(self) -> None:
        if page_reporting_register(self.pr, self.prdev) == -EBUSY:
            raise HintingBusy("free page reporting is already registered (page_reporting_register returns -EBUSY)",
                              "do")
        self.pr.costs.started(self.clock.now_ms)
        page_reporting_take_stock(self.pr)

    def stop(self) -> None:
        page_reporting_unregister(self.pr, self.prdev)

    def work_zone(self) -> Zone | None:
        return self.pr.zone

    # --- the read side ------------------------------------------------------------------

    @property
    def registered(self) -> bool:
        return self.pr.pr_dev_info is self.prdev

    def state(self) -> dict[str, Any]:
        return {
            "design": self.name,
            "enabled": self.registered,
            "state": self.prdev.state.value.value,
            "work": self._work_state(),
            "batch": [
                {
                    "pfn": page.pfn,
                    "order": page_order(page),
                    # where the drain will put it: its pageblock's type now (informative only)
                    "migratetype": MIGRATETYPE_NAMES[get_pageblock_migratetype(self.pgdat.page_zone(page.pfn),
                                                                               page.pfn)],
                }
                for page in self.batch()
            ],
            "walk": self.walk_positions(),
            "costs": self.pr.costs.to_json(self.host.refaults),
        }

    def walk_positions(self) -> list[dict[str, Any]]:
        """Where the next `page_reporting_cycle` of each list gets to work: its walk position.

        A cycle walks from the head, skips Reported entries and isolates the
        first unreported one; a walk that stopped (budget spent, batch full)
        rotated that entry to the front first.  So, read from the lists as they
        are, the position is the first unreported entry from the head, after
        `skipped` Reported ones (entries the walk reads for nothing).  Only the
        lists a pass visits: orders from min_order up, Isolate skipped.  Lists
        with nothing left to report have no position.
        """
        out: list[dict[str, Any]] = []
        for zone in self.pgdat.node_zones:
            for order in range(self.pr.min_order, self.pgdat.max_order):
                for mt, head in enumerate(zone.free_area[order].free_list):
                    if is_migrate_isolate(mt):
                        continue
                    node = head.next
                    skipped = 0
                    while type(node) is Page and PageReported(node):
                        skipped += 1
                        node = node.next
                    if type(node) is Page:
                        out.append({"zone": zone.name, "order": order, "migratetype": MIGRATETYPE_NAMES[mt],
                                    "pfn": node.pfn, "skipped": skipped})
        return out

    def _work_state(self) -> dict[str, Any]:
        work = self.prdev.work
        assert work is not None
        pr = self.pr
        stopped = work.running is not None
        zone = pr.zone if stopped else None
        mt = pr.stop_mt if stopped else None
        return {
            "pending": work.pending,
            "due_ms": work.due_ms if work.pending else None,
            "phase": work.phase.value if stopped else WorkPhase.IDLE.value,
            "zone": zone.name if zone is not None else None,
            "order": pr.stop_order if stopped else None,
            "migratetype": MIGRATETYPE_NAMES[mt] if mt is not None else None,
            "budget": pr.stop_budget if stopped else None,
        }

    def zone_state(self, zone: Zone) -> dict[str, Any]:
        return {}  # no per-zone flags or counts in this design

    def marked_pfns(self, zone: Zone) -> list[int]:
        return marked_on_lists(zone, self.pr.min_order, self.pgdat.max_order)  # marked only from min_order up

    def batch(self) -> list[Page]:
        """The blocks in used slots, in slot order (ascending index: the reverse of the pulls)."""
        sgl = self.pr.sgl
        return [page for page in sgl if page is not None] if sgl is not None else []

    def invariant_problems(self) -> list[str]:
        pr = self.pr
        problems: list[str] = []
        for zone in self.pgdat.node_zones:
            blocks = pages = 0
            for order, area in enumerate(zone.free_area):
                for head in area.free_list:
                    node = head.next
                    while type(node) is Page:
                        if PageReported(node):
                            if order < pr.min_order:
                                problems.append(f"pfn {node.pfn} is Reported at order {order} < min_order")
                            blocks += 1
                            pages += 1 << order
                        node = node.next
            if (blocks, pages) != (pr.reported_blocks[zone.idx], pr.reported_pages[zone.idx]):
                problems.append(f"{zone.name}: {blocks} Reported blocks of {pages} pages, but the counts say "
                                f"{pr.reported_blocks[zone.idx]} of {pr.reported_pages[zone.idx]}")
        work = self.prdev.work
        assert work is not None
        state = self.prdev.state.value
        if work.running is None:
            if pr.sgl is not None or pr.zone is not None:
                problems.append("no pass runs, yet a scatterlist or a zone is left from one")
            if state is ReportingState.ACTIVE:
                problems.append("between passes the device state is active")
            if self.registered and work.pending != (state is ReportingState.REQUESTED):
                problems.append(f"between passes the work is {'' if work.pending else 'not '}pending "
                                f"while the state is {state}")
            if not self.registered and work.pending:
                problems.append("the work is pending with no device registered")
        else:
            if state is ReportingState.IDLE:
                problems.append("a pass is stopped while the device state is idle")
            if work.pending:
                problems.append("work is pending while a pass is stopped")
            sgl = pr.sgl
            if sgl is None:
                problems.append("a pass is stopped without a scatterlist")
            else:
                used = [i for i, page in enumerate(sgl) if page is not None]
                if used and used != list(range(used[0], pr.capacity)):
                    problems.append(f"the used slots {used} are not the last ones of the scatterlist")
                for page in self.batch():
                    if page_order(page) < pr.min_order:
                        problems.append(f"batch block {page.pfn} is of order {page_order(page)} < min_order")
        return problems

    def anomalies(self) -> list[dict[str, Any]]:
        return []  # MODEL-REPORTING.md asks for none; the design's rules are invariants

    # --- checkpoints ---------------------------------------------------------------------------

    def copy_into(self, other: Any, pgdat: PglistData) -> None:
        assert isinstance(other, ReportingDesign)
        src, dst = self.pr, other.pr
        assert src.sgl is None, "a checkpoint in the middle of a pass"
        dst.page_reporting_enabled = src.page_reporting_enabled
        other.notify_from_order = self.notify_from_order
        dst.reported_blocks = list(src.reported_blocks)
        dst.reported_pages = list(src.reported_pages)
        dst.costs = src.costs.copy()
        if src.pr_dev_info is self.prdev:
            dst.pr_dev_info = other.prdev
        other.prdev.state.value = self.prdev.state.value
        ws, wd = self.prdev.work, other.prdev.work
        assert ws is not None and wd is not None
        wd.pending = ws.pending
        wd.due_ms = ws.due_ms
