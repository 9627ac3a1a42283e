"""/proc/kpageflags (and /proc/kpagecount) turned into a physical map.

Each pfn has one 64-bit little-endian word (fs/proc/page.c; the bit numbers
are include/uapi/linux/kernel-page-flags.h).  The map gives each page one
small code, in the lab's visual language:

=========  =====================================================================
FREE       KPF_BUDDY: in a free buddy block (the kernel sets it on every page
           of the block, head and tails)
REPORTED   a free block whose head has KPF_UPTODATE: Linux 5.7's PG_reported is
           an alias of PG_uptodate, so on a free head it means Reported
KERNEL     KPF_SLAB, KPF_PGTABLE or KPF_RESERVED: kernel memory (drawn in the
           Unmovable colour; it is a page's kind, not its pageblock's type)
USER       KPF_LRU, KPF_ANON, KPF_MMAP or KPF_SWAPBACKED: page cache and user
           memory, what the kernel can migrate (drawn in the Movable colour)
OTHER      allocated, with no flag that says what for (vmalloc, page frags...)
OFFLINE    KPF_OFFLINE: logically offline (ballooned out, virtio-mem unplugged)
HOLE       KPF_NOPAGE: no struct page behind this pfn
UNREAD     beyond what the file returned (cut off, or not readable)
PCP        refcount 0 but not in a buddy block: free on a per-cpu list (or not
           initialised yet); only when /proc/kpagecount is read too
=========  =====================================================================

The work is done on whole byte lanes of the file (`data[k::8]` is byte k of
every word), each lane translated to a few bits by a 256-entry table and the
lanes OR-ed together as big integers, so a 24 GiB map (6.3 M words) costs a
few C-speed passes, not 6.3 M Python steps.  Reads use `os.pread` in large
blocks, in two threads (the kernel's per-page work is the slow part, and the
GIL is released while a thread waits in read).
"""

from __future__ import annotations

import errno
import os
import re
import zlib
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

# include/uapi/linux/kernel-page-flags.h (kept in page_flags.py with the other struct page facts)
from .page_flags import (
    KPF_ANON,
    KPF_BUDDY,
    KPF_LRU,
    KPF_MMAP,
    KPF_NOPAGE,
    KPF_OFFLINE,
    KPF_PGTABLE,
    KPF_RESERVED,
    KPF_SLAB,
    KPF_SWAPBACKED,
    KPF_UPTODATE,
)
from .procfs import why_missing

FREE, REPORTED, KERNEL, USER, OTHER, OFFLINE, HOLE, UNREAD, PCP = range(9)
CODE_NAMES = ("free", "reported", "kernel", "user", "other", "offline", "hole", "unread", "pcp")

# Bits of the combined per-page byte.
_UP, _USER, _KERN, _BUDDY, _NOPAGE, _OFFLINE, _ZERO = 1, 2, 4, 8, 16, 32, 64


def _lane_table(bits: dict[int, int]) -> bytes:
    """A translate table: byte value -> OR of the combined bits whose lane bit is set."""
    table = bytearray(256)
    for v in range(256):
        for bit, out in bits.items():
            if v >> bit & 1:
                table[v] |= out  # OR: several flags may stand for one bit (ANON, MMAP -> USER)
    return bytes(table)


# Lane k holds flag bits 8k .. 8k+7.
_LANES: dict[int, bytes] = {
    0: _lane_table({KPF_UPTODATE: _UP, KPF_LRU: _USER, KPF_SLAB: _KERN}),
    1: _lane_table({KPF_BUDDY - 8: _BUDDY, KPF_MMAP - 8: _USER, KPF_ANON - 8: _USER, KPF_SWAPBACKED - 8: _USER}),
    2: _lane_table({KPF_NOPAGE - 16: _NOPAGE, KPF_OFFLINE - 16: _OFFLINE}),
    3: _lane_table({KPF_PGTABLE - 24: _KERN}),
    4: _lane_table({KPF_RESERVED - 32: _KERN}),
}


def _final(v: int) -> int:
    if v & _NOPAGE:
        return HOLE
    if v & _OFFLINE:
        return OFFLINE
    if v & _BUDDY:
        return REPORTED if v & _UP else FREE
    if v & _KERN:
        return KERNEL
    if v & _USER:
        return USER
    if v & _ZERO:
        return PCP
    return OTHER


_FINAL = bytes(_final(v) for v in range(256))
_NOT_FREE = re.compile(rb"[^\x00]")
_NONZERO = bytes([0] + [_ZERO] * 255)  # count lane byte -> ZERO bit where the byte is non-zero (inverted below)


def classify(flags: bytes, counts: bytes | None = None, max_order: int = 11, first_pfn: int = 0) -> bytes:
    """One code per word of `flags` (a run of /proc/kpageflags starting at `first_pfn`).

    A trailing partial word is ignored.  With `counts` (the same run of
    /proc/kpagecount), pages with refcount 0 outside buddy blocks are PCP.
    """
    n = len(flags) // 8
    if n == 0:
        return b""
    if len(flags) != n * 8:
        flags = flags[: n * 8]
    acc = 0
    for k, table in _LANES.items():
        acc |= int.from_bytes(flags[k::8].translate(table), "little")
    if counts is not None and len(counts) >= n * 8:
        nonzero = 0
        for k in range(8):
            nonzero |= int.from_bytes(counts[k : n * 8 : 8].translate(_NONZERO), "little")
        ones = int.from_bytes(bytes([_ZERO]) * n, "little")
        acc |= ones ^ nonzero  # ZERO where every byte of the count is 0
    combined = acc.to_bytes(n, "little")
    codes = bytearray(combined.translate(_FINAL))
    mark_reported_blocks(codes, max_order, first_pfn)
    return bytes(codes)


def buddy_order_at(codes: bytes | bytearray, i: int, end: int, max_order: int, first_pfn: int) -> int:
    """The order of the free block starting at index i, given that [i, end) is free.

    The kernel keeps free buddies merged, so a free run is its coarsest
    decomposition into aligned blocks: the largest order that is aligned at
    this pfn and fits in the run, at most max_order - 1.
    """
    pfn = first_pfn + i
    order = 0
    while order < max_order - 1:
        size = 2 << order
        if pfn & (size - 1) or i + size > end:
            break
        order += 1
    return order


def mark_reported_blocks(codes: bytearray, max_order: int, first_pfn: int = 0) -> int:
    """Paint the tails of every Reported head REPORTED too; returns the number of Reported blocks."""
    n = len(codes)
    reported = bytes([REPORTED])
    i = codes.find(reported)
    blocks = 0
    while i >= 0:
        m = _NOT_FREE.search(codes, i + 1)
        end = m.start() if m else n
        order = buddy_order_at(codes, i, end, max_order, first_pfn)
        size = 1 << order
        codes[i + 1 : i + size] = reported * (size - 1)
        blocks += 1
        i = codes.find(reported, i + size)
    return blocks


def free_blocks(codes: bytes, max_order: int, first_pfn: int = 0) -> list[tuple[int, int, bool]]:
    """(pfn, order, reported) of every free block in a map, in pfn order (coarsest decomposition)."""
    out: list[tuple[int, int, bool]] = []
    free_run = re.compile(rb"[\x00\x01]+")
    for m in free_run.finditer(codes):
        i, end = m.start(), m.end()
        while i < end:
            order = buddy_order_at(codes, i, end, max_order, first_pfn)
            out.append((first_pfn + i, order, codes[i] == REPORTED))
            i += 1 << order
    return out


# --- reading --------------------------------------------------------------------------------


@dataclass
class Words:
    """A run of 64-bit words read from a kpage file: the bytes, or why not (all of it or the tail)."""

    data: bytes = b""
    why: str | None = None
    requested: int = 0

    @property
    def words(self) -> int:
        return len(self.data) // 8


def _pread_range(fd: int, offset: int, length: int, block: int) -> bytes:
    parts = []
    while length > 0:
        chunk = os.pread(fd, min(block, length), offset)
        if not chunk:
            break
        parts.append(chunk)
        offset += len(chunk)
        length -= len(chunk)
    return b"".join(parts)


def read_words(root: str | Path, rel: str, start_pfn: int, count: int, *, block_bytes: int = 8 << 20,
               threads: int = 2) -> Words:
    """Words start_pfn .. start_pfn+count-1 of ROOT/rel (proc/kpageflags or proc/kpagecount); never raises."""
    root = Path(root)
    out = Words(requested=count)
    if count <= 0:
        return out
    try:
        fd = os.open(root / rel, os.O_RDONLY)
    except FileNotFoundError:
        out.why = why_missing(root, rel)
        return out
    except PermissionError:
        out.why = f"/{rel} is readable by root only (this server runs as uid {os.geteuid()})"
        return out
    except OSError as err:
        out.why = f"/{rel} cannot be opened: {os.strerror(err.errno or errno.EIO)}"
        return out
    try:
        total = count * 8
        offset = start_pfn * 8
        n = max(1, min(threads, total // block_bytes))
        step = -(-total // n // 8) * 8
        ranges = [(offset + k * step, min(step, total - k * step)) for k in range(n) if k * step < total]
        if len(ranges) == 1:
            data = _pread_range(fd, ranges[0][0], ranges[0][1], block_bytes)
        else:
            with ThreadPoolExecutor(len(ranges)) as ex:
                parts = list(ex.map(lambda r: _pread_range(fd, r[0], r[1], block_bytes), ranges))
            # A short part (end of file) ends the data there.
            kept = []
            for (_, length), part in zip(ranges, parts, strict=True):
                kept.append(part)
                if len(part) < length:
                    break
            data = b"".join(kept)
    except PermissionError:
        out.why = f"/{rel} is readable by root only (this server runs as uid {os.geteuid()})"
        return out
    except OSError as err:
        out.why = f"/{rel} could not be read: {os.strerror(err.errno or errno.EIO)}"
        return out
    finally:
        os.close(fd)
    data = data[: len(data) // 8 * 8]
    out.data = data
    if len(data) < total:
        out.why = f"/{rel} ends at pfn {start_pfn + len(data) // 8}; the rest of the range is not shown"
    return out


@dataclass
class ZoneMap:
    """The map of one zone: codes per page (zlib-compressed for the wire) and their counts."""

    start_pfn: int
    pages: int
    codes: bytes
    counts: dict[str, int] = field(default_factory=dict)
    reported_blocks: int = 0
    why: str | None = None

    def to_json(self, compressed: bytes | None = None) -> dict[str, Any]:
        import base64

        blob = compressed if compressed is not None else zlib.compress(self.codes, 1)
        return {"start_pfn": self.start_pfn, "pages": self.pages, "encoding": "zlib+base64",
                "codes": base64.b64encode(blob).decode("ascii"), "counts": self.counts,
                "reported_blocks": self.reported_blocks, "why": self.why}


def zone_map(root: str | Path, start_pfn: int, pages: int, max_order: int, *, with_counts: bool = False,
             threads: int = 2) -> ZoneMap:
    """Read and classify one zone's span; pages the file did not give are UNREAD."""
    flags = read_words(root, "proc/kpageflags", start_pfn, pages, threads=threads)
    counts = None
    why = flags.why
    if with_counts and flags.words:
        cw = read_words(root, "proc/kpagecount", start_pfn, flags.words, threads=threads)
        counts = cw.data if cw.words == flags.words else None
        if cw.why and not why:
            why = f"without refcounts: {cw.why}"
    codes = classify(flags.data, counts, max_order, start_pfn)
    if len(codes) < pages:
        codes += bytes([UNREAD]) * (pages - len(codes))
    zm = ZoneMap(start_pfn, pages, codes, why=why)
    zm.counts = {name: codes.count(c) for c, name in enumerate(CODE_NAMES) if codes.count(c)}
    zm.reported_blocks = _count_reported_heads(flags.data)
    return zm


def _count_reported_heads(flags: bytes) -> int:
    """Free heads with KPF_UPTODATE (Reported blocks), straight from the words."""
    n = len(flags) // 8
    if not n:
        return 0
    table = bytes(1 if (v >> (KPF_BUDDY - 8)) & 1 else 0 for v in range(256))
    up = bytes(1 if (v >> KPF_UPTODATE) & 1 else 0 for v in range(256))
    both = int.from_bytes(flags[1::8].translate(table), "little") & int.from_bytes(flags[0::8].translate(up), "little")
    return both.to_bytes(n, "little").count(1)


def scan_zones(root: str, spans: list[tuple[int, int]], max_order: int, with_counts: bool = False) -> list[
        dict[str, Any]]:
    """zone_map for each (start_pfn, pages), compressed: what a worker process sends back.

    Runs in a separate process in the server (app/live_host.py), so its
    C-speed passes, which hold the GIL, never stall the event loop.
    """
    out = []
    for start, pages in spans:
        zm = zone_map(root, start, pages, max_order, with_counts=with_counts)
        out.append({"start_pfn": start, "pages": pages, "blob": zlib.compress(zm.codes, 1), "counts": zm.counts,
                    "reported_blocks": zm.reported_blocks, "why": zm.why})
    return out
