"""The seed's event kinds and anomaly kinds, each declared once (trace.py, anomalies.py).

The events are what page_hinting.py and the seed's design record; the
describers say in words what the seed's function did, citing its lines.
"""

from __future__ import annotations

from typing import Any

from .anomalies import anomaly_extra, declare_anomaly
from .kinds import list_ref, mt_name
from .trace import Category, Describer, EventKind, Touch, Words, declare
from .workqueue import WorkPhase

DESIGN = "seed"

# --- anomalies ---------------------------------------------------------------------

HINTED_NOT_AT_TAIL = declare_anomaly(
    "hinted_not_at_tail",
    "add_to_free_list_tail",
    "add_to_free_list_tail",
    "the commit message promises the hinted blocks stay one contiguous run at the tail "
    "of each list; with ACTIVE off, get_unhinted_tail() hands out the real tail, so a "
    "tail free lands behind them",
)
# Three kinds are guards: by the seed's own bookkeeping they cannot happen, and
# 160,000 random runs never produced them (tests/core/test_tours.py keeps the
# argument).  refcnt always equals the number of REQUESTED zones, so the
# process loop cannot spin; while ACTIVE, every block behind a boundary got
# there Hinted through put_hinted_page and any way out of the list goes
# through clear_page_hinted, which pushes the boundary on; and boundaries are
# reset before ACTIVE is set, so a stale one is never followed.
UNHINTED_BEHIND_BOUNDARY = declare_anomaly(
    "unhinted_behind_boundary",
    "get_unhinted_page",
    "get_unhinted_page: try the head",
    "a block is meant to cross the boundary only by being hinted; this unhinted block sits "
    "behind the boundary and this cycle will not pull it",
    guard=True,
)
STALE_BOUNDARY = declare_anomaly(
    "stale_boundary",
    "clear_page_hinted",
    "clear_page_hinted",
    "the boundary points at a block that is no longer on that list (the boundary is only "
    "pushed back while ACTIVE is set); dangerous once ACTIVE is set again",
)
STALE_BOUNDARY_USED = declare_anomaly(
    "stale_boundary_used",
    "get_unhinted_tail",
    "get_unhinted_tail",
    "ACTIVE is set and the boundary points at a block no longer on that list: the kernel "
    "would follow a poisoned or foreign list pointer here; the model used the list head",
    guard=True,
)
HINT_LOST_ON_MERGE = declare_anomaly(
    "hint_lost_on_merge",
    "put_hinted_page",
    "put_hinted_page: merged",
    "a reported block merged with a free buddy and lost its Hinted state: it must be reported again",
)
HINTED_BUDDY_MERGED = declare_anomaly(
    "hinted_buddy_merged",
    "del_page_from_free_list",
    "del_page_from_free_list",
    "a Hinted block was swallowed by a merge: its report is wasted and the merged block must be reported again",
)
NOTIFY_SKIPPED_AFTER_MERGE = declare_anomaly(
    "notify_skipped_after_merge",
    "__free_one_page",
    "__free_one_page: tail or head",
    "the seed skips page_hinting_notify_free for blocks coming back from the device, "
    "saying the unhinted count cannot have grown; this merge grew it past the high-water mark",
)
PROCESS_SPINS = declare_anomaly(
    "process_spins",
    "page_hinting_process",
    "page_hinting_process",
    "refcnt is not zero but no zone is REQUESTED: the C loop would spin for ever",
    guard=True,
)
NR_FREE_PAGES_DRIFT = declare_anomaly(
    "nr_free_pages_drift",
    "get_unhinted_page",
    "get_unhinted_page: NR_FREE_PAGES",
    "get_unhinted_page takes every block it pulls off NR_FREE_PAGES, also one from an Isolate list whose "
    "pages were never counted, and put_hinted_page returns it to an Isolate list without adding them: "
    "the zone's free page counter, which the watermarks read, is short by those pages for good",
)


# --- events -------------------------------------------------------------------------


def _d_clear_hinted(zone: str | None, pfn: Any, order: Any, mt: Any, arg: Any) -> Words:
    lst = list_ref(zone, order, mt)
    return Words(
        f"clear_page_hinted: {pfn} (order {order}) is no longer Hinted; hinted_pages[{order}] goes down",
        [lst],
        [pfn],
        {"change": {"op": "unhint", "list": lst, "pfn": pfn}},
    )


def _d_wasted(zone: str | None, pfn: Any, order: Any, mt: Any, why: Any) -> Words:
    if why == "move":
        return Words(
            f"move_to_free_list: Hinted {pfn} (order {order}) changed lists and lost Hinted: a wasted hint",
            blocks=[pfn],
            extra={"wasted": True},
            fn="move_to_free_list",
        )
    if why == "put_merge":
        return Words(
            f"put_hinted_page: reported {pfn} (order {order}) merged on its way back: a wasted hint, "
            "it must be reported again",
            blocks=[pfn],
            extra={"wasted": True, **anomaly_extra(HINT_LOST_ON_MERGE)},
            fn="put_hinted_page",
            anchor="put_hinted_page: merged",
        )
    return Words(
        f"del_page_from_free_list: Hinted {pfn} (order {order}) was swallowed by a merge: a wasted hint, "
        "the merged block must be reported again",
        blocks=[pfn],
        extra={"wasted": True, **anomaly_extra(HINTED_BUDDY_MERGED)},
        fn="del_page_from_free_list",
    )


def _d_boundary_del(zone: str | None, pfn: Any, order: Any, mt: Any, new: Any) -> Words:
    to = str(new) if new is not None else "the list head"
    return Words(
        f"page_hinting_del_from_boundary: {pfn} leaves, so boundary[{order}][{mt_name(mt)}] moves on to {to}",
        [list_ref(zone, order, mt)],
        [pfn],
        {"boundary": {"order": order, "migratetype": mt_name(mt), "zone": zone, "pfn": new}},
    )


def _d_boundary_add(zone: str | None, pfn: Any, order: Any, mt: Any, arg: Any) -> Words:
    return Words(
        f"page_hinting_add_to_boundary: boundary[{order}][{mt_name(mt)}] = {pfn}",
        [list_ref(zone, order, mt)],
        [pfn],
        {"boundary": {"order": order, "migratetype": mt_name(mt), "zone": zone, "pfn": pfn}},
    )


def _d_populate(zone: str | None, pfn: Any, order: Any, mt: Any, allocated: Any) -> Words:
    text = f"page_hinting_populate_metadata: every boundary reset to {zone}'s list heads"
    if allocated:
        text += f"; {zone}'s hinted_pages allocated"
    return Words(text, extra={"boundary_reset": zone})


def _d_notify(zone: str | None, pfn: Any, order: Any, mt: Any, arg: Any) -> Words:
    nr_free, nr_hinted, hwm, requested = arg
    verdict = "reaches hinted + hwm: request hinting" if requested else "is below hinted + hwm: no request"
    return Words(
        f"page_hinting_notify_free: {zone} order {order} has {nr_free} free, {nr_hinted} Hinted, hwm {hwm}; "
        f"nr_free {verdict}",
        extra={"nr_free": nr_free, "nr_hinted": nr_hinted, "requested": requested},
    )


def _d_request(zone: str | None, pfn: Any, order: Any, mt: Any, arg: Any) -> Words:
    refcnt, due = arg
    text = f"__page_hinting_request: {zone} REQUESTED, refcnt {refcnt}"
    if due is not None:
        text += f"; the work is scheduled for t = {due} ms"
    return Words(text, extra={"refcnt": refcnt, "due_ms": due})


def _d_pull(zone: str | None, pfn: Any, order: Any, mt: Any, via: Any) -> Words:
    where = "the entry before the boundary" if via == "tail" else "the head (the entry before the boundary is Hinted)"
    lst = list_ref(zone, order, mt)
    return Words(
        f"get_unhinted_page: pulled {pfn} (order {order}), {where} of {mt_name(mt)} order {order}, into the batch",
        [lst],
        [pfn],
        {"via": via, "change": {"op": "del", "list": lst, "pfn": pfn}},
        anchor=None if via == "tail" else "get_unhinted_page: try the head",
    )


def _d_both_hinted(zone: str | None, pfn: Any, order: Any, mt: Any, arg: Any) -> Words:
    return Words(
        f"get_unhinted_page: the entry before the boundary and the head ({pfn}) are both Hinted; "
        f"the boundary moves to the head and {mt_name(mt)} order {order} reads as done",
        [list_ref(zone, order, mt)],
        [pfn],
    )


def _d_fill_full(zone: str | None, pfn: Any, order: Any, mt: Any, n: Any) -> Words:
    return Words(
        f"page_hinting_fill: the batch is full ({n} block{'s' if n != 1 else ''}); {zone} stays REQUESTED",
        extra={"count": n},
    )


def _d_fill_end(zone: str | None, pfn: Any, order: Any, mt: Any, arg: Any) -> Words:
    n, refcnt = arg
    return Words(
        f"page_hinting_fill: only {n} block{'s' if n != 1 else ''} left to pull; {zone} is no longer REQUESTED, "
        f"refcnt {refcnt}",
        extra={"count": n, "refcnt": refcnt},
    )


def _d_react(zone: str | None, pfn: Any, order: Any, mt: Any, arg: Any) -> Words:
    num, pages, dropped = arg[:3]
    return Words(
        f"react: the host drops the {pages} pages of {num} reported block{'s' if num != 1 else ''} "
        f"({dropped} were still resident)",
        extra={"pages": pages, "dropped": dropped},
    )


def _d_drain(zone: str | None, pfn: Any, order: Any, mt: Any, n: Any) -> Words:
    return Words(
        f"page_hinting_drain: {n} block{' goes' if n == 1 else 's go'} back to the lists", extra={"count": n}
    )


def _d_put_hinted(zone: str | None, pfn: Any, order: Any, mt: Any, arg: Any) -> Words:
    lst = list_ref(zone, order, mt)
    return Words(
        f"put_hinted_page: {pfn} (order {order}) is back on {mt_name(mt)} order {order}, now Hinted",
        [lst],
        [pfn],
        {"change": {"op": "hint", "list": lst, "pfn": pfn}},
    )


def _d_put_merged(zone: str | None, pfn: Any, order: Any, mt: Any, arg: Any) -> Words:
    head, head_order = arg
    return Words(
        f"put_hinted_page: {pfn} (order {order}) merged into {head} (order {head_order}) and lost Hinted",
        blocks=[pfn, head],
        extra={"merged_into": head},
    )


def _d_cycle_start(zone: str | None, pfn: Any, order: Any, mt: Any, arg: Any) -> Words:
    return Words(f"page_hinting_cycle: {zone} is ACTIVE: tail frees now land in front of the boundary")


def _d_cycle_end(zone: str | None, pfn: Any, order: Any, mt: Any, arg: Any) -> Words:
    return Words(f"page_hinting_cycle: {zone} done; ACTIVE cleared, the boundaries go stale")


def _d_process_start(zone: str | None, pfn: Any, order: Any, mt: Any, refcnt: Any) -> Words:
    return Words(f"page_hinting_process: the work runs (refcnt {refcnt})", extra={"refcnt": refcnt})


def _d_process_end(zone: str | None, pfn: Any, order: Any, mt: Any, refcnt: Any) -> Words:
    return Words(f"page_hinting_process: the work is done (refcnt {refcnt})", extra={"refcnt": refcnt})


def _d_work_start(zone: str | None, pfn: Any, order: Any, mt: Any, due: Any) -> Words:
    return Words("the hinting work starts")


def _d_work_stop(zone: str | None, pfn: Any, order: Any, mt: Any, phase: Any) -> Words:
    text = (
        "stopped: the zone lock is dropped and the batch is out; next, react"
        if phase == WorkPhase.REACT
        else "stopped: the host has the batch; next, the drain retakes the lock"
    )
    return Words(text, extra={"phase": str(phase)})


def _d_startup(zone: str | None, pfn: Any, order: Any, mt: Any, arg: Any) -> Words:
    return Words("page_hinting_startup: the device is registered and every zone requested")


def _d_shutdown(zone: str | None, pfn: Any, order: Any, mt: Any, arg: Any) -> Words:
    return Words("page_hinting_shutdown: notifications off; a running cycle finishes, pending work is dropped")


def _seed(name: str, category: Category, tag: str, fn: str | None, describe: Describer, **kw: Any) -> EventKind:
    return declare(name, category, tag, fn, describe, design=DESIGN, **kw)


H, B, W = Category.HINTING, Category.BOUNDARY, Category.WORK
CLEAR_HINTED = _seed("clear_hinted", H, "UNHINT", "clear_page_hinted", _d_clear_hinted, touches=Touch.MARK)
WASTED = _seed("wasted", H, "WASTED", "del_page_from_free_list", _d_wasted)
BOUNDARY_DEL = _seed("boundary_del", B, "BOUNDARY", "page_hinting_del_from_boundary", _d_boundary_del)
BOUNDARY_ADD = _seed("boundary_add", B, "BOUNDARY", "page_hinting_add_to_boundary", _d_boundary_add)
POPULATE = _seed("populate", B, "BOUNDARY", "page_hinting_populate_metadata", _d_populate)
NOTIFY = _seed("notify", H, "NOTIFY", "page_hinting_notify_free", _d_notify)
REQUEST = _seed("request", H, "REQUEST", "__page_hinting_request", _d_request)
PULL = _seed("pull", H, "FILL", "get_unhinted_page", _d_pull, touches=Touch.LIST)
BOTH_HINTED = _seed("both_hinted", H, "FILL", "get_unhinted_page", _d_both_hinted,
                    anchor="get_unhinted_page: try the head")
FILL_FULL = _seed("fill_full", H, "FILL", "page_hinting_fill", _d_fill_full, anchor="page_hinting_fill: capacity")
FILL_END = _seed("fill_end", H, "FILL", "page_hinting_fill", _d_fill_end, anchor="page_hinting_fill: underflow")
REACT = _seed("react", H, "REACT", "react", _d_react, anchor="page_hinting_cycle: react", touches=Touch.DROP)
DRAIN = _seed("drain", H, "DRAIN", "page_hinting_drain", _d_drain)
PUT_HINTED = _seed("put_hinted", H, "PUT", "put_hinted_page", _d_put_hinted, touches=Touch.MARK)
PUT_MERGED = _seed("put_merged", H, "PUT", "put_hinted_page", _d_put_merged, anchor="put_hinted_page: merged")
CYCLE_START = _seed("cycle_start", H, "CYCLE", "page_hinting_cycle", _d_cycle_start)
CYCLE_END = _seed("cycle_end", H, "CYCLE", "page_hinting_cycle", _d_cycle_end)
PROCESS_START = _seed("process_start", W, "WORK", "page_hinting_process", _d_process_start)
PROCESS_END = _seed("process_end", W, "WORK", "page_hinting_process", _d_process_end)
WORK_START = _seed("work_start", W, "WORK", "page_hinting_process", _d_work_start)
WORK_STOP = _seed("work_stop", W, "STOP", "page_hinting_cycle", _d_work_stop, anchor="page_hinting_cycle: react")
STARTUP = _seed("startup", H, "STARTUP", "page_hinting_startup", _d_startup)
SHUTDOWN = _seed("shutdown", H, "SHUTDOWN", "page_hinting_shutdown", _d_shutdown)
