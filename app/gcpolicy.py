"""The cycle collector's schedule: one full pass now and then, instead of many that stall the loop.

Most of the server's memory is long-lived and never changes: machines and
their checkpoints (a 1 GiB machine is a 262,144-entry list; a session keeps
up to ~25 checkpoint copies).  Python's collector walks all of it on every
full (generation 2) pass, which it starts on its own whenever enough new
objects have survived: ~100 ms each with a few such sessions, a dozen times
a minute under a 1,000 steps/s workload (measured by bench/soak_bench.py).
Every session on the server waits that long.

So every few seconds what has survived a young collection is frozen
(`gc.freeze`: moved where the collector does not look), and the collector's
own passes see only what is newer.  Every `gc_full_pass_s`, and as soon as
enough machines have been dropped (checkpoints thinned out, machines
replaced by time travel, sessions unloaded: cycles only the collector
frees; app/durable.py counts them, `note_garbage`), everything is thawed and
one full pass runs: the only long pause, about once a minute under a
1,000 steps/s workload on a 1 GiB machine.  Reference counting frees
everything else as usual.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
import time

log = logging.getLogger("hinting_lab.gc")
FREEZE_EVERY_S = 5.0


class CollectorPolicy:
    def __init__(self, every_s: float, garbage_limit: int = 64 << 20) -> None:
        self.every_s = every_s
        self.garbage_limit = garbage_limit
        self.garbage = 0  # bytes of dropped machines waiting for a full pass (estimated)
        self.passes = 0
        self.last_ms = 0.0
        self._wake: asyncio.Event | None = None
        self._task: asyncio.Task[None] | None = None

    @property
    def enabled(self) -> bool:
        return self.every_s > 0

    def full_pass(self) -> None:
        t0 = time.perf_counter()
        gc.unfreeze()
        gc.collect()
        gc.freeze()
        self.garbage = 0
        self.passes += 1
        self.last_ms = (time.perf_counter() - t0) * 1000
        log.debug("full collection in %.0f ms", self.last_ms)

    def note_garbage(self, nbytes: int) -> None:
        """Machines were dropped: a full pass once enough of them wait for one."""
        self.garbage += nbytes
        if self.garbage >= self.garbage_limit:
            self.soon()

    def soon(self) -> None:
        """Sessions were unloaded: free their memory within a second or two."""
        if self._wake is not None:
            self._wake.set()

    async def _run(self) -> None:
        assert self._wake is not None
        loop = asyncio.get_running_loop()
        due = loop.time() + self.every_s
        while True:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), min(FREEZE_EVERY_S, max(0.0, due - loop.time())))
                await asyncio.sleep(1.0)  # gather what else is unloaded meanwhile
                due = loop.time()
            if loop.time() >= due or self._wake.is_set():
                self._wake.clear()
                self.full_pass()
                due = loop.time() + self.every_s
            else:
                gc.collect(1)  # the young generations only: cheap
                gc.freeze()

    def start(self) -> None:
        if not self.enabled or self._task is not None:
            return
        self._wake = asyncio.Event()
        self.full_pass()
        self._task = asyncio.get_running_loop().create_task(self._run())

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        if self.enabled:
            gc.unfreeze()
