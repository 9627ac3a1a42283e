"""Delayed work in virtual time: the part of kernel/workqueue.c the hinting designs rely on.

A work item's function is a generator: it runs until it yields a stopping
point (a `WorkPhase`: the places where a design drops the zone lock), and
the machine decides whether to resume it at once (auto mode) or leave it
stopped there (stepping mode).  While it is stopped, the rest of the machine
runs, just as allocations and frees run on other CPUs while the design
sleeps in `react`.

Semantics kept from the kernel:
* `schedule_delayed_work` does nothing if the work is already pending, and
  can queue a work item that is currently running (PENDING is cleared when
  an item starts executing).
* One work item never runs concurrently with itself: pending work that falls
  due while an instance is stopped waits for that instance to finish.
* `cancel_delayed_work_sync` waits for a running instance to complete, then
  drops the pending one; while it waits, the item cannot be queued again
  (the kernel's WORK_OFFQ_CANCELING), so a running instance cannot re-arm
  itself.

The item's phase moves only along `TRANSITIONS`; anything else (starting an
item that is running, resuming one that is not, a design stopping at a phase
it did not declare) raises WorkStateError: a bug in the model, never input.
"""

from __future__ import annotations

from collections.abc import Callable, Generator
from dataclasses import dataclass, field
from enum import StrEnum


class WorkPhase(StrEnum):
    """Where a work item is.  Its value is the state's `work.phase` (FORMATS.md)."""

    IDLE = "idle"  # not executing (it may be pending)
    RUNNING = "running"  # executing, between two stopping points
    REACT = "react"  # the seed: lock dropped, batch out, before the device's react
    DRAIN = "drain"  # after the host had the batch, before the lock is retaken for the drain
    REPORT = "report"  # free page reporting: lock dropped, batch out, before the report


STOP_PHASES = frozenset({WorkPhase.REACT, WorkPhase.DRAIN, WorkPhase.REPORT})
TRANSITIONS: dict[WorkPhase, frozenset[WorkPhase]] = {
    WorkPhase.IDLE: frozenset({WorkPhase.RUNNING}),
    WorkPhase.RUNNING: STOP_PHASES | {WorkPhase.IDLE},
    **{stop: frozenset({WorkPhase.RUNNING}) for stop in STOP_PHASES},
}

WorkRun = Generator[WorkPhase, None, None]
WorkFn = Callable[[], WorkRun]


class WorkStateError(RuntimeError):
    """A work item was driven along a transition it does not have: a bug in the model."""


@dataclass
class Clock:
    """Virtual time in milliseconds; it only moves when a step moves it."""

    now_ms: int = 0


@dataclass
class DelayedWork:
    func: WorkFn
    clock: Clock
    stops: frozenset[WorkPhase]  # the stopping points this item's design declares
    pending: bool = False
    due_ms: int | None = None
    running: WorkRun | None = field(default=None, repr=False)
    phase: WorkPhase = WorkPhase.IDLE
    canceling: bool = False  # cancel_delayed_work_sync is waiting for it: queueing fails

    def init(self) -> None:
        """INIT_DELAYED_WORK: forget any queued instance."""
        self.pending = False
        self.due_ms = None

    def move_to(self, phase: WorkPhase) -> None:
        if phase not in TRANSITIONS[self.phase]:
            raise WorkStateError(f"work item cannot go from {self.phase} to {phase}")
        if phase in STOP_PHASES and phase not in self.stops:
            raise WorkStateError(f"this work item does not stop at {phase}")
        self.phase = phase

    @property
    def stopped(self) -> bool:
        """Started and left at a stopping point (a live generator: not copyable)."""
        return self.running is not None


def schedule_delayed_work(work: DelayedWork, delay_ms: int) -> bool:
    if work.pending or work.canceling:
        return False
    work.pending = True
    work.due_ms = work.clock.now_ms + delay_ms
    return True


def start_work(work: DelayedWork) -> None:
    """The worker picks the item up: PENDING is cleared, the function starts."""
    work.move_to(WorkPhase.RUNNING)
    work.pending = False
    work.due_ms = None
    work.running = work.func()


def run_work(work: DelayedWork, stop: bool) -> WorkPhase | None:
    """Run the started item to its next stopping point (stop=True) or to its end.

    Returns the stopping point, or None when the item has completed.
    """
    gen = work.running
    if gen is None:
        raise WorkStateError("run_work on an item that is not running")
    if work.phase is not WorkPhase.RUNNING:
        work.move_to(WorkPhase.RUNNING)  # resume from a stopping point
    for phase in gen:
        work.move_to(phase)
        if stop:
            return phase
        work.move_to(WorkPhase.RUNNING)
    work.running = None
    work.move_to(WorkPhase.IDLE)
    return None


def cancel_delayed_work_sync(work: DelayedWork) -> None:
    work.canceling = True
    try:
        if work.running is not None:
            run_work(work, stop=False)
    finally:
        work.canceling = False
    work.pending = False
    work.due_ms = None
