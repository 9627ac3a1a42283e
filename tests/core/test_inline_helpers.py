"""The hot paths' inline copies of kernel helpers agree with the helpers themselves.

__free_one_page, expand, __rmqueue_smallest (core/page_alloc.py) and
Machine._alloc write a few static inline helpers out in place, each marked
"inline of <helper>".  Here the same functions are written with the helpers
called instead (page_is_buddy, del_page_from_free_list, release_page_struct,
new_page_struct, buddy_merge_likely, add_to_free_list, __mod_zone_freepage_state,
list_empty, rmqueue), put in place of the fast ones, and random runs must
produce the same results, states and raw events step by step.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import core.machine
import core.page_alloc as pa
import core.page_hinting
from core import HintingConfig, Machine, MachineConfig
from core.design import DesignConfig
from core.errors import NoFreeBlock
from core.kinds import ALLOC, ALLOC_FAILED, EXPAND, ISOLATED, MERGE, PLACE_HEAD, PLACE_TAIL, RMQUEUE
from core.lists import list_empty
from core.mmzone import (
    MIGRATE_ISOLATE,
    MIGRATETYPE_NAMES,
    Leave,
    Page,
    Zone,
    add_to_free_list,
    add_to_free_list_tail,
    del_page_from_free_list,
    free_list_traffic,
    get_pageblock_migratetype,
    new_page_struct,
    page_migratetype,
    release_page_struct,
)
from core.page_alloc import FPI_SKIP_NOTIFY, FPI_TO_TAIL, buddy_merge_likely, page_is_buddy
from tests.core.test_properties import BOTH_DESIGNS, OPS, concrete, machines

mod_zone_freepage_state = getattr(pa, "__mod_zone_freepage_state")


def free_one_page_by_helpers(page: Page | None, pfn: int, zone: Zone, order: int, migratetype: int, fpi: int) -> Page:
    pgdat = zone.zone_pgdat
    mem_map = pgdat.mem_map
    trace = pgdat.trace
    MAX_ORDER = pgdat.max_order
    max_order = pgdat.merge_order_cap
    buddy_pfn = -1
    if migratetype != MIGRATE_ISOLATE:
        mod_zone_freepage_state(zone, 1 << order, migratetype)
    while True:
        while order < max_order - 1:
            buddy_pfn = pfn ^ (1 << order)
            buddy = mem_map[buddy_pfn]
            if not page_is_buddy(buddy, order):
                break
            assert isinstance(buddy, Page)
            if trace is not None:
                trace.append((MERGE, zone.idx, buddy_pfn, order, page_migratetype(buddy), pfn))
            if zone.isolate_seen and (page_migratetype(buddy) == MIGRATE_ISOLATE) != (migratetype == MIGRATE_ISOLATE):
                pa._skew_merge(zone, buddy, order, migratetype)
            del_page_from_free_list(buddy, zone, order, Leave.MERGE)
            if buddy_pfn < pfn:
                mem_map[pfn] = None
                page = buddy
                pfn = buddy_pfn
            else:
                mem_map[buddy_pfn] = None
                release_page_struct(pgdat, buddy)
            order += 1
        else:
            if max_order < MAX_ORDER:
                if zone.nr_isolate_pageblock and order < MAX_ORDER - 1:
                    buddy_pfn = pfn ^ (1 << order)
                    buddy_mt = get_pageblock_migratetype(zone, buddy_pfn)
                    if migratetype != buddy_mt and MIGRATE_ISOLATE in (migratetype, buddy_mt):
                        if trace is not None:
                            trace.append((ISOLATED, zone.idx, pfn, order, migratetype, (buddy_pfn, buddy_mt)))
                        break
                max_order += 1
                continue
        break
    if page is None:
        page = new_page_struct(pgdat, pfn)
    mem_map[pfn] = page
    to_tail = bool(fpi & FPI_TO_TAIL)
    if to_tail or buddy_merge_likely(zone, pfn, buddy_pfn, order):
        tail = add_to_free_list_tail(page, zone, order, migratetype)
        if trace is not None:
            before = tail.pfn if isinstance(tail, Page) else None
            trace.append((PLACE_TAIL, zone.idx, pfn, order, migratetype, (before, to_tail)))
    else:
        add_to_free_list(page, zone, order, migratetype)
        if trace is not None:
            trace.append((PLACE_HEAD, zone.idx, pfn, order, migratetype, None))
    if not fpi & FPI_SKIP_NOTIFY:
        hooks = pgdat.hooks
        if order >= hooks.notify_from_order:
            hooks.notify_free(zone, order)
        elif trace is not None:
            hooks.notify_quiet(zone, order)
    return page


def expand_by_helpers(zone: Zone, page: Page, low: int, high: int, migratetype: int) -> None:
    pgdat = zone.zone_pgdat
    size = 1 << high
    while high > low:
        high -= 1
        size >>= 1
        half = new_page_struct(pgdat, page.pfn + size)
        pgdat.mem_map[page.pfn + size] = half
        add_to_free_list(half, zone, high, migratetype)
        if pgdat.trace is not None:
            pgdat.trace.append((EXPAND, zone.idx, page.pfn + size, high, migratetype, None))


def rmqueue_smallest_by_helpers(zone: Zone, order: int, migratetype: int) -> Page | None:
    for current_order in range(order, len(zone.free_area)):
        head = zone.free_area[current_order].free_list[migratetype]
        if list_empty(head):
            continue
        page = head.next
        assert isinstance(page, Page)
        del_page_from_free_list(page, zone, current_order, Leave.ALLOC)
        trace = zone.zone_pgdat.trace
        if trace is not None:
            trace.append((RMQUEUE, zone.idx, page.pfn, order, migratetype, current_order))
        if current_order > order:
            pa.expand(zone, page, order, current_order, migratetype)
        return page
    return None


def alloc_by_helpers(self: Machine, z: Zone, order: int, mt: int, name: str | None) -> int:
    """Machine._alloc with page_alloc.rmqueue called instead of written out."""
    pfn = pa.rmqueue(z, order, mt)
    trace = self.pgdat.trace
    if pfn is None:
        if name is not None:
            self._unbind(name)
            self.unbound.failed(name)
        if trace is not None:
            trace.append((ALLOC_FAILED, z.idx, None, order, mt, self._held_back(z, order, mt)))
        raise NoFreeBlock(
            f"no free block of order {order} or above for {MIGRATETYPE_NAMES[mt]} in zone {z.name}", "order"
        )
    refaults = self.host.touch(pfn, order)
    if trace is not None:
        trace.append((ALLOC, z.idx, pfn, order, mt, refaults))
    if name is not None:
        self._bind(name, pfn)
    return pfn


@contextmanager
def helpers_in_place() -> Iterator[None]:
    """The slow, helper-calling versions where every caller looks the fast ones up."""
    with pytest.MonkeyPatch.context() as mp:
        for module in (pa, core.page_hinting):
            mp.setattr(module, "__free_one_page", free_one_page_by_helpers)
        mp.setattr(core.machine, "_free_one_page", free_one_page_by_helpers)
        mp.setattr(pa, "expand", expand_by_helpers)
        mp.setattr(pa, "__rmqueue_smallest", rmqueue_smallest_by_helpers)
        mp.setattr(core.machine, "_rmqueue_smallest", rmqueue_smallest_by_helpers)
        mp.setattr(core.machine.Machine, "_alloc", alloc_by_helpers)
        yield


def seen(m: Machine) -> tuple[Any, ...]:
    """The state, and the zone counters the state does not show."""
    counters = [(free_list_traffic(z), z.freepage_skew, z.isolate_seen) for z in m.zones]
    return json.dumps(m.state(), sort_keys=True), counters, m.take_raw_events()


def run(cfg: MachineConfig, hinting: DesignConfig, ops: list[tuple[Any, ...]]) -> list[tuple[Any, ...]]:
    m = Machine(cfg, hinting, record_events=True)
    out: list[tuple[Any, ...]] = [seen(m)]
    for op in ops:
        result = m.apply(concrete(m, op))
        out.append((result, *seen(m)))
    return out


# Mostly allocations and frees (the inlined paths), with every other operation mixed in.
ALLOC_OP = st.tuples(st.just("alloc"), st.integers(0, 3), st.sampled_from(["Movable", "Unmovable", "Reclaimable"]),
                     st.integers(0, 1))
FREE_OP = st.tuples(st.just("free"), st.floats(0, 1, exclude_max=True))
MIXED = st.one_of(OPS, ALLOC_OP, ALLOC_OP, FREE_OP, FREE_OP)


@BOTH_DESIGNS
@settings(max_examples=120, deadline=None)
@given(data=st.data(), ops=st.lists(MIXED, min_size=10, max_size=120))
def test_inline_paths_agree_with_the_helpers(design: str, data: st.DataObject, ops: list[tuple[Any, ...]]) -> None:
    cfg, hinting = data.draw(machines(design))
    fast = run(cfg, hinting, ops)
    with helpers_in_place():
        slow = run(cfg, hinting, ops)
    for i, (a, b) in enumerate(zip(fast, slow, strict=True)):
        assert a == b, f"after step {i - 1}: the inline path and the helpers differ"


def test_the_swap_really_swaps() -> None:
    """The slow versions run while in place (so the comparison above compares something)."""
    calls: list[str] = []

    def counting_merge_likely(*args: Any) -> bool:
        calls.append("buddy_merge_likely")
        return pa.buddy_merge_likely(*args)

    with helpers_in_place(), pytest.MonkeyPatch.context() as mp:
        mp.setattr(sys.modules[__name__], "buddy_merge_likely", counting_merge_likely)
        m = Machine(MachineConfig(5, 2, (("Normal", 32),)), HintingConfig(min_order=2))
        m.free(m.alloc("Normal", 0))
    assert calls, "the helper-built __free_one_page did not run"
