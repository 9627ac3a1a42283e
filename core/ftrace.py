"""Lines of a kernel page-allocation trace, parsed.

Two text formats of the same kmem events are read:

* the tracefs `trace` file (ftrace's default output)::

      python3-15172   [000] d..3.   620.250990: mm_page_alloc_zone_locked: page=... pfn=0x105c58 order=0 ...

  with or without the irq-info column and the `(tgid)` column;
* `perf script` output of the same events::

      perf-exec 15265 [001]   620.815128:   kmem:mm_page_alloc: page=0x1a98bd pfn=0x1a98bd order=0 ...

Events (include/trace/events/kmem.h): `mm_page_alloc` (pfn, order,
migratetype, gfp_flags), `mm_page_free` (pfn, order), `mm_page_free_batched`
(pfn; order 0), `mm_page_pcpu_drain` (pfn, order, migratetype) and
`mm_page_alloc_zone_locked` (pfn, order, migratetype, and since 5.x
percpu_refill).  pfns are hexadecimal since Linux 5.x's `0x%lx` and decimal
before; both parse.  A failed allocation has a NULL page.  `parse_line`
never raises: it returns an `Event`, or a string saying why the line is not
one (or None for comments and other events).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

EVENT_KINDS = ("mm_page_alloc", "mm_page_free", "mm_page_free_batched", "mm_page_pcpu_drain",
               "mm_page_alloc_zone_locked")
ALLOC, FREE, FREE_BATCHED, PCPU_DRAIN, ZONE_LOCKED = range(5)
_KIND = {name: i for i, name in enumerate(EVENT_KINDS)}

_TS = r"(\d+(?:\.\d+)?)"
_TRACEFS = re.compile(r"^\s*.*?-\d+\s+(?:\(\s*[-\d]*\)\s+)?\[\d+\]\s+(?:\S{4,5}\s+)?" + _TS
                      + r":\s+(mm_page_[a-z_]+):\s+(.*?)\s*$")
_PERF = re.compile(r"^\s*.*?\s+-?\d+(?:/\d+)?\s+(?:\[\d+\]\s+)?" + _TS
                   + r":\s+(?:\d+\s+)?kmem:(mm_page_[a-z_]+):\s+(.*?)\s*$")
_FIELDS = re.compile(r"^page=(\S+) pfn=(0x[0-9a-fA-F]+|\d+) order=(\d+)"
                     r"(?: migratetype=(-?\d+))?(?: gfp_flags=\S*)?(?: percpu_refill=(\d+))?(?: cold=\d+)?$")
_NULL_PAGES = frozenset(("(null)", "0000000000000000", "00000000", "0x0", "(____ptrval____)0"))


@dataclass(slots=True)
class Event:
    kind: int  # ALLOC, FREE, ...
    ts: float  # seconds, the trace clock
    pfn: int | None  # None: a failed allocation (NULL page)
    order: int
    migratetype: int | None
    refill: int | None  # mm_page_alloc_zone_locked's percpu_refill

    @property
    def name(self) -> str:
        return EVENT_KINDS[self.kind]


def detect_format(first_lines: list[str]) -> str:
    """"tracefs" or "perf", from the first lines that carry an event (tracefs when unsure)."""
    for line in first_lines:
        if "kmem:mm_page_" in line:
            return "perf"
        if ": mm_page_" in line:
            return "tracefs"
    return "tracefs"


def parse_line(line: str) -> Event | str | None:
    """An Event; None for blank lines, comments and other events; else why the line is not one."""
    if "mm_page_" not in line:
        s = line.strip()
        if not s or s[0] == "#":
            return None
        if "[LOST" in s or "LOST " in s:
            return "lost events: the trace buffer overflowed here"
        return None if ":" in s else "not a trace line"
    m = _PERF.match(line) if "kmem:mm_page_" in line else _TRACEFS.match(line)
    if m is None:
        return "the line does not have the layout of a trace event (cut off?)"
    ts, name, rest = m.groups()
    kind = _KIND.get(name)
    if kind is None:
        return None  # another mm_page_ event (mm_page_alloc_extfrag, ...): not used
    f = _FIELDS.match(rest)
    if f is None:
        return f"the fields of {name} are not 'page=... pfn=... order=...' (cut off?)"
    page, pfn_s, order_s, mt_s, refill_s = f.groups()
    pfn: int | None = int(pfn_s, 16) if pfn_s[:2] == "0x" else int(pfn_s)
    if page in _NULL_PAGES or page.strip("0") == "":
        pfn = None
    return Event(kind, float(ts), pfn, int(order_s), int(mt_s) if mt_s is not None else None,
                 int(refill_s) if refill_s is not None else None)
