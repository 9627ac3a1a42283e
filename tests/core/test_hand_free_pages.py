"""NR_FREE_PAGES, rule by rule (MODEL.md "Free page accounting"), computed by hand.

Machine: 32 pages, max_order 5, pageblock_order 2 (pageblocks of 4 pages),
min_order 2, hwm 1, capacity 1, stepping; boot puts order-4 blocks 16 and 0
on the Movable list ([16, 0]).  The counter changes where v5.3 calls
__mod_zone_freepage_state: boot, __free_one_page on entry unless the
migratetype is Isolate, an allocation, a pageblock moved into or out of
Isolate (by the pages move_freepages_block moved), the seed's
get_unhinted_page for every block it pulls, and v5.7's __isolate_free_page.
"""

from __future__ import annotations

from typing import Any

from core import Machine
from core.mmzone import MIGRATE_ISOLATE, MIGRATE_MOVABLE, Page, free_list_traffic
from core.page_alloc import __isolate_free_page as isolate_free_page
from core.page_alloc import __putback_isolated_page as putback_isolated_page

from .helpers import advance, alloc, batch, fl, free, machine, move, start, step, zstate


def nfp(m: Machine, zone: str = "Normal") -> int:
    return zstate(m, zone)["nr_free_pages"]


def drift(m: Machine) -> list[dict[str, Any]]:
    return [a for a in m.state()["anomalies"] if a["kind"] == "nr_free_pages_drift"]


def test_boot_counts_every_page_of_every_zone() -> None:
    m = machine(zones=(("DMA32", 32), ("Normal", 64)))
    assert nfp(m, "DMA32") == 32 and nfp(m, "Normal") == 64
    # Boot released two order-4 blocks into DMA32, four into Normal; nothing left a list.
    assert free_list_traffic(m.zone("DMA32")) == (2, 0)
    assert free_list_traffic(m.zone("Normal")) == (4, 0)


def test_an_allocation_takes_its_pages_and_a_free_gives_them_back() -> None:
    m = machine()
    assert alloc(m, 2) == 16  # splits 16: 24 (o3) and 20 (o2) go back on the lists
    assert nfp(m) == 28  # -4: the allocation only, not the split
    assert free_list_traffic(m.zone("Normal")) == (4, 1)  # boot 2 + halves 2 in; 16 out
    assert alloc(m, 0) == 20  # o2 head 20 splits into 22 (o1) and 21 (o0)
    assert nfp(m) == 27
    free(m, 20)  # merges with 21, then 22: back to order-2 block 20, counted once on entry
    assert nfp(m) == 28
    free(m, 16)  # merges all the way up to order-4 block 16
    assert nfp(m) == 32 and fl(m, 4) == [16, 0]


def test_a_free_into_an_isolated_pageblock_is_not_counted() -> None:
    m = machine()
    blocks = [alloc(m, 2) for _ in range(8)]
    assert blocks == [16, 20, 24, 28, 0, 4, 8, 12] and nfp(m) == 0
    move(m, 8, "Isolate")  # 8 is allocated: nothing moves, nothing changes
    assert nfp(m) == 0
    free(m, 8)  # __free_one_page(mt = Isolate): no accounting on entry
    assert nfp(m) == 0 and fl(m, 2, "Isolate") == [8]
    free(m, 24)
    assert nfp(m) == 4


def test_isolating_a_pageblock_takes_its_free_pages_out_and_back() -> None:
    m = machine()
    assert alloc(m, 1) == 16  # 16 splits: 24 (o3), 20 (o2), 18 (o1) free
    assert nfp(m) == 30
    move(m, 16, "Isolate")  # pageblock 16-19: 18 (o1, 2 pages) moves; 16 is allocated
    assert nfp(m) == 28 and fl(m, 1, "Isolate") == [18]
    move(m, 16, "Unmovable")  # out of Isolate: the 2 pages come back
    assert nfp(m) == 30 and fl(m, 1, "Unmovable") == [18]
    move(m, 16, "Reclaimable")  # neither side Isolate: the counter does not move
    assert nfp(m) == 30 and fl(m, 1, "Reclaimable") == [18]


def test_a_fallback_steal_moves_pages_without_counting_them() -> None:
    m = machine()
    # Unmovable has no block: __rmqueue_fallback steals order-4 block 16 (it may claim its
    # pageblocks), moves it to Unmovable, then the retry splits it.  Only the allocation counts.
    assert alloc(m, 0, "Unmovable") == 16
    assert nfp(m) == 31
    assert zstate(m)["pageblocks"][4:8] == ["Unmovable"] * 4


def test_the_seed_pulls_a_batch_off_the_counter_and_puts_it_back() -> None:
    m = machine()
    blocks = [alloc(m, 2) for _ in range(8)]
    assert blocks == [16, 20, 24, 28, 0, 4, 8, 12]
    free(m, 8)  # order-2 block 8, alone (its buddy 12 is allocated)
    assert nfp(m) == 4
    start(m)
    advance(m, 100)  # the fill pulls 8: the batch is out, stopped before react
    assert batch(m) == [(8, 2, "Movable")]
    assert nfp(m) == 0 and zstate(m)["batch_pages"] == 4
    step(m)  # react
    step(m)  # the drain: put_hinted_page, __free_one_page(Movable) counts it again
    assert nfp(m) == 4 and zstate(m)["batch_pages"] == 0 and zstate(m)["hinted"] == [8]
    assert not drift(m)


def test_hinting_a_block_from_an_isolate_list_loses_its_pages_for_good() -> None:
    m = machine(capacity=4, stepping=False)  # golden 29's machine
    for _ in range(8):
        alloc(m, 2)
    move(m, 8, "Isolate")
    free(m, 8)  # uncounted, on the Isolate list
    free(m, 16)
    free(m, 24)
    assert nfp(m) == 8
    start(m)
    advance(m, 100)  # pulls 8 (Isolate list: -4 never counted), 24 and 16; puts back 8 uncounted
    assert nfp(m) == 4
    assert fl(m, 2, "Isolate") == [8] and sorted(fl(m, 2)) == [16, 24]
    (found,) = drift(m)
    assert found["pages"] == 4 and found["zone"] == "Normal"
    move(m, 8, "Movable")  # un-isolating adds block 8's 4 pages: still 4 short of the 12 free
    assert nfp(m) == 8 and sorted(fl(m, 2)) == [8, 16, 24]
    assert drift(m)[0]["pages"] == 4  # for good


def test_v53_itself_keeps_counted_pages_on_an_isolate_list() -> None:
    """A free block on a list of the other kind than its pageblock merges into an Isolate block."""
    m = machine()
    move(m, 4, "Isolate")  # pageblock 4-7 lies inside free order-4 block 0: nothing moves
    assert nfp(m) == 32 and fl(m, 4) == [16, 0]
    assert alloc(m, 4) == 16
    assert alloc(m, 0) == 0  # splits 0: 8 (o3), 4 (o2), 2 (o1), 1 (o0), all on Movable lists
    assert alloc(m, 1) == 2
    assert alloc(m, 1) == 4  # splits 4: 6 (o1) stays on the Movable list, in the isolated pageblock
    assert nfp(m) == 11 and fl(m, 1) == [6]
    free(m, 4)  # Isolate: not counted; merges with 6, whose 2 pages were counted
    assert fl(m, 2, "Isolate") == [4]
    # Free now: 8 (o3) and 1 (o0) on Movable lists, 9 pages, and 4 pages on the Isolate list.
    # NR_FREE_PAGES still holds the 2 pages of 6: 11, not 9.  No seed anomaly: this is v5.3.
    assert nfp(m) == 11 and not drift(m)
    assert m.zone("Normal").freepage_skew == -2


def test_isolate_free_page_and_putback_v57() -> None:
    m = machine(stepping=False)
    zone = m.zone("Normal")
    move(m, 16, "Unmovable")  # pageblock 16-19 of free order-4 block 16 becomes Unmovable; 16 moves
    assert fl(m, 4, "Unmovable") == [16] and nfp(m) == 32
    page = m.pgdat.mem_map[16]
    assert isinstance(page, Page)
    assert isolate_free_page(zone, page, 4) == 16
    # -16 pages; a block of at least half a pageblock takes its pageblocks over for Movable.
    assert nfp(m) == 16 and zstate(m)["pageblocks"][4:8] == ["Movable"] * 4
    putback_isolated_page(zone, page, 4, MIGRATE_MOVABLE)  # FPI_SKIP_NOTIFY: v5.7's report = false
    assert nfp(m) == 32 and fl(m, 4) == [16, 0]
    # A block in an isolated pageblock leaves and comes back without touching the counter.
    assert alloc(m, 3) == 16  # 16 splits: 24 (o3) free; pageblock 20-23 is allocated
    assert alloc(m, 2) == 24  # 24 splits: 28 (o2) free
    move(m, 28, "Isolate")
    assert fl(m, 2, "Isolate") == [28] and nfp(m) == 16  # 32 - 8 - 4, and 28's 4 pages isolated
    page = m.pgdat.mem_map[28]
    assert isinstance(page, Page)
    isolate_free_page(zone, page, 2)
    assert nfp(m) == 16 and zstate(m)["pageblocks"][7] == "Isolate"
    putback_isolated_page(zone, page, 2, MIGRATE_ISOLATE)
    assert nfp(m) == 16 and fl(m, 2, "Isolate") == [28]
