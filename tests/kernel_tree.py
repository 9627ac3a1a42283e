"""A small, self-consistent procfs tree for the live host view (`--proc-root` in tests).

Two zones of a 6.x-style kernel: DMA (pfns 1..4095) and Normal (4096..36863),
with /proc/kpageflags written so that its free blocks are exactly the ones
buddyinfo and pagetypeinfo count.  `write_tree(root, variant)` rewrites every
file atomically, so a server reading the tree once a second sees a machine
whose free lists change between reads.
"""

from __future__ import annotations

import os
import struct
from pathlib import Path

KPF_UPTODATE, KPF_LRU, KPF_SLAB, KPF_BUDDY, KPF_MMAP = 3, 5, 7, 10, 11
KPF_NOPAGE, KPF_OFFLINE, KPF_RESERVED = 20, 23, 32
ZONES = (("DMA", 1, 4095), ("Normal", 4096, 32768))
END = 4096 + 32768


def free_blocks(variant: int) -> list[tuple[int, int, str, bool]]:
    """(pfn, order, migratetype, reported) of every free block, by variant."""
    blocks = [(2048, 10, "Movable", True), (1024, 9, "Unmovable", False)]  # DMA
    base = 8192 + 1024 * (variant % 4)
    blocks += [(base, 10, "Movable", True), (base + 2048, 9, "Movable", variant % 2 == 0),
               (16384, 10, "Movable", False), (20480 + 16 * variant, 3, "Unmovable", False),
               (24576, 0, "Reclaimable", False), (24578, 1, "Movable", False)]
    blocks += [(28672 + 8 * i, 2, "Movable", False) for i in range(variant + 1)]
    return blocks


def words(variant: int) -> bytes:
    flags = [(1 << KPF_LRU) | (1 << KPF_MMAP)] * END
    flags[0] = 1 << KPF_NOPAGE
    for pfn in range(4096, 4352):
        flags[pfn] = 1 << KPF_RESERVED
    for pfn in range(4352, 5120):
        flags[pfn] = 1 << KPF_SLAB
    for pfn in range(32768, 33792):
        flags[pfn] = 1 << KPF_OFFLINE
    for pfn, order, _mt, reported in free_blocks(variant):
        for p in range(pfn, pfn + (1 << order)):
            flags[p] = 1 << KPF_BUDDY
        if reported:
            flags[pfn] |= 1 << KPF_UPTODATE
    return struct.pack(f"<{END}Q", *flags)


def _atomic(path: Path, data: str | bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_bytes(data.encode() if isinstance(data, str) else data)
    os.replace(tmp, path)


def write_tree(root: Path, variant: int = 0) -> None:
    blocks = free_blocks(variant)
    mts = ("Unmovable", "Movable", "Reclaimable", "HighAtomic", "Isolate")
    buddy, pti_free, zoneinfo = [], [], []
    for name, start, spanned in ZONES:
        mine = [b for b in blocks if start <= b[0] < start + spanned]
        per = {mt: [0] * 11 for mt in mts}
        for _pfn, order, mt, _rep in mine:
            per[mt][order] += 1
        total = [sum(per[mt][o] for mt in mts) for o in range(11)]
        buddy.append(f"Node 0, zone {name:>8} " + " ".join(f"{n:6d}" for n in total) + " \n")
        for mt in mts:
            pti_free.append(f"Node    0, zone {name:>8}, type {mt:>12} " + " ".join(f"{n:6d}" for n in per[mt]) + " \n")
        free = sum(1 << o for _p, o, _m, _r in mine)
        zoneinfo.append(
            f"Node 0, zone {name:>8}\n  pages free     {free}\n        boost    0\n        min      {64 + variant}\n"
            f"        low      {80 + variant}\n        high     {96 + variant}\n        spanned  {spanned}\n"
            f"        present  {spanned}\n        managed  {spanned - 256}\n        cma      0\n"
            f"        protection: (0, 100, 100, 100, 100)\n      nr_free_pages {free}\n  pagesets\n    cpu: 0\n"
            f"              count:    {variant}\n              high:     0\n  vm stats threshold: 4\n"
            f"  node_unreclaimable:  0\n  start_pfn:           {start}\n")
    pti = ("Page block order: 9\nPages per block:  512\n\nFree pages count per migrate type at order "
           + " ".join(f"{o:6d}" for o in range(11)) + " \n" + "".join(pti_free)
           + "\nNumber of blocks type     Unmovable      Movable  Reclaimable   HighAtomic      Isolate \n"
           + "Node 0, zone      DMA            2            6            0            0            0 \n"
           + "Node 0, zone   Normal            4           58            2            0            0 \n")
    proc = root / "proc"
    _atomic(proc / "buddyinfo", "".join(buddy))
    _atomic(proc / "pagetypeinfo", pti)
    _atomic(proc / "zoneinfo", "".join(zoneinfo))
    free_pages = sum(1 << b[1] for b in blocks)
    _atomic(proc / "vmstat", f"nr_free_pages {free_pages}\nnr_free_cma 0\npgfree {1000 + variant}\n")
    _atomic(proc / "sys" / "kernel" / "osrelease", "6.18.0-fixture\n")
    _atomic(root / "sys" / "module" / "page_reporting" / "parameters" / "page_reporting_order", "9\n")
    _atomic(proc / "kpageflags", words(variant))
    _atomic(proc / "kpagecount", struct.pack(f"<{END}Q", *([1] * END)))


if __name__ == "__main__":  # python tests/kernel_tree.py DIR [VARIANT]: a tree to try --proc-root by hand
    import sys

    write_tree(Path(sys.argv[1]), int(sys.argv[2]) if len(sys.argv) > 2 else 0)
