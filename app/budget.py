"""What a session costs in memory, estimated cheaply, for the server-wide budget.

Measuring Python objects exactly is too slow to do often, so the estimate
is a formula with constants measured by bench/store_bench.py (tracemalloc
on this machine): a machine costs ~9 bytes a page plus ~150 bytes a free
block plus ~12 KB; a session holds its live machine and its checkpoints
(each a machine); the history and results cost what their packed lists say.
The bench checks the formula against measured memory.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .packed import ITEM_BYTES, PackedList

if TYPE_CHECKING:
    from core.machine import Machine

    from .sessions import Session

MACHINE_BASE = 12_000
PER_PAGE = 9.2
PER_FREE_BLOCK = 150
SESSION_BASE = 40_000  # the session object, its tracker, decoder, recent events, info


def machine_bytes(machine: Machine) -> int:
    free_blocks = sum(area.nr_free for zone in machine.zones for area in zone.free_area)
    return int(MACHINE_BASE + PER_PAGE * machine.pgdat.nr_pages + PER_FREE_BLOCK * free_blocks)


def _list_bytes(items: object) -> int:
    if isinstance(items, PackedList):
        return items.nbytes
    return len(items) * ITEM_BYTES  # type: ignore[arg-type]


def session_bytes(session: Session) -> int:
    tl = session.timeline
    one = machine_bytes(session.machine)
    total = SESSION_BASE + one * (1 + len(tl.checkpoints))
    total += _list_bytes(tl.history) + _list_bytes(tl.results)
    for b in tl.branches:
        total += _list_bytes(b.steps) + _list_bytes(b.results)
    return total


def mib(n: float) -> str:
    return f"{n / (1 << 20):.1f} MiB"
