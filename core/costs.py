"""What a hinting design's work costs: the figures the review argued about, counted as the work runs.

The seed's author defended boundary pointers by saying a walk from the head
would turn quadratic and hold the zone lock too long; the reviewers said the
boundaries constrain the allocator and waste hints.  These counters turn
both claims into numbers, for any design:

* list entries the design's code reads (the seed's tail, head and boundary
  probes; reporting's walk, skipped Reported entries included), and per
  reported block;
* zone-lock holds by the work: how many, and per hold the lists scanned,
  entries read, blocks pulled, blocks put back, blocks that merged on the
  way back and pages moved (pulled plus put back); the largest hold in each
  of those units; and a bounded record of the latest holds with their
  virtual time (a dashboard's lock lane);
* passes (runs of the work item), cycles (the design's per-zone or per-list
  cycle function), batches handed to the host, blocks and pages reported,
  and reports of pages the host had already dropped (the same range
  reported again);
* reports wasted: a marked block swallowed by a merge, a reported block
  that merged on its way back (so it was never marked), a mark lost to a
  pageblock move or to a fallback steal, and a marked block allocated (its
  pages fault back in);
* refaults (the host's count, read when the state is built);
* the virtual time from the last `hinting_start` until every free block the
  design would report was marked, checked where the work leaves the batch
  empty;
* the share of free memory that is marked, over time: a bounded series of
  `[t_ms, marked pages, free pages]`, one point per instant, thinned by half
  when full.

Each design increments these in its own code (page_hinting.py,
page_reporting.py), never on the allocator's hot path: only the design's
work and its hooks for marked pages touch them.  A hold's figures are the
differences of the running totals between the moment the design takes the
zone lock and the moment it drops it.
"""

from __future__ import annotations

from typing import Any

RECENT_HOLDS = 32  # holds kept for the lock lane
SHARE_POINTS = 64  # points of the share series before it is thinned
HOLD_UNITS = ("lists", "entries", "pulled", "put_back", "merges", "pages")
WASTE_CAUSES = ("merged", "merged_on_return", "moved", "stolen", "allocated")
MERGED, MERGED_ON_RETURN, MOVED, STOLEN, ALLOCATED = range(len(WASTE_CAUSES))


class Costs:
    """The running figures of one design on one machine (copied with its checkpoints)."""

    __slots__ = (
        "_open",
        "batches",
        "blocks_reported",
        "cycles",
        "entries",
        "full_ms",
        "hold_max",
        "holds",
        "lists",
        "merges",
        "on_ms",
        "pages_moved",
        "pages_reported",
        "passes",
        "pulled",
        "put_back",
        "recent",
        "rereported_blocks",
        "rereported_pages",
        "share",
        "wasted",
    )

    def __init__(self) -> None:
        self.entries = 0  # list entries the design's code read
        self.lists = 0  # lists the work scanned, counted once per hold
        self.pulled = 0  # blocks the work took off the lists
        self.put_back = 0  # blocks the work returned to them
        self.merges = 0  # returned blocks that merged on the way back
        self.pages_moved = 0  # pages of the blocks pulled and put back
        self.passes = 0
        self.cycles = 0
        self.batches = 0
        self.blocks_reported = 0
        self.pages_reported = 0
        self.rereported_blocks = 0  # blocks whose every page the host had dropped already
        self.rereported_pages = 0  # pages the host had dropped already
        self.wasted = [0] * len(WASTE_CAUSES)
        self.holds = 0
        self.hold_max = [0] * len(HOLD_UNITS)
        self.recent: list[dict[str, Any]] = []
        self._open: tuple[int, str, tuple[int, ...]] | None = None  # the hold in progress
        self.on_ms: int | None = None  # the last hinting_start
        self.full_ms: int | None = None  # when every reportable block was marked since then
        self.share: list[list[int]] = []

    # --- zone-lock holds ------------------------------------------------------------

    def _units(self) -> tuple[int, ...]:
        return (self.lists, self.entries, self.pulled, self.put_back, self.merges, self.pages_moved)

    def lock(self, t_ms: int, zone: str) -> None:
        """The work takes the zone lock (spin_lock)."""
        assert self._open is None, "the work takes a zone lock it holds already"
        self._open = (t_ms, zone, self._units())

    def unlock(self) -> None:
        """The work drops the zone lock: the hold is recorded."""
        assert self._open is not None, "the work drops a zone lock it does not hold"
        t_ms, zone, before = self._open
        self._open = None
        used = [now - then for now, then in zip(self._units(), before, strict=True)]
        self.holds += 1
        self.hold_max = [max(a, b) for a, b in zip(self.hold_max, used, strict=True)]
        record: dict[str, Any] = {"t_ms": t_ms, "zone": zone}
        record.update(zip(HOLD_UNITS, used, strict=True))
        self.recent.append(record)
        if len(self.recent) > RECENT_HOLDS:
            del self.recent[0]

    @property
    def locked(self) -> bool:
        return self._open is not None

    # --- reports ----------------------------------------------------------------------

    def reported(self, blocks: int, pages: int, again_blocks: int, again_pages: int) -> None:
        """One batch went to the host."""
        self.batches += 1
        self.blocks_reported += blocks
        self.pages_reported += pages
        self.rereported_blocks += again_blocks
        self.rereported_pages += again_pages

    # --- time to report everything, and the share over time --------------------------

    def started(self, t_ms: int) -> None:
        """hinting_start succeeded: the clock for "everything reported" starts again."""
        self.on_ms = t_ms
        self.full_ms = None

    def check_full(self, t_ms: int, all_marked: bool) -> None:
        if self.on_ms is not None and self.full_ms is None and all_marked:
            self.full_ms = t_ms

    def sample(self, t_ms: int, marked_pages: int, free_pages: int) -> None:
        """A point of the share series (one per instant: a later one at the same time replaces it)."""
        share = self.share
        if share:
            last = share[-1]
            if last[1] == marked_pages and last[2] == free_pages:
                return
            if last[0] == t_ms:
                share[-1] = [t_ms, marked_pages, free_pages]
                return
        if len(share) >= SHARE_POINTS:
            self.share = share = share[::2]
        share.append([t_ms, marked_pages, free_pages])

    # --- the read side ------------------------------------------------------------------

    def to_json(self, refaults: int) -> dict[str, Any]:
        """The state's `hinting.costs` (docs/formats-extensions.md)."""
        blocks = self.blocks_reported
        return {
            "entries_read": self.entries,
            "entries_per_block": round(self.entries / blocks, 2) if blocks else None,
            "passes": self.passes,
            "cycles": self.cycles,
            "batches": self.batches,
            "blocks_reported": blocks,
            "pages_reported": self.pages_reported,
            "rereported": {"blocks": self.rereported_blocks, "pages": self.rereported_pages},
            "wasted": dict(zip(WASTE_CAUSES, self.wasted, strict=True)),
            "refaults": refaults,
            "lock": {
                "holds": self.holds,
                "total": dict(zip(HOLD_UNITS, self._units(), strict=True)),
                "longest": dict(zip(HOLD_UNITS, self.hold_max, strict=True)),
                "recent": [dict(r) for r in self.recent],
            },
            "full": {
                "since_ms": self.on_ms,
                "at_ms": self.full_ms,
                "took_ms": self.full_ms - self.on_ms if self.full_ms is not None and self.on_ms is not None else None,
            },
            "share": [list(p) for p in self.share],
        }

    def copy(self) -> Costs:
        """An equal, independent copy (checkpoints are taken with no hold open)."""
        assert self._open is None, "a checkpoint in the middle of a zone-lock hold"
        other = Costs()
        for name in self.__slots__:
            value = getattr(self, name)
            if isinstance(value, list):
                value = [dict(v) if isinstance(v, dict) else list(v) if isinstance(v, list) else v for v in value]
            setattr(other, name, value)
        return other
