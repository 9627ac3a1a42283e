"""Zones, free areas and pages: the parts of include/linux/mmzone.h the model needs.

Also the four free-list helpers of patch 3/5 ("add_to_free_list",
"add_to_free_list_tail", "move_to_free_list", "del_page_from_free_list").
The seed changed three of them (seed 1982-1998, 2001-2013, 2015-2023): a tail insert goes
through `get_unhinted_tail`, and moving or deleting a page clears its Hinted
state.  Free page reporting changes them differently.  So here they call the
hinting design through `FreeListHooks`, the seam of ARCHITECTURE.md: this
module and page_alloc.py never import a design, never test a design's page
flag and never call the host.

The hooks stay off the hot path.  A design that puts a page flag on a free
block (the seed's Hinted, reporting's Reported) sets the page's *design
mark*, one bit of `Page.info` that means "the design has marked this page:
call its hooks when the page leaves a list or moves between lists".  An
unmarked page, the common case, costs no call.  A design sets and clears the
mark only through `SetPageMarked` and `ClearPageMarked`, which count each
change per zone (the page flag writes of core/page_repr.py).  A tail insert asks the
design only from `tail_from_order` up, and a free notifies it only from
`notify_from_order` up, as the kernel's inline helpers test their static key
and order before calling anything.

Memory layout of the model, chosen so a 64 GiB machine fits in memory and the
alloc/free path stays O(1):

* `PglistData.mem_map[pfn]` describes every page frame, like the kernel's
  `mem_map`: `None` for a page that is not the head of a block, an `int` for
  the head of an allocated block (`order | migratetype << 4`), or a `Page` for
  the head of a free block (on a free list) or of a block a design took off
  the lists (its batch, on no list).
* A `Page` is a list node (`page->lru`) plus its pfn and one small integer
  `info` packing `page_private` (the order), the migratetype of the list it is
  on (or `page->index`, the pcp migratetype, while in a batch) and the design
  mark.  Packing keeps a free block at 64 bytes.
"""

from __future__ import annotations

from enum import IntEnum
from typing import TYPE_CHECKING

from .lists import LIST_POISON1, LIST_POISON2, ListHead, list_add, list_add_tail, list_del, list_move

if TYPE_CHECKING:  # pragma: no cover
    from .trace import Trace

# enum migratetype with CMA off and memory isolation on.
MIGRATE_UNMOVABLE = 0
MIGRATE_MOVABLE = 1
MIGRATE_RECLAIMABLE = 2
MIGRATE_HIGHATOMIC = 3
MIGRATE_ISOLATE = 4
MIGRATE_TYPES = 5
MIGRATETYPE_NAMES = ("Unmovable", "Movable", "Reclaimable", "HighAtomic", "Isolate")
MIGRATETYPE_BY_NAME = {name: mt for mt, name in enumerate(MIGRATETYPE_NAMES)}
# Types an allocation may ask for (HighAtomic and Isolate are never requested).
ALLOC_MIGRATETYPES = (MIGRATE_UNMOVABLE, MIGRATE_MOVABLE, MIGRATE_RECLAIMABLE)

# Page.info layout.
ORDER_MASK = 0x0F  # page_private(page): the order of a buddy block
MT_SHIFT = 4  # migratetype of the list the page is on / page->index in a batch
MT_MASK = 0x07
DESIGN_MARK = 0x80  # the design has marked this page; call its hooks when it leaves or moves a list
MAX_ORDER_LIMIT = ORDER_MASK + 1  # orders must fit in ORDER_MASK
NEVER = 1 << 30  # an order no block has: "from this order up" means never


class Page(ListHead):
    """The head `struct page` of a free block (or of one in a design's batch).

    A page on no list has the poisoned links list_del leaves (`prev` is
    LIST_POISON2): it is not PageBuddy.  That is how pages in a batch look to
    the allocator.
    """

    __slots__ = ("info", "pfn")

    def __init__(self, pfn: int, info: int) -> None:
        self.prev = LIST_POISON2
        self.next = LIST_POISON1
        self.pfn = pfn
        self.info = info


def page_order(page: Page) -> int:
    return page.info & ORDER_MASK


def page_migratetype(page: Page) -> int:
    """Migratetype of the list the page is on (page->index in a batch)."""
    return (page.info >> MT_SHIFT) & MT_MASK


def PageBuddy(page: object) -> bool:
    """The head of a free block on a free list (a mem_map entry of any kind may be asked)."""
    return type(page) is Page and page.prev is not LIST_POISON2


def PageMarked(page: Page) -> bool:
    """The design's mark: its hooks run when this page leaves or moves a list."""
    return bool(page.info & DESIGN_MARK)


def SetPageMarked(zone: Zone, page: Page) -> None:
    """Set the design mark on the head of a free block on a list (the seed's SetPageHinted, 5.7's __SetPageReported).

    Every design sets its mark here and nowhere else, so the zone counts
    every change of the bit, the flag writes an encoding of the mark would
    make (PAGE-REPRESENTATION.md, core/page_repr.py); a mark already set is
    no change and is not counted.
    """
    if not page.info & DESIGN_MARK:
        page.info |= DESIGN_MARK
        zone.nr_marks_set += 1
        zone.nr_marked_pages += 1 << (page.info & ORDER_MASK)


def ClearPageMarked(zone: Zone, page: Page, on_list: bool) -> None:
    """Clear the design mark; `on_list`: the page stays on a list (the seed's clear as a Hinted
    block moves lists), else it is leaving its list (allocated, merged, pulled).

    The only way a design clears its mark; counted per zone like SetPageMarked.
    """
    if page.info & DESIGN_MARK:
        page.info &= ~DESIGN_MARK
        if on_list:
            zone.nr_marks_cleared_on_list += 1
        else:
            zone.nr_marks_cleared_off_list += 1
        zone.nr_marked_pages -= 1 << (page.info & ORDER_MASK)


def alloc_code(order: int, migratetype: int) -> int:
    """mem_map entry for the head of an allocated block."""
    return order | (migratetype << MT_SHIFT)


class FreeList(ListHead):
    """`free_area[order].free_list[migratetype]`: a list head that knows its place."""

    __slots__ = ("migratetype", "order", "zone")

    def __init__(self, zone: Zone, order: int, migratetype: int) -> None:
        super().__init__()
        self.zone = zone
        self.order = order
        self.migratetype = migratetype


class FreeArea:
    """`struct free_area`: one list per migratetype and the count over all."""

    __slots__ = ("free_list", "nr_free")

    def __init__(self, zone: Zone, order: int) -> None:
        self.free_list = tuple(FreeList(zone, order, mt) for mt in range(MIGRATE_TYPES))
        self.nr_free = 0


class Zone:
    """`struct zone` reduced to what the allocator touches (a design keeps its own per-zone fields)."""

    __slots__ = (
        "free_area",
        "freepage_skew",
        "idx",
        "isolate_seen",
        "name",
        "nr_free_pages",
        "nr_isolate_pageblock",
        "nr_list_adds",
        "nr_marked_pages",
        "nr_marks_cleared_off_list",
        "nr_marks_cleared_on_list",
        "nr_marks_set",
        "page_flag_base",
        "pageblock_mt",
        "spanned_pages",
        "zone_pgdat",
        "zone_start_pfn",
    )

    def __init__(self, pgdat: PglistData, idx: int, name: str, start_pfn: int, pages: int) -> None:
        self.name = name
        self.idx = idx
        self.zone_start_pfn = start_pfn
        self.spanned_pages = pages
        self.free_area = [FreeArea(self, order) for order in range(pgdat.max_order)]
        # The zone's part of the node's pageblock types (its pageblock_flags), in pfn order.
        first = start_pfn >> pgdat.pageblock_order
        self.pageblock_mt = memoryview(pgdat.pageblock_mt)[first : first + (pages >> pgdat.pageblock_order)]
        self.nr_isolate_pageblock = 0
        # vm_stat[NR_FREE_PAGES]: changed only by __mod_zone_freepage_state (page_alloc.py).
        self.nr_free_pages = 0
        # Pages by which v5.3's own accounting lets NR_FREE_PAGES disagree with
        # the lists, where a free block sits on a list of the other kind
        # (Isolate or not) than its pageblock (invariants.py states the rule).
        self.freepage_skew = 0
        # The model's: blocks put on this zone's free lists since boot (free_list_traffic).
        self.nr_list_adds = 0
        # The model's: the design mark's changes since boot (SetPageMarked, ClearPageMarked) and
        # the pages of the marked blocks now; core/page_repr.py turns them into page flag writes.
        self.nr_marks_set = 0
        self.nr_marks_cleared_on_list = 0  # the page stayed on a list (the seed's clear on a move)
        self.nr_marks_cleared_off_list = 0  # the page was leaving its list
        self.nr_marked_pages = 0
        # page_flag_counts() when the run began (start_page_flag_counts): boot and a scenario's
        # initial state are not part of the run whose page flag writes are counted.
        self.page_flag_base: tuple[int, int, int, int, int] = (0, 0, 0, 0, 0)
        # Has a pageblock of this zone ever been Isolate?  Until then no list
        # of Isolate blocks exists and the zone's accounting is plain.
        self.isolate_seen = False
        self.zone_pgdat = pgdat

    @property
    def zone_end_pfn(self) -> int:
        return self.zone_start_pfn + self.spanned_pages

    def zone_spans_pfn(self, pfn: int) -> bool:
        return self.zone_start_pfn <= pfn < self.zone_start_pfn + self.spanned_pages


def free_list_traffic(zone: Zone) -> tuple[int, int]:
    """(blocks put on the zone's free lists, blocks taken off them), since boot.

    Every block enters a list unmarked (a design marks it afterwards), so
    these are what an encoding that marks *unhinted* free pages must write
    on its way in and out (PAGE-REPRESENTATION.md, dirty-unhinted), less the
    marked blocks that left, which the design counts in its hooks.  Moves
    between lists are neither.  Only additions are counted; every block
    taken off a list was added once, so the removals are the difference.
    """
    on_lists = sum(area.nr_free for area in zone.free_area)
    return zone.nr_list_adds, zone.nr_list_adds - on_lists


def page_flag_counts(zone: Zone) -> tuple[int, int, int, int, int]:
    """(list additions, list removals, marks set, marks cleared on a list, marks cleared leaving it), since boot.

    The five elementary operations whose page bit changes core/page_repr.py
    counts as flag writes (docs/page-representation.md defines them).
    """
    adds, removes = free_list_traffic(zone)
    return adds, removes, zone.nr_marks_set, zone.nr_marks_cleared_on_list, zone.nr_marks_cleared_off_list


def start_page_flag_counts(zone: Zone) -> None:
    """The run starts here: page flag writes are counted from now (Machine calls it once set up)."""
    zone.page_flag_base = page_flag_counts(zone)


def get_pageblock_migratetype(zone: Zone, pfn: int) -> int:
    pgdat = zone.zone_pgdat
    return pgdat.pageblock_mt[pfn >> pgdat.pageblock_order]


def has_isolate_pageblock(zone: Zone) -> bool:
    return zone.nr_isolate_pageblock > 0


def is_migrate_isolate(migratetype: int) -> bool:
    return migratetype == MIGRATE_ISOLATE


class Leave(IntEnum):
    """Why a marked page leaves its free list (the design decides what that costs it)."""

    ALLOC = 0  # __rmqueue_smallest took it for an allocation
    MERGE = 1  # __free_one_page swallowed it as the buddy of a block being freed
    ISOLATE = 2  # a design took it off the lists (get_unhinted_page, __isolate_free_page)


class Move(IntEnum):
    """Why a marked page moves to another migratetype's list (move_to_free_list)."""

    PAGEBLOCK = 0  # move_pageblock: its pageblock changed type
    STEAL = 1  # __rmqueue_fallback: steal_suitable_fallback took it (or its pageblock) for another type


class FreeListHooks:
    """What the allocator asks of a hinting design: the seam's downward half.

    The defaults are those of a kernel without hinting.  A design (design.py)
    overrides them; the allocator calls

    * `marked_page_leaves` before it takes a page that carries the design
      mark off its list (del_page_from_free_list), saying why;
    * `marked_page_moves` before it moves such a page to the head of another
      migratetype's list (move_to_free_list), saying why;
    * `tail_entry` for a tail insert at an order >= `tail_from_order`: the
      entry to insert in front of (the list head for the real tail);
    * `notify_free` after a free that did not ask to skip it, at the final
      order, when that order is >= `notify_from_order`;
    * `notify_quiet` instead, for such a free below `notify_from_order`,
      but only while events are recorded: the design may record why it was
      not told (its static key is off, the order is too low).  Never called
      on the fast path.
    """

    notify_from_order: int = NEVER
    tail_from_order: int = NEVER

    def marked_page_leaves(self, page: Page, zone: Zone, order: int, why: Leave) -> None:
        ClearPageMarked(zone, page, on_list=False)

    def marked_page_moves(self, page: Page, zone: Zone, order: int, migratetype: int, why: Move) -> None:
        return None

    def tail_entry(self, zone: Zone, order: int, migratetype: int) -> ListHead:
        return zone.free_area[order].free_list[migratetype]

    def notify_free(self, zone: Zone, order: int) -> None:
        return None

    def notify_quiet(self, zone: Zone, order: int) -> None:
        return None


class PglistData:
    """The single node (`pg_data_t`): zones, mem_map, and machine-wide context."""

    __slots__ = (
        "block_shift",
        "hooks",
        "max_order",
        "mem_map",
        "merge_order_cap",
        "node_zones",
        "nr_pages",
        "pageblock_mt",
        "pageblock_order",
        "spare_pages",
        "trace",
        "zone_of_block",
    )

    def __init__(self, max_order: int, pageblock_order: int, zones: list[tuple[str, int]]) -> None:
        self.max_order = max_order
        self.pageblock_order = pageblock_order
        # __free_one_page merges freely up to here, then checks isolation per order.
        self.merge_order_cap = min(max_order, pageblock_order + 1)
        self.block_shift = max_order - 1
        self.hooks = FreeListHooks()
        # The event trace (trace.py), or None when not recording.
        self.trace: Trace | None = None
        # Every pageblock's migratetype, by pfn >> pageblock_order (zones are
        # aligned to max-order blocks, so each zone has its own slice); all
        # Movable at boot.
        self.pageblock_mt = bytearray([MIGRATE_MOVABLE]) * (sum(pages for _, pages in zones) >> pageblock_order)
        self.node_zones: list[Zone] = []
        start = 0
        for idx, (name, pages) in enumerate(zones):
            self.node_zones.append(Zone(self, idx, name, start, pages))
            start += pages
        self.nr_pages = start
        # Page objects no longer heading a block, kept for reuse: creating one
        # costs more than the rest of an allocation.
        self.spare_pages: list[Page] = []
        self.mem_map: list[Page | int | None] = [None] * start
        self.zone_of_block: list[Zone] = []
        for zone in self.node_zones:
            self.zone_of_block.extend([zone] * (zone.spanned_pages >> self.block_shift))

    def page_zone(self, pfn: int) -> Zone:
        return self.zone_of_block[pfn >> self.block_shift]


SPARE_PAGES_MAX = 1024


def new_page_struct(pgdat: PglistData, pfn: int) -> Page:
    """A Page for a block that has none yet (from the spare pool when it can)."""
    spare = pgdat.spare_pages
    if spare:
        page = spare.pop()
        page.pfn = pfn
        return page
    return Page(pfn, 0)


def release_page_struct(pgdat: PglistData, page: Page) -> None:
    """A Page stopped heading a block (allocated, or merged into a buddy)."""
    spare = pgdat.spare_pages
    if len(spare) < SPARE_PAGES_MAX:
        spare.append(page)


# --- the free-list helpers (patch 3/5, with the design's hooks) ---------------


def add_to_free_list(page: Page, zone: Zone, order: int, migratetype: int) -> None:
    """Put a block at the head of its list ("used for pages not on another list")."""
    page.info = order | (migratetype << MT_SHIFT)
    area = zone.free_area[order]
    list_add(page, area.free_list[migratetype])
    area.nr_free += 1
    zone.nr_list_adds += 1


def add_to_free_list_tail(page: Page, zone: Zone, order: int, migratetype: int) -> ListHead:
    """Put a block at the tail, or where the design says the tail is (the seed: seed 1982-1998).

    Returns the entry it was inserted before (the list head for the real tail),
    so callers can say where the block went.
    """
    hooks = zone.zone_pgdat.hooks
    if order >= hooks.tail_from_order:
        tail = hooks.tail_entry(zone, order, migratetype)
    else:
        tail = zone.free_area[order].free_list[migratetype]
    page.info = order | (migratetype << MT_SHIFT)
    list_add_tail(page, tail)
    zone.free_area[order].nr_free += 1
    zone.nr_list_adds += 1
    return tail


def move_to_free_list(page: Page, zone: Zone, order: int, migratetype: int, why: Move = Move.PAGEBLOCK) -> None:
    """Move a free block to the head of another migratetype's list (the seed: seed 2001-2013).

    `why` is the model's: the kernel's callers need not say, but a design's
    figures tell a pageblock move from a steal.
    """
    if page.info & DESIGN_MARK:
        zone.zone_pgdat.hooks.marked_page_moves(page, zone, order, migratetype, why)
    list_move(page, zone.free_area[order].free_list[migratetype])
    page.info = (page.info & ~(MT_MASK << MT_SHIFT)) | (migratetype << MT_SHIFT)


def del_page_from_free_list(page: Page, zone: Zone, order: int, why: Leave = Leave.ALLOC) -> None:
    """Take a block off its list; the design hears of a marked one first (the seed: seed 2015-2023).

    Unlinking poisons the page's links, which is what makes it no longer
    PageBuddy.
    """
    if page.info & DESIGN_MARK:
        zone.zone_pgdat.hooks.marked_page_leaves(page, zone, order, why)
    list_del(page)
    zone.free_area[order].nr_free -= 1
