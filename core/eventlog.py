"""The events of a range of a timeline's steps, replayed on demand.

A running session sends its viewers only the newest events of each frame (a
1,000 steps/s workload makes tens of thousands a second).  Nothing is lost,
because the steps are: the events of steps `start .. stop-1` are rebuilt by
replaying them from the timeline's nearest checkpoint with event recording
on.  The model is deterministic, so the replayed events are the ones that
happened (a run of merged clock advances replays as the one advance the
history records).

Only the newest `cap` matching events are kept, and only those are decoded
into words, so a long range costs one replay plus `cap` descriptions.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Collection
from dataclasses import dataclass, field
from typing import Any

from .events import EventDecoder
from .kinds import CLOCK, STEP
from .timeline import Timeline

# Raw kinds that may carry an anomaly (events.py): the anomaly filter looks at no other.
ANOMALY_RAW_KINDS = frozenset({"anomaly", "wasted"})


@dataclass
class EventRange:
    """What `replay_events` found: the events kept and how many matched in all."""

    start: int
    stop: int
    events: list[dict[str, Any]] = field(default_factory=list)
    matched: int = 0  # matching events in the range; more than len(events) when capped
    replayed: int = 0  # steps replayed, the checkpoint's way to `start` included

    @property
    def capped(self) -> int:
        """Matching events left out (the oldest ones)."""
        return self.matched - len(self.events)


def replay_cost(timeline: Timeline, start: int, stop: int) -> int:
    """Steps a replay of start..stop would apply (from the nearest checkpoint at or before start)."""
    return stop - max(p for p in timeline.checkpoints if p <= start)


def replay_plan(timeline: Timeline, start: int, stop: int) -> tuple[Any, list[dict[str, Any]], int]:
    """(checkpoint machine, the steps from it to `stop`, its position): all a replay needs.

    Cheap and taken on the caller's thread; the replay itself may then run on
    another, since checkpoints are never changed once taken and the list of
    steps is a copy.
    """
    if not 0 <= start <= stop <= len(timeline.history):
        raise ValueError(f"positions must satisfy 0 <= from <= to <= {len(timeline.history)}")
    base = max(p for p in timeline.checkpoints if p <= start)
    return timeline.checkpoints[base], timeline.history[base:stop], base


def replay_events(
    checkpoint: Any,
    steps: list[dict[str, Any]],
    base: int,
    start: int,
    *,
    cap: int = 20_000,
    kinds: Collection[str] | None = None,
    not_kinds: Collection[str] = (),
    categories: Collection[str] | None = None,
    anomalies_only: bool = False,
) -> EventRange:
    """Replay `steps` (positions base..) on a copy of `checkpoint`; the events of positions >= start.

    `kinds` keeps only the event kinds of those names, `not_kinds` drops
    those, `categories` keeps only kinds of those categories (trace.Category),
    and `anomalies_only` keeps only events naming an anomaly.  Each event's
    `step` is its history index, `seq` its rank among the range's matches.
    """
    stop = base + len(steps)
    machine = checkpoint.clone(record_events=False)
    for step in steps[: start - base]:
        machine.apply_parsed(step)
    machine.steps_applied = start  # events name steps by their history index
    machine.record_events(True)
    keep: set[str] | None = set(kinds) if kinds is not None else None
    drop = set(not_kinds)
    cats: set[str] | None = set(categories) if categories is not None else None
    if anomalies_only:
        keep = set(ANOMALY_RAW_KINDS) if keep is None else keep & ANOMALY_RAW_KINDS
    decoder = EventDecoder(machine)
    kept: deque[tuple[int, int | None, int, tuple[Any, ...]]] = deque(maxlen=max(0, cap))
    t_ms = machine.now_ms
    index: int | None = None
    matched = 0
    take = machine.take_raw_events
    for step in steps[start - base:]:
        machine.apply_parsed(step)
        for ev in take():
            kind = ev[0]
            if kind is CLOCK:
                t_ms = ev[5]
                continue
            if kind is STEP:
                index = ev[5][0]
            name = kind.name
            if (keep is not None and name not in keep) or name in drop:
                continue
            if cats is not None and kind.category not in cats:
                continue
            if anomalies_only:
                decoder.t_ms, decoder.step = t_ms, index
                if not decoder.one(ev).get("anomaly"):
                    continue
            matched += 1
            kept.append((t_ms, index, matched, ev))
    out = EventRange(start, stop, matched=matched, replayed=len(steps))
    for t_ms, index, rank, ev in kept:
        decoder.t_ms, decoder.step = t_ms, index
        d = decoder.one(ev)
        d["seq"] = rank
        out.events.append(d)
    return out


def all_events(scenario: Any) -> list[dict[str, Any]]:
    """Every event of a scenario, replayed from its first step with no checkpoint: what any range must agree with."""
    machine = scenario.machine_instance(record_events=True)
    decoder = EventDecoder(machine)
    out: list[dict[str, Any]] = []
    for step in scenario.steps:
        machine.apply_parsed(step)
        out.extend(decoder.decode(machine.take_raw_events()))
    return out
