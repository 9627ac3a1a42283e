"""What happened, in words: raw event tuples turned into explained events.

The hot paths record cheap tuples `(kind, zone_idx, pfn, order, mt, arg)`.
`EventDecoder` turns them into dicts for the log, the dashboard and tests:
the kernel or seed function, its seed lines, the lists, blocks and boundary
touched, an anomaly name when the seed broke one of its claims, and a
sentence.  The decoder keeps the virtual time and step number across calls,
because events are taken from the machine in batches.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

from .anomalies import ANOMALY_KINDS
from .mmzone import MIGRATETYPE_NAMES
from .seedref import KERNEL_FILES, seed_lines
from .steps import describe_step

if TYPE_CHECKING:  # pragma: no cover
    from .machine import Machine

Raw = tuple[Any, ...]


def _mt(mt: int | None) -> str:
    return MIGRATETYPE_NAMES[mt] if mt is not None else "?"


def _list(zone: str, order: int | None, mt: int | None) -> list[Any]:
    return [zone, order, _mt(mt)]


class EventDecoder:
    """Stateful: remembers time and step between batches of one machine."""

    def __init__(self, machine: Machine) -> None:
        self.zone_names = [z.name for z in machine.zones]
        self.t_ms = machine.now_ms
        self.step: int | None = None
        self.seq = 0

    def decode(self, raw: Iterable[Raw]) -> list[dict[str, Any]]:
        out = []
        for ev in raw:
            kind = ev[0]
            if kind == "clock":
                self.t_ms = ev[5]
                continue
            if kind == "step":
                self.step = ev[5][0]
            out.append(self.one(ev))
        return out

    def decode_tail(self, raw: list[Raw], keep: int | None) -> tuple[list[dict[str, Any]], int]:
        """Like decode, but describe only the last `keep` events (None: all).

        Returns the events and how many were left out.  Time and step
        markers are still followed, so later batches stay right.
        """
        if keep is None:
            return self.decode(raw), 0
        real = [i for i, ev in enumerate(raw) if ev[0] != "clock"]
        if len(real) <= keep:
            return self.decode(raw), 0
        cut = real[len(real) - keep]
        for ev in raw[:cut]:  # follow the markers of the left-out part
            if ev[0] == "clock":
                self.t_ms = ev[5]
            elif ev[0] == "step":
                self.step = ev[5][0]
        omitted = len(real) - keep
        self.seq += omitted
        return self.decode(raw[cut:]), omitted

    def one(self, ev: Raw) -> dict[str, Any]:
        kind, zidx, pfn, order, mt, arg = ev
        zone = self.zone_names[zidx] if zidx is not None else None
        fn, anchor, text, lists, blocks, extra = _describe(kind, zone, pfn, order, mt, arg)
        self.seq += 1
        d: dict[str, Any] = {
            "seq": self.seq,
            "t_ms": self.t_ms,
            "step": self.step,
            "kind": kind,
            "fn": fn,
            "seed_lines": seed_lines(anchor or fn) if fn else None,
            "zone": zone,
            "pfn": pfn,
            "order": order,
            "migratetype": MIGRATETYPE_NAMES[mt] if isinstance(mt, int) else None,
            "text": text,
            "lists": lists,
            "blocks": blocks,
        }
        if fn in KERNEL_FILES and d["seed_lines"] is None:
            d["kernel_file"] = KERNEL_FILES[fn]
        d.update(extra)
        return d


def decode_all(machine: Machine, raw: Iterable[Raw]) -> list[dict[str, Any]]:
    return EventDecoder(machine).decode(raw)


# --- one describer per raw kind ---------------------------------------------------

Desc = tuple[str | None, str | None, str, list[Any], list[int], dict[str, Any]]


def _describe(kind: str, zone: str | None, pfn: Any, order: Any, mt: Any, arg: Any) -> Desc:
    fn = _DESCRIBERS.get(kind)
    if fn is None:
        return None, None, f"{kind}", [], [], {}
    return fn(zone, pfn, order, mt, arg)


def _anomaly_extra(kind: str) -> dict[str, Any]:
    seed_fn, anchor, claim = ANOMALY_KINDS[kind]
    return {"anomaly": kind, "claim": claim, "anomaly_seed_fn": seed_fn, "anomaly_seed_lines": seed_lines(anchor)}


def _d_step(zone, pfn, order, mt, arg) -> Desc:  # type: ignore[no-untyped-def]
    index, step = arg
    return None, None, f"step {index}: {describe_step(step)}", [], [], {"step_do": step}


def _d_alloc(zone, pfn, order, mt, refaults) -> Desc:  # type: ignore[no-untyped-def]
    text = f"alloc: {pfn} (order {order}, {_mt(mt)}) allocated"
    if refaults:
        text += f"; {refaults} page{'s' if refaults != 1 else ''} faulted back in from the host"
    return "rmqueue", None, text, [], [pfn], {"refaults": refaults}


def _d_alloc_failed(zone, pfn, order, mt, arg) -> Desc:  # type: ignore[no-untyped-def]
    return "rmqueue", None, f"alloc: no free {_mt(mt)} block of order {order} or above in {zone}", [], [], {}


def _d_free(zone, pfn, order, mt, alloc_mt) -> Desc:  # type: ignore[no-untyped-def]
    return (
        "free_one_page",
        None,
        f"free: {pfn} (order {order}) goes back to the {_mt(mt)} lists (its pageblock's type)",
        [],
        [pfn],
        {},
    )


def _d_rmqueue(zone, pfn, order, mt, current_order) -> Desc:  # type: ignore[no-untyped-def]
    return (
        "__rmqueue_smallest",
        None,
        f"__rmqueue_smallest: took {pfn} (order {current_order}) from the head of {_mt(mt)} order {current_order}",
        [_list(zone, current_order, mt)],
        [pfn],
        {"change": {"op": "del", "list": _list(zone, current_order, mt), "pfn": pfn}},
    )


def _d_expand(zone, pfn, order, mt, arg) -> Desc:  # type: ignore[no-untyped-def]
    return (
        "expand",
        None,
        f"expand: split off {pfn} (order {order}) to the head of {_mt(mt)} order {order}",
        [_list(zone, order, mt)],
        [pfn],
        {"change": {"op": "add_head", "list": _list(zone, order, mt), "pfn": pfn}},
    )


def _d_take_off(zone, pfn, order, mt, arg) -> Desc:  # type: ignore[no-untyped-def]
    from .take_page import _take_off_text

    return (
        "take_page_off_buddy",
        None,
        _take_off_text(pfn, order, mt, arg),
        [_list(zone, order, mt)],
        [pfn],
        {"change": {"op": "del", "list": _list(zone, order, mt), "pfn": pfn}},
    )


def _d_fallback(zone, pfn, order, mt, start_mt) -> Desc:  # type: ignore[no-untyped-def]
    return (
        "__rmqueue_fallback",
        None,
        f"__rmqueue_fallback: no {_mt(start_mt)} block; stealing {pfn} (order {order}) from {_mt(mt)}",
        [_list(zone, order, mt)],
        [pfn],
        {},
    )


def _d_steal(zone, pfn, order, mt, arg) -> Desc:  # type: ignore[no-untyped-def]
    old, whole = arg
    how = "may claim its whole pageblock" if whole else "takes this block only"
    return (
        "steal_suitable_fallback",
        None,
        f"steal_suitable_fallback: {pfn} (order {order}) sits in a {_mt(old)} pageblock; {_mt(mt)} {how}",
        [],
        [pfn],
        {},
    )


def _d_move(zone, pfn, order, mt, old) -> Desc:  # type: ignore[no-untyped-def]
    return (
        "move_to_free_list",
        None,
        f"move_to_free_list: {pfn} (order {order}) from {_mt(old)} to the head of {_mt(mt)} order {order}",
        [_list(zone, order, old), _list(zone, order, mt)],
        [pfn],
        {"change": {"op": "move", "list": _list(zone, order, mt), "from": _list(zone, order, old), "pfn": pfn}},
    )


def _d_pageblock(zone, pfn, order, mt, old) -> Desc:  # type: ignore[no-untyped-def]
    return (
        "set_pageblock_migratetype",
        None,
        f"set_pageblock_migratetype: pageblock at {pfn} {_mt(old)} -> {_mt(mt)}",
        [],
        [pfn],
        {},
    )


def _d_move_pageblock(zone, pfn, order, mt, old) -> Desc:  # type: ignore[no-untyped-def]
    return (
        "move_freepages_block",
        None,
        f"move_pageblock: the pageblock holding {pfn} becomes {_mt(mt)}; its free blocks follow",
        [],
        [pfn],
        {},
    )


def _d_merge(zone, buddy, order, mt, pfn) -> Desc:  # type: ignore[no-untyped-def]
    return (
        "__free_one_page",
        None,
        f"__free_one_page: {pfn} merges with its free buddy {buddy} (order {order}), taken off {_mt(mt)} order {order}",
        [_list(zone, order, mt)],
        [buddy, pfn],
        {"change": {"op": "del", "list": _list(zone, order, mt), "pfn": buddy}},
    )


def _d_isolated(zone, pfn, order, mt, buddy) -> Desc:  # type: ignore[no-untyped-def]
    return (
        "__free_one_page",
        None,
        f"__free_one_page: {pfn} (order {order}) does not merge with {buddy}: an isolated pageblock is involved",
        [],
        [pfn, buddy],
        {},
    )


def _d_place_head(zone, pfn, order, mt, arg) -> Desc:  # type: ignore[no-untyped-def]
    return (
        "__free_one_page",
        "__free_one_page: tail or head",
        f"__free_one_page: {pfn} (order {order}) to the head of {_mt(mt)} order {order}",
        [_list(zone, order, mt)],
        [pfn],
        {"change": {"op": "add_head", "list": _list(zone, order, mt), "pfn": pfn}},
    )


def _d_place_tail(zone, pfn, order, mt, arg) -> Desc:  # type: ignore[no-untyped-def]
    before, hinted = arg
    why = "it comes back from the device" if hinted else "buddy_merge_likely: its buddy one order up is free"
    where = f"in front of {before} (the boundary)" if before is not None else "at the tail"
    return (
        "add_to_free_list_tail",
        None,
        f"add_to_free_list_tail: {pfn} (order {order}) {where} of {_mt(mt)} order {order} ({why})",
        [_list(zone, order, mt)],
        [pfn] + ([before] if before is not None else []),
        {"change": {"op": "add_before", "list": _list(zone, order, mt), "pfn": pfn, "before": before}},
    )


def _d_wasted(zone, pfn, order, mt, why) -> Desc:  # type: ignore[no-untyped-def]
    if why == "move":
        return (
            "move_to_free_list",
            None,
            f"move_to_free_list: Hinted {pfn} (order {order}) changed lists and lost Hinted: a wasted hint",
            [],
            [pfn],
            {"wasted": True},
        )
    if why == "put_merge":
        return (
            "put_hinted_page",
            "put_hinted_page: merged",
            f"put_hinted_page: reported {pfn} (order {order}) merged on its way back: a wasted hint, "
            "it must be reported again",
            [],
            [pfn],
            {"wasted": True, **_anomaly_extra("hint_lost_on_merge")},
        )
    return (
        "del_page_from_free_list",
        None,
        f"del_page_from_free_list: Hinted {pfn} (order {order}) was swallowed by a merge: a wasted hint, "
        "the merged block must be reported again",
        [],
        [pfn],
        {"wasted": True, **_anomaly_extra("hinted_buddy_merged")},
    )


def _d_clear_hinted(zone, pfn, order, mt, arg) -> Desc:  # type: ignore[no-untyped-def]
    return (
        "clear_page_hinted",
        None,
        f"clear_page_hinted: {pfn} (order {order}) is no longer Hinted; hinted_pages[{order}] goes down",
        [_list(zone, order, mt)],
        [pfn],
        {"change": {"op": "unhint", "list": _list(zone, order, mt), "pfn": pfn}},
    )


def _d_boundary_del(zone, pfn, order, mt, new) -> Desc:  # type: ignore[no-untyped-def]
    to = str(new) if new is not None else "the list head"
    return (
        "page_hinting_del_from_boundary",
        None,
        f"page_hinting_del_from_boundary: {pfn} leaves, so boundary[{order}][{_mt(mt)}] moves on to {to}",
        [_list(zone, order, mt)],
        [pfn],
        {"boundary": {"order": order, "migratetype": _mt(mt), "zone": zone, "pfn": new}},
    )


def _d_boundary_add(zone, pfn, order, mt, arg) -> Desc:  # type: ignore[no-untyped-def]
    return (
        "page_hinting_add_to_boundary",
        None,
        f"page_hinting_add_to_boundary: boundary[{order}][{_mt(mt)}] = {pfn}",
        [_list(zone, order, mt)],
        [pfn],
        {"boundary": {"order": order, "migratetype": _mt(mt), "zone": zone, "pfn": pfn}},
    )


def _d_populate(zone, pfn, order, mt, allocated) -> Desc:  # type: ignore[no-untyped-def]
    text = f"page_hinting_populate_metadata: every boundary reset to {zone}'s list heads"
    if allocated:
        text += f"; {zone}'s hinted_pages allocated"
    return "page_hinting_populate_metadata", None, text, [], [], {"boundary_reset": zone}


def _d_notify(zone, pfn, order, mt, arg) -> Desc:  # type: ignore[no-untyped-def]
    nr_free, nr_hinted, hwm, requested = arg
    verdict = "reaches hinted + hwm: request hinting" if requested else "is below hinted + hwm: no request"
    return (
        "page_hinting_notify_free",
        None,
        f"page_hinting_notify_free: {zone} order {order} has {nr_free} free, {nr_hinted} Hinted, hwm {hwm}; "
        f"nr_free {verdict}",
        [],
        [],
        {"nr_free": nr_free, "nr_hinted": nr_hinted, "requested": requested},
    )


def _d_request(zone, pfn, order, mt, arg) -> Desc:  # type: ignore[no-untyped-def]
    refcnt, due = arg
    text = f"__page_hinting_request: {zone} REQUESTED, refcnt {refcnt}"
    if due is not None:
        text += f"; the work is scheduled for t = {due} ms"
    return "__page_hinting_request", None, text, [], [], {"refcnt": refcnt, "due_ms": due}


def _d_pull(zone, pfn, order, mt, via) -> Desc:  # type: ignore[no-untyped-def]
    where = "the entry before the boundary" if via == "tail" else "the head (the entry before the boundary is Hinted)"
    anchor = "get_unhinted_page" if via == "tail" else "get_unhinted_page: try the head"
    return (
        "get_unhinted_page",
        anchor,
        f"get_unhinted_page: pulled {pfn} (order {order}), {where} of {_mt(mt)} order {order}, into the batch",
        [_list(zone, order, mt)],
        [pfn],
        {"via": via, "change": {"op": "del", "list": _list(zone, order, mt), "pfn": pfn}},
    )


def _d_both_hinted(zone, pfn, order, mt, arg) -> Desc:  # type: ignore[no-untyped-def]
    return (
        "get_unhinted_page",
        "get_unhinted_page: try the head",
        f"get_unhinted_page: the entry before the boundary and the head ({pfn}) are both Hinted; "
        f"the boundary moves to the head and {_mt(mt)} order {order} reads as done",
        [_list(zone, order, mt)],
        [pfn],
        {},
    )


def _d_fill_full(zone, pfn, order, mt, n) -> Desc:  # type: ignore[no-untyped-def]
    return (
        "page_hinting_fill",
        "page_hinting_fill: capacity",
        f"page_hinting_fill: the batch is full ({n} block{'s' if n != 1 else ''}); {zone} stays REQUESTED",
        [],
        [],
        {"count": n},
    )


def _d_fill_end(zone, pfn, order, mt, arg) -> Desc:  # type: ignore[no-untyped-def]
    n, refcnt = arg
    return (
        "page_hinting_fill",
        "page_hinting_fill: underflow",
        f"page_hinting_fill: only {n} block{'s' if n != 1 else ''} left to pull; {zone} is no longer REQUESTED, "
        f"refcnt {refcnt}",
        [],
        [],
        {"count": n, "refcnt": refcnt},
    )


def _d_react(zone, pfn, order, mt, arg) -> Desc:  # type: ignore[no-untyped-def]
    num, pages, dropped = arg[:3]
    return (
        "react",
        "page_hinting_cycle: react",
        f"react: the host drops the {pages} pages of {num} reported block{'s' if num != 1 else ''} "
        f"({dropped} were still resident)",
        [],
        [],
        {"pages": pages, "dropped": dropped},
    )


def _d_drain(zone, pfn, order, mt, n) -> Desc:  # type: ignore[no-untyped-def]
    return (
        "page_hinting_drain",
        None,
        f"page_hinting_drain: {n} block{' goes' if n == 1 else 's go'} back to the lists",
        [],
        [],
        {"count": n},
    )


def _d_put_hinted(zone, pfn, order, mt, arg) -> Desc:  # type: ignore[no-untyped-def]
    return (
        "put_hinted_page",
        None,
        f"put_hinted_page: {pfn} (order {order}) is back on {_mt(mt)} order {order}, now Hinted",
        [_list(zone, order, mt)],
        [pfn],
        {"change": {"op": "hint", "list": _list(zone, order, mt), "pfn": pfn}},
    )


def _d_put_merged(zone, pfn, order, mt, arg) -> Desc:  # type: ignore[no-untyped-def]
    head, head_order = arg
    return (
        "put_hinted_page",
        "put_hinted_page: merged",
        f"put_hinted_page: {pfn} (order {order}) merged into {head} (order {head_order}) and lost Hinted",
        [],
        [pfn, head],
        {"merged_into": head},
    )


def _d_cycle_start(zone, pfn, order, mt, arg) -> Desc:  # type: ignore[no-untyped-def]
    return (
        "page_hinting_cycle",
        None,
        f"page_hinting_cycle: {zone} is ACTIVE: tail frees now land in front of the boundary",
        [],
        [],
        {},
    )


def _d_cycle_end(zone, pfn, order, mt, arg) -> Desc:  # type: ignore[no-untyped-def]
    return (
        "page_hinting_cycle",
        None,
        f"page_hinting_cycle: {zone} done; ACTIVE cleared, the boundaries go stale",
        [],
        [],
        {},
    )


def _d_process_start(zone, pfn, order, mt, refcnt) -> Desc:  # type: ignore[no-untyped-def]
    return (
        "page_hinting_process",
        None,
        f"page_hinting_process: the work runs (refcnt {refcnt})",
        [],
        [],
        {"refcnt": refcnt},
    )


def _d_process_end(zone, pfn, order, mt, refcnt) -> Desc:  # type: ignore[no-untyped-def]
    return (
        "page_hinting_process",
        None,
        f"page_hinting_process: the work is done (refcnt {refcnt})",
        [],
        [],
        {"refcnt": refcnt},
    )


def _d_work_start(zone, pfn, order, mt, due) -> Desc:  # type: ignore[no-untyped-def]
    return "page_hinting_process", None, "the hinting work starts", [], [], {}


def _d_work_stop(zone, pfn, order, mt, phase) -> Desc:  # type: ignore[no-untyped-def]
    text = (
        "stopped: the zone lock is dropped and the batch is out; next, react"
        if phase == "react"
        else "stopped: the host has the batch; next, the drain retakes the lock"
    )
    return "page_hinting_cycle", "page_hinting_cycle: react", text, [], [], {"phase": phase}


def _d_startup(zone, pfn, order, mt, arg) -> Desc:  # type: ignore[no-untyped-def]
    return (
        "page_hinting_startup",
        None,
        "page_hinting_startup: the device is registered and every zone requested",
        [],
        [],
        {},
    )


def _d_shutdown(zone, pfn, order, mt, arg) -> Desc:  # type: ignore[no-untyped-def]
    return (
        "page_hinting_shutdown",
        None,
        "page_hinting_shutdown: notifications off; a running cycle finishes, pending work is dropped",
        [],
        [],
        {},
    )


def _d_stepping(zone, pfn, order, mt, on) -> Desc:  # type: ignore[no-untyped-def]
    return None, None, "stepping mode " + ("on: the work stops where the lock is dropped" if on else "off"), [], [], {}


def _d_anomaly(zone, pfn, order, mt, arg) -> Desc:  # type: ignore[no-untyped-def]
    kind, _detail = arg
    seed_fn, anchor, claim = ANOMALY_KINDS[kind]
    where = f" at {pfn}" if pfn is not None else ""
    lists = [_list(zone, order, mt)] if zone is not None and order is not None else []
    return (
        seed_fn,
        anchor,
        f"anomaly {kind}{where}: {claim}",
        lists,
        [pfn] if pfn is not None else [],
        _anomaly_extra(kind),
    )


_DESCRIBERS: dict[str, Callable[..., Desc]] = {
    "step": _d_step,
    "alloc": _d_alloc,
    "alloc_failed": _d_alloc_failed,
    "free": _d_free,
    "rmqueue": _d_rmqueue,
    "expand": _d_expand,
    "take_off": _d_take_off,
    "fallback": _d_fallback,
    "steal": _d_steal,
    "move": _d_move,
    "pageblock": _d_pageblock,
    "move_pageblock": _d_move_pageblock,
    "merge": _d_merge,
    "isolated": _d_isolated,
    "place_head": _d_place_head,
    "place_tail": _d_place_tail,
    "wasted": _d_wasted,
    "clear_hinted": _d_clear_hinted,
    "boundary_del": _d_boundary_del,
    "boundary_add": _d_boundary_add,
    "populate": _d_populate,
    "notify": _d_notify,
    "request": _d_request,
    "pull": _d_pull,
    "both_hinted": _d_both_hinted,
    "fill_full": _d_fill_full,
    "fill_end": _d_fill_end,
    "react": _d_react,
    "drain": _d_drain,
    "put_hinted": _d_put_hinted,
    "put_merged": _d_put_merged,
    "cycle_start": _d_cycle_start,
    "cycle_end": _d_cycle_end,
    "process_start": _d_process_start,
    "process_end": _d_process_end,
    "work_start": _d_work_start,
    "work_stop": _d_work_stop,
    "startup": _d_startup,
    "shutdown": _d_shutdown,
    "stepping": _d_stepping,
    "anomaly": _d_anomaly,
}
