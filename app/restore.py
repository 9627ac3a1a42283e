"""A stored session back in memory: same id, same token, same step, same branches, view and run.

The history is replayed on a machine that records no events (three times
faster than the live path), taking checkpoints as it goes; recording starts
at the end, where the session resumes.  A 100,000-step session is back in
well under a second here (bench/store_bench.py measures it).  The results
of the history's steps are not stored: the replay recomputes them (the model
is deterministic).  A branch's results are stored with it.

A workload that was running resumes with the same settings, on a random
stream seeded from its seed and the history's length (the steps it made are
all in the history; only its future differs from an uninterrupted run).
"""

from __future__ import annotations

import itertools
import json
import logging
import random
import zlib
from typing import Any

from core import Scenario, parse_scenario
from core.pair import PairTimeline, compare_flag
from core.timeline import Branch, Timeline

from .journal import Journal
from .packed import CHUNK, PackedList
from .protocol import WorkloadMsg
from .sessions import Session, checkpoint_budget
from .settings import Settings
from .store import SessionRecord

log = logging.getLogger("hinting_lab.store")


def rebuild_timeline(record: SessionRecord, settings: Settings) -> tuple[Any, Timeline | PairTimeline]:
    """(scenario, timeline) of a stored session, its live machine at the stored cursor, recording events.

    The replay is Timeline.apply unrolled: the machine applies each step, checkpoints are taken at the
    timeline's spacing, and the history and results are added a chunk at a time.
    """
    scenario = parse_scenario({**record.header, "steps": []}, max_pages=max(settings.max_pages, 1))
    every, most = checkpoint_budget(scenario)
    if compare_flag(scenario):
        return scenario, rebuild_pair(record, scenario, every, most)
    # The spacing the live session had reached (checkpoints are thinned by doubling it): starting there,
    # the replay takes only the checkpoints that would survive, not four times as many.
    while 1 + record.length // every > most:
        every *= 2
    tl = Timeline(scenario, record_events=False, checkpoint_every=every, max_checkpoints=most,
                  history=PackedList(), results=PackedList())
    machine = tl.machine
    apply = machine.apply_parsed
    checkpoints = tl.checkpoints
    pos = last = 0
    for block in record.blocks():
        results = []
        for step in block:
            results.append(apply(step))
            pos += 1
            if pos - last >= every and machine.cloneable:
                checkpoints[pos] = machine.clone(record_events=False)
                last = pos
        tl.history.extend(block)
        tl.results.extend(results)
    tl.cursor = pos
    tl.floor = min(int(record.meta.get("floor", 0)), pos)  # undo stops at the session's start
    for bid, fork_at, blob in record.branches:
        doc = json.loads(zlib.decompress(blob))
        steps, results = doc["steps"], doc["results"]
        if len(steps) > CHUNK:
            steps, results = PackedList(steps), PackedList(results)
        tl.branches.append(Branch(bid, fork_at, steps, results))
    meta = record.meta
    tl._ids = itertools.count(int(meta.get("next_branch", 1)))
    tl.record_events = True
    cursor = int(meta.get("cursor", len(tl.history)))
    if 0 <= cursor < len(tl.history):
        tl.travel(cursor)  # rebuilds the machine from a checkpoint, recording
    else:
        tl.machine.record_events(True)
    return scenario, tl


def rebuild_pair(record: SessionRecord, scenario: Scenario, every: int, most: int) -> PairTimeline:
    """A compare-mode session's two machines, replayed in lockstep through the pair (core/pair.py).

    Each step goes through PairTimeline.apply, which keeps the two sides' blocks in correspondence; kept
    branches are not restored (compare mode keeps none: turning it on or off drops them too).
    """
    tl = PairTimeline(scenario, record_events=False, checkpoint_every=every, max_checkpoints=most,
                      history_factory=PackedList)
    apply = tl.apply
    for block in record.blocks():
        for step in block:
            apply(step)
    tl.floor = min(int(record.meta.get("floor", 0)), tl.cursor)
    if record.branches:
        log.info("session %s: compare mode keeps no branches; %d stored branch(es) not restored",
                 record.sid, len(record.branches))
    for side in tl.sides.values():
        side.record_events = True
    cursor = int(record.meta.get("cursor", tl.cursor))
    if 0 <= cursor < tl.cursor:
        tl.travel(cursor)  # rebuilds both machines from checkpoints, recording
    else:
        for m in tl.machines.values():
            m.record_events(True)
    return tl


def restore_session(record: SessionRecord, settings: Settings) -> Session:
    """The Session a record describes (pure work: may run in a worker thread)."""
    scenario, tl = rebuild_timeline(record, settings)
    meta = record.meta
    session = Session(record.sid, settings, scenario, record.header.get("preset"), timeline=tl)
    session.control_token = None
    session.token_hash = record.token_hash
    session.used = bool(meta.get("used", True))
    clock = meta.get("clock") or {}
    session.speed = float(clock.get("speed", 1.0))
    session.clock_running = bool(clock.get("running", False))
    session.view = meta.get("view")
    session.view_by = meta.get("view_by")
    _restore_workload(session, meta.get("workload") or {})
    return session


def _restore_workload(session: Session, wl: dict[str, Any]) -> None:
    params = wl.get("params")
    if not params:
        return
    try:
        msg = WorkloadMsg(type="workload", action="start", **params)
    except ValueError:
        log.warning("session %s: its stored workload settings are not valid here; it stays stopped", session.id)
        return
    session.workload_params = msg
    session.workload_rate = msg.rate
    if wl.get("running"):
        try:
            session.start_workload(msg)
        except Exception as err:  # this server's limits may be lower than the one that stored it
            log.warning("session %s: its workload cannot resume here (%s); it stays stopped", session.id, err)
            session.workload_params = msg
        else:
            workload = session.workload
            assert workload is not None
            workload.rng = random.Random(f"{msg.seed}:{len(session.history)}")
            # The blocks it may free: allocated blocks no scenario name holds, of the orders it uses.
            machine = session.machine
            named = set(machine.refs.values())
            orders = set(msg.orders)
            zones = [machine.zone(msg.zone)] if msg.zone else [machine.zones[-1]]
            workload.live = [(pfn, order) for z in zones for pfn, order, _mt in machine.allocated_blocks(z)
                             if pfn not in named and order in orders]
    session.workload_steps = int(wl.get("steps", 0))


def journal_for(session: Session, record: SessionRecord) -> Journal:
    """A journal that knows the store holds what `record` held (only the meta is written again, to touch it)."""
    journal = Journal()
    journal.history = session.timeline.history  # type: ignore[assignment]
    session.timeline.history.take_changed_from()  # type: ignore[attr-defined]
    journal.length = len(session.history)
    journal.sealed = journal.length // CHUNK
    journal.branches = {b.id: b for b in session.timeline.branches}
    journal.next_branch = int(record.meta.get("next_branch", 1))
    journal.stored = True
    return journal
