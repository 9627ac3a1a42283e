"""A history of steps you can move along: time travel with checkpoints, forks and undo.

`Timeline` owns the live machine and the steps that made it.  `cursor` is how
many of those steps the live machine has applied; normally all of them.
Moving back rebuilds the machine from the nearest checkpoint (a clone taken
every so often between hinting cycles) instead of replaying from the start,
so a 10,000-step history moves in milliseconds.  Acting while looking at the
past forks: the steps after the cursor are kept as a branch until discarded.

Checkpoints are thinned as a history grows (every other one dropped, the
spacing doubled) so their number, and the memory they hold, stays bounded.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from .machine import Machine
from .scenario import Scenario

NOTHING_TO_UNDO = "nothing to undo: no step since the session's start changed anything"
CHECKPOINT_EVERY = 200
MAX_CHECKPOINTS = 48


@dataclass
class Branch:
    """Steps that were the future once: `steps[i]` followed step `fork_at + i - 1`."""

    id: int
    fork_at: int
    steps: list[dict[str, Any]]
    results: list[dict[str, Any]]

    def summary(self) -> dict[str, Any]:
        return {"id": self.id, "fork_at": self.fork_at, "length": len(self.steps)}


@dataclass
class Timeline:
    scenario: Scenario
    record_events: bool = True
    checkpoint_every: int = CHECKPOINT_EVERY
    max_checkpoints: int = MAX_CHECKPOINTS
    history: list[dict[str, Any]] = field(default_factory=list)
    results: list[dict[str, Any]] = field(default_factory=list)
    branches: list[Branch] = field(default_factory=list)
    _ids: Iterator[int] = field(default_factory=lambda: itertools.count(1))

    def __post_init__(self) -> None:
        self.machine = self.scenario.machine_instance(record_events=self.record_events)
        self.cursor = 0
        self.checkpoints: dict[int, Machine] = {0: self.machine.clone(record_events=False)}
        self._spacing = self.checkpoint_every
        for step in self.scenario.steps:
            self.apply(step)
        self.floor = self.cursor  # the session's start: undo never takes back the scenario's own steps

    # --- going forward ------------------------------------------------------------

    @property
    def at_end(self) -> bool:
        return self.cursor == len(self.history)

    def apply(self, step: dict[str, Any]) -> dict[str, Any]:
        """Apply a parsed step at the cursor; in the past, this forks."""
        if not self.at_end:
            self._fork()
        result = self.machine.apply_parsed(step)
        self.history.append(step)
        self.results.append(result)
        self.cursor += 1
        self._maybe_checkpoint()
        return result

    def extend_last_advance(self, ms: int) -> dict[str, Any]:
        """Grow the last step, an advance, by `ms` (advance(a); advance(b) == advance(a + b))."""
        last = self.history[-1]
        assert self.at_end and last["do"] == "advance"
        self.machine.steps_applied = self.cursor - 1  # its events name the step it grows
        self.machine.apply_parsed({"do": "advance", "ms": ms})
        merged = {"do": "advance", "ms": last["ms"] + ms}
        self.history[-1] = merged
        self.checkpoints.pop(self.cursor, None)  # it held the shorter advance
        return merged

    def _maybe_checkpoint(self) -> None:
        last = max(self.checkpoints)
        if self.cursor - last >= self._spacing and self.machine.cloneable:
            self.checkpoints[self.cursor] = self.machine.clone(record_events=False)
            if len(self.checkpoints) > self.max_checkpoints:
                keep = sorted(self.checkpoints)
                for i, pos in enumerate(keep[1:-1], start=1):
                    if i % 2:
                        del self.checkpoints[pos]
                self._spacing *= 2

    def _fork(self) -> None:
        """Keep the steps after the cursor as a branch, then cut them from the history."""
        if self.cursor < len(self.history):
            self.branches.append(Branch(next(self._ids), self.cursor, self.history[self.cursor:],
                                        self.results[self.cursor:]))
        del self.history[self.cursor:]
        del self.results[self.cursor:]
        for pos in [p for p in self.checkpoints if p > self.cursor]:
            del self.checkpoints[pos]

    # --- moving ---------------------------------------------------------------------

    def travel(self, position: int) -> int:
        """Put the live machine at `position` (0 .. len(history)); returns steps replayed."""
        if not 0 <= position <= len(self.history):
            raise ValueError(f"position must be in 0..{len(self.history)}, got {position}")
        base = max(p for p in self.checkpoints if p <= position)
        if base <= self.cursor <= position:
            # Forward from here is the shortest way (and keeps the live machine).
            for step in self.history[self.cursor:position]:
                self.machine.apply_parsed(step)
            replayed = position - self.cursor
            self.cursor = position
            return replayed
        machine = self.checkpoints[base].clone(record_events=self.record_events)
        for step in self.history[base:position]:
            machine.apply_parsed(step)
        self.machine = machine
        self.cursor = position
        return position - base

    def undo_target(self) -> int | None:
        """The step undo would take back: the last one before the cursor, past the session's start, that was not
        refused; None if there is none."""
        target = self.cursor - 1
        while target >= self.floor and not self.results[target].get("ok", True):
            target -= 1
        return target if target >= self.floor else None

    def undo(self) -> dict[str, Any]:
        """Take back the last step before the cursor that changed something, and forget everything after it.

        Refused steps changed nothing, so they are not undone one by one: they
        go with the step before them.  The scenario's own steps (a preset's
        setup) are never taken back.
        """
        target = self.undo_target()
        if target is None:
            raise ValueError(NOTHING_TO_UNDO)
        undone = self.history[target]
        self.truncate(target)
        return undone

    def truncate(self, target: int) -> None:
        """Go to `target` and forget every step from there on (undo; a pair of timelines undoes both)."""
        self.travel(target)
        del self.history[target:]
        del self.results[target:]
        for pos in [p for p in self.checkpoints if p > target]:
            del self.checkpoints[pos]

    def switch(self, branch_id: int) -> None:
        """Make a kept branch the history again; the steps it replaces become a branch."""
        branch = self._branch(branch_id)
        self.branches.remove(branch)
        at = branch.fork_at
        if at < len(self.history):
            self.branches.append(Branch(next(self._ids), at, self.history[at:], self.results[at:]))
        self.travel(min(self.cursor, at))
        del self.history[at:]
        del self.results[at:]
        for pos in [p for p in self.checkpoints if p > at]:
            del self.checkpoints[pos]
        self.history.extend(branch.steps)
        self.results.extend(branch.results)
        self.travel(len(self.history))

    def discard(self, branch_id: int) -> None:
        self.branches.remove(self._branch(branch_id))

    def _branch(self, branch_id: int) -> Branch:
        for b in self.branches:
            if b.id == branch_id:
                return b
        raise ValueError(f"there is no branch {branch_id}")

    # --- looking --------------------------------------------------------------------

    def states(self, start: int, stop: int) -> Iterator[dict[str, Any]]:
        """The state at each position start..stop (inclusive), without moving the live machine."""
        if not 0 <= start <= stop <= len(self.history):
            raise ValueError(f"positions must satisfy 0 <= start <= stop <= {len(self.history)}")
        base = max(p for p in self.checkpoints if p <= start)
        machine = self.checkpoints[base].clone(record_events=False)
        for step in self.history[base:start]:
            machine.apply_parsed(step)
        yield machine.state()
        for step in self.history[start:stop]:
            machine.apply_parsed(step)
            yield machine.state()

    def summary(self) -> dict[str, Any]:
        return {
            "cursor": self.cursor,
            "length": len(self.history),
            "branches": [b.summary() for b in self.branches],
            "checkpoints": len(self.checkpoints),
        }
