"""Delayed work in virtual time: the part of kernel/workqueue.c the seed relies on.

A work item's function is a generator: it runs until it yields the name of a
stopping point (the places where the seed drops the zone lock), and the
machine decides whether to resume it at once (auto mode) or leave it stopped
there (stepping mode).  While it is stopped, the rest of the machine runs,
just as allocations and frees run on other CPUs while the seed sleeps in
`react`.

Semantics kept from the kernel:
* `schedule_delayed_work` does nothing if the work is already pending, and
  can queue a work item that is currently running (PENDING is cleared when
  an item starts executing).
* One work item never runs concurrently with itself: pending work that falls
  due while an instance is stopped waits for that instance to finish.
* `cancel_delayed_work_sync` waits for a running instance to complete, then
  drops the pending one.
"""

from __future__ import annotations

from collections.abc import Callable, Generator
from dataclasses import dataclass, field

WorkFn = Callable[[], Generator[str, None, None]]


@dataclass
class Clock:
    """Virtual time in milliseconds; it only moves when a step moves it."""

    now_ms: int = 0


@dataclass
class DelayedWork:
    func: WorkFn
    clock: Clock
    pending: bool = False
    due_ms: int | None = None
    running: Generator[str, None, None] | None = field(default=None, repr=False)
    phase: str = "idle"

    def init(self) -> None:
        """INIT_DELAYED_WORK: forget any queued instance."""
        self.pending = False
        self.due_ms = None


def schedule_delayed_work(work: DelayedWork, delay_ms: int) -> bool:
    if work.pending:
        return False
    work.pending = True
    work.due_ms = work.clock.now_ms + delay_ms
    return True


def start_work(work: DelayedWork) -> None:
    """The worker picks the item up: PENDING is cleared, the function starts."""
    work.pending = False
    work.due_ms = None
    work.running = work.func()
    work.phase = "running"


def run_work(work: DelayedWork, stop: bool) -> str | None:
    """Run the started item to its next stopping point (stop=True) or to its end.

    Returns the stopping point's name, or None when the item has completed.
    """
    gen = work.running
    assert gen is not None, "run_work on an item that is not running"
    for phase in gen:
        if stop:
            work.phase = phase
            return phase
    work.running = None
    work.phase = "idle"
    return None


def cancel_delayed_work_sync(work: DelayedWork) -> None:
    if work.running is not None:
        run_work(work, stop=False)
    work.pending = False
    work.due_ms = None
