"""The explained event log agrees with the hand computation (core.decode_all).

Only the event kinds, pfns and the placement details are checked, against the
same hand computations as test_hand_seed.py.
"""

from __future__ import annotations

from core import decode_all

from .helpers import advance, eight_order2, free, machine, prefix_p, start, step


def _events(m, kinds):
    return [e for e in decode_all(m, m.take_raw_events()) if e["kind"] in kinds]


def test_tail_free_while_stopped_is_logged_before_the_boundary():
    m = machine(record_events=True)
    prefix_p(m)
    m.take_raw_events()
    # free 20: no merge (buddy 16 allocated), buddy_merge_likely (o3 buddy 24 free)
    # -> add_to_free_list_tail in front of boundary[2][Movable] = 0.
    free(m, 20)
    evs = _events(m, {"merge", "place_head", "place_tail"})
    assert [(e["kind"], e["pfn"], e["order"], e["migratetype"]) for e in evs] == [("place_tail", 20, 2, "Movable")]
    assert evs[0]["fn"] == "add_to_free_list_tail"
    assert evs[0]["change"]["before"] == 0


def test_try_the_head_then_both_hinted_in_the_log():
    m = machine(capacity=32, record_events=True)
    eight_order2(m)
    for pfn in (0, 8, 24):
        free(m, pfn)
    start(m)
    advance(m, 100)
    step(m)
    step(m)  # o2 [24, 8, 0] all Hinted
    free(m, 16)  # head; requests a cycle
    m.take_raw_events()
    advance(m, 100)
    evs = _events(m, {"pull", "both_hinted", "boundary_add"})
    # Entry before the (reset) boundary is 0, Hinted -> try the head: 16.  Next: 0 and
    # head 24 both Hinted -> boundary[2][Movable] = 24, nothing pulled (the reason is logged before the move).
    assert [(e["kind"], e["pfn"]) for e in evs] == [("pull", 16), ("both_hinted", 24), ("boundary_add", 24)]
    assert evs[0]["via"] == "head"


def test_put_hinted_page_merge_in_the_log():
    m = machine(record_events=True)
    prefix_p(m)
    free(m, 12)  # head: [12, 0]
    step(m)  # react(8)
    m.take_raw_events()
    step(m)
    evs = _events(m, {"merge", "place_tail", "place_head", "put_merged", "put_hinted", "pull"})
    # put 8: merges buddy 12 (order 2) -> 8/o3 in front of boundary[3][Movable] = 24;
    # not Hinted (merged); then the fill pulls 8/o3, the entry before 24.
    got = [(e["kind"], e["pfn"], e["order"]) for e in evs]
    assert got == [("merge", 12, 2), ("place_tail", 8, 3), ("put_merged", 8, 2), ("pull", 8, 3)]
    assert evs[1]["change"]["before"] == 24
    assert evs[2]["merged_into"] == 8
    assert evs[3]["via"] == "tail"


def test_raw_events_survive_a_copy_as_the_same_kinds():
    """Decoders compare kinds by identity; pickled or deep-copied raw events keep it."""
    import copy
    import pickle

    m = machine(record_events=True)
    eight_order2(m)
    raw = m.take_raw_events()
    for copied in (pickle.loads(pickle.dumps(raw)), copy.deepcopy(raw)):
        assert all(a[0] is b[0] for a, b in zip(raw, copied, strict=True))
        assert decode_all(m, copied) == decode_all(m, raw)


def test_each_event_says_its_category_and_tag():
    """The browser's log files and labels events by these two fields only."""
    m = machine(record_events=True)
    prefix_p(m)  # ...the fill has pulled 8; stopped before react
    free(m, 12)  # 12's buddy 8 is in the batch: no merge
    step(m)
    step(m)  # the drain: 8 merges with 12, a wasted hint; then the next fill
    got = {(e["kind"], e["category"], e["tag"]) for e in decode_all(m, m.take_raw_events())}
    assert {
        ("step", "step", "STEP"),
        ("free", "free", "FREE"),
        ("place_head", "free", "HEAD"),
        ("react", "hinting", "REACT"),
        ("work_stop", "work", "STOP"),
        ("merge", "free", "MERGE"),
        ("put_merged", "hinting", "PUT"),
        ("pull", "hinting", "FILL"),
        ("wasted", "anomaly", "WASTED"),  # it carries hint_lost_on_merge
    } <= got
    m2 = machine(record_events=True)
    eight_order2(m2)
    free(m2, 0)
    start(m2)
    advance(m2, 100)
    kinds = {(e["kind"], e["category"], e["tag"]) for e in decode_all(m2, m2.take_raw_events())}
    assert {("populate", "boundary", "BOUNDARY"), ("rmqueue", "alloc", "RMQUEUE"), ("alloc", "alloc", "ALLOC"),
            ("startup", "hinting", "STARTUP"), ("work_start", "work", "WORK")} <= kinds


def test_silent_returns_are_quiet_events_with_their_reason():
    """page_hinting_notify_free's early returns, and the other "did nothing, because" paths, as quiet events."""
    m = machine(record_events=True)  # 32 pages, min_order 2, hwm 1, capacity 1, stepping on
    eight_order2(m)
    m.take_raw_events()
    free(m, 0)  # no device registered yet: the static key is off (seed 2164-2165)
    evs = [e for e in decode_all(m, m.take_raw_events()) if e.get("quiet")]
    assert [(e["kind"], e["why"], e["seed_lines"]) for e in evs] == [("notify_quiet", "key", [2163, 2165])]
    start(m)  # REQUESTED, refcnt 1
    assert m.alloc("Normal", 0, "Movable") == 0  # the only free block is 0 (order 2): split, 1 and 2 stay free
    assert m.alloc("Normal", 0, "Movable") == 1
    m.take_raw_events()
    m.free(0, 0)  # buddy 1 allocated: stays order 0 < min_order 2, kept from the design (seed 2168-2169)
    evs = [e for e in decode_all(m, m.take_raw_events()) if e.get("quiet")]
    assert [(e["kind"], e["why"], e["order"], e["seed_lines"]) for e in evs] == [("notify_quiet", "order", 0,
                                                                                  [2167, 2169])]
    free(m, 8)  # order 2, but the zone is already REQUESTED (seed 2172-2173)
    evs = [e for e in decode_all(m, m.take_raw_events()) if e["kind"] == "notify_quiet"]
    assert [(e["why"], e["quiet"], e["seed_lines"]) for e in evs] == [("requested", True, [2171, 2173])]
    m.hinting_stop()
    m.hinting_stop()  # not registered any more (seed 2665-2666)
    last = decode_all(m, m.take_raw_events())[-1]
    assert (last["kind"], last["quiet"]) == ("shutdown_quiet", True)


def test_a_running_sessions_short_tail_leaves_quiet_events_out():
    from core.events import EventDecoder

    m = machine(record_events=True)
    eight_order2(m)
    for pfn in (0, 8, 16):
        free(m, pfn)  # each with a quiet "static key off" event
    raw = m.take_raw_events()
    full = EventDecoder(m).decode(raw)
    tail, omitted = EventDecoder(m).decode_tail(raw, 3)
    shown = [e for e in full if not e.get("quiet")]
    assert tail == shown[-3:], "the newest three events a viewer shows, with their sequence numbers"
    assert omitted == len(full) - 3
