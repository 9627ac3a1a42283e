"""Machines that start from a given state (docs/formats-extensions.md).

A scenario zone may carry `"initial"`: free blocks (explicit pfns, or counts
per migratetype and order that are laid out by the rule below), allocated
blocks, and pageblock migratetypes.  Pages that are neither free nor listed
as allocated are allocated too ("filler": the largest aligned blocks that fit,
each of its pageblock's migratetype when that is Unmovable, Movable or
Reclaimable, else Unmovable).

The state is reached with the allocator's own functions, so free lists,
`nr_free`, NR_FREE_PAGES and the invariants hold as after any other run:

1. the zone boots as always (every max-order block freed as Movable);
2. every block, free or not, is taken off the free lists in ascending pfn
   order with `take_page_off_buddy` (take_page.py), as allocated blocks;
3. the pageblocks get their migratetypes (`set_pageblock_migratetype`; no
   free page is left to move);
4. the free blocks are freed again with `__free_one_page` and their list's
   migratetype, in ascending pfn order, then each list is put in its final
   order with `move_to_free_list` (head insertions, last block first):
   ascending pfn from head to tail, or, for explicit lists, the order given.

Counts are laid out deterministically: orders from the highest down; within
an order, migratetypes in enum order (Unmovable, Movable, Reclaimable,
HighAtomic, Isolate); each block at the lowest pfn that is aligned to its
order, entirely unused so far, whose buddy is not a free block of the same
order (they would have merged), and whose first pageblock has the block's
migratetype; when no such place is left, the lowest such place in any
pageblock that is not Isolate (an Isolate block only ever goes into an
Isolate pageblock).  Pageblock counts are laid out from the zone's first
pageblock up, in enum order, Movable taking every pageblock left.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from .errors import InvalidInput
from .mmzone import (
    ALLOC_MIGRATETYPES,
    MIGRATE_ISOLATE,
    MIGRATE_MOVABLE,
    MIGRATE_UNMOVABLE,
    MIGRATETYPE_BY_NAME,
    MIGRATETYPE_NAMES,
    ORDER_MASK,
    Page,
    move_to_free_list,
)

if TYPE_CHECKING:  # pragma: no cover
    from .machine import Machine

INITIAL_KEYS = ("pageblocks", "free", "free_counts", "allocated")


@dataclass
class ZoneInitial:
    """One zone's initial state, validated and laid out: every block named by pfn."""

    pageblocks: list[int]
    free: list[tuple[int, int, int]]  # (pfn, order, list migratetype), in the lists' final head-to-tail order
    allocated: list[tuple[int, int, int, str | None]]  # (pfn, order, migratetype, name)
    document: dict[str, Any] = field(default_factory=dict)  # as given (written back by to_json)
    filler_blocks: int = 0


def _int(obj: Any, path: str, lo: int, hi: int) -> int:
    from .config import want_int

    return want_int(obj, path, lo, hi)


def _mt(obj: Any, path: str, allowed: tuple[int, ...]) -> int:
    mt = MIGRATETYPE_BY_NAME.get(obj) if isinstance(obj, str) else None
    if mt is None or mt not in allowed:
        names = ", ".join(MIGRATETYPE_NAMES[m] for m in allowed)
        raise InvalidInput(f"must be one of {names}; got {obj!r}", path)
    return mt


def parse_zone_initial(obj: Any, path: str, start: int, pages: int, max_order: int,
                       pageblock_order: int) -> ZoneInitial:
    """Validate one zone's `initial` object and lay it out; InvalidInput names the field at fault."""
    if not isinstance(obj, dict):
        raise InvalidInput("must be an object with pageblocks, free or free_counts, allocated", path)
    for key in obj:
        if key not in INITIAL_KEYS:
            raise InvalidInput(f"unknown field {key!r}; expected {', '.join(INITIAL_KEYS)}", f"{path}.{key}")
    if "free" in obj and "free_counts" in obj:
        raise InvalidInput("give free (explicit pfns) or free_counts (counts), not both", f"{path}.free_counts")
    end = start + pages
    nr_pb = pages >> pageblock_order
    all_mts = tuple(range(len(MIGRATETYPE_NAMES)))

    # pageblocks
    pb_obj = obj.get("pageblocks")
    pageblocks = [MIGRATE_MOVABLE] * nr_pb
    if isinstance(pb_obj, list):
        if len(pb_obj) != nr_pb:
            raise InvalidInput(f"must list all {nr_pb} pageblocks of the zone, got {len(pb_obj)}",
                               f"{path}.pageblocks")
        pageblocks = [_mt(v, f"{path}.pageblocks[{i}]", all_mts) for i, v in enumerate(pb_obj)]
    elif isinstance(pb_obj, dict):
        at = 0
        for name, n in pb_obj.items():
            mt = _mt(name, f"{path}.pageblocks.{name}", all_mts)
            count = _int(n, f"{path}.pageblocks.{name}", 0, nr_pb)
            if mt == MIGRATE_MOVABLE:
                continue  # Movable takes whatever is left
            if at + count > nr_pb:
                raise InvalidInput(f"the counts add up to more than the zone's {nr_pb} pageblocks",
                                   f"{path}.pageblocks.{name}")
            for i in range(at, at + count):
                pageblocks[i] = mt
            at += count
        movable = pb_obj.get("Movable")
        if movable is not None and at + movable > nr_pb:
            raise InvalidInput(f"the counts add up to more than the zone's {nr_pb} pageblocks",
                               f"{path}.pageblocks.Movable")
    elif pb_obj is not None:
        raise InvalidInput("must be a list of migratetypes (one per pageblock) or an object of counts",
                           f"{path}.pageblocks")

    used = bytearray(pages)  # 1 where a listed block lies
    free_order: dict[int, int] = {}  # pfn -> order of free blocks

    def pb_mt(pfn: int) -> int:
        return pageblocks[(pfn - start) >> pageblock_order]

    def claim(pfn: int, order: int, where: str) -> None:
        if not start <= pfn < end:
            raise InvalidInput(f"pfn {pfn} is outside the zone (pfns {start}..{end - 1})", f"{where}.pfn")
        if pfn & ((1 << order) - 1):
            raise InvalidInput(f"pfn {pfn} is not aligned to its order {order} (a multiple of {1 << order})",
                               f"{where}.pfn")
        if pfn + (1 << order) > end:
            raise InvalidInput(f"the block at pfn {pfn} (order {order}) runs past the end of the zone",
                               f"{where}.order")
        lo = pfn - start
        if used.find(1, lo, lo + (1 << order)) >= 0:
            raise InvalidInput(f"the block at pfn {pfn} (order {order}) overlaps another listed block",
                               f"{where}.pfn")
        used[lo:lo + (1 << order)] = b"\x01" * (1 << order)

    def check_isolate(pfn: int, mt: int, where: str) -> None:
        if (mt == MIGRATE_ISOLATE) != (pb_mt(pfn) == MIGRATE_ISOLATE):
            raise InvalidInput(
                f"a free block is on the Isolate list exactly when its pageblock is Isolate; pfn {pfn} is on "
                f"{MIGRATETYPE_NAMES[mt]} in a {MIGRATETYPE_NAMES[pb_mt(pfn)]} pageblock", f"{where}.migratetype")

    # allocated (first, so counts are laid out around them)
    allocated: list[tuple[int, int, int, str | None]] = []
    al_obj = obj.get("allocated", [])
    if not isinstance(al_obj, list):
        raise InvalidInput("must be a list of {pfn, order, migratetype}", f"{path}.allocated")
    names: set[str] = set()
    for i, b in enumerate(al_obj):
        where = f"{path}.allocated[{i}]"
        if not isinstance(b, dict):
            raise InvalidInput("must be an object {pfn, order, migratetype}", where)
        order = _int(b.get("order", 0), f"{where}.order", 0, max_order - 1)
        pfn = _int(b.get("pfn"), f"{where}.pfn", 0, 1 << 40)
        claim(pfn, order, where)
        mt = _mt(b.get("migratetype", "Movable"), f"{where}.migratetype", ALLOC_MIGRATETYPES)
        name = b.get("as")
        if name is not None:
            if not isinstance(name, str) or not name:
                raise InvalidInput("must be a non-empty string", f"{where}.as")
            if name in names:
                raise InvalidInput(f"the name {name!r} is used twice", f"{where}.as")
            names.add(name)
        allocated.append((pfn, order, mt, name))

    # free blocks
    free: list[tuple[int, int, int]] = []
    if "free" in obj:
        f_obj = obj["free"]
        if not isinstance(f_obj, list):
            raise InvalidInput("must be a list of {pfn, order, migratetype}", f"{path}.free")
        for i, b in enumerate(f_obj):
            where = f"{path}.free[{i}]"
            if not isinstance(b, dict):
                raise InvalidInput("must be an object {pfn, order, migratetype}", where)
            order = _int(b.get("order", 0), f"{where}.order", 0, max_order - 1)
            pfn = _int(b.get("pfn"), f"{where}.pfn", 0, 1 << 40)
            claim(pfn, order, where)
            mt = _mt(b["migratetype"], f"{where}.migratetype", all_mts) if "migratetype" in b else pb_mt(pfn)
            check_isolate(pfn, mt, where)
            free.append((pfn, order, mt))
            free_order[pfn] = order
            _check_unmerged(pfn, order, free_order, pb_mt, max_order, pageblock_order, where)
    elif "free_counts" in obj:
        free = _lay_out_counts(obj["free_counts"], f"{path}.free_counts", start, pages, max_order,
                               pageblock_order, pageblocks, used, free_order)

    # filler: everything else is allocated
    filler = 0
    lo = used.find(0)
    while lo >= 0:
        hi = used.find(1, lo)
        if hi < 0:
            hi = pages
        pfn = start + lo
        while pfn < start + hi:
            order = 0
            while order < max_order - 1 and not pfn & ((2 << order) - 1) and pfn + (2 << order) <= start + hi:
                order += 1
            mt = pb_mt(pfn)
            allocated.append((pfn, order, mt if mt in ALLOC_MIGRATETYPES else MIGRATE_UNMOVABLE, None))
            filler += 1
            pfn += 1 << order
        lo = used.find(0, hi)
    allocated.sort()
    return ZoneInitial(pageblocks, free, allocated, dict(obj), filler)


def _check_unmerged(pfn: int, order: int, free_order: dict[int, int], pb_mt: Any, max_order: int,
                    pageblock_order: int, where: str) -> None:
    """Two free buddies of one order would have been merged, unless isolation kept them apart."""
    if order >= max_order - 1:
        return
    buddy = pfn ^ (1 << order)
    if free_order.get(buddy) != order:
        return
    if order >= pageblock_order and (pb_mt(pfn) == MIGRATE_ISOLATE) != (pb_mt(buddy) == MIGRATE_ISOLATE):
        return  # the v5.3 isolation rule keeps them apart
    raise InvalidInput(f"the free blocks at pfn {min(pfn, buddy)} and {max(pfn, buddy)} (order {order}) are "
                       f"buddies: the allocator would have merged them into one block of order {order + 1}",
                       f"{where}.pfn")


def _lay_out_counts(obj: Any, path: str, start: int, pages: int, max_order: int, pageblock_order: int,
                    pageblocks: list[int], used: bytearray, free_order: dict[int, int]) -> list[tuple[int, int, int]]:
    if not isinstance(obj, dict):
        raise InvalidInput("must be an object: migratetype -> list of counts per order (order 0 first)", path)
    wanted: dict[int, list[int]] = {}
    for name, counts in obj.items():
        mt = _mt(name, f"{path}.{name}", tuple(range(len(MIGRATETYPE_NAMES))))
        if not isinstance(counts, list) or len(counts) > max_order:
            raise InvalidInput(f"must be a list of at most {max_order} counts (order 0 first)", f"{path}.{name}")
        wanted[mt] = [_int(c, f"{path}.{name}[{o}]", 0, pages) for o, c in enumerate(counts)]
    total = sum(n << o for counts in wanted.values() for o, n in enumerate(counts))
    if total > used.count(0):
        raise InvalidInput(f"the counts need {total} free pages; the zone has {used.count(0)} pages not "
                           "otherwise listed", path)
    placed: list[tuple[int, int, int]] = []
    pb_size = 1 << pageblock_order
    for order in range(max_order - 1, -1, -1):
        size = 1 << order
        for mt in sorted(wanted):
            counts = wanted[mt]
            n = counts[order] if order < len(counts) else 0
            passes = [True] if mt == MIGRATE_ISOLATE else [True, False]
            cursor = {True: 0, False: 0}
            for _ in range(n):
                pfn = None
                for strict in passes:
                    pfn, cursor[strict] = _find_slot(cursor[strict], size, order, mt, strict, start, pages,
                                                     pageblock_order, pb_size, pageblocks, used, free_order,
                                                     order < max_order - 1)
                    if pfn is not None:
                        break
                if pfn is None:
                    raise InvalidInput(f"there is no room left for another free block of order {order} on the "
                                       f"{MIGRATETYPE_NAMES[mt]} list (buddies must not both be free)",
                                       f"{path}.{MIGRATETYPE_NAMES[mt]}[{order}]")
                lo = pfn - start
                used[lo:lo + size] = b"\x01" * size
                free_order[pfn] = order
                placed.append((pfn, order, mt))
    placed.sort()
    return placed


def _find_slot(rel: int, size: int, order: int, mt: int, strict: bool, start: int, pages: int,
               pageblock_order: int, pb_size: int, pageblocks: list[int], used: bytearray,
               free_order: dict[int, int], check_buddy: bool) -> tuple[int | None, int]:
    """The lowest place at or after zone-relative `rel` for a block; returns (pfn, where to look next)."""
    rel = -(-rel // size) * size
    while rel + size <= pages:
        pb = pageblocks[rel >> pageblock_order]
        if (strict and pb != mt) or (not strict and pb == MIGRATE_ISOLATE):
            rel = ((rel >> pageblock_order) + 1) * pb_size if size < pb_size else rel + size
            continue
        j = used.find(1, rel, rel + size)
        if j >= 0:
            rel = (j // size + 1) * size
            continue
        pfn = start + rel
        if check_buddy and free_order.get(pfn ^ size) == order:
            rel += size  # its buddy is a free block of this order: they would have merged
            continue
        return pfn, rel + size
    return None, rel


def apply_initial_state(m: Machine, initial: dict[str, ZoneInitial]) -> None:
    """Bring a freshly booted machine to its zones' initial states (see the module's docstring)."""
    from .page_alloc import FPI_NONE, move_freepages_block, set_pageblock_migratetype
    from .page_alloc import __free_one_page as free_one
    from .take_page import take_page_off_buddy

    pgdat = m.pgdat
    for zone in pgdat.node_zones:
        init = initial.get(zone.name)
        if init is None:
            continue
        blocks = sorted([(p, o, mt, n) for p, o, mt, n in init.allocated] +
                        [(p, o, mt, None) for p, o, mt in init.free])
        for pfn, order, mt, _name in blocks:
            alloc_mt = mt if mt in ALLOC_MIGRATETYPES else MIGRATE_UNMOVABLE
            ok, why = take_page_off_buddy(zone, pfn, order, alloc_mt)
            if not ok:  # cannot happen for a validated state; say so loudly if it does
                raise InvalidInput(f"cannot lay out pfn {pfn} (order {order}): {why}", "machine.zones")
        for i, mt in enumerate(init.pageblocks):
            if zone.pageblock_mt[i] != mt:
                pfn = zone.zone_start_pfn + (i << pgdat.pageblock_order)
                set_pageblock_migratetype(zone, pfn, mt)
                move_freepages_block(zone, pfn, mt)  # nothing is free yet: moves nothing
        for pfn, order, mt in sorted(init.free):
            page = free_one(None, pfn, zone, order, mt, FPI_NONE)
            if page.pfn != pfn or page.info & ORDER_MASK != order:
                raise InvalidInput(f"the free block at pfn {pfn} (order {order}) merged into pfn {page.pfn} "
                                   f"(order {page.info & ORDER_MASK}); list the merged block instead",
                                   "machine.zones")
        for pfn, order, mt in reversed(init.free):  # head insertions, last first: the given order
            head = pgdat.mem_map[pfn]
            assert type(head) is Page
            move_to_free_list(head, zone, order, mt)
        for pfn, _order, _mt, name in init.allocated:
            if name is not None:
                m._bind(name, pfn)


def parse_initial_states(zones_obj: Any, zones: tuple[tuple[str, int], ...], max_order: int,
                         pageblock_order: int, path: str = "machine") -> dict[str, ZoneInitial]:
    """The `initial` of every zone that has one (zones as MachineConfig lays them out)."""
    out: dict[str, ZoneInitial] = {}
    if not isinstance(zones_obj, list):
        return out
    start = 0
    for i, ((name, pages), z) in enumerate(zip(zones, zones_obj, strict=False)):
        if isinstance(z, dict) and z.get("initial") is not None:
            out[name] = parse_zone_initial(z["initial"], f"{path}.zones[{i}].initial", start, pages, max_order,
                                           pageblock_order)
        start += pages
    return out
