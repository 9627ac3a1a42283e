"""A page as the kernel and its tools would see it, under each encoding of the design's mark.

The model keeps one small record per free block (mmzone.py); the review of
the seed argued about what `struct page` then says, and what crash-dump and
/proc tools conclude from it.  This module answers both for any pfn and any
of PAGE-REPRESENTATION.md's encodings, and totals them per zone.  It is
design-neutral: a page is *marked* when the live design says so
(`design.is_marked`), and the encoding only says which bit carries the mark
(page_flags.ENCODINGS).  What it derives, and from which kernel file:

* the fields (`flags`, `page_type`/`_mapcount`, `private`, `lru`,
  `_refcount`): include/linux/page-flags.h, include/linux/mm_types.h and
  v5.3's include/linux/mmzone.h (`del_page_from_free_area` unlinks the page,
  clears PageBuddy and zeroes `private`; `set_page_order` in mm/page_alloc.c
  sets both on a free head);
* PageBuddy()/PageOffline(): `PageType` on `page_type`
  (include/linux/page-flags.h);
* the /proc/kpageflags word: `stable_page_flags` in fs/proc/page.c: BUDDY
  when PageBuddy, or for a page with refcount 0 inside a free block
  (`is_free_buddy_page`, mm/page_alloc.c: a head at or below it whose order
  covers it); OFFLINE when PageOffline; most `flags` bits copied one to one;
* makedumpfile's verdict: `__exclude_unnecessary_pages` in makedumpfile.c
  (1.6.6): pages are visited in pfn order; a page whose `_mapcount` *equals*
  PAGE_BUDDY_MAPCOUNT_VALUE excludes `2^private` pages from there (dump
  level 16, in kdump's usual 31); one that equals
  PAGE_OFFLINE_MAPCOUNT_VALUE is excluded alone (any level); every other
  page is written out;
* list walkers: crash's `kmem -f` (memory.c, `dump_zone_free_area`) and a
  drgn script walk `free_area[order].free_list[mt]` through `page->lru`, so
  they see exactly the blocks on the lists.

What the model does not know it says so: an allocated page's flags and
type depend on its user (page cache, slab, page tables...), which the model
does not track, so it shows them clear.

Page flag writes (docs/page-representation.md): an encoding's *marking bit*
changes only at five elementary operations, which the zone counts as they
happen (mmzone.page_flag_counts): a block put on a list (unmarked), a block
taken off a list, a mark set, a mark cleared on a list, and a mark cleared
as its page leaves the list.  `flag_writes` turns those counts into writes
per encoding; tests/core/test_page_repr_writes.py checks them against a
brute-force diff of every page's bit after every operation.
"""

from __future__ import annotations

from enum import StrEnum
from typing import TYPE_CHECKING, Any

from .errors import InvalidInput
from .mmzone import (
    MIGRATETYPE_NAMES,
    MT_SHIFT,
    ORDER_MASK,
    FreeList,
    Page,
    PageBuddy,
    Zone,
    get_pageblock_migratetype,
    page_flag_counts,
    page_migratetype,
    page_order,
)
from .page_flags import (
    BUDDY_WORD,
    DL_EXCLUDE_FREE,
    DUMP_LEVEL,
    ENCODINGS,
    KPF_COPIED,
    LIST_POISON1,
    LIST_POISON2,
    OFFLINE_ALIAS,
    OFFLINE_WORD,
    PAGE_BUDDY_MAPCOUNT_VALUE,
    PAGE_OFFLINE_MAPCOUNT_VALUE,
    PAGE_TYPE_NONE,
    Encoding,
    PageType,
    PG_buddy,
    PG_offline,
    flag_names,
    kpf_names,
    kpf_text,
    page_type_names,
    page_types_long,
    page_types_symbolic,
    signed32,
)

if TYPE_CHECKING:  # pragma: no cover
    from .machine import Machine

PAGE_FORMAT = "hinting-page/1"
PAGES_FORMAT = "hinting-pages/1"
PAGE_SIZE = 4096  # x86-64


class BlockState(StrEnum):
    FREE = "free"  # on a free list
    BATCH = "batch"  # held off the lists by the design (its batch, in flight to the host)
    ALLOCATED = "allocated"


class Verdict(StrEnum):
    EXCLUDED_FREE = "excluded_free"
    EXCLUDED_OFFLINE = "excluded_offline"
    DUMPED = "dumped"


# --- arguments ------------------------------------------------------------------------------


def own_encoding(m: Machine) -> str | None:
    """The encoding the live design's own kernel code uses, when it is one of the table's."""
    return m.design.page_encoding


def get_encoding(m: Machine, name: Any = None, field: str = "encoding") -> Encoding:
    """The encoding called `name` (default: the design's own, else offline-alias); InvalidInput names `field`."""
    if name is None or name == "":
        return ENCODINGS.get(own_encoding(m) or "", OFFLINE_ALIAS)
    if not isinstance(name, str) or name not in ENCODINGS:
        raise InvalidInput(f"unknown encoding {str(name)[:40]!r}; one of {', '.join(ENCODINGS)}", field)
    return ENCODINGS[name]


def check_pfn(m: Machine, pfn: Any, field: str = "pfn") -> int:
    if isinstance(pfn, bool) or not isinstance(pfn, int):
        raise InvalidInput(f"must be an integer, got {str(pfn)[:40]!r}", field)
    last = m.pgdat.nr_pages - 1
    if not 0 <= pfn <= last:
        raise InvalidInput(f"pfn {pfn} is outside this machine (pfns 0..{last})", field)
    return pfn


# --- the block a pfn belongs to -----------------------------------------------------------------


class Block:
    __slots__ = ("head", "marked", "migratetype", "order", "page", "state")

    def __init__(self, head: int, order: int, state: BlockState, migratetype: int, marked: bool,
                 page: Page | None) -> None:
        self.head = head
        self.order = order
        self.state = state
        self.migratetype = migratetype  # the list's (FREE), page->index (BATCH), the allocation's (ALLOCATED)
        self.marked = marked
        self.page = page  # the head's Page (FREE, BATCH)


def locate(m: Machine, pfn: int) -> Block:
    """The block holding `pfn`: the first head found going down through its aligned ancestors.

    Every pfn is in exactly one block (invariants.py), whose head is the pfn
    rounded down to the block's order; every lower-order rounding lands inside
    that block, where mem_map holds nothing.
    """
    mem_map = m.pgdat.mem_map
    for k in range(m.pgdat.max_order):
        head = pfn & ~((1 << k) - 1)
        entry = mem_map[head]
        if entry is None:
            continue
        if type(entry) is int:
            order = entry & ORDER_MASK
            block = Block(head, order, BlockState.ALLOCATED, entry >> MT_SHIFT, False, None)
        else:
            assert type(entry) is Page
            state = BlockState.FREE if PageBuddy(entry) else BlockState.BATCH
            block = Block(head, page_order(entry), state, page_migratetype(entry), m.design.is_marked(entry), entry)
        if head + (1 << block.order) <= pfn:
            break
        return block
    raise AssertionError(f"pfn {pfn} belongs to no block")


# --- struct page ------------------------------------------------------------------------------------


class StructPage:
    __slots__ = ("flags", "page_type", "private", "refcount")

    def __init__(self, flags: int, page_type: int, private: int, refcount: int) -> None:
        self.flags = flags
        self.page_type = page_type  # the word page_type and _mapcount share, unsigned 32-bit
        self.private = private
        self.refcount = refcount


def struct_page(m: Machine, block: Block, pfn: int, enc: Encoding) -> StructPage:
    """The fields of `pfn`'s struct page that the model determines, under `enc`."""
    is_head = pfn == block.head
    if block.state is BlockState.FREE and is_head:
        flags, page_type = enc.head_words(block.marked)
        return StructPage(flags, page_type, block.order, 0)
    if block.state is BlockState.BATCH and is_head:
        # Off the lists: PageBuddy cleared, and with it the encodings' marks (every flag must be
        # clear again by the time a block could be allocated: PAGE_FLAGS_CHECK_AT_PREP).
        return StructPage(0, PAGE_TYPE_NONE, block.order if m.design.batch_keeps_order else 0, 0)
    if block.state is BlockState.ALLOCATED and is_head:
        return StructPage(0, PAGE_TYPE_NONE, 0, 1)  # post_alloc_hook: private 0, refcount 1
    return StructPage(0, PAGE_TYPE_NONE, 0, 0)  # a tail page: nothing of its own


def kpageflags_word(state: BlockState, sp: StructPage) -> int:
    """stable_page_flags (fs/proc/page.c) for the fields the model has, in a block in `state`."""
    word = 0
    # PageBuddy(), or refcount 0 inside a free block (is_free_buddy_page)
    if PageType(sp.page_type, PG_buddy) or (sp.refcount == 0 and state is BlockState.FREE):
        word |= BUDDY_WORD
    if PageType(sp.page_type, PG_offline):
        word |= OFFLINE_WORD
    for kpf, pg in KPF_COPIED:
        if sp.flags >> pg & 1:
            word |= 1 << kpf
    return word


def _free_head_excluded(block: Block, enc: Encoding) -> bool:
    """Does makedumpfile take the head of this free block for a free page (an equality test)?"""
    return enc.head_words(block.marked)[1] == PAGE_BUDDY_MAPCOUNT_VALUE


def makedumpfile_verdict(block: Block, pfn: int, sp: StructPage, enc: Encoding) -> tuple[Verdict, str]:
    """What makedumpfile -d 31 does with this page, and why (the values it compared)."""
    mapcount = sp.page_type
    buddy, offline = f"{PAGE_BUDDY_MAPCOUNT_VALUE:#010x}", f"{PAGE_OFFLINE_MAPCOUNT_VALUE:#010x}"
    if block.state is BlockState.FREE and pfn != block.head and _free_head_excluded(block, enc):
        return Verdict.EXCLUDED_FREE, (f"excluded with its head pfn {block.head}: the head's _mapcount equals "
                                       f"PAGE_BUDDY_MAPCOUNT_VALUE ({buddy}), so all 2^{block.order} pages of the "
                                       "block are skipped as free")
    if DUMP_LEVEL & DL_EXCLUDE_FREE and mapcount == PAGE_BUDDY_MAPCOUNT_VALUE:
        return Verdict.EXCLUDED_FREE, (f"_mapcount {mapcount:#010x} equals PAGE_BUDDY_MAPCOUNT_VALUE: free, "
                                       f"2^private = {1 << sp.private} pages excluded")
    if mapcount == PAGE_OFFLINE_MAPCOUNT_VALUE:
        return Verdict.EXCLUDED_OFFLINE, (f"_mapcount {mapcount:#010x} equals PAGE_OFFLINE_MAPCOUNT_VALUE: "
                                          "logically offline, this page excluded")
    compared = (f"_mapcount {mapcount:#010x} ({signed32(mapcount)}) equals neither PAGE_BUDDY_MAPCOUNT_VALUE "
                f"({buddy}) nor PAGE_OFFLINE_MAPCOUNT_VALUE ({offline})")
    if block.state is BlockState.FREE:
        if pfn == block.head:
            why = (f"{compared}: the {1 << block.order} free pages of this block are written out as ordinary "
                   "memory (makedumpfile compares values, not bits)")
        else:
            head = enc.head_words(block.marked)[1]
            why = (f"its head pfn {block.head} was not taken for free (its _mapcount {head:#010x} equals neither "
                   f"PAGE_BUDDY_MAPCOUNT_VALUE ({buddy}) nor PAGE_OFFLINE_MAPCOUNT_VALUE ({offline})), and this "
                   f"tail page's own {mapcount:#010x} ({signed32(mapcount)}) equals neither: written out too")
    elif block.state is BlockState.BATCH:
        why = f"{compared}: free, but off the lists in the design's batch, so written out"
    else:
        why = f"{compared}: allocated, written out (what -d 31 would drop depends on its user, not modelled)"
    return Verdict.DUMPED, why


# --- the view --------------------------------------------------------------------------------------


def _list_name(order: int, mt: int) -> str:
    return f"free_area[{order}].free_list[{MIGRATETYPE_NAMES[mt]}]"


def _lru_end(node: object) -> dict[str, Any]:
    if type(node) is Page:
        return {"pfn": node.pfn}
    assert type(node) is FreeList
    return {"list_head": _list_name(node.order, node.migratetype)}


def _lru(block: Block, pfn: int) -> dict[str, Any]:
    if block.state is BlockState.FREE and pfn == block.head:
        assert block.page is not None
        return {"state": "listed", "next": _lru_end(block.page.next), "prev": _lru_end(block.page.prev),
                "text": "linked on " + _list_name(block.order, block.migratetype)}
    if block.state is BlockState.BATCH and pfn == block.head:
        return {"state": "poisoned", "next": f"{LIST_POISON1:#x}", "prev": f"{LIST_POISON2:#x}",
                "text": "list_del's poison (LIST_POISON1/2): taken off its list for the batch"}
    if block.state is BlockState.ALLOCATED and pfn == block.head:
        return {"state": "owner", "next": None, "prev": None,
                "text": "the owner's to use (allocated); the model does not track it"}
    return {"state": "unused", "next": None, "prev": None, "text": "unused: a tail page is on no list"}


def _block_json(m: Machine, block: Block, pfn: int) -> dict[str, Any]:
    zone = m.pgdat.page_zone(pfn)
    out: dict[str, Any] = {
        "state": block.state.value,
        "head_pfn": block.head,
        "order": block.order,
        "pages": 1 << block.order,
        "last_pfn": block.head + (1 << block.order) - 1,
        "is_head": pfn == block.head,
        "index": pfn - block.head,
        "marked": block.marked,
        "list": None,
        "batch_index": None,
        "migratetype": MIGRATETYPE_NAMES[block.migratetype],
        "pageblock": MIGRATETYPE_NAMES[get_pageblock_migratetype(zone, pfn)],
    }
    if block.state is BlockState.FREE:
        out["list"] = {"order": block.order, "migratetype": MIGRATETYPE_NAMES[block.migratetype],
                       "name": _list_name(block.order, block.migratetype)}
    elif block.state is BlockState.BATCH:
        batch = m.design.batch()
        out["batch_index"] = next((i for i, p in enumerate(batch) if p is block.page), None)
        out["batch_size"] = len(batch)
    return out


def _block_words(m: Machine, block: Block, pfn: int) -> str:
    what = "head" if pfn == block.head else f"tail page {pfn - block.head}"
    span = f"order {block.order}, pfns {block.head}-{block.head + (1 << block.order) - 1}"
    if block.state is BlockState.FREE:
        mark = f", {m.design.mark_name} by the {m.design.name} design" if block.marked else ""
        return (f"{what} of a free block ({span}){mark}, on "
                f"{_list_name(block.order, block.migratetype)}")
    if block.state is BlockState.BATCH:
        return f"{what} of a free block in the {m.design.name} design's batch ({span}), on no list"
    return f"{what} of an allocated block ({span}, {MIGRATETYPE_NAMES[block.migratetype]})"


def _kpf_reasons(block: Block, sp: StructPage, word: int, enc: Encoding) -> list[str]:
    why = []
    if word & BUDDY_WORD:
        why.append("BUDDY: PageBuddy()" if PageType(sp.page_type, PG_buddy) else
                   f"BUDDY: refcount 0 inside the free block at pfn {block.head} (is_free_buddy_page)")
    if word & OFFLINE_WORD:
        why.append("OFFLINE: PageOffline()")
    for kpf, pg in KPF_COPIED:
        if sp.flags >> pg & 1:
            why.append(f"{kpf_names(1 << kpf)[0]}: copies {flag_names(1 << pg)[0]}")
    return why


def _walkers(block: Block, pfn: int) -> dict[str, Any]:
    if block.state is BlockState.FREE:
        where = _list_name(block.order, block.migratetype)
        text = (f"listed: a free block of order {block.order} on {where}" if pfn == block.head else
                f"inside the free block at pfn {block.head}, listed on {where}")
        return {"sees": True, "text": text}
    if block.state is BlockState.BATCH:
        return {"sees": False, "text": "missed: free, but on no free list while the design's batch is out"}
    return {"sees": False, "text": "not free: on no free list"}


def page_view(m: Machine, pfn: Any, encoding: Any = None) -> dict[str, Any]:
    """The `hinting-page/1` document for one pfn under one encoding (docs/page-representation.md)."""
    pfn = check_pfn(m, pfn)
    enc = get_encoding(m, encoding)
    block = locate(m, pfn)
    sp = struct_page(m, block, pfn, enc)
    word = kpageflags_word(block.state, sp)
    verdict, reason = makedumpfile_verdict(block, pfn, sp, enc)
    pages = 1 if verdict is Verdict.EXCLUDED_OFFLINE else 1 << block.order  # the block's pages share it
    own = own_encoding(m)
    buddy = PageType(sp.page_type, PG_buddy)
    offline = PageType(sp.page_type, PG_offline)
    if offline and block.state is BlockState.FREE:
        offline_text = "true: code honouring PageOffline() takes this free, allocatable page for logically offline"
    else:
        offline_text = "true" if offline else "false"
    return {
        "format": PAGE_FORMAT,
        "pfn": pfn,
        "zone": m.pgdat.page_zone(pfn).name,
        "encoding": {"name": enc.name, "proposed": enc.proposed, "bit": enc.bit_name, "own": enc.name == own},
        "design": {"name": m.design.name, "mark_name": m.design.mark_name, "own_encoding": own},
        "block": _block_json(m, block, pfn),
        "block_text": _block_words(m, block, pfn),
        "struct_page": {
            "flags": {"value": sp.flags, "hex": f"{sp.flags:#x}", "names": flag_names(sp.flags)},
            "page_type": {"value": sp.page_type, "hex": f"{sp.page_type:#010x}", "signed": signed32(sp.page_type),
                          "types": page_type_names(sp.page_type)},
            "private": sp.private,
            "private_text": ("the order (set_page_order)" if sp.private and block.state is BlockState.FREE else
                             "the order, kept for the batch" if sp.private else "0"),
            "refcount": sp.refcount,
            "lru": _lru(block, pfn),
        },
        "kernel": {"PageBuddy": buddy, "PageOffline": offline, "PageOffline_text": offline_text},
        "kpageflags": {"value": word, "hex": f"{word:#018x}", "names": kpf_names(word), "text": kpf_text(word),
                       "symbolic": page_types_symbolic(word), "why": _kpf_reasons(block, sp, word, enc)},
        "makedumpfile": {"verdict": verdict.value, "text": _VERDICT_TEXT[verdict], "reason": reason,
                         "pages": pages, "mapcount": f"{sp.page_type:#010x}",
                         "PAGE_BUDDY_MAPCOUNT_VALUE": f"{PAGE_BUDDY_MAPCOUNT_VALUE:#010x}",
                         "PAGE_OFFLINE_MAPCOUNT_VALUE": f"{PAGE_OFFLINE_MAPCOUNT_VALUE:#010x}",
                         "dump_level": DUMP_LEVEL},
        "list_walkers": _walkers(block, pfn),
    }


_VERDICT_TEXT = {
    Verdict.EXCLUDED_FREE: "free and excluded",
    Verdict.EXCLUDED_OFFLINE: "offline and excluded",
    Verdict.DUMPED: "dumped as ordinary memory",
}


# --- per zone ----------------------------------------------------------------------------------------


class ZoneFigures:
    """The handful of numbers every per-zone total derives from, each O(max_order) or kept as it happens."""

    __slots__ = ("batch_pages", "free_blocks", "free_pages", "marked_blocks", "marked_pages", "pages")

    def __init__(self, pages: int, free_pages: int, free_blocks: int, marked_blocks: int, marked_pages: int,
                 batch_pages: int) -> None:
        self.pages = pages
        self.free_pages = free_pages  # on the free lists
        self.free_blocks = free_blocks
        self.marked_blocks = marked_blocks
        self.marked_pages = marked_pages
        self.batch_pages = batch_pages

    @property
    def allocated_pages(self) -> int:
        return self.pages - self.free_pages - self.batch_pages


def zone_figures(m: Machine, zone: Zone, batch_pages: int | None = None) -> ZoneFigures:
    if batch_pages is None:
        batch_pages = sum(1 << page_order(p) for p in m.design.batch() if zone.zone_spans_pfn(p.pfn))
    free_pages = sum(area.nr_free << order for order, area in enumerate(zone.free_area))
    free_blocks = sum(area.nr_free for area in zone.free_area)
    marked_blocks = zone.nr_marks_set - zone.nr_marks_cleared_on_list - zone.nr_marks_cleared_off_list
    return ZoneFigures(zone.spanned_pages, free_pages, free_blocks, marked_blocks, zone.nr_marked_pages, batch_pages)


def flag_writes(zone: Zone, enc: Encoding) -> dict[str, int]:
    """Page flag writes under `enc` since the run began, and the operations they come from.

    A block enters a list unmarked and a marked block leaves only through
    ClearPageMarked(on_list=False), so: an encoding on the marked heads writes
    once per mark set or cleared, wherever; one on the unmarked heads
    (dirty-unhinted) writes once per unmarked block put on or taken off a
    list and once per mark set or cleared on a list (the head turns from one
    kind to the other there), and nothing when a marked block leaves.
    """
    now = page_flag_counts(zone)
    adds, removes, marks_set, cleared_on, cleared_off = (a - b for a, b in zip(now, zone.page_flag_base, strict=True))
    if enc.on_marked:
        total = marks_set + cleared_on + cleared_off
    else:
        total = adds + (removes - cleared_off) + marks_set + cleared_on
    return {"total": total, "list_adds": adds, "list_removals": removes, "marks_set": marks_set,
            "marks_cleared_on_list": cleared_on, "marks_cleared_off_list": cleared_off}


class HeadKind:
    """The free heads the design marked, or those it did not, under one encoding."""

    __slots__ = ("heads", "marked", "pages", "sp")

    def __init__(self, marked: bool, heads: int, pages: int, sp: StructPage) -> None:
        self.marked = marked
        self.heads = heads
        self.pages = pages  # the pages of their blocks
        self.sp = sp  # a head's fields (its `private` is left 0: orders differ)


def head_kinds(f: ZoneFigures, enc: Encoding) -> tuple[HeadKind, HeadKind]:
    out = []
    for marked in (True, False):
        heads = f.marked_blocks if marked else f.free_blocks - f.marked_blocks
        pages = f.marked_pages if marked else f.free_pages - f.marked_pages
        flags, page_type = enc.head_words(marked)
        out.append(HeadKind(marked, heads, pages, StructPage(flags, page_type, 0, 0)))
    return out[0], out[1]


class DumpFigures:
    __slots__ = ("dumped_on_lists", "excluded_free", "excluded_offline", "pageoffline_block_pages", "pageoffline_pages")

    def __init__(self, excluded_free: int, excluded_offline: int, dumped_on_lists: int, pageoffline_pages: int,
                 pageoffline_block_pages: int) -> None:
        self.excluded_free = excluded_free
        self.excluded_offline = excluded_offline
        self.dumped_on_lists = dumped_on_lists  # free pages on the lists written out
        self.pageoffline_pages = pageoffline_pages  # free pages whose own struct page reads PageOffline() (heads)
        self.pageoffline_block_pages = pageoffline_block_pages  # the pages of the blocks those heads head


def dump_figures(f: ZoneFigures, enc: Encoding) -> DumpFigures:
    """makedumpfile's and PageOffline()'s view of the zone's free lists, from the two kinds of heads.

    A free block's fate is its head's: excluded whole when the head's
    _mapcount equals PAGE_BUDDY_MAPCOUNT_VALUE; else the head alone is
    excluded if it equals PAGE_OFFLINE_MAPCOUNT_VALUE, and every other page of
    the block (tails read -1) is written out.
    """
    excluded_free = excluded_offline = dumped = offline_pages = offline_block_pages = 0
    for kind in head_kinds(f, enc):
        mapcount = kind.sp.page_type
        if mapcount == PAGE_BUDDY_MAPCOUNT_VALUE:
            excluded_free += kind.pages
        elif mapcount == PAGE_OFFLINE_MAPCOUNT_VALUE:
            excluded_offline += kind.heads
            dumped += kind.pages - kind.heads
        else:
            dumped += kind.pages
        if PageType(mapcount, PG_offline):
            offline_pages += kind.heads
            offline_block_pages += kind.pages
    return DumpFigures(excluded_free, excluded_offline, dumped, offline_pages, offline_block_pages)


def kpageflags_groups(f: ZoneFigures, enc: Encoding) -> list[tuple[int, int, str]]:
    """(kpageflags word, pages, what they are) for every page of the zone, as page-types groups them."""
    groups: dict[int, list[tuple[int, str]]] = {}

    def add(word: int, pages: int, what: str) -> None:
        if pages:
            groups.setdefault(word, []).append((pages, what))

    for kind in head_kinds(f, enc):
        add(kpageflags_word(BlockState.FREE, kind.sp), kind.heads,
            f"heads of {'marked' if kind.marked else 'unmarked'} free blocks")
    tail = StructPage(0, PAGE_TYPE_NONE, 0, 0)
    add(kpageflags_word(BlockState.FREE, tail), f.free_pages - f.free_blocks, "tail pages of free blocks")
    add(kpageflags_word(BlockState.ALLOCATED, tail), f.allocated_pages,
        "allocated pages (their real flags depend on their users: not modelled)")
    add(kpageflags_word(BlockState.BATCH, tail), f.batch_pages, "pages in the design's batch (free, off the lists)")
    return [(word, sum(n for n, _ in parts), "; ".join(f"{n} {what}" for n, what in parts))
            for word, parts in sorted(groups.items())]


def zone_totals(m: Machine, zone: Zone, enc: Encoding) -> dict[str, Any]:
    """Per zone under `enc`: makedumpfile's exclusions, PageOffline readings, flag writes, kpageflags groups."""
    f = zone_figures(m, zone)
    d = dump_figures(f, enc)
    return {
        "name": zone.name,
        "start_pfn": zone.zone_start_pfn,
        "pages": zone.spanned_pages,
        "free_pages": f.free_pages,
        "free_blocks": f.free_blocks,
        "marked_blocks": f.marked_blocks,
        "marked_pages": f.marked_pages,
        "batch_pages": f.batch_pages,
        "makedumpfile": {
            "excluded_free": d.excluded_free,
            "excluded_offline": d.excluded_offline,
            "dumped_though_free": d.dumped_on_lists + f.batch_pages,
            "dumped_on_lists": d.dumped_on_lists,
            "dumped_in_batch": f.batch_pages,
        },
        "pageoffline": {"pages": d.pageoffline_pages, "block_pages": d.pageoffline_block_pages},
        "flag_writes": flag_writes(zone, enc),
        "kpageflags": [
            {"flags": f"{word:#018x}", "value": word, "names": kpf_names(word), "text": kpf_text(word),
             "symbolic": page_types_symbolic(word), "long": page_types_long(word), "pages": pages,
             "mb": pages * PAGE_SIZE // (1 << 20), "what": what}
            for word, pages, what in kpageflags_groups(f, enc)
        ],
    }


def pages_view(m: Machine, encoding: Any = None) -> dict[str, Any]:
    """The `hinting-pages/1` document: every zone's totals under one encoding."""
    enc = get_encoding(m, encoding)
    own = own_encoding(m)
    return {
        "format": PAGES_FORMAT,
        "encoding": {"name": enc.name, "proposed": enc.proposed, "bit": enc.bit_name, "own": enc.name == own},
        "design": {"name": m.design.name, "mark_name": m.design.mark_name, "own_encoding": own},
        "dump_level": DUMP_LEVEL,
        "zones": [zone_totals(m, zone, enc) for zone in m.pgdat.node_zones],
    }


def zone_summary(m: Machine, zone: Zone, batch_pages: int) -> dict[str, Any]:
    """The state's small per-zone `page_repr` field: three figures per encoding, O(max_order) in all."""
    f = zone_figures(m, zone, batch_pages)
    encodings = {}
    for enc in ENCODINGS.values():
        d = dump_figures(f, enc)
        encodings[enc.name] = {"flag_writes": flag_writes(zone, enc)["total"],
                               "dumped_though_free": d.dumped_on_lists + f.batch_pages,
                               "pageoffline_pages": d.pageoffline_pages}
    return {"own_encoding": own_encoding(m), "encodings": encodings}
