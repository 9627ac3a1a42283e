"""The event kinds of the allocator and the machine, each declared once (trace.py).

A design's own kinds are declared in its own module (the seed's in
page_hinting_events.py).  Each describer turns one raw event's fields into
words: what the kernel function did, to which lists and blocks.
"""

from __future__ import annotations

from typing import Any

from .anomalies import ANOMALY_KINDS, anomaly_extra
from .mmzone import MIGRATETYPE_NAMES
from .steps import describe_step
from .trace import Category, Touch, Words, declare


def mt_name(mt: int | None) -> str:
    return MIGRATETYPE_NAMES[mt] if mt is not None else "?"


def list_ref(zone: str | None, order: int | None, mt: int | None) -> list[Any]:
    """A free list as decoded events name it: [zone, order, migratetype]."""
    return [zone, order, mt_name(mt)]


# --- the machine: steps, time, modes ------------------------------------------------


def _d_step(zone: str | None, pfn: Any, order: Any, mt: Any, arg: Any) -> Words:
    index, step = arg
    return Words(f"step {index}: {describe_step(step)}", extra={"step_do": step})


def _d_clock(zone: str | None, pfn: Any, order: Any, mt: Any, t_ms: Any) -> Words:
    return Words(f"virtual time is now {t_ms} ms")


def _d_stepping(zone: str | None, pfn: Any, order: Any, mt: Any, on: Any) -> Words:
    return Words("stepping mode " + ("on: the work stops where the lock is dropped" if on else "off"))


def _d_alloc(zone: str | None, pfn: Any, order: Any, mt: Any, refaults: Any) -> Words:
    text = f"alloc: {pfn} (order {order}, {mt_name(mt)}) allocated"
    if refaults:
        text += f"; {refaults} page{'s' if refaults != 1 else ''} faulted back in from the host"
    return Words(text, blocks=[pfn], extra={"refaults": refaults})


def _d_alloc_failed(zone: str | None, pfn: Any, order: Any, mt: Any, held: Any) -> Words:
    text = (f"alloc: no free {mt_name(mt)} block of order {order} or above in {zone}, "
            "and none on another type's lists to fall back on")
    if held:
        blocks = ", ".join(f"{p} (order {o}, {mt_name(m)})" for p, o, m in held)
        one = len(held) == 1
        text += (f"; {blocks}, which would have served, {'is' if one else 'are'} in the hinting batch: off the "
                 f"free lists until the drain puts {'it' if one else 'them'} back")
    return Words(text, blocks=[p for p, _, _ in held or ()], extra={"held_back": [p for p, _, _ in held or ()]})


def _d_free(zone: str | None, pfn: Any, order: Any, mt: Any, alloc_mt: Any) -> Words:
    return Words(
        f"free: {pfn} (order {order}) goes back to the {mt_name(mt)} lists (its pageblock's type)", blocks=[pfn]
    )


def _d_move_pageblock(zone: str | None, pfn: Any, order: Any, mt: Any, old: Any) -> Words:
    if old == mt:
        return Words(
            f"move_pageblock: the pageblock holding {pfn} is {mt_name(mt)} already: its type stays, but "
            "move_freepages_block still moves each of its free blocks to the head of its (same) list",
            blocks=[pfn],
        )
    return Words(
        f"move_pageblock: the pageblock holding {pfn} becomes {mt_name(mt)}; its free blocks follow", blocks=[pfn]
    )


def _d_anomaly(zone: str | None, pfn: Any, order: Any, mt: Any, arg: Any) -> Words:
    kind, detail = arg
    seed_fn, anchor, _claim = ANOMALY_KINDS[kind]
    extra = anomaly_extra(kind)
    where = f" at {pfn}" if pfn is not None else ""
    if isinstance(detail, dict):  # figures of the incident, e.g. {"pages": 4}
        extra.update(detail)
        if "pages" in detail:
            where += f" ({detail['pages']} pages)"
    lists = [list_ref(zone, order, mt)] if zone is not None and order is not None else []
    return Words(
        f"anomaly {kind}{where}: {extra['claim']}",
        lists,
        [pfn] if pfn is not None else [],
        extra,
        fn=seed_fn,
        anchor=anchor,
    )


STEP = declare("step", Category.STEP, "STEP", None, _d_step)
CLOCK = declare("clock", Category.WORK, "CLOCK", None, _d_clock)  # followed by the decoder, never shown
STEPPING = declare("stepping", Category.WORK, "MODE", None, _d_stepping)
ALLOC = declare("alloc", Category.ALLOC, "ALLOC", "rmqueue", _d_alloc, touches=Touch.BLOCK | Touch.REFAULT)
ALLOC_FAILED = declare("alloc_failed", Category.ALLOC, "NO BLOCK", "rmqueue", _d_alloc_failed)
FREE = declare("free", Category.FREE, "FREE", "free_one_page", _d_free, touches=Touch.BLOCK)
MOVE_PAGEBLOCK = declare("move_pageblock", Category.FREE, "PAGEBLOCK", "move_freepages_block", _d_move_pageblock)
ANOMALY = declare("anomaly", Category.ANOMALY, "ANOMALY", None, _d_anomaly)


# --- the allocator (page_alloc.py) ----------------------------------------------------


def _d_rmqueue(zone: str | None, pfn: Any, order: Any, mt: Any, current_order: Any) -> Words:
    lst = list_ref(zone, current_order, mt)
    return Words(
        f"__rmqueue_smallest: took {pfn} (order {current_order}) from the head of {mt_name(mt)} order {current_order}",
        [lst],
        [pfn],
        {"change": {"op": "del", "list": lst, "pfn": pfn}},
    )


def _d_expand(zone: str | None, pfn: Any, order: Any, mt: Any, arg: Any) -> Words:
    lst = list_ref(zone, order, mt)
    return Words(
        f"expand: split off {pfn} (order {order}) to the head of {mt_name(mt)} order {order}",
        [lst],
        [pfn],
        {"change": {"op": "add_head", "list": lst, "pfn": pfn}},
    )


def _d_fallback(zone: str | None, pfn: Any, order: Any, mt: Any, start_mt: Any) -> Words:
    return Words(
        f"__rmqueue_fallback: no {mt_name(start_mt)} block; stealing {pfn} (order {order}) from {mt_name(mt)}",
        [list_ref(zone, order, mt)],
        [pfn],
    )


def _d_steal(zone: str | None, pfn: Any, order: Any, mt: Any, arg: Any) -> Words:
    old, whole = arg
    how = "may claim its whole pageblock" if whole else "takes this block only"
    return Words(
        f"steal_suitable_fallback: {pfn} (order {order}) sits in a {mt_name(old)} pageblock; {mt_name(mt)} {how}",
        blocks=[pfn],
    )


def _d_move(zone: str | None, pfn: Any, order: Any, mt: Any, old: Any) -> Words:
    where = (f"to the head of its own list, {mt_name(mt)} order {order}" if old == mt
             else f"from {mt_name(old)} to the head of {mt_name(mt)} order {order}")
    return Words(
        f"move_to_free_list: {pfn} (order {order}) {where}",
        [list_ref(zone, order, old), list_ref(zone, order, mt)],
        [pfn],
        {"change": {"op": "move", "list": list_ref(zone, order, mt), "from": list_ref(zone, order, old), "pfn": pfn}},
    )


def _d_pageblock(zone: str | None, pfn: Any, order: Any, mt: Any, old: Any) -> Words:
    return Words(f"set_pageblock_migratetype: pageblock at {pfn} {mt_name(old)} -> {mt_name(mt)}", blocks=[pfn])


def _d_merge(zone: str | None, buddy: Any, order: Any, mt: Any, pfn: Any) -> Words:
    lst = list_ref(zone, order, mt)
    return Words(
        f"__free_one_page: {pfn} merges with its free buddy {buddy} (order {order}), taken off {mt_name(mt)} "
        f"order {order} by del_page_from_free_list",
        [lst],
        [buddy, pfn],
        {"change": {"op": "del", "list": lst, "pfn": buddy}},
    )


def _d_isolated(zone: str | None, pfn: Any, order: Any, mt: Any, arg: Any) -> Words:
    buddy, buddy_mt = arg
    return Words(
        f"__free_one_page: {pfn} (order {order}, freed as {mt_name(mt)}) stops merging here: {zone} has an "
        f"isolated pageblock, and of {mt_name(mt)} and the type of its buddy {buddy}'s pageblock "
        f"({mt_name(buddy_mt)}) exactly one is Isolate; v5.3 stops on that without looking at whether {buddy} "
        "is free",
        blocks=[pfn, buddy],
        extra={"buddy": buddy, "buddy_migratetype": mt_name(buddy_mt)},
    )


def _d_place_head(zone: str | None, pfn: Any, order: Any, mt: Any, arg: Any) -> Words:
    lst = list_ref(zone, order, mt)
    return Words(
        f"__free_one_page: {pfn} (order {order}) to the head of {mt_name(mt)} order {order}",
        [lst],
        [pfn],
        {"change": {"op": "add_head", "list": lst, "pfn": pfn}},
    )


def _d_place_tail(zone: str | None, pfn: Any, order: Any, mt: Any, arg: Any) -> Words:
    before, to_tail = arg
    if to_tail:
        why = "it comes back from the device"
    else:
        higher = (pfn & ~(1 << order)) ^ (1 << (order + 1))
        why = f"buddy_merge_likely: {higher}, the buddy of the order-{order + 1} block it would form, is free"
    where = f"in front of {before} (the boundary)" if before is not None else "at the tail"
    lst = list_ref(zone, order, mt)
    return Words(
        f"add_to_free_list_tail: {pfn} (order {order}) {where} of {mt_name(mt)} order {order} ({why})",
        [lst],
        [pfn] + ([before] if before is not None else []),
        {"change": {"op": "add_before", "list": lst, "pfn": pfn, "before": before}, "buddy_merge_likely": not to_tail},
    )


def _rmqueue_lists(order: Any, mt: Any, current_order: Any) -> tuple[tuple[int, int], ...]:
    return ((current_order, mt),)


def _move_lists(order: Any, mt: Any, old: Any) -> tuple[tuple[int, int], ...]:
    return ((order, mt), (order, old))


RMQUEUE = declare("rmqueue", Category.ALLOC, "RMQUEUE", "__rmqueue_smallest", _d_rmqueue, touches=Touch.LIST,
                  lists=_rmqueue_lists)
EXPAND = declare("expand", Category.ALLOC, "SPLIT", "expand", _d_expand, touches=Touch.LIST)
FALLBACK = declare("fallback", Category.ALLOC, "FALLBACK", "__rmqueue_fallback", _d_fallback)
STEAL = declare("steal", Category.ALLOC, "STEAL", "steal_suitable_fallback", _d_steal)
MOVE = declare("move", Category.FREE, "MOVE", "move_to_free_list", _d_move, touches=Touch.LIST, lists=_move_lists)
PAGEBLOCK = declare("pageblock", Category.FREE, "PAGEBLOCK", "set_pageblock_migratetype", _d_pageblock,
                    touches=Touch.PAGEBLOCK)
MERGE = declare("merge", Category.FREE, "MERGE", "__free_one_page", _d_merge, anchor="__free_one_page: merging",
                touches=Touch.LIST)
ISOLATED = declare("isolated", Category.FREE, "NO MERGE", "__free_one_page", _d_isolated,
                   anchor="__free_one_page: isolation")
PLACE_HEAD = declare("place_head", Category.FREE, "HEAD", "__free_one_page", _d_place_head,
                     anchor="__free_one_page: tail or head", touches=Touch.LIST)
PLACE_TAIL = declare("place_tail", Category.FREE, "TAIL", "add_to_free_list_tail", _d_place_tail, touches=Touch.LIST)
