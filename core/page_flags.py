"""The bits of `struct page` and of /proc/kpageflags that a free page shows (v5.3, x86-64).

Facts only, as numbers and names, each from the file named beside it (read
in a v5.3 tree and in makedumpfile 1.6.6, the release of that summer); the
reasoning that uses them is in page_repr.py.

* `flags` bit numbers: `enum pageflags`, include/linux/page-flags.h.  Bits
  above PG_mlocked (PG_uncached, PG_hwpoison, PG_young, PG_idle) depend on
  the build and are never set on a free page, so they are left out.
* `page_type` shares its word with `_mapcount` (include/linux/mm_types.h);
  it starts at -1 and a type is set by *clearing* its bit;
  `PageType(page, bit)` holds when the word masked with
  `PAGE_TYPE_BASE | bit` equals `PAGE_TYPE_BASE` (include/linux/page-flags.h).
* VMCOREINFO exports `PAGE_BUDDY_MAPCOUNT_VALUE` = `~PG_buddy` and
  `PAGE_OFFLINE_MAPCOUNT_VALUE` = `~PG_offline` (kernel/crash_core.c);
  makedumpfile compares `_mapcount` with them for equality
  (makedumpfile.c: page_is_buddy_v3, isOffline).
* /proc/kpageflags bits: include/uapi/linux/kernel-page-flags.h (0-26) and
  include/linux/kernel-page-flags.h (32-40); page-types' one-letter names:
  tools/vm/page-types.c.
* `list_del` leaves LIST_POISON1/2 in a page's `lru` (include/linux/poison.h,
  with x86-64's CONFIG_ILLEGAL_POINTER_VALUE 0xdead000000000000).
"""

from __future__ import annotations

# enum pageflags, bit number = position (include/linux/page-flags.h, v5.3).
PG_NAMES = (
    "PG_locked", "PG_referenced", "PG_uptodate", "PG_dirty", "PG_lru", "PG_active", "PG_workingset",
    "PG_waiters", "PG_error", "PG_slab", "PG_owner_priv_1", "PG_arch_1", "PG_reserved", "PG_private",
    "PG_private_2", "PG_writeback", "PG_head", "PG_mappedtodisk", "PG_reclaim", "PG_swapbacked",
    "PG_unevictable", "PG_mlocked",
)
PG_uptodate = PG_NAMES.index("PG_uptodate")
PG_dirty = PG_NAMES.index("PG_dirty")

# /proc/kpageflags bits: include/uapi/linux/kernel-page-flags.h, then include/linux/kernel-page-flags.h
# from 32 (the "kernel hacking" bits, which page-types hides by default).
KPF_LOCKED = 0
KPF_ERROR = 1
KPF_REFERENCED = 2
KPF_UPTODATE = 3
KPF_DIRTY = 4
KPF_LRU = 5
KPF_ACTIVE = 6
KPF_SLAB = 7
KPF_WRITEBACK = 8
KPF_RECLAIM = 9
KPF_BUDDY = 10
KPF_MMAP = 11
KPF_ANON = 12
KPF_SWAPCACHE = 13
KPF_SWAPBACKED = 14
KPF_COMPOUND_HEAD = 15
KPF_COMPOUND_TAIL = 16
KPF_HUGE = 17
KPF_UNEVICTABLE = 18
KPF_HWPOISON = 19
KPF_NOPAGE = 20
KPF_KSM = 21
KPF_THP = 22
KPF_OFFLINE = 23
KPF_ZERO_PAGE = 24
KPF_IDLE = 25
KPF_PGTABLE = 26
KPF_RESERVED = 32
KPF_MLOCKED = 33
KPF_MAPPEDTODISK = 34
KPF_PRIVATE = 35
KPF_PRIVATE_2 = 36
KPF_OWNER_PRIVATE = 37
KPF_ARCH = 38

# page_type (include/linux/page-flags.h, v5.3).
PAGE_TYPE_BASE = 0xF0000000
PAGE_TYPE_NONE = 0xFFFFFFFF  # -1: no type, no mapping
PAGE_TYPES = (("buddy", 0x80), ("offline", 0x100), ("kmemcg", 0x200), ("table", 0x400), ("guard", 0x800))
PG_buddy = 0x80
PG_offline = 0x100

# kernel/crash_core.c: the values VMCOREINFO hands to makedumpfile.
PAGE_BUDDY_MAPCOUNT_VALUE = ~PG_buddy & 0xFFFFFFFF  # 0xffffff7f
PAGE_OFFLINE_MAPCOUNT_VALUE = ~PG_offline & 0xFFFFFFFF  # 0xfffffeff
# makedumpfile's -d 31 (kdump's usual level) includes 16, "free pages"; offline pages go at every level.
DUMP_LEVEL = 31
DL_EXCLUDE_FREE = 16

# include/linux/poison.h on x86-64.
LIST_POISON1 = 0xDEAD000000000100
LIST_POISON2 = 0xDEAD000000000122

# stable_page_flags copies these flags one to one: (KPF bit, PG bit) (fs/proc/page.c, v5.3).
KPF_COPIED: tuple[tuple[int, int], ...] = tuple(
    (kpf, PG_NAMES.index(pg)) for kpf, pg in (
        (KPF_LOCKED, "PG_locked"), (KPF_SLAB, "PG_slab"), (KPF_ERROR, "PG_error"), (KPF_DIRTY, "PG_dirty"),
        (KPF_UPTODATE, "PG_uptodate"), (KPF_WRITEBACK, "PG_writeback"), (KPF_LRU, "PG_lru"),
        (KPF_REFERENCED, "PG_referenced"), (KPF_ACTIVE, "PG_active"), (KPF_RECLAIM, "PG_reclaim"),
        (KPF_SWAPBACKED, "PG_swapbacked"), (KPF_UNEVICTABLE, "PG_unevictable"), (KPF_MLOCKED, "PG_mlocked"),
        (KPF_RESERVED, "PG_reserved"), (KPF_MAPPEDTODISK, "PG_mappedtodisk"), (KPF_PRIVATE, "PG_private"),
        (KPF_PRIVATE_2, "PG_private_2"), (KPF_OWNER_PRIVATE, "PG_owner_priv_1"), (KPF_ARCH, "PG_arch_1"),
    )
)

# page-types' names of the kpageflags bits, "letter:name" (tools/vm/page-types.c, v5.3); the
# bits without a name there are skipped in its symbolic column.
KPF_PAGE_TYPES_NAMES: dict[int, str] = {
    0: "L:locked", 1: "E:error", 2: "R:referenced", 3: "U:uptodate", 4: "D:dirty", 5: "l:lru", 6: "A:active",
    7: "S:slab", 8: "W:writeback", 9: "I:reclaim", 10: "B:buddy", 11: "M:mmap", 12: "a:anonymous",
    13: "s:swapcache", 14: "b:swapbacked", 15: "H:compound_head", 16: "T:compound_tail", 17: "G:huge",
    18: "u:unevictable", 19: "X:hwpoison", 20: "n:nopage", 21: "x:ksm", 22: "t:thp", 23: "o:offline",
    24: "z:zero_page", 25: "i:idle_page", 26: "g:pgtable",
    32: "r:reserved", 33: "m:mlocked", 34: "d:mappedtodisk", 35: "P:private", 36: "p:private_2",
    37: "O:owner_private", 38: "h:arch", 39: "c:uncached", 40: "f:softdirty",
    48: "I:readahead", 49: "P:slob_free", 50: "A:slub_frozen", 51: "E:slub_debug",
    61: "F:file", 62: "w:swap", 63: "1:mmap_exclusive",
}


def PageType(page_type: int, bit: int) -> bool:
    return page_type & (PAGE_TYPE_BASE | bit) == PAGE_TYPE_BASE


def signed32(value: int) -> int:
    return value - (1 << 32) if value & 0x80000000 else value


def flag_names(flags: int) -> list[str]:
    return [name for bit, name in enumerate(PG_NAMES) if flags >> bit & 1]


def page_type_names(page_type: int) -> list[str]:
    """The types PageType() finds in the word (none when it is a mapcount: -1 or more)."""
    if signed32(page_type) >= -128:  # page_has_type(): below PAGE_MAPCOUNT_RESERVE only
        return []
    return [name for name, bit in PAGE_TYPES if PageType(page_type, bit)]


# BUDDY first (what kind of page it is), then the other bits in bit order: "BUDDY|UPTODATE".
_NAME_ORDER = sorted(KPF_PAGE_TYPES_NAMES, key=lambda bit: (bit != KPF_BUDDY, bit))


def kpf_names(word: int) -> list[str]:
    """Upper-case names of the set bits: BUDDY first, then in bit order (BUDDY, UPTODATE, OFFLINE, ...)."""
    return [KPF_PAGE_TYPES_NAMES[bit][2:].upper() for bit in _NAME_ORDER if word >> bit & 1]


def kpf_text(word: int) -> str:
    """"BUDDY|OFFLINE", or "none"."""
    return "|".join(kpf_names(word)) or "none"


def page_types_symbolic(word: int) -> str:
    """page-types' symbolic-flags column: one letter per named bit, "_" where clear."""
    return "".join(KPF_PAGE_TYPES_NAMES[bit][0] if word >> bit & 1 else "_" for bit in sorted(KPF_PAGE_TYPES_NAMES))


def page_types_long(word: int) -> str:
    """page-types' long-symbolic-flags column ("buddy,offline")."""
    return ",".join(KPF_PAGE_TYPES_NAMES[bit][2:] for bit in sorted(KPF_PAGE_TYPES_NAMES) if word >> bit & 1)


# --- the encodings (PAGE-REPRESENTATION.md) ----------------------------------------------


class Encoding:
    """Which bit of a free head carries the design's decision, and on which heads.

    `on_marked`: the bit is set on the heads the design marked (offline-alias,
    uptodate-reported); otherwise on the free heads it did not mark
    (dirty-unhinted).  The bit is either a `flags` bit (`flag_bit`) or a
    page type (`type_bit`, set by clearing it).
    """

    __slots__ = ("bit_name", "flag_bit", "kpf_bit", "name", "on_marked", "proposed", "type_bit")

    def __init__(self, name: str, proposed: str, bit_name: str, on_marked: bool, kpf_bit: int,
                 flag_bit: int | None = None, type_bit: int | None = None) -> None:
        self.name = name
        self.proposed = proposed
        self.bit_name = bit_name
        self.on_marked = on_marked
        self.kpf_bit = kpf_bit  # the /proc/kpageflags bit that shows it
        self.flag_bit = flag_bit
        self.type_bit = type_bit

    def carries(self, marked: bool) -> bool:
        """Does a free head on a list, marked or not, carry the encoding's bit?"""
        return marked if self.on_marked else not marked

    def head_words(self, marked: bool) -> tuple[int, int]:
        """(flags, page_type) of the head of a free block on a list."""
        flags = 0
        page_type = PAGE_BUDDY_MAPCOUNT_VALUE  # set_page_order: __SetPageBuddy
        if self.carries(marked):
            if self.type_bit is not None:
                page_type &= ~self.type_bit
            if self.flag_bit is not None:
                flags |= 1 << self.flag_bit
        return flags, page_type


OFFLINE_ALIAS = Encoding("offline-alias", "the seed: PAGE_TYPE_OPS(Hinted, offline), the Offline page type "
                         "set on a Buddy page", "PG_offline (page_type 0x100, cleared to set) on hinted heads",
                         True, KPF_OFFLINE, type_bit=PG_offline)
DIRTY_UNHINTED = Encoding("dirty-unhinted", "review of the seed: \"pages that were not hinted yet are dirty\"",
                          "PG_dirty (flags bit 3) on every free head not hinted", False, KPF_DIRTY, flag_bit=PG_dirty)
UPTODATE_REPORTED = Encoding("uptodate-reported", "review reply, merged in Linux 5.7 as PG_reported, an alias of "
                             "PG_uptodate", "PG_uptodate (flags bit 2) on hinted heads", True, KPF_UPTODATE,
                             flag_bit=PG_uptodate)
ENCODINGS: dict[str, Encoding] = {e.name: e for e in (OFFLINE_ALIAS, DIRTY_UNHINTED, UPTODATE_REPORTED)}
BUDDY_WORD = 1 << KPF_BUDDY
OFFLINE_WORD = 1 << KPF_OFFLINE
