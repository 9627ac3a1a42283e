"""What became of the scenario names that no longer hold a block.

A scenario's `alloc ... as NAME` binds a name; `free ref NAME` needs to tell
"never named" from "already freed" from "that allocation failed".  An
imported trace names every one of its hundreds of thousands of allocations
and frees each once, so a dict of every name ever bound grows for the whole
replay, and growing a big dict (resizes, cache misses on fresh memory) cost
about a third of an imported trace's replay time.  Live names stay in a small
dict on the machine; the rest are only appended here (a freed name as itself,
the commonest and cheapest entry; a failed one wrapped), and looked up, by an
index built lazily, on the error path, when a step names one that is not live.
"""

from __future__ import annotations

FREED = "freed"
FAILED = "failed"


class Failed(str):
    """A name whose allocation failed, as the log records it (a plain str in the log is a freed name)."""

    __slots__ = ()


class UnboundNames:
    """An append-only log of names that lost their block, with a lazy name -> FREED/FAILED index."""

    __slots__ = ("_index", "_indexed", "log")

    def __init__(self, log: list[str] | None = None) -> None:
        self.log: list[str] = log if log is not None else []
        self._index: dict[str, str] = {}
        self._indexed = 0

    def freed(self, name: str) -> None:
        self.log.append(name)

    def failed(self, name: str) -> None:
        self.log.append(Failed(name))

    def why(self, name: str) -> str | None:
        """FREED or FAILED, whichever happened to `name` last, or None if it never held a block (amortised O(1))."""
        log, index = self.log, self._index
        for i in range(self._indexed, len(log)):
            entry = log[i]
            index[entry] = FAILED if entry.__class__ is Failed else FREED
        self._indexed = len(log)
        return index.get(name)

    def copy(self) -> UnboundNames:
        """For Machine.clone: one list copy; the clone builds its own index if it ever needs one."""
        return UnboundNames(self.log.copy())
