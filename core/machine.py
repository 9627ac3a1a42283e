"""The whole guest: zones, a hinting design, a virtual clock and the host.

`Machine` is the core's API.  Each public method is one scenario step; each
either changes the machine or raises a typed error (errors.py) having changed
nothing.  `apply` runs a step given as JSON and returns its result the way
the replay format records it.

The design (design.py; the scenario's `hinting.design`, registered in
designs.py) is the only thing here that knows about hinting: the machine
hands it hinting_start and hinting_stop, drives its delayed work in auto or
stepping mode, and asks it for its part of the state and of a checkpoint.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from .config import MachineConfig
from .design import DesignConfig, HintingDesign
from .designs import DESIGNS
from .errors import (
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
from .kinds import ALLOC, ALLOC_FAILED, CLOCK, FREE, MOVE_PAGEBLOCK, STEP, STEPPING
from .lists import LIST_POISON2
from .mmzone import (
    ALLOC_MIGRATETYPES,
    MIGRATE_MOVABLE,
    MIGRATETYPE_BY_NAME,
    MIGRATETYPE_NAMES,
    MT_SHIFT,
    ORDER_MASK,
    SPARE_PAGES_MAX,
    Page,
    PageMarked,
    PglistData,
    Zone,
    get_pageblock_migratetype,
    page_migratetype,
    page_order,
    start_page_flag_counts,
)
from .names import FAILED, UnboundNames
from .page_alloc import FPI_NONE, fallbacks, free_one_page, move_pageblock
from .page_alloc import __free_one_page as _free_one_page  # plain names: no mangling inside the class
from .page_alloc import __rmqueue as _rmqueue
from .page_alloc import __rmqueue_smallest as _rmqueue_smallest
from .steps import parse_step
from .take_page import alloc_at
from .trace import Trace
from .workqueue import Clock, DelayedWork, run_work, start_work

_ALLOC_MT = {MIGRATETYPE_NAMES[mt]: mt for mt in ALLOC_MIGRATETYPES}
StepResult = dict[str, Any]


class Machine:
    """A booted guest.  Build one with `Machine(MachineConfig(), HintingConfig())`."""

    def __init__(
        self,
        machine: MachineConfig | None = None,
        hinting: DesignConfig | None = None,
        *,
        record_events: bool = False,
        check_invariants: bool = False,
        boot: bool = True,
    ) -> None:
        self.machine_config = machine = machine or MachineConfig()
        name = "seed" if hinting is None else hinting.design
        design_class = DESIGNS.get(name)
        if design_class is None:
            raise InvalidInput(f"unknown design {name!r}; this version models {', '.join(DESIGNS)}", "hinting.design")
        self.hinting_config = hinting = hinting or design_class.default_config(machine)
        self.clock = Clock()
        pgdat = PglistData(machine.max_order, machine.pageblock_order, list(machine.zones))
        self.pgdat = pgdat
        self._zone_by_name = {zone.name: zone for zone in pgdat.node_zones}
        self.host = Host(pgdat.nr_pages, 1 << (machine.max_order - 1))
        self.design: HintingDesign = design_class(pgdat, self.clock, self.host, hinting)
        pgdat.hooks = self.design
        self.stepping = hinting.stepping
        self.check_invariants = check_invariants
        self.steps_applied = 0
        # Scenario names given by `alloc ... as` that hold a block: name -> pfn (the block's order is in
        # mem_map), and its inverse.
        self.refs: dict[str, int] = {}
        self._ref_of_pfn: dict[int, str] = {}
        self.unbound = UnboundNames()  # the names that held a block and no longer do, and why
        self._handlers = self._step_handlers()
        if boot:
            self._boot()
            if machine.initial:  # a scenario's initial state (initial_state.py)
                apply_initial_state(self, machine.initial)
            for zone in pgdat.node_zones:  # the run's page flag writes count from here (page_repr.py)
                start_page_flag_counts(zone)
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
        """A machine can be copied unless its work is stopped mid-run (a live generator)."""
        work = self.design.work
        return work is None or not work.stopped

    def clone(self, record_events: bool | None = None) -> Machine:
        """An independent copy, for time travel checkpoints.

        O(pages) for one list copy plus O(free blocks) in Python.  Refused
        while the work is stopped mid-run: a suspended generator cannot be
        copied, so checkpoints are taken between runs.
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
        new.unbound = self.unbound.copy()
        self.host.copy_into(new.host)

        src, dst = self.pgdat, new.pgdat
        mem_map = src.mem_map.copy()  # ints and Nones are shared; Pages are replaced below
        dst.mem_map = mem_map
        dst.pageblock_mt[:] = src.pageblock_mt
        for zs, zd in zip(src.node_zones, dst.node_zones, strict=True):
            zd.nr_isolate_pageblock = zs.nr_isolate_pageblock
            zd.nr_free_pages = zs.nr_free_pages
            zd.freepage_skew = zs.freepage_skew
            zd.nr_list_adds = zs.nr_list_adds
            zd.nr_marks_set = zs.nr_marks_set
            zd.nr_marks_cleared_on_list = zs.nr_marks_cleared_on_list
            zd.nr_marks_cleared_off_list = zs.nr_marks_cleared_off_list
            zd.nr_marked_pages = zs.nr_marked_pages
            zd.page_flag_base = zs.page_flag_base
            zd.isolate_seen = zs.isolate_seen
            for area_s, area_d in zip(zs.free_area, zd.free_area, strict=True):
                area_d.nr_free = area_s.nr_free
                for head_s, head_d in zip(area_s.free_list, area_d.free_list, strict=True):
                    node = head_s.next
                    while node.__class__ is Page:
                        page = Page(node.pfn, node.info)
                        mem_map[page.pfn] = page
                        last = head_d.prev
                        page.prev = last
                        page.next = head_d
                        last.next = page
                        head_d.prev = page
                        node = node.next
        self.design.copy_into(new.design, dst)
        return new

    # --- lookups --------------------------------------------------------------

    @property
    def zones(self) -> list[Zone]:
        return self.pgdat.node_zones

    @property
    def now_ms(self) -> int:
        return self.clock.now_ms

    def zone(self, name: str) -> Zone:
        zone = self._zone_by_name.get(name)
        if zone is None:
            names = ", ".join(z.name for z in self.pgdat.node_zones)
            raise InvalidInput(f"unknown zone {name!r}; this machine has {names}", "zone")
        return zone

    def _check_pfn(self, pfn: Any, field: str = "pfn") -> int:
        if isinstance(pfn, bool) or not isinstance(pfn, int):
            raise InvalidInput(f"must be an integer, got {pfn!r}", field)
        if not 0 <= pfn < self.pgdat.nr_pages:
            raise StepFailed(f"pfn {pfn} is outside this machine (pfns 0..{self.pgdat.nr_pages - 1})", field)
        return pfn

    @property
    def trace(self) -> Trace | None:
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

    def take_raw_events(self) -> Trace:
        """The raw events recorded since the last call (trace.py; events.py puts them in words)."""
        trace = self.pgdat.trace
        if trace is None:
            return []
        out = trace[:]
        trace.clear()
        return out

    # --- allocator steps --------------------------------------------------------

    def alloc(self, zone: str, order: int, migratetype: str = "Movable", name: str | None = None) -> int:
        """Allocate a block; returns its pfn.  `name` is a scenario's `as`."""
        z = self._zone_by_name.get(zone)
        if z is None:
            z = self.zone(zone)  # raises the error naming the zones
        if order.__class__ is not int or not 0 <= order < self.pgdat.max_order:
            raise InvalidInput(f"must be an integer in 0..{self.pgdat.max_order - 1}, got {order!r}", "order")
        mt = _ALLOC_MT.get(migratetype)
        if mt is None:
            raise InvalidInput(f"must be Unmovable, Movable or Reclaimable, got {migratetype!r}", "migratetype")
        return self._alloc(z, order, mt, name)

    def _alloc(self, z: Zone, order: int, mt: int, name: str | None) -> int:
        """alloc() once its arguments are known to be good."""
        # inline of page_alloc.rmqueue(z, order, mt), its hottest caller
        page = _rmqueue_smallest(z, order, mt)
        pgdat = self.pgdat
        trace = pgdat.trace
        if page is None:
            page = _rmqueue(z, order, mt)  # __rmqueue: the fallback and retry
            if page is None:
                if name is not None:
                    self._unbind(name)
                    self.unbound.failed(name)
                if trace is not None:
                    trace.append((ALLOC_FAILED, z.idx, None, order, mt, self._held_back(z, order, mt)))
                raise NoFreeBlock(
                    f"no free block of order {order} or above for {MIGRATETYPE_NAMES[mt]} in zone {z.name}", "order"
                )
        z.nr_free_pages -= 1 << order  # __mod_zone_freepage_state(z, -(1 << order), mt)
        pfn = page.pfn
        pgdat.mem_map[pfn] = order | (mt << MT_SHIFT)  # alloc_code: the block is allocated
        spare = pgdat.spare_pages  # release_page_struct: the Page no longer heads a free block
        if len(spare) < SPARE_PAGES_MAX:
            spare.append(page)
        # The guest touches its new block; pages the host dropped fault back in.
        host = self.host
        refaults = 0
        if host.nr_nonresident and host.nonresident.find(1, pfn, pfn + (1 << order)) >= 0:
            refaults = host.touch(pfn, order)
        if trace is not None:
            trace.append((ALLOC, z.idx, pfn, order, mt, refaults))
        if name is not None:  # inline of _bind(name, pfn): imported traces name every allocation
            refs = self.refs
            old = refs.get(name)
            if old is not None:  # the name moves on; the block it held stays allocated, unnamed
                del self._ref_of_pfn[old]
            refs[name] = pfn
            self._ref_of_pfn[pfn] = name
        return pfn

    def _held_back(self, z: Zone, order: int, mt: int) -> tuple[tuple[int, int, int], ...]:
        """(pfn, order, migratetype) of the blocks off the lists in the design's batch that would have served.

        For a failed allocation's event: on its list, a block of this order or
        above would have been taken, from the requested type's list or, by
        the fallback, from one of the types fallbacks[] names for it.
        """
        usable = (mt, *fallbacks[mt])
        return tuple(
            (page.pfn, page_order(page), page_migratetype(page))
            for page in self.design.batch()
            if page_order(page) >= order and page_migratetype(page) in usable and self.pgdat.page_zone(page.pfn) is z
        )

    def _bind(self, name: str, pfn: int) -> None:
        """`name` now holds the block at pfn; a block it held before stays allocated, unnamed."""
        self._unbind(name)
        self.refs[name] = pfn
        self._ref_of_pfn[pfn] = name

    def _unbind(self, name: str) -> None:
        """`name` holds no block any more; the block it held (if any) stays as it is, unnamed."""
        old = self.refs.pop(name, None)
        if old is not None:
            del self._ref_of_pfn[old]

    def free(self, pfn: int, order: int | None = None) -> None:
        """Free an allocated block by its first pfn (and, optionally, its order)."""
        pgdat = self.pgdat
        if pfn.__class__ is not int or not 0 <= pfn < pgdat.nr_pages:
            pfn = self._check_pfn(pfn)  # raises the right error
        entry = pgdat.mem_map[pfn]
        if entry.__class__ is not int:
            raise NotAllocated(self._why_not_allocated(pfn, entry), "pfn")
        block_order = entry & ORDER_MASK
        if order is not None and order != block_order:
            raise WrongOrder(f"pfn {pfn} is an allocated block of order {block_order}, not order {order}", "order")
        zone = pgdat.zone_of_block[pfn >> pgdat.block_shift]
        mt = pgdat.pageblock_mt[pfn >> pgdat.pageblock_order]  # get_pageblock_migratetype
        trace = pgdat.trace
        if trace is not None:
            trace.append((FREE, zone.idx, pfn, block_order, mt, entry >> MT_SHIFT))
        if self._ref_of_pfn:
            name = self._ref_of_pfn.pop(pfn, None)
            if name is not None:  # inline of _unbind(name) and unbound.freed(name), the inverse already popped
                del self.refs[name]
                self.unbound.log.append(name)
        _free_one_page(None, pfn, zone, block_order, mt, FPI_NONE)

    def free_ref(self, name: str, order: int | None = None) -> None:
        pfn = self.refs.get(name)
        if pfn is None:
            why = self.unbound.why(name)
            if why is None:
                raise UnknownRef(f"no allocation was named {name!r}", "ref")
            if why == FAILED:
                raise UnknownRef(f"the allocation named {name!r} failed; there is nothing to free", "ref")
            raise NotAllocated(f"the block named {name!r} was already freed", "ref")
        self.free(pfn, order)

    def _why_not_allocated(self, pfn: int, entry: Page | int | None) -> str:
        if entry.__class__ is Page:
            if entry.prev is LIST_POISON2:
                return f"pfn {pfn} is in the hinting batch (in flight to the host), not allocated"
            state = f"free and {self.design.mark_name}" if PageMarked(entry) else "free"
            return f"pfn {pfn} is {state} (order {entry.info & ORDER_MASK}), not allocated"
        mem_map = self.pgdat.mem_map
        for k in range(1, self.pgdat.max_order):
            head = pfn & ~((1 << k) - 1)
            e = mem_map[head]
            if e is None:
                continue
            size = 1 << (e & ORDER_MASK if isinstance(e, int) else e.info & ORDER_MASK)
            if head + size > pfn:
                what = "an allocated" if isinstance(e, int) else "a free"
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
        trace = self.pgdat.trace
        if trace is not None:
            trace.append((MOVE_PAGEBLOCK, zone.idx, pfn, None, mt, old))
        return move_pageblock(zone, pfn, mt)

    # --- the design's work ---------------------------------------------------------

    @property
    def work(self) -> DelayedWork | None:
        return self.design.work

    def hinting_start(self) -> None:
        self.design.start()

    def hinting_stop(self) -> None:
        self.design.stop()

    def _run(self, work: DelayedWork, stop: bool) -> None:
        phase = run_work(work, stop)
        trace = self.pgdat.trace
        if phase is not None and trace is not None:
            zone = self.design.work_zone()
            trace.append((self.design.work_stop_event, zone.idx if zone else None, None, None, None, phase))

    def _start(self, work: DelayedWork) -> None:
        trace = self.pgdat.trace
        if trace is not None:
            trace.append((self.design.work_start_event, None, None, None, None, work.due_ms))
        start_work(work)

    def _clock(self, t_ms: int) -> None:
        self.clock.now_ms = t_ms
        trace = self.pgdat.trace
        if trace is not None:
            trace.append((CLOCK, None, None, None, None, t_ms))

    def advance(self, ms: int) -> None:
        """Move virtual time; run the work if it falls due (MODEL.md, two ways to run)."""
        if isinstance(ms, bool) or not isinstance(ms, int) or ms <= 0:
            raise InvalidInput(f"must be a positive integer, got {ms!r}", "ms")
        target = self.clock.now_ms + ms
        work = self.design.work
        # Work that falls due runs at its due time; work it re-arms that falls due
        # within the advance runs too, unless it stopped at a stopping point.
        while work is not None and work.pending and work.running is None:
            due = work.due_ms
            if due is None or due > target:
                break
            self._clock(max(self.clock.now_ms, due))
            self._start(work)
            self._run(work, stop=self.stepping)
        self._clock(target)

    def step(self) -> None:
        """Move the work to its next stopping point; start pending work now."""
        work = self.design.work
        if work is None or (not work.stopped and not work.pending):
            raise NothingToStep("nothing to step: no hinting work is pending or running", "do")
        if work.stopped:
            self._run(work, stop=True)
        else:
            self._start(work)
            self._run(work, stop=self.stepping)

    def set_stepping(self, on: bool) -> None:
        self.stepping = on
        trace = self.pgdat.trace
        if trace is not None:
            trace.append((STEPPING, None, None, None, None, on))
        work = self.design.work
        if not on and work is not None and work.stopped:
            self._run(work, stop=False)

    # --- steps as JSON --------------------------------------------------------

    def apply(self, step: Any, path: str = "step") -> StepResult:
        """Run one scenario step.  Malformed steps raise InvalidInput; refused ones
        return {"ok": false, "error": ...} and change nothing."""
        return self.apply_parsed(parse_step(step, self.machine_config, path))

    def apply_parsed(self, step: dict[str, Any]) -> StepResult:
        """Run a step already checked by steps.parse_step."""
        trace = self.pgdat.trace
        if trace is not None:
            trace.append((STEP, None, None, None, None, (self.steps_applied, step)))
        self.steps_applied += 1
        kind = step["do"]
        result: StepResult
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
                    named = self.refs.get(step["ref"])
                    if named is not None and "order" not in step:  # free_ref's own path, one call less
                        self.free(named)
                    else:
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

    def _step_handlers(self) -> dict[str, Callable[[dict[str, Any]], StepResult]]:
        """One function per step kind, each returning the step's result.

        `alloc` and `free` by pfn are not here: apply_parsed runs them itself.
        """
        return {
            "free": self._do_free_ref,  # free by a scenario name
            "move_pageblock": self._do_move_pageblock,
            "hinting_start": self._do_hinting_start,
            "hinting_stop": self._do_hinting_stop,
            "advance": self._do_advance,
            "step": self._do_step,
            "stepping": self._do_stepping,
        }

    def _do_free_ref(self, step: dict[str, Any]) -> StepResult:
        self.free_ref(step["ref"], step.get("order"))
        return {"ok": True}

    def _do_move_pageblock(self, step: dict[str, Any]) -> StepResult:
        self.move_pageblock(step["pfn"], step["migratetype"])
        return {"ok": True}

    def _do_hinting_start(self, step: dict[str, Any]) -> StepResult:
        self.design.start()
        return {"ok": True}

    def _do_hinting_stop(self, step: dict[str, Any]) -> StepResult:
        self.design.stop()
        return {"ok": True}

    def _do_advance(self, step: dict[str, Any]) -> StepResult:
        self.advance(step["ms"])
        return {"ok": True}

    def _do_step(self, step: dict[str, Any]) -> StepResult:
        self.step()
        return {"ok": True}

    def _do_stepping(self, step: dict[str, Any]) -> StepResult:
        self.set_stepping(step["on"])
        return {"ok": True}

    # --- views ----------------------------------------------------------------

    def state(self) -> dict[str, Any]:
        from .state import machine_state

        return machine_state(self)

    def free_list(self, zone: Zone, order: int, migratetype: int) -> list[int]:
        """pfns of one free list, head to tail."""
        head = zone.free_area[order].free_list[migratetype]
        out = []
        node = head.next
        while node.__class__ is Page:
            out.append(node.pfn)
            node = node.next
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
            elif isinstance(entry, int):
                order = entry & ORDER_MASK
                out.append((pfn, order, entry >> MT_SHIFT))
                pfn += 1 << order
            else:
                pfn += 1 << (entry.info & ORDER_MASK)
        return out
