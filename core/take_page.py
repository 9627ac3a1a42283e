"""Allocating one given block: `take_page_off_buddy` and `break_down_buddy_pages`.

Not a v5.3 path.  Linux 5.8 added these two functions to mm/page_alloc.c for
memory-failure handling (a poisoned page is taken off the buddy lists where
it lies); the lab uses them, generalised from one page to a block of any
order, for an `alloc` that names its pfn and for building an initial state
(initial_state.py).  The shape is the kernel's:

* walk the orders upwards from the block's own, looking at the head of the
  aligned block of each order; the first free (PageBuddy) head whose order
  covers the target is the block that holds it; stop at the first head that
  is allocated or in flight (the kernel stops at a page with a refcount);
* `del_page_from_free_list` that block (which clears the design's page flag
  through the hooks, as any removal does);
* `break_down_buddy_pages`: halve it down to the target's order; at each
  split, the half that does not hold the target goes to the **head** of the
  free list of the migratetype of the block's pageblock
  (`get_pfnblock_migratetype` of the head, as the kernel reads it), with
  `add_to_free_list`.

NR_FREE_PAGES drops by the block's pages unless the pageblock is Isolate
(the kernel's `__mod_zone_freepage_state(zone, -1, migratetype)`, per page).
"""

from __future__ import annotations

from typing import Any

from .kinds import ALLOC, EXPAND
from .mmzone import (
    MIGRATE_ISOLATE,
    MIGRATETYPE_NAMES,
    MT_MASK,
    MT_SHIFT,
    ORDER_MASK,
    Page,
    PageBuddy,
    Zone,
    add_to_free_list,
    del_page_from_free_list,
    get_pageblock_migratetype,
    new_page_struct,
    release_page_struct,
)
from .page_alloc import __mod_zone_freepage_state as mod_zone_freepage_state
from .trace import Category, Touch, Words, declare


def _take_off_text(pfn: int, order: int, mt: int, arg: Any) -> str:
    target, target_order = arg or (pfn, order)
    return (f"take_page_off_buddy: took {pfn} (order {order}) off {MIGRATETYPE_NAMES[mt]} order {order} for the "
            f"block at {target} (order {target_order}); break_down_buddy_pages returns the rest (Linux 5.8+, not a "
            "v5.3 path)")


def _d_take_off(zone: str | None, pfn: Any, order: Any, mt: Any, arg: Any) -> Words:
    return Words(_take_off_text(pfn, order, mt, arg), [[zone, order, MIGRATETYPE_NAMES[mt]]], [pfn])


TAKE_OFF = declare("take_off", Category.ALLOC, "TAKE", "take_page_off_buddy", _d_take_off, touches=Touch.LIST)


def find_free_block(zone: Zone, pfn: int, order: int) -> tuple[Page | None, str]:
    """The free block holding [pfn, pfn + 2^order), or None and why not."""
    pgdat = zone.zone_pgdat
    mem_map = pgdat.mem_map
    for k in range(order, pgdat.max_order):
        head = pfn & ~((1 << k) - 1)
        entry = mem_map[head]
        if entry is None:
            continue  # a tail page at this alignment: look one order up
        if isinstance(entry, Page):
            block_order = entry.info & ORDER_MASK
            if not PageBuddy(entry):
                return None, f"pfn {pfn} is in the hinting batch (block {head}, order {block_order}), in flight"
            if block_order >= k:
                return entry, ""
            return None, (f"only part of it is free: the free block at pfn {head} has order {block_order} "
                          f"< {order}" if head == pfn else f"pfn {pfn} is not free (next to a free block at {head})")
        block_order = entry & ORDER_MASK
        if head == pfn and block_order < order:
            return None, f"part of it is allocated: the block at pfn {head} (order {block_order})"
        return None, f"pfn {pfn} is allocated: it is inside the allocated block at pfn {head} (order {block_order})"
    return None, f"pfn {pfn} is not free"


def break_down_buddy_pages(zone: Zone, page: Page, target: int, low: int, high: int, migratetype: int) -> None:
    """Split the block `page` (order `high`) until the block at pfn `target` has order `low`.

    Each half that does not hold the target goes to the head of its list.
    The target's own mem_map entry is left to the caller.
    """
    pgdat = zone.zone_pgdat
    mem_map = pgdat.mem_map
    trace = pgdat.trace
    pfn = page.pfn
    size = 1 << high
    head_used = False
    while high > low:
        high -= 1
        size >>= 1
        if target >= pfn + size:
            buddy_pfn, next_pfn = pfn, pfn + size
        else:
            buddy_pfn, next_pfn = pfn + size, pfn
        if buddy_pfn == page.pfn and not head_used:
            half = page
            head_used = True
        else:
            half = new_page_struct(pgdat, buddy_pfn)
        mem_map[buddy_pfn] = half
        add_to_free_list(half, zone, high, migratetype)
        if trace is not None:
            trace.append((EXPAND, zone.idx, buddy_pfn, high, migratetype, None))
        pfn = next_pfn
    if not head_used:  # the head is the target's own first page: no longer a free block's head
        release_page_struct(pgdat, page)


def take_page_off_buddy(zone: Zone, pfn: int, order: int, alloc_migratetype: int) -> tuple[bool, str]:
    """Take the block [pfn, pfn + 2^order) off the free lists and mark it allocated.

    Returns (True, "") or (False, why); on False nothing changed.  `pfn` must
    be aligned to `order` and inside `zone` (the caller checks).
    """
    page, why = find_free_block(zone, pfn, order)
    if page is None:
        return False, why
    pgdat = zone.zone_pgdat
    block_order = page.info & ORDER_MASK
    list_mt = (page.info >> MT_SHIFT) & MT_MASK
    migratetype = get_pageblock_migratetype(zone, page.pfn)  # get_pfnblock_migratetype(page_head, pfn_head)
    trace = pgdat.trace
    if trace is not None:
        trace.append((TAKE_OFF, zone.idx, page.pfn, block_order, list_mt, (pfn, order)))
    del_page_from_free_list(page, zone, block_order)  # clears Hinted/Reported: a use of the hint, not a waste
    if block_order > order:
        break_down_buddy_pages(zone, page, pfn, order, block_order, migratetype)
    else:
        release_page_struct(pgdat, page)
    pgdat.mem_map[pfn] = order | (alloc_migratetype << MT_SHIFT)
    if migratetype != MIGRATE_ISOLATE:
        mod_zone_freepage_state(zone, -(1 << order), migratetype)
    list_isolate = list_mt == MIGRATE_ISOLATE
    if list_isolate != (migratetype == MIGRATE_ISOLATE):
        # The block left a list of one kind (Isolate or not) and its halves joined the other kind's, with the
        # counter following the pageblock: the same slip as v5.3's own (page_alloc.py, freepage_skew).
        zone.freepage_skew += (1 << block_order) if list_isolate else -(1 << block_order)
    return True, ""


def alloc_at(machine: Any, zone: Zone, pfn: int, order: int, alloc_migratetype: int, name: str | None) -> int:
    """Machine.alloc with a pfn: the block there, or a StepFailed saying why not."""
    from .errors import StepFailed

    ok, why = take_page_off_buddy(zone, pfn, order, alloc_migratetype)
    if not ok:
        if name is not None:
            machine._bind(name, "failed")
        raise StepFailed(f"cannot allocate pfn {pfn} (order {order}): {why}", "pfn")
    host = machine.host
    refaults = 0
    if host.nr_nonresident and host.nonresident.find(1, pfn, pfn + (1 << order)) >= 0:
        refaults = host.touch(pfn, order)
    trace = machine.pgdat.trace
    if trace is not None:
        trace.append((ALLOC, zone.idx, pfn, order, alloc_migratetype, refaults))
    if name is not None:
        machine._bind(name, pfn)
    return pfn
