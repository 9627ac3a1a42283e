"""The page view under free page reporting (Linux 5.7): Reported blocks as the kernel and its tools see them.

By hand, on tests/core/helpers.py's 32-page reporting machine (min_order 2,
capacity 1, delay 100 ms): after allocating pfn 16 (order 0) and one pass,
0 (order 4), 20 (order 2) and 24 (order 3) are Reported.  Under the design's
own encoding, uptodate-reported (PG_reported = PG_uptodate), a Reported head
reads BUDDY|UPTODATE with page_type 0xffffff7f, so makedumpfile still
excludes it; under the seed's offline-alias the same bit would read
BUDDY|OFFLINE and be dumped.  The flag writes so far come from the zone's
mark counters, which reporting feeds through SetPageMarked/ClearPageMarked
like the seed: a move keeps Reported (no write), a merge clears it (one
write each).
"""

from __future__ import annotations

from core import Machine
from core.page_repr import page_view, pages_view

from .helpers import advance, alloc, batch, fl, free, move, reported, rmachine, start, work


def three_reported(stepping: bool = False) -> Machine:
    m = rmachine(stepping=stepping)
    assert alloc(m, 0) == 16  # o4 16 splits: 24 (o3), 20 (o2), 18 (o1), 17 (o0)
    start(m)
    advance(m, 100)
    return m


def writes(m: Machine, encoding: str = "uptodate-reported") -> dict[str, int]:
    out: dict[str, int] = pages_view(m, encoding)["zones"][0]["flag_writes"]
    return out


def test_a_reported_head_under_its_own_encoding() -> None:
    m = three_reported()
    assert reported(m) == [0, 20, 24]
    v = page_view(m, 0)  # no encoding asked: the design's own
    assert v["design"] == {"name": "reporting", "mark_name": "Reported", "own_encoding": "uptodate-reported"}
    assert v["encoding"]["name"] == "uptodate-reported" and v["encoding"]["own"] is True
    block = v["block"]
    assert (block["state"], block["order"], block["pages"], block["marked"]) == ("free", 4, 16, True)
    assert "Reported by the reporting design" in v["block_text"]
    sp = v["struct_page"]
    assert sp["flags"] == {"value": 4, "hex": "0x4", "names": ["PG_uptodate"]}
    assert sp["page_type"] == {"value": 0xFFFFFF7F, "hex": "0xffffff7f", "signed": -129, "types": ["buddy"]}
    assert sp["private"] == 4 and sp["lru"]["state"] == "listed"
    assert v["kernel"]["PageBuddy"] is True and v["kernel"]["PageOffline"] is False
    assert v["kpageflags"]["text"] == "BUDDY|UPTODATE" and v["kpageflags"]["hex"] == "0x0000000000000408"
    assert v["makedumpfile"]["verdict"] == "excluded_free" and v["makedumpfile"]["pages"] == 16
    assert v["list_walkers"]["sees"] is True

    tail = page_view(m, 5)  # a tail of Reported 0: no flag of its own, BUDDY from is_free_buddy_page
    assert tail["struct_page"]["flags"]["value"] == 0 and tail["kpageflags"]["text"] == "BUDDY"
    assert tail["makedumpfile"]["verdict"] == "excluded_free"

    seedish = page_view(m, 0, "offline-alias")  # the same mark written the seed's way
    assert seedish["encoding"]["own"] is False and seedish["kpageflags"]["text"] == "BUDDY|OFFLINE"
    assert seedish["makedumpfile"]["verdict"] == "dumped"
    unreported = page_view(m, 17, "dirty-unhinted")  # order 0, below min_order: never Reported
    assert unreported["block"]["marked"] is False and unreported["kpageflags"]["text"] == "BUDDY|DIRTY"


def test_zone_totals_and_the_state_summary() -> None:
    m = three_reported()
    zone = pages_view(m)["zones"][0]
    assert (zone["free_pages"], zone["marked_blocks"], zone["marked_pages"]) == (31, 3, 28)
    assert zone["makedumpfile"]["excluded_free"] == 31 and zone["makedumpfile"]["dumped_though_free"] == 0
    # page-types' groups in ascending flags order: allocated 16, then the free pages.
    assert [(g["text"], g["pages"]) for g in zone["kpageflags"]] == [("none", 1), ("BUDDY", 28), ("BUDDY|UPTODATE", 3)]
    assert zone["kpageflags"][2]["what"] == "3 heads of marked free blocks"
    # Three __SetPageReported, nothing cleared: the pass's pulls and put-backs carried no mark.
    assert writes(m) == {"total": 3, "list_adds": 7, "list_removals": 4, "marks_set": 3,
                         "marks_cleared_on_list": 0, "marks_cleared_off_list": 0}
    summary = m.state()["zones"][0]["page_repr"]
    assert summary["own_encoding"] == "uptodate-reported"
    assert summary["encodings"]["uptodate-reported"] == {"flag_writes": 3, "dumped_though_free": 0,
                                                         "pageoffline_pages": 0}
    assert summary["encodings"]["offline-alias"] == {"flag_writes": 3, "dumped_though_free": 28,
                                                     "pageoffline_pages": 3}
    z = m.zones[0]  # the one set of counters behind both designs' figures
    assert (z.nr_marks_set, z.nr_marked_pages) == (3, 28)
    assert z.nr_marked_pages == m.design.pr.reported_pages[z.idx]  # type: ignore[attr-defined]


def test_a_move_keeps_reported_and_a_merge_clears_it() -> None:
    m = three_reported()
    move(m, 24, "Unmovable")  # v5.7's move_to_free_list leaves PG_reported alone
    assert fl(m, 3, "Unmovable") == [24] and reported(m) == [0, 20, 24]
    v = page_view(m, 24)
    assert v["block"]["list"]["migratetype"] == "Unmovable" and v["kpageflags"]["text"] == "BUDDY|UPTODATE"
    assert writes(m)["total"] == 3 and writes(m)["marks_cleared_on_list"] == 0
    free(m, 16, 0)  # 16 merges with 17, 18, then Reported 20 and 24: both lose the flag as they leave
    assert reported(m) == [0]
    w = writes(m)
    assert (w["total"], w["marks_cleared_off_list"], w["marks_cleared_on_list"]) == (5, 2, 0)
    assert writes(m, "offline-alias")["total"] == 5  # the same bit changes, written the seed's way
    assert page_view(m, 16)["kpageflags"]["text"] == "BUDDY"  # the merged order-4 block is not Reported


def test_a_block_out_in_the_batch() -> None:
    m = three_reported(stepping=True)  # the pass stops at its first report: 20 is out in the batch
    assert batch(m) == [(20, 2, "Movable")] and work(m)["phase"] == "report"
    v = page_view(m, 20)
    assert v["block"]["state"] == "batch" and v["block"]["marked"] is False
    assert v["struct_page"]["private"] == 0  # __isolate_free_page: del_page_from_free_list zeroes it
    assert v["struct_page"]["lru"]["state"] == "poisoned" and v["kpageflags"]["text"] == "none"
    assert v["makedumpfile"]["verdict"] == "dumped" and v["list_walkers"]["sees"] is False
    zone = pages_view(m)["zones"][0]
    assert zone["batch_pages"] == 4 and zone["makedumpfile"]["dumped_in_batch"] == 4
