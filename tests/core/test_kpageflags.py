"""/proc/kpageflags into a physical map: the real slice, hand-made words, reads through a root."""

from __future__ import annotations

import struct
from pathlib import Path

from core import kpageflags as kp
from core.kpageflags import (
    FREE,
    HOLE,
    KERNEL,
    OFFLINE,
    OTHER,
    PCP,
    REPORTED,
    UNREAD,
    USER,
    classify,
    free_blocks,
    read_words,
    zone_map,
)

FIX = Path(__file__).resolve().parent.parent / "fixtures" / "kernel"
START = 1449984
FLAGS = (FIX / f"linux-6.18-vm-kpageflags-from-pfn-{START}.bin").read_bytes()
COUNTS = (FIX / f"linux-6.18-vm-kpagecount-from-pfn-{START}.bin").read_bytes()


def words(*values: int) -> bytes:
    return struct.pack(f"<{len(values)}Q", *values)


def bit(*bits: int) -> int:
    return sum(1 << b for b in bits)


def slow_classify(flags: bytes, counts: bytes | None) -> list[int]:
    """The same rules, one word at a time (the reference for the lane arithmetic)."""
    out = []
    for i in range(len(flags) // 8):
        (w,) = struct.unpack_from("<Q", flags, 8 * i)
        c = struct.unpack_from("<Q", counts, 8 * i)[0] if counts else 1
        def has(b: int, w: int = w) -> int:
            return w >> b & 1

        if has(kp.KPF_NOPAGE):
            out.append(HOLE)
        elif has(kp.KPF_OFFLINE):
            out.append(OFFLINE)
        elif has(kp.KPF_BUDDY):
            out.append(REPORTED if has(kp.KPF_UPTODATE) else FREE)
        elif has(kp.KPF_SLAB) or has(kp.KPF_PGTABLE) or has(kp.KPF_RESERVED):
            out.append(KERNEL)
        elif has(kp.KPF_LRU) or has(kp.KPF_ANON) or has(kp.KPF_MMAP) or has(kp.KPF_SWAPBACKED):
            out.append(USER)
        elif c == 0:
            out.append(PCP)
        else:
            out.append(OTHER)
    return out


def test_real_slice_matches_the_word_by_word_reference() -> None:
    fast = classify(FLAGS, COUNTS, 11, START)
    ref = slow_classify(FLAGS, COUNTS)
    # Tails of Reported blocks are painted REPORTED by the block walk; the reference has no blocks.
    assert [FREE if c == REPORTED else c for c in fast] == [FREE if c == REPORTED else c for c in ref]
    assert len(fast) == 8192
    assert fast.count(FREE) == 1990 and fast.count(USER) == 5415
    assert fast.count(KERNEL) == 263 and fast.count(PCP) == 522


def test_real_slice_free_blocks_are_the_coarsest_buddy_decomposition() -> None:
    codes = classify(FLAGS, None, 11, START)
    blocks = free_blocks(codes, 11, START)
    assert sum(1 << o for _, o, _ in blocks) == codes.count(FREE) + codes.count(REPORTED)
    seen = {(p, o) for p, o, _ in blocks}
    for pfn, order, _ in blocks:
        assert pfn % (1 << order) == 0
        assert (pfn ^ (1 << order), order) not in seen  # buddies would have merged
    assert blocks[:3] == [(1449993, 0, False), (1449999, 0, False), (1450002, 1, False)]


def test_reported_head_paints_its_block_and_stops_at_the_block() -> None:
    buddy, up = bit(kp.KPF_BUDDY), bit(kp.KPF_BUDDY, kp.KPF_UPTODATE)
    # pfn 16..27 free: a Reported order-3 head at 16, an unreported order-2 block at 24; then a slab page.
    flags = words(*([bit(kp.KPF_SLAB)] * 16 + [up] + [buddy] * 7 + [buddy] * 4 + [bit(kp.KPF_SLAB)]))
    codes = classify(flags, None, 11, 0)
    assert list(codes[16:24]) == [REPORTED] * 8
    assert list(codes[24:28]) == [FREE] * 4
    assert codes[28] == KERNEL
    assert free_blocks(codes, 11, 0) == [(16, 3, True), (24, 2, False)]


def test_holes_offline_and_priorities() -> None:
    flags = words(bit(kp.KPF_NOPAGE, kp.KPF_BUDDY), bit(kp.KPF_OFFLINE, kp.KPF_SLAB), bit(kp.KPF_RESERVED, kp.KPF_LRU),
                  bit(kp.KPF_ANON), 0, 0)
    assert list(classify(flags, words(1, 1, 1, 1, 0, 2), 11, 0)) == [HOLE, OFFLINE, KERNEL, USER, PCP, OTHER]
    assert list(classify(flags + b"\x01\x02", None, 11, 0)) == [HOLE, OFFLINE, KERNEL, USER, OTHER, OTHER]


def test_read_words_through_a_root_and_a_short_file(tmp_path: Path) -> None:
    (tmp_path / "proc").mkdir()
    (tmp_path / "proc" / "kpageflags").write_bytes(FLAGS[: 100 * 8])
    w = read_words(tmp_path, "proc/kpageflags", 10, 200, block_bytes=64, threads=2)
    assert w.data == FLAGS[80: 100 * 8]
    assert "ends at pfn 100" in w.why
    zm = zone_map(tmp_path, 0, 128, 11)
    assert zm.codes[100:] == bytes([UNREAD]) * 28 and "ends at pfn 100" in zm.why
    missing = read_words(tmp_path, "proc/kpagecount", 0, 10)
    assert missing.data == b"" and "CONFIG_PROC_PAGE_MONITOR" in missing.why
    nowhere = read_words(tmp_path / "nothing", "proc/kpageflags", 0, 10)
    assert "not a Linux machine" in nowhere.why


def test_scan_zones_round_trips_through_zlib(tmp_path: Path) -> None:
    import zlib

    (tmp_path / "proc").mkdir()
    (tmp_path / "proc" / "kpageflags").write_bytes(FLAGS)
    (out,) = kp.scan_zones(str(tmp_path), [(0, 8192)], 11)
    assert zlib.decompress(out["blob"]) == classify(FLAGS, None, 11, 0)
    assert out["counts"]["free"] + out["counts"].get("reported", 0) == 1990
