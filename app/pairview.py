"""Compare mode's right side as the session's viewers see it: its shadow, its events, its samples.

A compare session (app/sessions.py with a core.pair.PairTimeline) runs two
machines on one history.  The left one is the session's `machine` and
travels as a single session's does (`state`, `changes`, `events`); this
keeps the right one's viewer-side copy: a StateTracker and an EventDecoder
of its own, renewed whenever the timeline replaces the machine, and the
`pair` part of every snapshot and delta (protocol.PairSnapshot, PairDelta).
"""

from __future__ import annotations

from collections import deque
from typing import Any

from core import EventDecoder
from core.delta import StateTracker
from core.pair import PAIR_DESIGNS, PairTimeline

from .protocol import PairDelta, PairSnapshot

# While running, a delta carries at most this many new chart points a side.
SAMPLES_PER_DELTA = 8


class PairView:
    def __init__(self, timeline: PairTimeline) -> None:
        self.timeline = timeline
        self.recent_events: deque[dict[str, Any]] = deque(maxlen=50)
        self.pending: list[dict[str, Any]] = []  # {index, result} of the right side since the last delta
        self.renew()

    @property
    def machine(self) -> Any:
        return self.timeline.right.machine

    def renew(self) -> None:
        """The right machine was replaced (reset, travel back, undo, branch): viewers start from a snapshot."""
        machine = self.machine
        machine.take_raw_events()
        self.recent_events.clear()
        self.decoder = EventDecoder(machine)
        self.tracker = StateTracker(machine)
        self.pending = []
        self.timeline.samples.take_fresh(1)  # the snapshot carries the series

    def note_step(self, index: int) -> None:
        self.pending.append({"index": index, "result": self.timeline.right.results[index]})

    def has_news(self) -> bool:
        return bool(self.pending) or bool(self.machine.trace)

    def delta(self, keep_events: int | None, most_results: int) -> PairDelta:
        raw = self.machine.take_raw_events()
        changes = self.tracker.delta(raw)
        events, omitted = self.decoder.decode_tail(raw, keep_events)
        self.recent_events.extend(events)
        results = self.pending[-most_results:]
        self.pending = []
        samples = self.timeline.samples.take_fresh(SAMPLES_PER_DELTA if keep_events is not None else 256)
        return PairDelta(changes=changes, events=events, events_omitted=omitted, results=results, samples=samples)

    def snapshot(self) -> PairSnapshot:
        return PairSnapshot(design=PAIR_DESIGNS["right"], state=self.tracker.state,
                            recent_events=list(self.recent_events), samples=self.timeline.samples.to_json())
