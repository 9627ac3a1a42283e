"""Trace events: each kind declared once, as an `EventKind`, and recorded as a cheap tuple.

The model's hot paths record what they do as raw events, 6-tuples

    (kind, zone index, pfn, order, migratetype, arg)

whose first element is the `EventKind` declared for it (the meaning of the
other five is the kind's: `arg` is whatever its describer reads).  A tuple
costs one allocation, which keeps a machine with events on above 200,000
operations a second; `if trace is not None` around each append keeps it free
when events are off.

Everything else about a kind lives in its declaration, read by every
consumer and repeated nowhere: its name (the decoded event's "kind"), its
category and short tag (the browser's log colours and filters by them), the
kernel or seed function and seed line anchor it cites, the words
(`describe`), and what it touches (`touches`: which parts of the state a
delta must re-read).  The allocator's and the machine's kinds are declared in
kinds.py; each hinting design declares its own in its own module.
"""

from __future__ import annotations

from collections.abc import Callable
from enum import IntFlag, StrEnum
from typing import Any, NamedTuple


class Category(StrEnum):
    """What an event is about, for the log's colours and filters."""

    STEP = "step"  # a scenario step begins
    ALLOC = "alloc"  # allocation: rmqueue, split, fallback, steal
    FREE = "free"  # freeing: merge, placement, pageblock moves
    HINTING = "hinting"  # the design's own work on pages and zones
    WORK = "work"  # the delayed work item and the stepping mode
    BOUNDARY = "boundary"  # the seed's boundary pointers
    ANOMALY = "anomaly"  # a claim of the design broken (decoded events that carry one)


class Touch(IntFlag):
    """The parts of the state an event may change: what a delta must look at again."""

    NONE = 0
    LIST = 1  # the members or order of free lists (`EventKind.lists` says which)
    MARK = 2  # the design's mark (Hinted, Reported) of the block at pfn
    BLOCK = 4  # the allocated block at pfn (allocated or freed)
    PAGEBLOCK = 8  # the migratetype of the pageblock at pfn
    REFAULT = 16  # pages of the block at pfn came back to the host (arg: how many)
    DROP = 32  # the host dropped blocks (arg[3]: their (pfn, order) pairs)


class Words(NamedTuple):
    """What a describer says about one event."""

    text: str
    lists: list[list[Any]] | None = None  # [zone, order, migratetype] of each list touched
    blocks: list[int] | None = None  # pfns of the blocks involved
    extra: dict[str, Any] | None = None  # further fields of the decoded event
    fn: str | None = None  # overrides the kind's function
    anchor: str | None = None  # overrides the kind's seed line anchor


# describe(zone name, pfn, order, migratetype, arg) -> Words
Describer = Callable[[str | None, Any, Any, Any, Any], Words]
# lists(order, migratetype, arg) -> the (order, migratetype) free lists the event changed
ListsOf = Callable[[Any, Any, Any], tuple[tuple[int, int], ...]]


def _same_list(order: Any, mt: Any, arg: Any) -> tuple[tuple[int, int], ...]:
    return ((order, mt),)


class EventKind:
    """The one declaration of an event kind (made by `declare`, compared by identity)."""

    __slots__ = ("anchor", "category", "describe", "design", "fn", "lists", "name", "quiet", "tag", "touches")

    def __init__(
        self,
        name: str,
        category: Category,
        tag: str,
        fn: str | None,
        describe: Describer,
        anchor: str | None,
        touches: Touch,
        lists: ListsOf,
        design: str | None,
        quiet: bool = False,
    ) -> None:
        self.name = name
        self.category = category
        self.tag = tag  # the log's short upper-case label
        self.fn = fn  # the kernel or seed function that does it (None: the model's own)
        self.describe = describe
        self.anchor = anchor  # seedref name of the seed lines to cite (default: fn)
        self.touches = touches
        self.lists = lists  # with Touch.LIST: which lists
        self.design = design  # the design that declares it (None: allocator or machine)
        # A "did nothing, because" kind: its events are (mostly) quiet, hidden until asked for; a running
        # session's short event tails leave them out (events.py, decode_tail).
        self.quiet = quiet

    def __repr__(self) -> str:
        return f"<event {self.design + ':' if self.design else ''}{self.name}>"

    def __reduce__(self) -> tuple[Callable[[str | None, str], EventKind], tuple[str | None, str]]:
        # Kinds are compared by identity: a copy (pickled, deep-copied) is the declared kind itself.
        return declared, (self.design, self.name)


RawEvent = tuple[EventKind, int | None, Any, Any, Any, Any]
Trace = list[RawEvent]

# (design, name) -> kind: every kind declared so far.
EVENT_KINDS: dict[tuple[str | None, str], EventKind] = {}


def declared(design: str | None, name: str) -> EventKind:
    """The kind a design (None: the allocator or the machine) declared under `name`."""
    return EVENT_KINDS[(design, name)]


def declare(
    name: str,
    category: Category,
    tag: str,
    fn: str | None,
    describe: Describer,
    *,
    anchor: str | None = None,
    touches: Touch = Touch.NONE,
    lists: ListsOf = _same_list,
    design: str | None = None,
    quiet: bool = False,
) -> EventKind:
    """Declare an event kind (once: a second declaration of the same name is a bug)."""
    key = (design, name)
    if key in EVENT_KINDS:
        raise ValueError(f"event kind {name!r} is declared twice{' by ' + design if design else ''}")
    kind = EventKind(name, category, tag, fn, describe, anchor, touches, lists, design, quiet)
    EVENT_KINDS[key] = kind
    return kind
