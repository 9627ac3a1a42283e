"""What happened, in words: raw events turned into explained events.

The hot paths record cheap tuples (trace.py).  `EventDecoder` turns them into
dicts for the log, the dashboard and tests, reading each event's kind
declaration: the kernel or seed function and its seed lines, the words, the
lists, blocks and boundary touched, an anomaly name when a design broke one
of its claims, and the event's `category` and `tag` (the browser colours,
filters and labels its log by them and keeps no table of its own).  The
decoder keeps the virtual time and step number across calls, because events
are taken from the machine in batches.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from .kinds import CLOCK, STEP
from .mmzone import MIGRATETYPE_NAMES
from .seedref import kernel_file, seed_lines
from .trace import Category, RawEvent

if TYPE_CHECKING:  # pragma: no cover
    from .machine import Machine

Raw = RawEvent


class EventDecoder:
    """Stateful: remembers time and step between batches of one machine."""

    def __init__(self, machine: Machine) -> None:
        self.zone_names = [z.name for z in machine.zones]
        self.t_ms = machine.now_ms
        self.step: int | None = None
        self.seq = 0

    def _follow(self, ev: RawEvent) -> bool:
        """Follow a time or step marker; True for a clock event (which is not shown)."""
        kind = ev[0]
        if kind is CLOCK:
            self.t_ms = ev[5]
            return True
        if kind is STEP:
            self.step = ev[5][0]
        return False

    def decode(self, raw: Iterable[RawEvent]) -> list[dict[str, Any]]:
        out = []
        for ev in raw:
            if not self._follow(ev):
                out.append(self.one(ev))
        return out

    def decode_tail(self, raw: list[RawEvent], keep: int | None) -> tuple[list[dict[str, Any]], int]:
        """Like decode, but describe only the last `keep` events (None: all).

        Returns the events and how many were left out.  Kinds declared quiet
        ("did nothing, because") are left out of such a short tail, since a
        viewer hides them anyway and they would crowd out what it shows.
        Time and step markers are still followed, and every event left out
        still takes its sequence number, so later batches stay right.
        """
        if keep is None:
            return self.decode(raw), 0
        shown = [i for i, ev in enumerate(raw) if ev[0] is not CLOCK and not ev[0].quiet]
        start = shown[len(shown) - keep] if len(shown) > keep else 0
        out = []
        omitted = 0
        for i, ev in enumerate(raw):
            if self._follow(ev):
                continue
            if i < start or ev[0].quiet:
                self.seq += 1
                omitted += 1
                continue
            out.append(self.one(ev))
        return out, omitted

    def one(self, ev: RawEvent) -> dict[str, Any]:
        kind, zidx, pfn, order, mt, arg = ev
        zone = self.zone_names[zidx] if zidx is not None else None
        words = kind.describe(zone, pfn, order, mt, arg)
        fn = words.fn or kind.fn
        anchor = words.anchor or kind.anchor
        extra = words.extra or {}
        self.seq += 1
        d: dict[str, Any] = {
            "seq": self.seq,
            "t_ms": self.t_ms,
            "step": self.step,
            "kind": kind.name,
            "category": (Category.ANOMALY if "anomaly" in extra else kind.category).value,
            "tag": kind.tag,
            "fn": fn,
            "seed_lines": seed_lines(anchor or fn) if fn else None,
            "zone": zone,
            "pfn": pfn,
            "order": order,
            "migratetype": MIGRATETYPE_NAMES[mt] if isinstance(mt, int) else None,
            "text": words.text,
            "lists": words.lists or [],
            "blocks": words.blocks or [],
        }
        if fn and d["seed_lines"] is None:
            where = kernel_file(anchor, fn)
            if where is not None:
                d["kernel_file"] = where
        d.update(extra)
        return d


def decode_all(machine: Machine, raw: Iterable[RawEvent]) -> list[dict[str, Any]]:
    return EventDecoder(machine).decode(raw)
