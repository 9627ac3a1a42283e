"""Zones, free areas and pages: the parts of include/linux/mmzone.h the model needs.

Also the four free-list helpers of patch 3/5 ("add_to_free_list",
"add_to_free_list_tail", "move_to_free_list", "del_page_from_free_list") with
the seed's changes to them (seed lines 1981-2022): tail insertion goes through
`get_unhinted_tail`, and moving or deleting a page clears its Hinted state
through `clear_page_hinted`.  The allocator reaches the hinting code only
through the `HintingHooks` installed on the node, so that this module and
page_alloc.py never import a hinting design (ARCHITECTURE.md).

Memory layout of the model, chosen so a 64 GiB machine fits in memory and the
alloc/free path stays O(1):

* `PglistData.mem_map[pfn]` describes every page frame, like the kernel's
  `mem_map`: `None` for a page that is not the head of a block, an `int` for
  the head of an allocated block (`order | migratetype << 4`), or a `Page` for
  the head of a free block (on a free list) or of a block pulled into the
  hinting batch (on no list).
* A `Page` is a list node (`page->lru`) plus its pfn and one small integer
  `info` packing `page_private` (the order), the migratetype of the list it is
  on (or `page->index`, the pcp migratetype, while in the batch) and the
  Hinted page type.  Packing keeps a free block at 64 bytes.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .lists import ListHead, list_add, list_add_tail, list_del, list_move

if TYPE_CHECKING:  # pragma: no cover
    from .host import Host

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
MT_SHIFT = 4  # migratetype of the list the page is on / page->index in the batch
MT_MASK = 0x07
PG_HINTED = 0x80  # the seed's PageHinted (an alias of the Offline page type)
MAX_ORDER_LIMIT = ORDER_MASK + 1  # orders must fit in ORDER_MASK


class Page(ListHead):
    """The head `struct page` of a free block (or of one in the hinting batch).

    `prev is None` means the page is on no list: list_del poisoned it, so it is
    not PageBuddy.  That is how pages in the batch look to the allocator.
    """

    __slots__ = ("info", "pfn")

    def __init__(self, pfn: int, info: int) -> None:
        self.prev = None
        self.next = None
        self.pfn = pfn
        self.info = info


def page_order(page: Page) -> int:
    return page.info & ORDER_MASK


def page_migratetype(page: Page) -> int:
    """Migratetype of the list the page is on (page->index in the batch)."""
    return (page.info >> MT_SHIFT) & MT_MASK


def PageHinted(page: Page) -> bool:
    return bool(page.info & PG_HINTED)


def PageBuddy(page: Any) -> bool:
    return page.__class__ is Page and page.prev is not None


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
    """`struct zone` reduced to what the allocator and the seed touch."""

    __slots__ = (
        "active",
        "free_area",
        "hinted_pages",
        "idx",
        "name",
        "nr_isolate_pageblock",
        "pageblock_mt",
        "requested",
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
        nr_pageblocks = pages >> pgdat.pageblock_order
        self.pageblock_mt = bytearray([MIGRATE_MOVABLE]) * nr_pageblocks
        self.nr_isolate_pageblock = 0
        # ZONE_PAGE_HINTING_REQUESTED / ZONE_PAGE_HINTING_ACTIVE (seed 1961-1968)
        self.requested = False
        self.active = False
        # zone->hinted_pages (seed 1945-1952): None until the first cycle.
        self.hinted_pages: list[int] | None = None
        self.zone_pgdat = pgdat

    @property
    def zone_end_pfn(self) -> int:
        return self.zone_start_pfn + self.spanned_pages

    def zone_spans_pfn(self, pfn: int) -> bool:
        return self.zone_start_pfn <= pfn < self.zone_start_pfn + self.spanned_pages


def get_pageblock_migratetype(zone: Zone, pfn: int) -> int:
    pgdat = zone.zone_pgdat
    return zone.pageblock_mt[(pfn - zone.zone_start_pfn) >> pgdat.pageblock_order]


def has_isolate_pageblock(zone: Zone) -> bool:
    return zone.nr_isolate_pageblock > 0


class HintingHooks:
    """What the allocator asks of a hinting design.  The defaults do nothing.

    In the kernel these are inline functions compiled in with
    CONFIG_PAGE_HINTING (`get_unhinted_tail`, `clear_page_hinted`) and the
    static-key gated `page_hinting_notify_free`.  A design installs its own.
    """

    def get_unhinted_tail(self, zone: Zone, order: int, migratetype: int) -> ListHead:
        return zone.free_area[order].free_list[migratetype]

    def clear_page_hinted(self, page: Page, zone: Zone) -> None:
        page.info &= ~PG_HINTED

    # The inline page_hinting_notify_free tests its static key and the order
    # before anything else; the allocator does the same with this number
    # (the lowest order worth a call, or None while notification is off), so
    # the common small free costs no call at all.
    notify_from_order: int | None = None

    def notify_free(self, zone: Zone, order: int) -> None:
        return None


class PglistData:
    """The single node (`pg_data_t`): zones, mem_map, and machine-wide context."""

    __slots__ = (
        "block_shift",
        "hooks",
        "host",
        "max_order",
        "mem_map",
        "merge_order_cap",
        "node_zones",
        "nr_pages",
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
        self.hooks: HintingHooks = HintingHooks()
        # The event trace: a list of raw event tuples, or None when not recording.
        self.trace: list[tuple[Any, ...]] | None = None
        self.host: Host | None = None
        self.node_zones: list[Zone] = []
        start = 0
        for idx, (name, pages) in enumerate(zones):
            self.node_zones.append(Zone(self, idx, name, start, pages))
            start += pages
        self.nr_pages = start
        # Page objects no longer heading a block, kept for reuse: creating one
        # costs more than the rest of an allocation.
        self.spare_pages: list[Page] = []
        self.mem_map: list[Any] = [None] * start
        self.zone_of_block: list[Zone] = []
        for zone in self.node_zones:
            self.zone_of_block.extend([zone] * (zone.spanned_pages >> self.block_shift))

    def page_zone(self, pfn: int) -> Zone:
        return self.zone_of_block[pfn >> self.block_shift]


SPARE_PAGES_MAX = 1024


def release_page_struct(pgdat: PglistData, page: Page) -> None:
    """A Page stopped heading a block (allocated, or merged into a buddy)."""
    spare = pgdat.spare_pages
    if len(spare) < SPARE_PAGES_MAX:
        spare.append(page)


# --- the free-list helpers (patch 3/5, with the seed's changes) -------------


def add_to_free_list(page: Page, zone: Zone, order: int, migratetype: int) -> None:
    """Put a block at the head of its list ("used for pages not on another list")."""
    page.info = order | (migratetype << MT_SHIFT)
    area = zone.free_area[order]
    list_add(page, area.free_list[migratetype])
    area.nr_free += 1


def add_to_free_list_tail(page: Page, zone: Zone, order: int, migratetype: int) -> ListHead:
    """Put a block at the tail, or in front of the hinted blocks (seed 1984-2000).

    Returns the entry it was inserted before (the list head for the real tail),
    so callers can say where the block went.
    """
    tail = zone.zone_pgdat.hooks.get_unhinted_tail(zone, order, migratetype)
    page.info = order | (migratetype << MT_SHIFT)
    list_add_tail(page, tail)
    zone.free_area[order].nr_free += 1
    return tail


def move_to_free_list(page: Page, zone: Zone, order: int, migratetype: int) -> bool:
    """Move a free block to the head of another migratetype's list (seed 2002-2015).

    Returns True when the block lost its Hinted state doing so (a wasted hint).
    """
    lost = False
    if page.info & PG_HINTED:
        zone.zone_pgdat.hooks.clear_page_hinted(page, zone)
        lost = not page.info & PG_HINTED
    list_move(page, zone.free_area[order].free_list[migratetype])
    page.info = (page.info & ~(MT_MASK << MT_SHIFT)) | (migratetype << MT_SHIFT)
    return lost


def del_page_from_free_list(page: Page, zone: Zone, order: int) -> bool:
    """Take a block off its list; Hinted is cleared first (seed 2017-2022).

    Returns True when the block was Hinted.  Unlinking poisons `page.prev`,
    which is what makes the page no longer PageBuddy.
    """
    was_hinted = False
    if page.info & PG_HINTED:
        was_hinted = True
        zone.zone_pgdat.hooks.clear_page_hinted(page, zone)
    list_del(page)
    zone.free_area[order].nr_free -= 1
    return was_hinted
