"""The whole guest: zones, the seed's hinting device, a virtual clock and the host.

`Machine` is the core's API.  Each public method is one scenario step; each
either changes the machine or raises a typed error (errors.py) having changed
nothing.  `apply` runs a step given as JSON and returns its result the way
the replay format records it.

The device is the v2 virtio-balloon of patch 5/5 as far as the seed sees it:
a capacity, and a `react` that hands the batch to the host.
"""

from __future__ import annotations

from typing import Any

from .config import HintingConfig, MachineConfig
from .errors import (
    HintingBusy,
    InvalidInput,
    NoFreeBlock,
    NotAllocated,
    NothingToStep,
    StepFailed,
    UnknownRef,
    WrongOrder,
)
from .host import Host
from .initial_state import apply_initial_state
from .mmzone import (
    ALLOC_MIGRATETYPES,
    MIGRATE_ISOLATE,
    MIGRATE_MOVABLE,
    MIGRATETYPE_BY_NAME,
    MIGRATETYPE_NAMES,
    MT_SHIFT,
    ORDER_MASK,
    SPARE_PAGES_MAX,
    Page,
    PglistData,
    Zone,
    get_pageblock_migratetype,
)
from .page_alloc import __free_one_page as _free_one_page  # a plain name: no mangling inside the class
from .page_alloc import __rmqueue as _rmqueue
from .page_alloc import __rmqueue_smallest as _rmqueue_smallest
from .page_alloc import free_one_page, move_freepages_block, set_pageblock_migratetype
from .page_hinting import (
    EBUSY,
    PageHinting,
    PageHintingDevInfo,
    page_hinting_shutdown,
    page_hinting_startup,
)
from .steps import parse_step
from .take_page import alloc_at
from .workqueue import Clock, run_work, start_work

_FAILED = "failed"
_ALLOC_MT = {MIGRATETYPE_NAMES[mt]: mt for mt in ALLOC_MIGRATETYPES}
_FREED = "freed"


class Machine:
    """A booted guest.  Build one with `Machine(MachineConfig(), HintingConfig())`."""

    def __init__(
        self,
        machine: MachineConfig | None = None,
        hinting: HintingConfig | None = None,
        *,
        record_events: bool = False,
        check_invariants: bool = False,
        boot: bool = True,
    ) -> None:
        self.machine_config = machine = machine or MachineConfig()
        self.hinting_config = hinting = hinting or HintingConfig(min_order=machine.pageblock_order)
        self.clock = Clock()
        pgdat = PglistData(machine.max_order, machine.pageblock_order, list(machine.zones))
        self.pgdat = pgdat
        self._zone_by_name = {zone.name: zone for zone in pgdat.node_zones}
        self.host = Host(pgdat.nr_pages, 1 << (machine.max_order - 1))
        pgdat.host = self.host
        self.hinting = PageHinting(pgdat, self.clock, hinting.min_order, hinting.hwm, hinting.delay_ms)
        pgdat.hooks = self.hinting
        self.phdev = PageHintingDevInfo(hinting.capacity, self._react)
        self.stepping = hinting.stepping
        self.check_invariants = check_invariants
        self.steps_applied = 0
        # Scenario names given by `alloc ... as`: name -> (pfn, order) or a marker.
        self.refs: dict[str, tuple[int, int] | str] = {}
        self._ref_of_pfn: dict[int, str] = {}
        # Zones that have had an isolated pageblock: there, free buddies above
        # pageblock_order may legitimately stay unmerged (see invariants.py).
        self.isolation_seen: set[str] = set()
        self._handlers = self._step_handlers()
        if boot:
            self._boot()
            if machine.initial:  # a scenario's initial state (initial_state.py)
                apply_initial_state(self, machine.initial)
        pgdat.trace = [] if record_events else None

    # --- boot ---------------------------------------------------------------

    def _boot(self) -> None:
        """Release every zone to the allocator, max-order block by block, as Movable."""
        pgdat = self.pgdat
        size_order = pgdat.max_order - 1
        for zone in pgdat.node_zones:
            for pfn in range(zone.zone_start_pfn, zone.zone_end_pfn, 1 << size_order):
                free_one_page(zone, pfn, size_order, MIGRATE_MOVABLE)

    # --- checkpoints ----------------------------------------------------------

    @property
    def cloneable(self) -> bool:
        """A machine can be copied unless its work is stopped mid-cycle (a live generator)."""
        work = self.phdev.work
        return work is None or work.running is None

    def clone(self, record_events: bool | None = None) -> Machine:
        """An independent copy, for time travel checkpoints.

        O(pages) for one list copy plus O(free blocks) in Python.  Refused
        while the work is stopped mid-cycle: a suspended generator cannot be
        copied, so checkpoints are taken between cycles.
        """
        if not self.cloneable:
            raise ValueError("cannot clone a machine whose hinting work is stopped mid-cycle")
        rec = self.recording if record_events is None else record_events
        new = Machine(self.machine_config, self.hinting_config, record_events=rec,
                      check_invariants=self.check_invariants, boot=False)
        new.clock.now_ms = self.clock.now_ms
        new.stepping = self.stepping
        new.steps_applied = self.steps_applied
        new.refs = dict(self.refs)
        new._ref_of_pfn = dict(self._ref_of_pfn)
        new.isolation_seen = set(self.isolation_seen)

        old_host, host = self.host, new.host
        host.nonresident[:] = old_host.nonresident
        host.nr_nonresident = old_host.nr_nonresident
        host.reported_pages = old_host.reported_pages
        host.refaults = old_host.refaults
        host.wasted_hints = old_host.wasted_hints

        src, dst = self.pgdat, new.pgdat
        mem_map = src.mem_map.copy()  # ints and Nones are shared; Pages are replaced below
        dst.mem_map = mem_map
        for zs, zd in zip(src.node_zones, dst.node_zones, strict=True):
            zd.pageblock_mt[:] = zs.pageblock_mt
            zd.nr_isolate_pageblock = zs.nr_isolate_pageblock
            zd.requested = zs.requested
            zd.active = zs.active
            zd.hinted_pages = list(zs.hinted_pages) if zs.hinted_pages is not None else None
            for area_s, area_d in zip(zs.free_area, zd.free_area, strict=True):
                area_d.nr_free = area_s.nr_free
                for head_s, head_d in zip(area_s.free_list, area_d.free_list, strict=True):
                    node = head_s.next
                    while node is not head_s:
                        page = Page(node.pfn, node.info)  # type: ignore[union-attr]
                        mem_map[page.pfn] = page
                        last = head_d.prev
                        page.prev = last
                        page.next = head_d
                        last.next = page  # type: ignore[union-attr]
                        head_d.prev = page
                        node = node.next  # type: ignore[union-attr]

        ph_s, ph_d = self.hinting, new.hinting
        if ph_s.boundary is not None:
            ph_d.boundary = [
                [new._map_boundary(entry) for entry in row] for row in ph_s.boundary
            ]
        ph_d.page_hinting_notify_enabled = ph_s.page_hinting_notify_enabled
        ph_d.notify_from_order = ph_s.notify_from_order
        dev_s, dev_d = self.phdev, new.phdev
        dev_d.refcnt = dev_s.refcnt
        dev_d.sg = [] if dev_s.sg is not None else None
        if ph_s.ph_dev_info is dev_s:
            ph_d.ph_dev_info = dev_d
        if dev_s.work is not None:
            from .page_hinting import page_hinting_process
            from .workqueue import DelayedWork

            dev_d.work = DelayedWork(lambda: page_hinting_process(ph_d, dev_d), new.clock)
            dev_d.work.pending = dev_s.work.pending
            dev_d.work.due_ms = dev_s.work.due_ms
        return new

    def _map_boundary(self, entry: Any) -> Any:
        """A boundary entry of another machine, in this one (list heads are per machine)."""
        if entry is None or entry.__class__ is int:
            return entry
        return self.pgdat.node_zones[entry.zone.idx].free_area[entry.order].free_list[entry.migratetype]

    # --- lookups --------------------------------------------------------------

    @property
    def zones(self) -> list[Zone]:
        return self.pgdat.node_zones

    @property
    def now_ms(self) -> int:
        return self.clock.now_ms

    def zone(self, name: str) -> Zone:
        for zone in self.pgdat.node_zones:
            if zone.name == name:
                return zone
        names = ", ".join(z.name for z in self.pgdat.node_zones)
        raise InvalidInput(f"unknown zone {name!r}; this machine has {names}", "zone")

    def _check_pfn(self, pfn: Any, field: str = "pfn") -> int:
        if isinstance(pfn, bool) or not isinstance(pfn, int):
            raise InvalidInput(f"must be an integer, got {pfn!r}", field)
        if not 0 <= pfn < self.pgdat.nr_pages:
            raise StepFailed(f"pfn {pfn} is outside this machine (pfns 0..{self.pgdat.nr_pages - 1})", field)
        return pfn

    @property
    def trace(self) -> list[tuple[Any, ...]] | None:
        return self.pgdat.trace

    # --- events -----------------------------------------------------------------

    @property
    def recording(self) -> bool:
        return self.pgdat.trace is not None

    def record_events(self, on: bool) -> None:
        if on and self.pgdat.trace is None:
            self.pgdat.trace = []
        elif not on:
            self.pgdat.trace = None

    def take_raw_events(self) -> list[tuple[Any, ...]]:
        """The raw event tuples recorded since the last call (see events.py)."""
        trace = self.pgdat.trace
        if trace is None:
            return []
        out = trace[:]
        trace.clear()
        return out

    def _event(self, *ev: Any) -> None:
        trace = self.pgdat.trace
        if trace is not None:
            trace.append(ev)

    # --- allocator steps --------------------------------------------------------

    def alloc(self, zone: str, order: int, migratetype: str = "Movable", name: str | None = None) -> int:
        """Allocate a block; returns its pfn.  `name` is a scenario's `as`."""
        z = self._zone_by_name.get(zone)
        if z is None:
            self.zone(zone)  # raises the error naming the zones
        if order.__class__ is not int or not 0 <= order < self.pgdat.max_order:
            raise InvalidInput(f"must be an integer in 0..{self.pgdat.max_order - 1}, got {order!r}", "order")
        mt = _ALLOC_MT.get(migratetype)
        if mt is None:
            raise InvalidInput(f"must be Unmovable, Movable or Reclaimable, got {migratetype!r}", "migratetype")
        return self._alloc(z, order, mt, name)  # type: ignore[arg-type]

    def _alloc(self, z: Zone, order: int, mt: int, name: str | None) -> int:
        """alloc() once its arguments are known to be good."""
        page = _rmqueue_smallest(z, order, mt)
        if page is None:
            page = _rmqueue(z, order, mt)  # __rmqueue: the fallback and retry
            if page is None:
                if name is not None:
                    self._bind(name, _FAILED)
                self._event("alloc_failed", z.idx, None, order, mt, None)
                raise NoFreeBlock(
                    f"no free block of order {order} or above for {MIGRATETYPE_NAMES[mt]} in zone {z.name}", "order"
                )
        pfn = page.pfn
        pgdat = self.pgdat
        pgdat.mem_map[pfn] = order | (mt << MT_SHIFT)  # set_pcppage_migratetype: the block is allocated
        spare = pgdat.spare_pages  # the Page no longer heads a free block
        if len(spare) < SPARE_PAGES_MAX:
            spare.append(page)
        # The guest touches its new block; pages the host dropped fault back in.
        host = self.host
        refaults = 0
        if host.nr_nonresident and host.nonresident.find(1, pfn, pfn + (1 << order)) >= 0:
            refaults = host.touch(pfn, order)
        trace = pgdat.trace
        if trace is not None:
            trace.append(("alloc", z.idx, pfn, order, mt, refaults))
        if name is not None:
            self._bind(name, (pfn, order))
            self._ref_of_pfn[pfn] = name
        return pfn

    def _bind(self, name: str, value: tuple[int, int] | str) -> None:
        old = self.refs.get(name)
        if isinstance(old, tuple) and self._ref_of_pfn.get(old[0]) == name:
            del self._ref_of_pfn[old[0]]
        self.refs[name] = value

    def free(self, pfn: int, order: int | None = None) -> None:
        """Free an allocated block by its first pfn (and, optionally, its order)."""
        pgdat = self.pgdat
        if pfn.__class__ is not int or not 0 <= pfn < pgdat.nr_pages:
            self._check_pfn(pfn)  # raises the right error
        entry = pgdat.mem_map[pfn]
        if entry.__class__ is not int:
            raise NotAllocated(self._why_not_allocated(pfn, entry), "pfn")
        block_order = entry & ORDER_MASK
        if order is not None and order != block_order:
            raise WrongOrder(f"pfn {pfn} is an allocated block of order {block_order}, not order {order}", "order")
        zone = pgdat.zone_of_block[pfn >> pgdat.block_shift]
        mt = zone.pageblock_mt[(pfn - zone.zone_start_pfn) >> pgdat.pageblock_order]  # get_pageblock_migratetype
        trace = pgdat.trace
        if trace is not None:
            trace.append(("free", zone.idx, pfn, block_order, mt, entry >> MT_SHIFT))
        if self._ref_of_pfn:
            name = self._ref_of_pfn.pop(pfn, None)
            if name is not None:
                self.refs[name] = _FREED
        _free_one_page(None, pfn, zone, block_order, mt, False)

    def free_ref(self, name: str, order: int | None = None) -> None:
        ref = self.refs.get(name)
        if ref is None:
            raise UnknownRef(f"no allocation was named {name!r}", "ref")
        if ref == _FAILED:
            raise UnknownRef(f"the allocation named {name!r} failed; there is nothing to free", "ref")
        if ref == _FREED:
            raise NotAllocated(f"the block named {name!r} was already freed", "ref")
        pfn, block_order = ref  # type: ignore[misc]
        self.free(pfn, block_order if order is None else order)

    def _why_not_allocated(self, pfn: int, entry: Any) -> str:
        if entry.__class__ is Page:
            if entry.prev is None:
                return f"pfn {pfn} is in the hinting batch (in flight to the host), not allocated"
            state = "free and Hinted" if entry.info & 0x80 else "free"
            return f"pfn {pfn} is {state} (order {entry.info & ORDER_MASK}), not allocated"
        mem_map = self.pgdat.mem_map
        for k in range(1, self.pgdat.max_order):
            head = pfn & ~((1 << k) - 1)
            e = mem_map[head]
            if e is None:
                continue
            size = 1 << (e & ORDER_MASK if e.__class__ is int else e.info & ORDER_MASK)
            if head + size > pfn:
                what = "an allocated" if e.__class__ is int else "a free"
                return f"pfn {pfn} is inside {what} block that starts at pfn {head}; free it by its first pfn"
            break
        return f"pfn {pfn} is not the first page of an allocated block"

    def move_pageblock(self, pfn: int, migratetype: str) -> int:
        """set_pageblock_migratetype + move_freepages_block; returns pages moved."""
        pfn = self._check_pfn(pfn)
        mt = MIGRATETYPE_BY_NAME.get(migratetype)
        if mt is None:
            raise InvalidInput(f"must be one of {', '.join(MIGRATETYPE_NAMES)}, got {migratetype!r}", "migratetype")
        zone = self.pgdat.page_zone(pfn)
        old = get_pageblock_migratetype(zone, pfn)
        if MIGRATE_ISOLATE in (mt, old):
            self.isolation_seen.add(zone.name)
        self._event("move_pageblock", zone.idx, pfn, None, mt, old)
        set_pageblock_migratetype(zone, pfn, mt)
        moved, _ = move_freepages_block(zone, pfn, mt)
        return moved

    # --- the device -------------------------------------------------------------

    def _react(self, phdev: PageHintingDevInfo, num_hints: int) -> None:
        """virtio-balloon's react: the host drops every page of the batch."""
        sg = phdev.sg or []
        blocks = [(page.pfn, page.info & ORDER_MASK) for page in sg[:num_hints]]
        zone = self.hinting.cycling_zone or self.pgdat.page_zone(blocks[0][0])
        dropped = self.host.react(zone, blocks)
        self._event("react", zone.idx, None, None, None,
                    (num_hints, sum(1 << o for _, o in blocks), dropped, tuple(blocks)))

    @property
    def work(self):  # type: ignore[no-untyped-def]
        return self.phdev.work

    def hinting_start(self) -> None:
        if page_hinting_startup(self.hinting, self.phdev) == -EBUSY:
            raise HintingBusy("hinting is already on (page_hinting_startup returns -EBUSY)", "do")

    def hinting_stop(self) -> None:
        page_hinting_shutdown(self.hinting, self.phdev)

    def _run(self, stop: bool) -> None:
        work = self.phdev.work
        assert work is not None
        phase = run_work(work, stop)
        if phase is not None:
            zone = self.hinting.cycling_zone
            self._event("work_stop", zone.idx if zone else None, None, None, None, phase)

    def _start(self) -> None:
        work = self.phdev.work
        assert work is not None
        self._event("work_start", None, None, None, None, work.due_ms)
        start_work(work)

    def advance(self, ms: int) -> None:
        """Move virtual time; run the work if it falls due (MODEL.md, two ways to run)."""
        if isinstance(ms, bool) or not isinstance(ms, int) or ms <= 0:
            raise InvalidInput(f"must be a positive integer, got {ms!r}", "ms")
        target = self.clock.now_ms + ms
        work = self.phdev.work
        if work is not None and work.running is None and work.pending and work.due_ms <= target:  # type: ignore[operator]
            self.clock.now_ms = max(self.clock.now_ms, work.due_ms)  # type: ignore[type-var]
            self._event("clock", None, None, None, None, self.clock.now_ms)
            self._start()
            self._run(stop=self.stepping)
        self.clock.now_ms = target
        self._event("clock", None, None, None, None, target)

    def step(self) -> None:
        """Move the work to its next stopping point; start pending work now."""
        work = self.phdev.work
        if work is None or (work.running is None and not work.pending):
            raise NothingToStep("nothing to step: no hinting work is pending or running", "do")
        if work.running is not None:
            self._run(stop=True)
        else:
            self._start()
            self._run(stop=self.stepping)

    def set_stepping(self, on: bool) -> None:
        self.stepping = on
        self._event("stepping", None, None, None, None, on)
        work = self.phdev.work
        if not on and work is not None and work.running is not None:
            self._run(stop=False)

    # --- steps as JSON --------------------------------------------------------

    def apply(self, step: Any, path: str = "step") -> dict[str, Any]:
        """Run one scenario step.  Malformed steps raise InvalidInput; refused ones
        return {"ok": false, "error": ...} and change nothing."""
        return self.apply_parsed(parse_step(step, self.machine_config, path))

    def apply_parsed(self, step: dict[str, Any]) -> dict[str, Any]:
        """Run a step already checked by steps.parse_step."""
        trace = self.pgdat.trace
        if trace is not None:
            trace.append(("step", None, None, None, None, (self.steps_applied, step)))
        self.steps_applied += 1
        kind = step["do"]
        try:
            # The two commonest steps go straight to the allocator (a replay's hot loop).
            if kind == "alloc":
                if "pfn" in step:  # the block at that pfn (take_page.py; not a v5.3 path)
                    pfn = alloc_at(self, self._zone_by_name[step["zone"]], step["pfn"], step["order"],
                                   _ALLOC_MT[step["migratetype"]], step.get("as"))
                else:
                    pfn = self._alloc(self._zone_by_name[step["zone"]], step["order"],
                                      _ALLOC_MT[step["migratetype"]], step.get("as"))
                result = {"ok": True, "pfn": pfn}
            elif kind == "free":
                if "pfn" in step:
                    self.free(step["pfn"], step.get("order"))
                else:  # by a scenario name (imported traces free every block this way)
                    self.free_ref(step["ref"], step.get("order"))
                result = {"ok": True}
            else:
                result = self._handlers[kind](step)
        except StepFailed as err:
            result = {"ok": False, "error": err.message}
        if self.check_invariants:
            from .invariants import check_invariants

            check_invariants(self)
        return result

    def _step_handlers(self) -> dict[str, Any]:
        """One function per step kind, each returning the step's result.

        `alloc` and `free` by pfn are not here: apply_parsed runs them itself.
        """
        ok = {"ok": True}

        def simple(action: Any) -> Any:
            def run(step: dict[str, Any]) -> dict[str, Any]:
                action(step)
                return dict(ok)

            return run

        return {
            "free": simple(lambda s: self.free_ref(s["ref"], s.get("order"))),  # free by a scenario name
            "move_pageblock": simple(lambda s: self.move_pageblock(s["pfn"], s["migratetype"])),
            "hinting_start": simple(lambda s: self.hinting_start()),
            "hinting_stop": simple(lambda s: self.hinting_stop()),
            "advance": simple(lambda s: self.advance(s["ms"])),
            "step": simple(lambda s: self.step()),
            "stepping": simple(lambda s: self.set_stepping(s["on"])),
        }

    # --- views ----------------------------------------------------------------

    def state(self) -> dict[str, Any]:
        from .state import machine_state

        return machine_state(self)

    def free_list(self, zone: Zone, order: int, migratetype: int) -> list[int]:
        """pfns of one free list, head to tail."""
        head = zone.free_area[order].free_list[migratetype]
        out = []
        node = head.next
        while node is not head:
            out.append(node.pfn)  # type: ignore[union-attr]
            node = node.next  # type: ignore[union-attr]
        return out

    def allocated_blocks(self, zone: Zone) -> list[tuple[int, int, int]]:
        """(pfn, order, migratetype) of every allocated block, ascending."""
        start = zone.zone_start_pfn
        mem_map = self.pgdat.mem_map
        out = []
        pfn = start
        end = zone.zone_end_pfn
        while pfn < end:
            entry = mem_map[pfn]
            if entry is None:
                pfn += 1
            elif entry.__class__ is int:
                order = entry & ORDER_MASK
                out.append((pfn, order, entry >> MT_SHIFT))
                pfn += 1 << order
            else:
                pfn += 1 << (entry.info & ORDER_MASK)
        return out
