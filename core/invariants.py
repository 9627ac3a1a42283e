"""MODEL.md's "what the model must never do", checked in full.

`check_invariants(machine)` walks every list and every block and raises
InvariantViolation listing what is wrong.  It is O(pages), meant for tests
and for the `check_invariants=True` debug mode, not for production paths.
The allocator's rules are here; the live design adds its own
(design.invariant_problems).

NR_FREE_PAGES.  v5.3 counts a free page unless it sits in an isolated
pageblock, and it counts on the way in and out (MODEL.md, "Free page
accounting"), not by looking at the lists.  So with L the pages on the
zone's free lists and Li those on its Isolate lists, the counter is

    nr_free_pages == L - Li - freepage_skew - drift

where `drift` is what the design did to the counter for good (the seed's
pulls from Isolate lists, design.nr_free_pages_drift) and `freepage_skew`
what the allocator itself lets slip where a free block's list and its
accounting disagree: a block of one kind (Isolate or not) merged into a block
freed as the other, free blocks moved between the two kinds by a pageblock
change or a steal that accounts for a different set of pages than the one it
moves (page_alloc.py keeps the count at each of those places).  In a zone
that never had an isolated pageblock both terms are 0 and the counter is
simply the pages on the lists.  A batch out is on no list and off the
counter: it shows in neither.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .errors import InvariantViolation
from .lists import LIST_POISON2, ListHead
from .mmzone import (
    DESIGN_MARK,
    MIGRATE_ISOLATE,
    MIGRATE_TYPES,
    Page,
    Zone,
    get_pageblock_migratetype,
    page_migratetype,
    page_order,
)

if TYPE_CHECKING:  # pragma: no cover
    from .machine import Machine


def find_problems(m: Machine) -> list[str]:
    pgdat = m.pgdat
    mem_map = pgdat.mem_map
    problems: list[str] = []
    batch_list = m.design.batch()
    batch = {id(p): p for p in batch_list}
    if len(batch) != len(batch_list):
        problems.append("a page appears twice in the batch")

    for zone in pgdat.node_zones:
        on_list: dict[int, tuple[int, int]] = {}
        marked_blocks = marked_pages = 0
        for order, area in enumerate(zone.free_area):
            total = 0
            for mt in range(MIGRATE_TYPES):
                head = area.free_list[mt]
                prev: ListHead = head
                node = head.next
                steps = 0
                while node is not head:
                    steps += 1
                    if steps > pgdat.nr_pages:
                        problems.append(f"{zone.name} o{order} mt{mt}: list does not come back to its head")
                        break
                    if type(node) is not Page or node.prev is not prev:
                        problems.append(f"{zone.name} o{order} mt{mt}: broken links at {getattr(node, 'pfn', node)}")
                        break
                    pfn = node.pfn
                    if mem_map[pfn] is not node:
                        problems.append(f"pfn {pfn} is on a list but mem_map does not hold it")
                    if page_order(node) != order or page_migratetype(node) != mt:
                        problems.append(f"pfn {pfn} is on o{order}/mt{mt} but says o{page_order(node)}")
                    if pfn in on_list:
                        problems.append(f"pfn {pfn} is on two lists")
                    on_list[pfn] = (order, mt)
                    if node.info & DESIGN_MARK:
                        marked_blocks += 1
                        marked_pages += 1 << order
                    if pfn & ((1 << order) - 1):
                        problems.append(f"pfn {pfn} is not aligned to its order {order}")
                    if not zone.zone_spans_pfn(pfn):
                        problems.append(f"pfn {pfn} is on a list of zone {zone.name} it is not in")
                    total += 1
                    prev = node
                    node = node.next
            if total != area.nr_free:
                problems.append(f"{zone.name} o{order}: nr_free {area.nr_free} but lists hold {total}")

        # every page in exactly one block
        pfn = zone.zone_start_pfn
        end = zone.zone_end_pfn
        while pfn < end:
            entry = mem_map[pfn]
            if entry is None:
                problems.append(f"pfn {pfn} belongs to no block")
                break
            if type(entry) is int:
                order = entry & 0x0F
            elif type(entry) is Page:
                order = page_order(entry)
                if entry.prev is LIST_POISON2:
                    if id(entry) not in batch:
                        problems.append(f"pfn {pfn} is on no list and not in the batch")
                    if entry.info & DESIGN_MARK:
                        problems.append(f"pfn {pfn} is off the lists yet carries the design's mark")
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
                or zone.isolate_seen
            ):
                # The v5.3 isolation rule refused this merge (or did while the
                # pageblock was isolated; the model does not re-free on unisolate).
                continue
            problems.append(f"free buddies {pfn} and {buddy} (order {order}) are not merged")

        isolated = sum(1 for mt in zone.pageblock_mt if mt == MIGRATE_ISOLATE)
        if isolated != zone.nr_isolate_pageblock:
            problems.append(f"{zone.name}: {isolated} isolated pageblocks, counter says {zone.nr_isolate_pageblock}")
        if isolated and not zone.isolate_seen:
            problems.append(f"{zone.name}: an isolated pageblock, but isolate_seen is not set")

        problems.extend(free_pages_problems(m, zone, on_list))
        counted = zone.nr_marks_set - zone.nr_marks_cleared_on_list - zone.nr_marks_cleared_off_list
        if counted != marked_blocks or zone.nr_marked_pages != marked_pages:
            problems.append(f"{zone.name}: {marked_blocks} marked blocks ({marked_pages} pages) on the lists, but "
                            f"the mark counters say {counted} ({zone.nr_marked_pages} pages): the mark was written "
                            "without SetPageMarked/ClearPageMarked")

    for page in batch_list:
        if mem_map[page.pfn] is not page or page.prev is not LIST_POISON2:
            problems.append(f"batch page {page.pfn} is not where the batch says")
    problems.extend(m.design.invariant_problems())
    problems.extend(name_problems(m))
    return problems


def name_problems(m: Machine) -> list[str]:
    """A scenario name holds exactly one allocated block, and that block knows it."""
    problems = []
    mem_map = m.pgdat.mem_map
    for name, pfn in m.refs.items():
        if mem_map[pfn].__class__ is not int:
            problems.append(f"the name {name!r} holds pfn {pfn}, which does not head an allocated block")
        if m._ref_of_pfn.get(pfn) != name:
            problems.append(f"the name {name!r} holds pfn {pfn}, but that pfn is named {m._ref_of_pfn.get(pfn)!r}")
    if len(m._ref_of_pfn) != len(m.refs):
        problems.append(f"{len(m._ref_of_pfn)} named pfns, but {len(m.refs)} names hold a block")
    return problems


def free_pages_problems(m: Machine, zone: Zone, on_list: dict[int, tuple[int, int]]) -> list[str]:
    """NR_FREE_PAGES against the lists (the module docstring states the rule)."""
    on_lists = sum(1 << order for order, _ in on_list.values())
    isolated = sum(1 << order for order, mt in on_list.values() if mt == MIGRATE_ISOLATE)
    drift = m.design.nr_free_pages_drift(zone)
    expected = on_lists - isolated - zone.freepage_skew - drift
    problems = []
    if zone.nr_free_pages != expected:
        problems.append(
            f"{zone.name}: nr_free_pages {zone.nr_free_pages}, but the lists hold {on_lists} pages, "
            f"{isolated} of them on Isolate lists, skew {zone.freepage_skew}, drift {drift}"
        )
    if not zone.isolate_seen and (zone.freepage_skew or drift or zone.nr_free_pages != on_lists):
        problems.append(
            f"{zone.name} never had an isolated pageblock, yet nr_free_pages {zone.nr_free_pages} != "
            f"{on_lists} pages on its lists (skew {zone.freepage_skew}, drift {drift})"
        )
    return problems


def check_invariants(m: Machine) -> None:
    problems = find_problems(m)
    if problems:
        raise InvariantViolation(problems)
