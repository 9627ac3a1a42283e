"""Work too big for the event loop: replaying a large scenario, computing frames.

The loop serves every session; a 13 MiB scenario replayed on it would stall
them all for seconds.  Such work runs in a worker thread instead, a few jobs
at a time (`heavy_jobs`), with a bounded line of waiting jobs
(`max_heavy_waiting`): past it the request is refused as `busy` at once
rather than queued for ever.  Each job is given a deadline it checks itself
(`Deadline`), so one request cannot hold a worker longer than its budget.
"""

from __future__ import annotations

import asyncio
import gc
import threading
import time
from collections.abc import Callable
from typing import TypeVar

from .errors import LimitError

T = TypeVar("T")


class Deadline:
    """A time budget that work checks every so often."""

    def __init__(self, seconds: float, what: str, field: str | None) -> None:
        self.end = time.monotonic() + seconds
        self.seconds = seconds
        self.what = what
        self.field = field

    def check(self) -> None:
        if time.monotonic() > self.end:
            raise LimitError("too_slow", f"{self.what} takes more than {self.seconds:g} s here (the server's "
                             "budget); ask for less", self.field)


class HeavyWork:
    def __init__(self, jobs: int, max_waiting: int) -> None:
        self.slots = asyncio.Semaphore(max(1, jobs))
        self.max_waiting = max_waiting
        self.waiting = 0

    async def run(self, fn: Callable[[], T]) -> T:
        if self.waiting >= self.max_waiting:
            raise LimitError("busy", "the server is busy with other large requests; try again in a few seconds")
        self.waiting += 1
        try:
            await self.slots.acquire()
        finally:
            self.waiting -= 1
        try:
            return await asyncio.to_thread(_without_cycle_collection, fn)
        finally:
            self.slots.release()


_collecting = threading.Lock()
_jobs_running = [0]


def _without_cycle_collection(fn: Callable[[], T]) -> T:
    """Run fn with the cyclic garbage collector paused.

    A big replay allocates millions of objects; each allocation burst lets
    the collector run a full pass over the whole heap, holding the
    interpreter lock (and so the event loop) for hundreds of milliseconds.
    Reference counting still frees what the job drops; the collector runs
    again once the last job ends.
    """
    with _collecting:
        _jobs_running[0] += 1
        gc.disable()
    try:
        return fn()
    finally:
        with _collecting:
            _jobs_running[0] -= 1
            if not _jobs_running[0]:
                gc.enable()
