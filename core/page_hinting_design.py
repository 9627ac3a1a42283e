"""The seed as a design: its hooks on the allocator, its device, and what it shows.

page_hinting.py is the seed's code; this module plugs it into the seam
(design.py).  Down, the allocator's hooks become the seed's inline helpers:
a Hinted page leaving or moving a list goes through `clear_page_hinted`
(and the host counts a wasted hint when it was merged away or moved), a tail
insert asks `get_unhinted_tail`, a free calls `page_hinting_notify_free`
behind the static key.  Up, it builds the state's "hinting" object, the
zones' seed fields, the seed's invariants and anomalies, and its copy for
checkpoints.  The device is the v2 virtio-balloon of patch 5/5 as far as the
seed sees it: a capacity, and a `react` that hands the batch to the host.
What the seed's work costs (costs.py) is counted in page_hinting.py; the
hooks here add the reports the allocator wastes, and `_react` the batches.
"""

from __future__ import annotations

from typing import Any

from .anomalies import anomaly
from .config import (
    DEFAULT_CAPACITY,
    DEFAULT_DELAY_MS,
    DEFAULT_HWM,
    HintingConfig,
    MachineConfig,
    want_bool,
    want_int,
)
from .costs import ALLOCATED, MERGED, MOVED, STOLEN
from .design import HintingDesign, marked_on_lists, same_list_head
from .errors import HintingBusy
from .host import Host
from .lists import ListHead
from .mmzone import (
    MIGRATE_TYPES,
    MIGRATETYPE_NAMES,
    FreeList,
    Leave,
    Move,
    Page,
    PageBuddy,
    PglistData,
    Zone,
    page_migratetype,
    page_order,
)
from .page_hinting import (
    EBUSY,
    PageHinted,
    PageHinting,
    PageHintingDevInfo,
    clear_page_hinted,
    get_unhinted_tail,
    hint_wasted,
    note_boundary_left,
    page_hinting_notify_free,
    page_hinting_process,
    page_hinting_shutdown,
    page_hinting_startup,
    page_hinting_take_stock,
)
from .page_hinting_events import (
    HINTED_NOT_AT_TAIL,
    NOTIFY_QUIET,
    NR_FREE_PAGES_DRIFT,
    REACT,
    TAIL,
    UNHINTED_BEHIND_BOUNDARY,
    WORK_START,
    WORK_STOP,
)
from .seedref import seed_lines
from .workqueue import Clock, DelayedWork, WorkPhase


class SeedDesign(HintingDesign):
    """"mm: Introduce Hinted pages" (v2, July 2019), live on one machine."""

    name = "seed"
    mark_name = "Hinted"
    marked_field = "hinted"
    stop_phases = frozenset({WorkPhase.REACT, WorkPhase.DRAIN})
    work_start_event = WORK_START
    work_stop_event = WORK_STOP
    page_encoding = "offline-alias"  # PAGE_TYPE_OPS(Hinted, offline)
    batch_keeps_order = True  # get_unhinted_page: set_page_private(page, order)

    def __init__(self, pgdat: PglistData, clock: Clock, host: Host, config: HintingConfig) -> None:
        super().__init__(pgdat, clock, host, config)
        self.config: HintingConfig = config
        self.ph = PageHinting(pgdat, clock, host, self, config.min_order, config.hwm, config.delay_ms)
        self.phdev = PageHintingDevInfo(config.capacity, self._react)
        # The work item page_hinting_startup initialises (INIT_DELAYED_WORK); made once, here.
        self.work = self.phdev.work = DelayedWork(lambda: page_hinting_process(self.ph, self.phdev), clock,
                                                  self.stop_phases)
        # get_unhinted_tail differs from the list head only from min_order up (and while ACTIVE).
        self.tail_from_order = config.min_order

    # --- configuration ------------------------------------------------------------

    @classmethod
    def default_config(cls, machine: MachineConfig) -> HintingConfig:
        return HintingConfig(min_order=machine.pageblock_order)

    @classmethod
    def parse_config(cls, obj: dict[str, Any], machine: MachineConfig, path: str) -> HintingConfig:
        min_order = want_int(obj.get("min_order", machine.pageblock_order), f"{path}.min_order", 0,
                             machine.max_order - 1)
        hwm = want_int(obj.get("hwm", DEFAULT_HWM), f"{path}.hwm", 0)
        capacity = want_int(obj.get("capacity", DEFAULT_CAPACITY), f"{path}.capacity", 1, 1 << 20)
        delay_ms = want_int(obj.get("delay_ms", DEFAULT_DELAY_MS), f"{path}.delay_ms", 0, 10**9)
        stepping = want_bool(obj.get("stepping", False), f"{path}.stepping")
        return HintingConfig(min_order, hwm, capacity, delay_ms, stepping)

    # --- the allocator's hooks (include/linux/page_hinting.h and the mmzone.h hunks) --

    def marked_page_leaves(self, page: Page, zone: Zone, order: int, why: Leave) -> None:
        # del_page_from_free_list: "Clear Hinted flag, if present, before clearing the Buddy flag"
        note_boundary_left(self.ph, page, zone, why.name.lower())
        clear_page_hinted(self.ph, page, zone)
        if why is Leave.MERGE:
            self.ph.costs.wasted[MERGED] += 1
            hint_wasted(self.ph, zone, page.pfn, order, "merge")
        elif why is Leave.ALLOC:
            self.ph.costs.wasted[ALLOCATED] += 1

    def marked_page_moves(self, page: Page, zone: Zone, order: int, migratetype: int, why: Move) -> None:
        # move_to_free_list: "It is cheaper to just process this page again"
        same = page_migratetype(page) == migratetype  # to the head of the list it is on
        note_boundary_left(self.ph, page, zone, "move_same" if same else "move")
        clear_page_hinted(self.ph, page, zone, on_list=True)
        self.ph.costs.wasted[STOLEN if why is Move.STEAL else MOVED] += 1
        hint_wasted(self.ph, zone, page.pfn, order, "move_same" if same else "move")

    def tail_entry(self, zone: Zone, order: int, migratetype: int) -> ListHead:
        tail = get_unhinted_tail(self.ph, zone, order, migratetype)
        trace = self.pgdat.trace
        if trace is not None:  # which tail add_to_free_list_tail got, and why
            where = tail.pfn if type(tail) is Page else None
            last = zone.free_area[order].free_list[migratetype].prev  # what a real-tail insert goes behind
            hinted_last = last.pfn if type(last) is Page and PageHinted(last) else None
            trace.append((TAIL, zone.idx, where, order, migratetype, (self.ph.zones[zone.idx].active, hinted_last)))
        return tail

    def notify_free(self, zone: Zone, order: int) -> None:
        # The inline page_hinting_notify_free tests its static key first.
        if self.ph.page_hinting_notify_enabled:
            page_hinting_notify_free(self.ph, zone, order)
        else:
            self.notify_quiet(zone, order)

    def notify_quiet(self, zone: Zone, order: int) -> None:
        """A free the fast path kept from page_hinting_notify_free (recording only): say which test returned."""
        trace = self.pgdat.trace
        if trace is not None:
            why = "order" if self.ph.page_hinting_notify_enabled else "key"  # the key is tested first
            trace.append((NOTIFY_QUIET, zone.idx, None, order, None, (why, self.ph.min_order)))

    # --- the device ------------------------------------------------------------------

    def _react(self, phdev: PageHintingDevInfo, num_hints: int) -> None:
        """virtio-balloon's react: the host drops every page of the batch."""
        sg = phdev.sg or []
        blocks = [(page.pfn, page_order(page)) for page in sg[:num_hints]]
        zone = self.ph.cycling_zone or self.pgdat.page_zone(blocks[0][0])
        dropped = self.host.report(blocks, self.ph.costs)
        trace = self.pgdat.trace
        if trace is not None:
            trace.append((REACT, zone.idx, None, None, None,
                          (num_hints, sum(1 << o for _, o in blocks), dropped, tuple(blocks))))

    # --- steps ---------------------------------------------------------------------------

    def start(self) -> None:
        if page_hinting_startup(self.ph, self.phdev) == -EBUSY:
            raise HintingBusy("hinting is already on (page_hinting_startup returns -EBUSY)", "do")
        self.ph.costs.started(self.clock.now_ms)
        page_hinting_take_stock(self.ph)

    def stop(self) -> None:
        page_hinting_shutdown(self.ph, self.phdev)

    def work_zone(self) -> Zone | None:
        return self.ph.cycling_zone

    # --- the read side ------------------------------------------------------------------

    def state(self) -> dict[str, Any]:
        return {
            "design": self.name,
            "enabled": self.ph.ph_dev_info is not None,
            "refcnt": self.phdev.refcnt,
            "work": self._work_state(),
            "batch": [
                {"pfn": page.pfn, "order": page_order(page), "migratetype": MIGRATETYPE_NAMES[page_migratetype(page)]}
                for page in self.batch()
            ],
            "boundary": self._boundary_state(),
            "costs": self.ph.costs.to_json(self.host.refaults),
        }

    def _work_state(self) -> dict[str, Any]:
        work = self.phdev.work
        if work is None:
            return {"pending": False, "due_ms": None, "phase": WorkPhase.IDLE.value, "zone": None}
        zone = self.ph.cycling_zone
        running = work.running is not None
        return {
            "pending": work.pending,
            "due_ms": work.due_ms if work.pending else None,
            "phase": work.phase.value if running else WorkPhase.IDLE.value,
            "zone": zone.name if (running and zone is not None) else None,
        }

    def _boundary_state(self) -> dict[str, Any]:
        ph = self.ph
        if ph.boundary is None:
            return {}
        out: dict[str, Any] = {}
        for i, row in enumerate(ph.boundary):
            entries: dict[str, dict[str, Any]] = {}
            for mt in range(MIGRATE_TYPES):
                target = row[mt]
                if target is None:
                    continue
                if type(target) is FreeList:
                    entries[MIGRATETYPE_NAMES[mt]] = {"zone": target.zone.name, "pfn": None}
                elif type(target) is int:
                    entry: dict[str, Any] = {"zone": self.pgdat.page_zone(target).name, "pfn": target}
                    # Beyond FORMATS.md: the block it names is no longer on this list (views mark it, never derive it).
                    if not self._on_list(target, ph.min_order + i, mt):
                        entry["stale"] = True
                    entries[MIGRATETYPE_NAMES[mt]] = entry
            out[str(ph.min_order + i)] = entries
        return out

    def zone_state(self, zone: Zone) -> dict[str, Any]:
        zh = self.ph.zones[zone.idx]
        return {
            "flags": {"requested": zh.requested, "active": zh.active},
            "hinted_pages": list(zh.hinted_pages) if zh.hinted_pages is not None else None,
        }

    def marked_pfns(self, zone: Zone) -> list[int]:
        return marked_on_lists(zone, self.ph.min_order, self.pgdat.max_order)  # marked only from min_order up

    def batch(self) -> list[Page]:
        return self.phdev.sg or []

    def nr_free_pages_drift(self, zone: Zone) -> int:
        return self.ph.zones[zone.idx].nr_free_pages_drift

    def invariant_problems(self) -> list[str]:
        problems: list[str] = []
        min_order = self.ph.min_order
        for zone in self.pgdat.node_zones:
            counts = [0] * self.pgdat.max_order
            for order, area in enumerate(zone.free_area):
                for head in area.free_list:
                    node = head.next
                    while type(node) is Page:
                        if PageHinted(node):
                            if order < min_order:
                                problems.append(f"pfn {node.pfn} is Hinted at order {order} < min_order")
                            counts[order] += 1
                        node = node.next
            hinted_pages = self.ph.zones[zone.idx].hinted_pages
            if hinted_pages is None:
                if any(counts):
                    problems.append(f"{zone.name}: Hinted blocks but no hinted_pages")
                continue
            for i, count in enumerate(hinted_pages):
                if count != counts[min_order + i]:
                    problems.append(f"{zone.name}: hinted_pages[o{min_order + i}] = {count}, "
                                    f"Hinted blocks = {counts[min_order + i]}")
        return problems

    # --- anomalies --------------------------------------------------------------------------

    def anomalies(self) -> list[dict[str, Any]]:
        ph = self.ph
        out: list[dict[str, Any]] = []
        for zone in self.pgdat.node_zones:
            for order in range(ph.min_order, self.pgdat.max_order):
                for mt in range(MIGRATE_TYPES):
                    found = self._hinted_not_at_tail(zone, order, mt)
                    if found is not None:
                        out.append(found)
        if ph.boundary is not None:
            for i, row in enumerate(ph.boundary):
                for mt in range(MIGRATE_TYPES):
                    target = row[mt]
                    if type(target) is int:
                        out.extend(self._boundary_anomalies(ph.min_order + i, mt, target))
        for zone in self.pgdat.node_zones:
            drift = ph.zones[zone.idx].nr_free_pages_drift
            if drift:
                out.append(
                    anomaly(
                        NR_FREE_PAGES_DRIFT,
                        zone.name,
                        None,
                        None,
                        None,
                        f"{zone.name}'s NR_FREE_PAGES is {drift} pages short of its free lists for good "
                        "(blocks hinted from an Isolate list)",
                        pages=drift,
                    )
                )
        return out

    def _hinted_not_at_tail(self, zone: Zone, order: int, mt: int) -> dict[str, Any] | None:
        head = zone.free_area[order].free_list[mt]
        first_hinted = None
        node = head.next
        while type(node) is Page:
            if PageHinted(node):
                if first_hinted is None:
                    first_hinted = node.pfn
            elif first_hinted is not None:
                return self._not_at_tail_why(zone, order, mt, first_hinted, node.pfn)
            node = node.next
        return None

    def _not_at_tail_why(self, zone: Zone, order: int, mt: int, first_hinted: int, pfn: int) -> dict[str, Any]:
        """The condition, citing the code that let a tail insert go behind the Hinted run in this case.

        A block gets behind a Hinted one only by a tail insert whose tail was
        the real one: get_unhinted_tail hands out the list head itself while
        the zone is not ACTIVE; while it is ACTIVE it hands out the boundary,
        and a Hinted block in front of the boundary can only be one an
        earlier cycle left at the tail: this cycle's puts all go in front of
        the boundary and move it onto themselves, and the boundary only moves
        tailwards otherwise.  So the reset of the boundary to the list head,
        behind that block, is the cause.
        """
        name = MIGRATETYPE_NAMES[mt]
        where = f"{pfn} (unhinted) sits behind Hinted {first_hinted} on {name} order {order}"
        if not self.ph.zones[zone.idx].active:
            why = (f"{zone.name} is not ACTIVE, so get_unhinted_tail gives add_to_free_list_tail the list head "
                   "itself and a tail free goes to the real tail")
            return anomaly(HINTED_NOT_AT_TAIL, zone.name, order, mt, pfn, f"{where}: {why}", active=False)
        boundary = self.ph.boundary[order - self.ph.min_order][mt] if self.ph.boundary is not None else None
        named = "the list head" if type(boundary) is FreeList else str(boundary)
        why = (f"{zone.name} is ACTIVE, but {first_hinted} is in front of boundary[{order}][{name}] ({named}): an "
               "earlier cycle left it at the tail, and this cycle's page_hinting_populate_metadata reset the "
               "boundary to the list head, behind it, before ACTIVE was set; tail inserts since go behind it")
        return anomaly(HINTED_NOT_AT_TAIL, zone.name, order, mt, pfn, f"{where}: {why}", active=True,
                       seed_fn="page_hinting_reset_boundary", seed_lines=seed_lines("page_hinting_reset_boundary"),
                       also_seed_lines=[seed_lines("page_hinting_populate_metadata: reset")])

    def _on_list(self, pfn: int, order: int, mt: int) -> bool:
        """Is the block at `pfn` a free block on the (order, mt) list, where a boundary there must point?"""
        node = self.pgdat.mem_map[pfn]
        return type(node) is Page and PageBuddy(node) and page_order(node) == order and page_migratetype(node) == mt

    def _boundary_anomalies(self, order: int, mt: int, pfn: int) -> list[dict[str, Any]]:
        """Guards on a boundary while its zone is ACTIVE.

        Outside a cycle a boundary may name a block that left its list (the
        state marks it `stale`): that is ordinary and harmless, since nothing
        reads a boundary then and the next cycle resets every one before it
        sets ACTIVE.  Only while ACTIVE would it matter, and get_unhinted_tail
        reports that case when it happens (stale_boundary_used).
        """
        pgdat = self.pgdat
        zone = pgdat.page_zone(pfn)
        if not self.ph.zones[zone.idx].active or not self._on_list(pfn, order, mt):
            return []
        node = pgdat.mem_map[pfn]
        name = MIGRATETYPE_NAMES[mt]
        assert type(node) is Page  # _on_list: a free block heads this list
        entry: ListHead = node
        while type(entry) is Page:
            if not PageHinted(entry):
                return [
                    anomaly(
                        UNHINTED_BEHIND_BOUNDARY,
                        zone.name,
                        order,
                        mt,
                        entry.pfn,
                        f"{entry.pfn} is unhinted but behind boundary[{order}][{name}] at {pfn}",
                    )
                ]
            entry = entry.next
        return []

    # --- checkpoints ---------------------------------------------------------------------------

    def copy_into(self, other: Any, pgdat: PglistData) -> None:
        assert isinstance(other, SeedDesign)
        src, dst = self.ph, other.ph
        if src.boundary is not None:
            dst.boundary = [
                [same_list_head(pgdat, entry) if type(entry) is FreeList else entry for entry in row]
                for row in src.boundary
            ]
        for zs, zd in zip(src.zones, dst.zones, strict=True):
            zd.requested = zs.requested
            zd.active = zs.active
            zd.hinted_pages = list(zs.hinted_pages) if zs.hinted_pages is not None else None
            zd.nr_free_pages_drift = zs.nr_free_pages_drift
        dst.page_hinting_notify_enabled = src.page_hinting_notify_enabled
        dst.costs = src.costs.copy()
        other.notify_from_order = self.notify_from_order
        dev_s, dev_d = self.phdev, other.phdev
        dev_d.refcnt = dev_s.refcnt
        dev_d.sg = [] if dev_s.sg is not None else None
        if src.ph_dev_info is dev_s:
            dst.ph_dev_info = dev_d
        assert dev_s.work is not None and dev_d.work is not None
        dev_d.work.pending = dev_s.work.pending
        dev_d.work.due_ms = dev_s.work.due_ms
