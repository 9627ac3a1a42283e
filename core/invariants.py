"""MODEL.md's "what the model must never do", checked in full.

`check_invariants(machine)` walks every list and every block and raises
InvariantViolation listing what is wrong.  It is O(pages), meant for tests
and for the `check_invariants=True` debug mode, not for production paths.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .errors import InvariantViolation
from .mmzone import (
    MIGRATE_ISOLATE,
    MIGRATE_TYPES,
    MT_MASK,
    MT_SHIFT,
    ORDER_MASK,
    PG_HINTED,
    Page,
    get_pageblock_migratetype,
)

if TYPE_CHECKING:  # pragma: no cover
    from .machine import Machine


def find_problems(m: Machine) -> list[str]:
    pgdat = m.pgdat
    mem_map = pgdat.mem_map
    ph = m.hinting
    problems: list[str] = []
    batch = {id(p): p for p in (m.phdev.sg or [])}
    if len(batch) != len(m.phdev.sg or []):
        problems.append("a page appears twice in the batch")

    for zone in pgdat.node_zones:
        on_list: dict[int, tuple[int, int]] = {}
        hinted_count = [0] * pgdat.max_order
        for order, area in enumerate(zone.free_area):
            total = 0
            for mt in range(MIGRATE_TYPES):
                head = area.free_list[mt]
                prev = head
                node = head.next
                steps = 0
                while node is not head:
                    steps += 1
                    if steps > pgdat.nr_pages:
                        problems.append(f"{zone.name} o{order} mt{mt}: list does not come back to its head")
                        break
                    if node.__class__ is not Page or node.prev is not prev:
                        problems.append(f"{zone.name} o{order} mt{mt}: broken links at {getattr(node, 'pfn', node)}")
                        break
                    pfn = node.pfn
                    if mem_map[pfn] is not node:
                        problems.append(f"pfn {pfn} is on a list but mem_map does not hold it")
                    if node.info & ORDER_MASK != order or (node.info >> MT_SHIFT) & MT_MASK != mt:
                        problems.append(f"pfn {pfn} is on o{order}/mt{mt} but says o{node.info & ORDER_MASK}")
                    if pfn in on_list:
                        problems.append(f"pfn {pfn} is on two lists")
                    on_list[pfn] = (order, mt)
                    if pfn & ((1 << order) - 1):
                        problems.append(f"pfn {pfn} is not aligned to its order {order}")
                    if not zone.zone_spans_pfn(pfn):
                        problems.append(f"pfn {pfn} is on a list of zone {zone.name} it is not in")
                    if node.info & PG_HINTED:
                        if order < ph.min_order:
                            problems.append(f"pfn {pfn} is Hinted at order {order} < min_order")
                        hinted_count[order] += 1
                    total += 1
                    prev = node
                    node = node.next
            if total != area.nr_free:
                problems.append(f"{zone.name} o{order}: nr_free {area.nr_free} but lists hold {total}")

        # hinted_pages against the Hinted blocks
        if zone.hinted_pages is not None:
            for i, count in enumerate(zone.hinted_pages):
                if count != hinted_count[ph.min_order + i]:
                    problems.append(
                        f"{zone.name}: hinted_pages[o{ph.min_order + i}] = {count}, "
                        f"Hinted blocks = {hinted_count[ph.min_order + i]}"
                    )
        elif any(hinted_count):
            problems.append(f"{zone.name}: Hinted blocks but no hinted_pages")

        # every page in exactly one block
        pfn = zone.zone_start_pfn
        end = zone.zone_end_pfn
        while pfn < end:
            entry = mem_map[pfn]
            if entry is None:
                problems.append(f"pfn {pfn} belongs to no block")
                break
            if entry.__class__ is int:
                order = entry & ORDER_MASK
            elif entry.__class__ is Page:
                order = entry.info & ORDER_MASK
                if entry.prev is None:
                    if id(entry) not in batch:
                        problems.append(f"pfn {pfn} is on no list and not in the batch")
                    if entry.info & PG_HINTED:
                        problems.append(f"pfn {pfn} is in the batch yet Hinted")
                elif pfn not in on_list:
                    problems.append(f"pfn {pfn} looks free but is on no list of its zone")
            else:
                problems.append(f"pfn {pfn}: unexpected mem_map entry {entry!r}")
                break
            size = 1 << order
            if pfn + size > end:
                problems.append(f"block {pfn} o{order} runs past the end of zone {zone.name}")
                break
            for inner in range(pfn + 1, pfn + size):
                if mem_map[inner] is not None:
                    problems.append(f"pfn {inner} is the head of a block inside block {pfn} o{order}")
                    break
            pfn += size

        # no two free buddies left unmerged, but where isolation keeps them apart
        for pfn, (order, mt) in on_list.items():
            if order >= pgdat.max_order - 1:
                continue
            buddy = pfn ^ (1 << order)
            if buddy < pfn or buddy not in on_list or on_list[buddy][0] != order:
                continue
            if order >= pgdat.pageblock_order and (
                MIGRATE_ISOLATE
                in (mt, on_list[buddy][1], get_pageblock_migratetype(zone, pfn), get_pageblock_migratetype(zone, buddy))
                or zone.name in m.isolation_seen
            ):
                # The v5.3 isolation rule refused this merge (or did while the
                # pageblock was isolated; the model does not re-free on unisolate).
                continue
            problems.append(f"free buddies {pfn} and {buddy} (order {order}) are not merged")

        isolated = sum(1 for mt in zone.pageblock_mt if mt == MIGRATE_ISOLATE)
        if isolated != zone.nr_isolate_pageblock:
            problems.append(f"{zone.name}: {isolated} isolated pageblocks, counter says {zone.nr_isolate_pageblock}")

    for page in m.phdev.sg or []:
        if mem_map[page.pfn] is not page or page.prev is not None:
            problems.append(f"batch page {page.pfn} is not where the batch says")
    return problems


def check_invariants(m: Machine) -> None:
    problems = find_problems(m)
    if problems:
        raise InvariantViolation(problems)
