"""What each design's work costs (core/costs.py), counted by hand on small machines.

Machine: 32 pages, max_order 5, pageblock_order 2, min_order 2, capacity 1
(the seed's hwm 1), auto mode.  Boot leaves order-4 blocks [16, 0] on the
Movable list.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from core import HintingConfig, Machine, MachineConfig
from core.costs import RECENT_HOLDS, SHARE_POINTS
from core.delta import StateTracker, apply_delta
from core.page_reporting_design import ReportingConfig
from core.workload import Workload

from .helpers import advance, alloc, costs, free, host, machine, move, rmachine, start, step, stop


def test_the_seeds_probes_holds_and_batches() -> None:
    m = machine(stepping=False)
    start(m)
    advance(m, 100)
    # page_hinting_cycle takes the lock once, then again after each react:
    #  hold 1: the fill probes Isolate, HighAtomic, Reclaimable (empty: the boundary is the
    #          head) and Movable order 4: the entry before the boundary, 0 (1 entry); pulls 0.
    #  hold 2: the drain puts 0 back in front of the boundary (the list head: no entry read),
    #          the fill probes 4 lists: the boundary's entry 0, the entry before it, 16; pulls 16.
    #  hold 3: the drain puts 16 in front of the boundary (its entry, 0, read), the fill probes
    #          15 lists (the boundary's entry 16 on Movable order 4) and comes back empty.
    c = costs(m)
    assert c["entries_read"] == 1 + 2 + 2 and c["entries_per_block"] == 2.5
    assert (c["passes"], c["cycles"], c["batches"], c["blocks_reported"], c["pages_reported"]) == (1, 1, 2, 2, 32)
    lock = c["lock"]
    assert lock["holds"] == 3
    holds = [(h["lists"], h["entries"], h["pulled"], h["put_back"], h["merges"], h["pages"]) for h in lock["recent"]]
    assert holds == [(4, 1, 1, 0, 0, 16), (4, 2, 1, 1, 0, 32), (15, 2, 0, 1, 0, 16)]
    assert all(h["t_ms"] == 100 and h["zone"] == "Normal" for h in lock["recent"])
    assert lock["longest"] == {"lists": 15, "entries": 2, "pulled": 1, "put_back": 1, "merges": 0, "pages": 32}
    assert lock["total"] == {"lists": 23, "entries": 5, "pulled": 2, "put_back": 2, "merges": 0, "pages": 64}
    # Every free block of order >= 2 was Hinted at the second drain, 100 ms after hinting_start.
    assert c["full"] == {"since_ms": 0, "at_ms": 100, "took_ms": 100}
    # The share: none of 32 free pages at the start; 16 after the first drain, 32 after the
    # second (the same instant: one point).
    assert c["share"] == [[0, 0, 32], [100, 32, 32]]


def test_reportings_walk_reads_every_entry_it_skips() -> None:
    m = rmachine(zones=(("Normal", 256),), stepping=False, delay_ms=10)
    for _ in range(64):
        alloc(m, 2)
    for pfn in range(0, 256, 8):  # 32 order-2 blocks, none buddies: [248, 240, ..., 0]
        free(m, pfn)
    start(m)
    advance(m, 10)
    # One cycle, budget 2, four holds (test_hand_reporting has the walk):
    #  1: read 248 (pull), 240 (full)                    entries 2, pulled 1
    #  2: drain 248; read 248 (skip), 240 (pull), 232    entries 3, pulled 1, put back 1
    #  3: drain 240; read 240 (skip), 232 (pull), 224    entries 3, pulled 1, put back 1
    #  4: drain 232; read 232 (skip), 224 (budget spent) entries 2, put back 1
    c = costs(m)
    assert (c["entries_read"], c["blocks_reported"], c["batches"], c["passes"], c["cycles"]) == (10, 3, 3, 1, 1)
    assert [(h["lists"], h["entries"], h["pulled"], h["put_back"], h["pages"]) for h in c["lock"]["recent"]] == [
        (1, 2, 1, 0, 4), (1, 3, 1, 1, 8), (1, 3, 1, 1, 8), (1, 2, 0, 1, 4)]
    assert c["full"] == {"since_ms": 0, "at_ms": None, "took_ms": None}  # 29 blocks still to report
    assert c["share"][-1] == [10, 12, 128]


def both(design: str, **kw: Any) -> Machine:
    if design == "seed":
        return machine(hwm=1, **kw)
    return rmachine(**kw)


@pytest.mark.parametrize(("design", "allocated"), [("seed", 0), ("reporting", 1)])
def test_a_steal_costs_the_seed_its_hint_and_reporting_nothing(design: str, allocated: int) -> None:
    m = both(design, stepping=False)
    start(m)
    advance(m, 100)  # both order-4 blocks marked
    assert alloc(m, 0, "Reclaimable") in (0, 16)
    # __rmqueue_fallback steals the head of Movable order 4 for Reclaimable (its pageblocks with
    # it) and moves it: the seed clears Hinted there (a wasted hint); reporting keeps Reported,
    # and the retry allocates the still-Reported block.
    wasted = costs(m)["wasted"]
    assert wasted == {"merged": 0, "merged_on_return": 0, "moved": 0, "stolen": 1 - allocated,
                      "allocated": allocated}
    assert host(m)["wasted_hints"] == 1 - allocated


@pytest.mark.parametrize(("design", "moved"), [("seed", 1), ("reporting", 0)])
def test_a_pageblock_move_costs_the_seed_its_hint(design: str, moved: int) -> None:
    m = both(design, stepping=False)
    start(m)
    advance(m, 100)
    move(m, 0, "Unmovable")  # block 0 moves to Unmovable order 4
    assert costs(m)["wasted"]["moved"] == moved and host(m)["wasted_hints"] == moved
    stop(m)
    start(m)  # the seed requests every zone again: block 0 is hinted a second time
    advance(m, 200)
    again = {"blocks": moved, "pages": 16 * moved}  # every page of it was dropped already
    assert costs(m)["rereported"] == again


@pytest.mark.parametrize("design", ["seed", "reporting"])
def test_a_merge_that_swallows_a_marked_block_and_one_on_the_way_back(design: str) -> None:
    m = both(design, stepping=False)
    assert alloc(m, 3) == 16  # 24 (order 3) splits off
    start(m)
    advance(m, 100)  # marks 24 (order 3) and 0 (order 4)
    free(m, 16)  # merges with marked 24: a wasted report
    assert costs(m)["wasted"]["merged"] == 1 and host(m)["wasted_hints"] == 1

    m = both(design, capacity=2)
    assert alloc(m, 3) == 16
    start(m)
    advance(m, 100)  # the seed pulls 0 then 24, reporting 24 then 0: both out, stopped
    free(m, 16)  # its buddy 24 is out: no merge now
    step(m)
    step(m)  # the drain: 24 comes back and merges with 16, so it is not marked
    c = costs(m)
    assert c["wasted"]["merged_on_return"] == 1 and c["lock"]["total"]["merges"] == 1


@pytest.mark.parametrize("design", ["seed", "reporting"])
def test_the_time_to_report_everything_counts_from_the_last_start(design: str) -> None:
    m = both(design, stepping=False)
    advance(m, 40)
    start(m)  # at 40; the work is due at 140
    advance(m, 100)
    assert costs(m)["full"] == {"since_ms": 40, "at_ms": 140, "took_ms": 100}
    stop(m)
    start(m)  # everything is marked already: reached at once
    assert costs(m)["full"] == {"since_ms": 140, "at_ms": 140, "took_ms": 0}


@pytest.mark.parametrize("design", ["seed", "reporting"])
def test_the_records_stay_bounded_and_deltas_carry_them(design: str) -> None:
    cfg = MachineConfig(5, 2, (("Normal", 256),))
    hint = (HintingConfig(min_order=2, hwm=1, capacity=2, delay_ms=5) if design == "seed"
            else ReportingConfig(min_order=2, capacity=2, delay_ms=5))
    m = Machine(cfg, hint, record_events=True)
    tracker = StateTracker(m)
    viewer = json.loads(json.dumps(tracker.state))
    m.apply({"do": "hinting_start"})
    wl = Workload(seed=5, live_target=30, orders=(0, 1, 2, 3))
    for i in range(3000):
        step_ = wl.next_step(m)
        wl.observe(step_, m.apply(step_))
        if i % 5 == 0:
            m.apply({"do": "advance", "ms": 3})
        if i % 50 == 0:
            apply_delta(viewer, json.loads(json.dumps(tracker.delta(m.take_raw_events()))))
    apply_delta(viewer, json.loads(json.dumps(tracker.delta(m.take_raw_events()))))
    c = costs(m)
    assert c["lock"]["holds"] > RECENT_HOLDS and len(c["lock"]["recent"]) == RECENT_HOLDS
    assert 1 < len(c["share"]) <= SHARE_POINTS
    times = [p[0] for p in c["share"]]
    assert times == sorted(times) and len(set(times)) == len(times)
    assert c["wasted"]["allocated"] > 0 and c["refaults"] == host(m)["refaults"] > 0
    assert viewer == m.state()
