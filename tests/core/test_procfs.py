"""The procfs parsers on real and foreign fixtures, and on every truncation of them."""

from __future__ import annotations

from pathlib import Path

import pytest

from core import procfs
from core.procfs import parse_buddyinfo, parse_pagetypeinfo, parse_vmstat, parse_zoneinfo, read_host

FIX = Path(__file__).resolve().parent.parent / "fixtures" / "kernel"
REAL = FIX / "linux-6.18-vm"
FOREIGN = FIX / "foreign"
TREES = [REAL, *(p for p in sorted(FOREIGN.iterdir()) if p.is_dir())]
PARSERS = {"buddyinfo": parse_buddyinfo, "pagetypeinfo": parse_pagetypeinfo, "zoneinfo": parse_zoneinfo,
           "vmstat": parse_vmstat}


def test_real_buddyinfo_matches_the_file() -> None:
    zones, problems = parse_buddyinfo((REAL / "proc" / "buddyinfo").read_text())
    assert problems == []
    assert [(z.node, z.zone) for z in zones] == [(0, "DMA"), (0, "DMA32"), (0, "Normal")]
    assert zones[1].nr_free[10] == 753
    assert all(len(z.nr_free) == 11 for z in zones)


def test_real_pagetypeinfo_has_counts_per_migratetype_and_blocks() -> None:
    info, problems = parse_pagetypeinfo((REAL / "proc" / "pagetypeinfo").read_text())
    assert problems == []
    assert info.pageblock_order == 9 and info.pages_per_block == 512 and info.orders == 11
    assert info.migratetypes == ["Unmovable", "Movable", "Reclaimable", "HighAtomic", "Isolate"]
    normal = info.zone(0, "Normal")
    assert normal.free["Movable"][0] == 6250
    assert normal.blocks == {"Unmovable": 62, "Movable": 1395, "Reclaimable": 79, "HighAtomic": 0, "Isolate": 0}
    # The per-migratetype rows add up to buddyinfo's (both were read in one snapshot of a quiet zone).
    dma32 = info.zone(0, "DMA32")
    assert [sum(row[o] for row in dma32.free.values()) for o in range(11)] == [0, 4, 2, 2, 1, 2, 0, 3, 3, 1, 753]


def test_real_zoneinfo_keeps_spans_watermarks_and_counters() -> None:
    zones, problems = parse_zoneinfo((REAL / "proc" / "zoneinfo").read_text())
    assert problems == []
    by = {z.zone: z for z in zones}
    assert set(by) == {"DMA", "DMA32", "Normal", "Movable", "Device"}
    assert by["DMA"].fields["start_pfn"] == 1 and by["DMA"].fields["spanned"] == 4095
    assert by["Normal"].fields["start_pfn"] == 1048576
    assert by["DMA32"].fields["min"] < by["DMA32"].fields["low"] < by["DMA32"].fields["high"]
    assert "nr_free_pages" in by["DMA32"].fields and "promo" in by["DMA32"].fields
    assert by["Movable"].fields["spanned"] == 0 and by["DMA"].protection == [0, 3018, 6090, 6090, 6090]


def test_page_reporting_parameters() -> None:
    host = read_host(REAL)
    assert host["page_reporting"]["page_reporting_order"] == 9
    assert host["kernel"] == "6.18.44-fc-v1272"
    assert all(src.ok and not src.why for src in host["sources"].values())


def test_numa_and_cma() -> None:
    host = read_host(FOREIGN / "numa-4.19")
    assert [(b.node, b.zone) for b in host["buddyinfo"]] == [(0, "DMA"), (0, "DMA32"), (0, "Normal"), (1, "Normal"),
                                                           (1, "Movable")]
    info = host["pagetypeinfo"]
    assert "CMA" in info.migratetypes and info.zone(0, "DMA32").blocks["CMA"] == 8
    assert info.zone(1, "Movable").free["Movable"][10] == 16
    assert [z.fields["start_pfn"] for z in host["zoneinfo"]] == [1, 4096, 1048576, 1310720, 1572864]
    assert "not in this kernel" in host["sources"]["page_reporting"].why


def test_old_kernel_reserve_type_and_no_start_pfn() -> None:
    host = read_host(FOREIGN / "old-3.10")
    info = host["pagetypeinfo"]
    assert info.migratetypes == ["Unmovable", "Reclaimable", "Movable", "Reserve"]
    assert info.zone(0, "Normal").blocks == {"Unmovable": 20, "Reclaimable": 4, "Movable": 230, "Reserve": 2}
    normal = next(z for z in host["zoneinfo"] if z.zone == "Normal")
    assert "start_pfn" not in normal.fields and normal.fields["spanned"] == 126976
    assert "managed" not in normal.fields


def test_capped_counts() -> None:
    info = read_host(FOREIGN / "capped-5.10")["pagetypeinfo"]
    z = info.zone(0, "DMA32")
    assert z.free["Movable"][0] == 100000 and z.capped == ["Movable o0"]
    src = read_host(FOREIGN / "capped-5.10")["sources"]["page_reporting"]
    assert "5.7-5.13" in src.why


def test_container_and_macos_say_why() -> None:
    c = read_host(FOREIGN / "container")["sources"]
    assert c["buddyinfo"].ok
    assert "container" in c["pagetypeinfo"].why and "container" in c["zoneinfo"].why
    m = read_host(FOREIGN / "macos")["sources"]
    assert all(not s.ok and "not a Linux machine" in s.why for name, s in m.items() if name != "page_reporting")


def test_unreadable_file_says_it_needs_root(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    (tmp_path / "proc").mkdir()
    (tmp_path / "proc" / "pagetypeinfo").write_text("x")
    real_open = open

    def deny(path, *a, **k):  # type: ignore[no-untyped-def]
        if str(path).endswith("pagetypeinfo"):
            raise PermissionError(13, "Permission denied")
        return real_open(path, *a, **k)

    monkeypatch.setattr("builtins.open", deny)
    src = procfs.read_text(tmp_path, "proc/pagetypeinfo")
    assert not src.ok and "needs root" in src.why


def test_empty_and_directory_files(tmp_path: Path) -> None:
    (tmp_path / "proc" / "buddyinfo").mkdir(parents=True)
    (tmp_path / "proc" / "zoneinfo").write_text("")
    host = read_host(tmp_path)
    assert "directory" in host["sources"]["buddyinfo"].why
    assert "empty" in host["sources"]["zoneinfo"].why
    assert host["buddyinfo"] == [] and host["zoneinfo"] == []


def test_garbage_lines_are_counted_with_line_numbers() -> None:
    text = (REAL / "proc" / "buddyinfo").read_text()
    bad = "garbage here\n" + text + "Node 0, zone Normal 1 2 x\nNode 0, zone Normal 1 2\n\x00\xff\n"
    zones, problems = parse_buddyinfo(bad)
    assert len(zones) == 3
    assert [p.line for p in problems] == [1, 5, 6, 7]
    _, problems = parse_pagetypeinfo("Page block order: nine\nwhat is this\n")
    assert {p.line for p in problems} >= {1, 2}


@pytest.mark.parametrize("tree", TREES, ids=lambda p: p.name)
@pytest.mark.parametrize("name", sorted(PARSERS))
def test_every_truncation_parses(tree: Path, name: str) -> None:
    """Cut after every line and in the middle of every line: never an exception, never a made-up zone."""
    path = tree / "proc" / name
    if not path.exists():
        pytest.skip("not in this tree")
    text = path.read_text()
    full, _ = PARSERS[name](text)
    cuts = set()
    at = 0
    for line in text.splitlines(keepends=True):
        cuts.update((at + len(line) // 2, at + len(line)))
        at += len(line)
    for cut in sorted(cuts):
        part, problems = PARSERS[name](text[:cut])
        assert isinstance(problems, list)
        if name == "buddyinfo":
            assert all(z.nr_free == f.nr_free for z, f in zip(part, full, strict=False))
            assert len(part) <= len(full)
        elif name == "pagetypeinfo":
            for z in part.zones:
                fz = full.zone(z.node, z.zone)
                assert all(fz.free[mt] == row for mt, row in z.free.items())
        elif name == "zoneinfo":
            assert len(part) <= len(full)
        else:
            assert all(full[k] == v for k, v in part.items())
