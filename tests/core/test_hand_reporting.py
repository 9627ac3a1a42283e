"""Free page reporting (Linux 5.7), rule by rule of MODEL-REPORTING.md, computed by hand.

Machine unless said otherwise: 32 pages, max_order 5 (orders 0-4),
pageblock_order 2 (eight pageblocks of 4 pages), min_order 2, capacity 1,
delay 100 ms, stepping.  Boot puts order-4 blocks 16 and 0 on the Movable
list, [16, 0].  `eight_order2` allocates the eight order-2 blocks
16 20 24 28 0 4 8 12.  A free goes to the tail when buddy_merge_likely (the
buddy of the block one order up is free at that order; asked only below
order max_order - 2 = 3), else to the head; so does a drained block.  Every
expectation is written out by hand; the machine runs with the invariant
checker on after every step.
"""

from __future__ import annotations

import pytest

from core import Machine, MachineConfig, parse_hinting
from core.errors import InvalidInput
from core.events import decode_all
from core.page_reporting import DeviceState, DeviceStateError, ReportingState
from core.page_reporting_design import ReportingConfig

from .helpers import (
    advance,
    alloc,
    batch,
    eight_order2,
    fails,
    fl,
    free,
    host,
    hstate,
    move,
    ok,
    pageblocks,
    reported,
    rmachine,
    start,
    step,
    stop,
    work,
    zstate,
)


def nfp(m: Machine) -> int:
    return zstate(m)["nr_free_pages"]


def idle_work() -> dict[str, object]:
    return {"pending": False, "due_ms": None, "phase": "idle", "zone": None, "order": None, "migratetype": None,
            "budget": None}


# --- the device: register, notify, request ------------------------------------------------


def test_notify_needs_a_device_registered_once_and_now() -> None:
    m = rmachine()
    eight_order2(m)
    free(m, 24)  # order 2 >= min_order, but no device was ever registered: the static key is off
    assert hstate(m)["state"] == "idle" and work(m) == idle_work()
    start(m)  # page_reporting_register: state idle, then the initial request: requested, due in 100 ms
    assert hstate(m)["enabled"] is True and hstate(m)["state"] == "requested"
    assert work(m) == {**idle_work(), "pending": True, "due_ms": 100}
    fails(m, {"do": "hinting_start"})  # -EBUSY: nothing changes
    stop(m)  # unregister while pending: the work is dropped, the state word stays
    assert hstate(m)["enabled"] is False and hstate(m)["state"] == "requested" and work(m) == idle_work()
    free(m, 0)  # the key stays on, but no device is registered now: no request
    assert work(m) == idle_work()
    stop(m)  # unregistered: a successful no-op
    advance(m, 500)
    assert reported(m) == [] and host(m)["reported_pages"] == 0
    start(m)  # register resets the state to idle, then requests: due at 500 + 100
    assert hstate(m)["state"] == "requested" and work(m)["due_ms"] == 600


def test_a_free_notifies_with_its_merged_order_and_a_merge_clears_reported() -> None:
    m = rmachine(stepping=False)
    assert alloc(m, 0) == 16  # o4 16 splits: 24 (o3), 20 (o2), 18 (o1), 17 (o0) go to the heads
    start(m)
    advance(m, 100)
    # The pass at 100 (capacity 1): o2 [20] pulls 20; o3 [24] finds the batch full: report [20],
    # drain 20 (buddy 16 allocated; the buddy one order up, 24, is free: tail), Reported; then
    # pulls 24; o4 [0]: report [24], drain 24 (order 3: head), Reported; pulls 0; the leftover
    # report [0], drain 0, Reported.  17 and 18 are below min_order.  Nobody asked meanwhile: idle.
    assert reported(m) == [0, 20, 24]
    assert host(m)["reported_pages"] == 4 + 8 + 16 and hstate(m)["state"] == "idle"
    free(m, 16, 0)
    # 16 merges with 17, 18, then Reported 20 and 24 (their flags go: two wasted reports), to
    # order 4 at the head of o4; notified at order 4: idle -> requested, due at 100 + 100.
    assert fl(m, 4) == [16, 0] and reported(m) == [0]
    assert host(m)["wasted_hints"] == 2
    assert hstate(m)["state"] == "requested" and work(m)["due_ms"] == 200


def test_a_free_below_min_order_does_not_notify() -> None:
    m = rmachine(stepping=False)
    assert alloc(m, 0) == 16
    assert alloc(m, 0) == 17
    start(m)
    advance(m, 100)
    assert hstate(m)["state"] == "idle"
    free(m, 17, 0)  # buddy 16 is allocated: it stays order 0 < min_order: no request
    assert hstate(m)["state"] == "idle" and work(m)["pending"] is False


def test_a_tail_free_lands_at_the_real_tail_behind_reported_blocks() -> None:
    m = rmachine(capacity=2, stepping=False)
    eight_order2(m)
    free(m, 16)
    free(m, 20)  # 20 merges with 16: o3 [16]
    free(m, 8)  # buddy 12 allocated; one order up, 0 is allocated: head, o2 [8]
    start(m)
    advance(m, 100)
    # o2 [8]: 8 into slot 1; o3 [16]: 16 into slot 0; leftover: drain slot 0 (16, head of o3) and
    # slot 1 (8: one order up, 0 is allocated: head).  Both Reported.
    assert reported(m) == [8, 16] and fl(m, 2) == [8] and fl(m, 3) == [16]
    free(m, 28)  # buddy 24 allocated; one order up, 16 is free at order 3: the tail, behind Reported 8
    assert fl(m, 2) == [8, 28] and reported(m) == [8, 16]
    assert hstate(m)["state"] == "requested" and work(m)["due_ms"] == 200


def test_a_reported_block_keeps_its_flag_when_its_pageblock_moves() -> None:
    m = rmachine(stepping=False)
    eight_order2(m)
    free(m, 24)
    start(m)
    advance(m, 100)
    assert reported(m) == [24] and fl(m, 2) == [24]
    move(m, 24, "Unmovable")  # move_to_free_list: to the head of Unmovable o2, still Reported
    assert fl(m, 2, "Unmovable") == [24] and fl(m, 2) == [] and reported(m) == [24]
    move(m, 24, "HighAtomic")
    assert fl(m, 2, "HighAtomic") == [24] and reported(m) == [24]
    assert host(m)["wasted_hints"] == 0 and hstate(m)["state"] == "idle"  # moves never notify


# --- the pass --------------------------------------------------------------------------------


def test_offset_carries_across_lists_and_orders_isolate_skipped_highatomic_walked() -> None:
    m = rmachine(capacity=8)
    eight_order2(m)
    free(m, 0)
    free(m, 4)  # merges with 0: o3 [0]
    move(m, 16, "Unmovable")
    free(m, 16)  # Unmovable o2 [16]
    free(m, 24)  # buddy 28 allocated; one order up 16 is order 2: head, Movable o2 [24]
    move(m, 12, "HighAtomic")
    free(m, 12)  # HighAtomic o2 [12]
    move(m, 28, "Isolate")
    free(m, 28)  # the isolation rule keeps it from 24: Isolate o2 [28], not counted
    assert nfp(m) == 20
    start(m)
    advance(m, 100)
    # Slots fill from the last: o2 Unmovable 16 -> 7 (its pageblock taken over for Movable),
    # Movable 24 -> 6, HighAtomic 12 -> 5 (the pageblock stays HighAtomic), Isolate skipped;
    # o3 Movable 0 -> 4.  Nothing fills the batch: the zone's leftover is reported.
    assert batch(m) == [(0, 3, "Movable"), (12, 2, "HighAtomic"), (24, 2, "Movable"), (16, 2, "Movable")]
    assert work(m) == {"pending": False, "due_ms": None, "phase": "report", "zone": "Normal", "order": None,
                       "migratetype": None, "budget": None}
    assert pageblocks(m)[3:5] == ["HighAtomic", "Movable"] and fl(m, 2, "Isolate") == [28]
    assert nfp(m) == 0  # the batch is out: every counted free page is in it
    assert zstate(m)["batch_pages"] == 20
    step(m)
    assert work(m)["phase"] == "drain" and nfp(m) == 0
    step(m)
    # Drain in slot order: 0 (o3 head), 12 (HighAtomic: 0 is free one order up: tail),
    # 24 (Movable; its buddy 28 is isolated, no merge; 16 is still out: head), 16 (its
    # pageblock is Movable now: Movable o2 head).  All Reported.
    assert fl(m, 3) == [0] and fl(m, 2, "HighAtomic") == [12] and fl(m, 2) == [16, 24]
    assert fl(m, 2, "Unmovable") == [] and reported(m) == [0, 12, 16, 24]
    assert hstate(m)["state"] == "idle" and work(m) == idle_work() and nfp(m) == 20


def test_budget_reads_nr_free_of_the_whole_order_when_the_cycle_starts() -> None:
    m = rmachine(zones=(("Normal", 256),), record_events=True)
    for _ in range(64):
        alloc(m, 2)
    move(m, 0, "Unmovable")
    free(m, 0)  # Unmovable o2 [0]
    for pfn in range(8, 129, 8):  # 16 Movable blocks, no two of them buddies, each to the head
        free(m, pfn)
    assert fl(m, 2, "Unmovable") == [0] and fl(m, 2) == list(range(128, 7, -8))
    start(m)
    advance(m, 100)
    events = decode_all(m, m.take_raw_events())
    budgets = [(e["migratetype"], e["budget"]) for e in events if e["kind"] == "cycle_start"]
    # Unmovable: ceil(17 / (1 x 16)) = 2.  0 goes into the only slot (its pageblock becomes
    # Movable); the Movable cycle then reads 16 free order-2 blocks: budget 1.
    assert budgets == [("Unmovable", 2), ("Movable", 1)]
    assert work(m) == {"pending": False, "due_ms": None, "phase": "report", "zone": "Normal", "order": 2,
                       "migratetype": "Movable", "budget": 1}
    assert batch(m) == [(0, 2, "Movable")]
    step(m)
    assert work(m)["phase"] == "drain" and work(m)["budget"] == 0
    step(m)
    # 0 comes back to Movable (its pageblock's type now), at the head, Reported; the walk
    # restarts from the head: skips 0, pulls 128, finds 120 with the batch full: rotates.
    assert fl(m, 2) == [*range(120, 7, -8), 0] and reported(m) == [0]
    assert work(m)["budget"] == 0 and batch(m) == [(128, 2, "Movable")]


def test_a_spent_budget_requests_another_pass_and_rotates_the_next_block_first() -> None:
    m = rmachine(zones=(("Normal", 256),), stepping=False, delay_ms=10)
    for _ in range(64):
        alloc(m, 2)
    for pfn in range(0, 256, 8):  # 32 free order-2 blocks, [248, 240, ..., 0]
        free(m, pfn)
    start(m)
    advance(m, 10)
    # Budget ceil(32 / 16) = 2: three reports (248, 240, 232), each drained back to the head
    # and skipped by the restart; at 224 the budget is -1: requested, 224 rotated to the front.
    assert reported(m) == [232, 240, 248]
    assert fl(m, 2) == [*range(224, -1, -8), 248, 240, 232]
    assert hstate(m)["state"] == "requested" and work(m)["due_ms"] == 20
    assert m.state()["hinting"]["costs"]["entries_read"] == 2 + 3 + 3 + 2


def test_advance_runs_work_it_re_arms_when_that_falls_due_too() -> None:
    m = rmachine(zones=(("Normal", 256),), stepping=False, delay_ms=10)
    for _ in range(64):
        alloc(m, 2)
    for pfn in range(0, 256, 8):
        free(m, pfn)
    start(m)  # due at 10
    advance(m, 25)
    # The pass at 10 reports 248 240 232 and re-arms for 20; the pass at 20 (now_ms = 20 while
    # it runs) reports 224 216 208 and re-arms for 30, after the advance: it waits.
    assert reported(m) == [208, 216, 224, 232, 240, 248]
    assert m.now_ms == 25 and work(m)["pending"] is True and work(m)["due_ms"] == 30
    assert m.state()["hinting"]["costs"]["passes"] == 2
    assert fl(m, 2)[:2] == [200, 192] and fl(m, 2)[-3:] == [224, 216, 208]


def test_rotation_and_restart_from_the_head_after_a_full_batch() -> None:
    m = rmachine()
    eight_order2(m)
    for pfn in (24, 0, 8, 16):
        free(m, pfn)  # each to the head: o2 [16, 8, 0, 24]
    start(m)
    advance(m, 100)
    # Budget ceil(4 / 16) = 1.  16 fills the only slot; at 8 the batch is full, 8 is already
    # first: no rotation; the lock is dropped before the report.
    assert batch(m) == [(16, 2, "Movable")] and fl(m, 2) == [8, 0, 24]
    assert work(m)["phase"] == "report" and work(m)["budget"] == 1 and hstate(m)["state"] == "active"
    step(m)
    assert work(m)["phase"] == "drain" and work(m)["budget"] == 0
    assert host(m)["reported_pages"] == 4
    step(m)
    # The drain puts 16 at the head (no buddy free) and marks it; the walk restarts at the
    # head, skips 16, pulls 8 and at 0 rotates: 0 first, Reported 16 behind 24.
    assert reported(m) == [16] and fl(m, 2) == [0, 24, 16] and batch(m) == [(8, 2, "Movable")]
    assert work(m)["phase"] == "report" and work(m)["budget"] == 0
    step(m)
    assert work(m)["budget"] == -1
    step(m)
    # 8 drained to the head, Reported; the restart skips 8 and meets 0 with the budget spent:
    # requested, 0 rotated first.  The pass ends and re-arms 100 ms from now.
    assert fl(m, 2) == [0, 24, 16, 8] and reported(m) == [8, 16] and batch(m) == []
    assert hstate(m)["state"] == "requested" and work(m) == {**idle_work(), "pending": True, "due_ms": 200}
    advance(m, 100)
    assert batch(m) == [(0, 2, "Movable")] and fl(m, 2) == [24, 16, 8]


def test_a_walk_that_runs_off_the_end_does_not_rotate() -> None:
    m = rmachine(capacity=2)
    eight_order2(m)
    free(m, 24)
    free(m, 16)  # o2 [16, 24]
    start(m)
    advance(m, 100)  # 16 -> slot 1, 24 -> slot 0: the leftover report
    step(m)
    step(m)  # drain 24 then 16, each to the head: [16, 24], both Reported; the pass ends idle
    assert fl(m, 2) == [16, 24] and reported(m) == [16, 24] and hstate(m)["state"] == "idle"
    free(m, 8)  # o2 [8, 16, 24]; requested, due 200
    move(m, 24, "Unmovable")
    move(m, 24, "Movable")  # Reported 24 comes back to the head, still Reported: [24, 8, 16]
    assert fl(m, 2) == [24, 8, 16] and reported(m) == [16, 24]
    advance(m, 100)
    # Skip 24, pull 8 (slot 1), skip 16, the end of the list: no rotation.
    assert fl(m, 2) == [24, 16] and batch(m) == [(8, 2, "Movable")] and work(m)["order"] is None


def test_a_block_that_merges_on_the_drain_is_not_reported() -> None:
    m = rmachine(capacity=2)
    eight_order2(m)
    for pfn in (24, 0, 16):
        free(m, pfn)  # o2 [16, 0, 24]
    start(m)
    assert nfp(m) == 12
    advance(m, 100)  # 16 -> slot 1, 0 -> slot 0; at 24 the batch is full
    assert batch(m) == [(0, 2, "Movable"), (16, 2, "Movable")] and nfp(m) == 4  # the batch is off the counter
    free(m, 4)  # 0 is out (not PageBuddy): no merge; head of o2; active -> requested, no timer
    assert fl(m, 2) == [4, 24] and hstate(m)["state"] == "requested" and work(m)["pending"] is False
    assert nfp(m) == 8  # a free counts on entry, batch or no batch
    step(m)
    step(m)
    # Slot 0: 0 comes back and merges with 4 into order-3 block 0: not Reported.  Slot 1: 16,
    # Reported.  Restart: skip 16, pull 24; o3 [0]: 0 pulled too; the leftover report.
    assert reported(m) == [16] and fl(m, 2) == [16] and fl(m, 3) == []
    assert batch(m) == [(0, 3, "Movable"), (24, 2, "Movable")] and work(m)["order"] is None
    assert nfp(m) == 4  # 0 and 16 came back (+8), then 24 and the merged 0 went out (-12)
    assert m.state()["hinting"]["costs"]["wasted"]["merged_on_return"] == 1
    assert m.state()["hinting"]["costs"]["rereported"] == {"blocks": 0, "pages": 0}
    step(m)  # the report: 0-3 were dropped by the first report, 4-7 were not
    assert m.state()["hinting"]["costs"]["rereported"] == {"blocks": 0, "pages": 4}
    step(m)
    assert reported(m) == [0, 16, 24] and fl(m, 2) == [24, 16] and fl(m, 3) == [0] and nfp(m) == 16
    assert hstate(m)["state"] == "requested" and work(m)["due_ms"] == 200  # asked meanwhile: re-armed
    step(m)  # starts the re-armed pass now (now_ms stays 100): every block is Reported
    assert m.now_ms == 100 and hstate(m)["state"] == "idle" and work(m) == idle_work()


def test_isolate_free_page_takes_pageblocks_over() -> None:
    m = rmachine(capacity=1)
    move(m, 20, "Unmovable")  # inside free block 16 (order 4): nothing moves, the block stays Movable
    move(m, 24, "HighAtomic")
    move(m, 28, "Isolate")
    assert fl(m, 4) == [16, 0] and nfp(m) == 32
    start(m)
    advance(m, 100)  # 16 (order 4 >= pageblock_order - 1) is pulled: its pageblocks 16, 20, 24, 28
    assert pageblocks(m)[4:] == ["Movable", "Movable", "HighAtomic", "Isolate"]
    assert batch(m) == [(16, 4, "Movable")] and nfp(m) == 16  # its pageblock (16) is not Isolate
    for _ in range(3):
        step(m)  # drain 16 (head), Reported; restart: skip 16, pull 0; the leftover report
    step(m)
    assert fl(m, 4) == [0, 16] and reported(m) == [0, 16] and nfp(m) == 32


def test_half_a_pageblock_takes_it_over_an_order_0_block_never() -> None:
    m = rmachine(min_order=1)
    eight_order2(m)
    free(m, 8)
    assert alloc(m, 1) == 8  # o2 8 splits: 10 (o1) to the head
    move(m, 8, "Unmovable")  # 10 follows to Unmovable o1
    start(m)
    advance(m, 100)  # Unmovable o1 [10]: order 1 = pageblock_order - 1: pageblock 8 becomes Movable
    assert pageblocks(m)[2] == "Movable" and batch(m) == [(10, 1, "Movable")]
    step(m)
    step(m)
    assert fl(m, 1) == [10] and fl(m, 1, "Unmovable") == [] and reported(m) == [10]

    m = rmachine(min_order=0)
    eight_order2(m)
    free(m, 8)
    assert alloc(m, 0) == 8  # 10 (o1) and 9 (o0) split off
    assert alloc(m, 1) == 10
    move(m, 8, "Unmovable")  # 9 follows to Unmovable o0
    start(m)
    advance(m, 100)  # Unmovable o0 [9]: an order-0 block never takes its pageblock over
    assert pageblocks(m)[2] == "Unmovable" and batch(m) == [(9, 0, "Unmovable")]
    step(m)
    step(m)
    assert fl(m, 0, "Unmovable") == [9] and reported(m) == [9]


def test_the_drain_reads_the_pageblock_type_now() -> None:
    m = rmachine()
    eight_order2(m)
    for pfn in (24, 0, 8, 16):
        free(m, pfn)  # o2 [16, 8, 0, 24]
    start(m)
    advance(m, 100)  # batch [16], 16 counted off
    assert nfp(m) == 12
    move(m, 16, "Isolate")  # 16 is out: nothing moves, the counter stays
    assert nfp(m) == 12 and batch(m) == [(16, 2, "Isolate")]
    step(m)
    step(m)
    # 16 goes back to the Isolate list (not counted: __free_one_page with Isolate), Reported
    # there; the restart pulls 8.
    assert fl(m, 2, "Isolate") == [16] and reported(m) == [16] and fl(m, 2) == [0, 24]
    assert nfp(m) == 8 and batch(m) == [(8, 2, "Movable")]
    step(m)
    step(m)
    # 8 drained, Reported; 0 meets a spent budget: rotated first; no other list to walk (the
    # Isolate list is skipped); requested: re-armed.
    assert fl(m, 2) == [0, 24, 8] and nfp(m) == 12 and work(m)["due_ms"] == 200
    step(m)  # the re-armed pass starts now: budget ceil(4 / 16) = 1 (the Isolate block counts)
    assert batch(m) == [(0, 2, "Movable")] and fl(m, 2) == [24, 8] and work(m)["budget"] == 1


# --- requests during a pass, unregister, step ------------------------------------------------


def test_unregister_while_stopped_finishes_the_pass_and_cannot_re_arm() -> None:
    m = rmachine(capacity=2)
    eight_order2(m)
    for pfn in (24, 0, 16):
        free(m, pfn)
    start(m)
    advance(m, 100)
    free(m, 4)  # active -> requested
    stop(m)
    # The rest of the pass runs at once (the same pass as the merge test), and the re-arm it
    # would make is refused: nothing pending, the state word left requested.
    assert reported(m) == [0, 16, 24] and batch(m) == [] and work(m) == idle_work()
    assert hstate(m)["state"] == "requested" and hstate(m)["enabled"] is False
    pages = host(m)["reported_pages"]
    start(m)
    assert hstate(m)["state"] == "requested" and work(m)["due_ms"] == 200
    advance(m, 100)  # the pass at 200 skips every Reported block: nothing reported, idle
    assert host(m)["reported_pages"] == pages and hstate(m)["state"] == "idle" and work(m) == idle_work()


def test_step_and_advance_in_both_modes() -> None:
    m = rmachine()
    eight_order2(m)
    free(m, 24)
    fails(m, {"do": "step"})  # nothing pending, nothing stopped
    start(m)  # due 100
    step(m)  # pending, none stopped: starts now (now_ms stays 0), to the first stopping point
    assert m.now_ms == 0 and work(m)["phase"] == "report" and batch(m) == [(24, 2, "Movable")]
    advance(m, 50)  # a stopped pass does not move with time
    assert work(m)["phase"] == "report" and m.now_ms == 50
    step(m)
    step(m)  # the drain; the pass ends, nobody asked: idle
    assert work(m) == idle_work() and reported(m) == [24]
    fails(m, {"do": "step"})
    free(m, 0)  # requested, due 150
    ok(m, {"do": "stepping", "on": False})
    step(m)  # auto mode: the pending pass runs to completion now
    assert m.now_ms == 50 and reported(m) == [0, 24] and work(m) == idle_work()


def test_only_a_merge_that_swallows_a_reported_block_is_a_wasted_hint() -> None:
    m = rmachine(capacity=2, stepping=False)
    eight_order2(m)
    free(m, 24)
    free(m, 16)
    start(m)
    advance(m, 100)
    assert reported(m) == [16, 24]
    move(m, 24, "Unmovable")  # kept
    assert alloc(m, 2, "Unmovable") == 24  # allocated: the flag goes, not a waste for the host
    free(m, 20)  # swallows Reported 16: wasted
    assert reported(m) == [] and host(m)["wasted_hints"] == 1
    wasted = m.state()["hinting"]["costs"]["wasted"]
    assert wasted == {"merged": 1, "merged_on_return": 0, "moved": 0, "stolen": 0, "allocated": 1}
    assert host(m)["refaults"] == 4  # 24's pages come back from the host


# --- configuration and the state word -----------------------------------------------------------


def test_defaults_and_fields_of_the_reporting_configuration() -> None:
    machine = MachineConfig(pageblock_order=9)
    cfg = parse_hinting({"design": "reporting", "hwm": 7}, machine)  # hwm means nothing here: ignored
    assert cfg == ReportingConfig(min_order=9, capacity=32, delay_ms=2000, stepping=False)
    assert cfg.to_json() == {"design": "reporting", "min_order": 9, "capacity": 32, "delay_ms": 2000,
                             "stepping": False}
    assert parse_hinting({"design": "reporting", "min_order": 0}, machine).min_order == 0
    for field, value in (("capacity", 0), ("min_order", 11), ("delay_ms", -1), ("stepping", "yes")):
        with pytest.raises(InvalidInput) as err:
            parse_hinting({"design": "reporting", field: value}, machine)
        assert err.value.field == f"hinting.{field}"


def test_the_device_state_moves_only_the_ways_the_code_moves_it() -> None:
    state = DeviceState()
    with pytest.raises(DeviceStateError):
        state.set_active()  # a pass never starts from idle: the work runs only when requested
    with pytest.raises(DeviceStateError):
        state.set_requested()  # a spent budget only happens during a pass
    with pytest.raises(DeviceStateError):
        state.cmpxchg_active_idle()
    assert state.xchg_requested() is ReportingState.IDLE
    state.set_active()
    with pytest.raises(DeviceStateError):
        state.set_idle()  # register never meets a pass under way
    assert state.xchg_requested() is ReportingState.ACTIVE  # a request during the pass
    state.set_requested()
    assert state.cmpxchg_active_idle() is ReportingState.REQUESTED and state.read() is ReportingState.REQUESTED
    state.set_idle()
    assert state.read() is ReportingState.IDLE
