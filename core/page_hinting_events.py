"""The seed's event kinds and anomaly kinds, each declared once (trace.py, anomalies.py).

The events are what page_hinting.py and the seed's design record; the
describers say in words what the seed's function did, citing its lines.
"""

from __future__ import annotations

from typing import Any

from .anomalies import anomaly_extra, declare_anomaly
from .kinds import list_ref, mt_name
from .mmzone import MIGRATE_ISOLATE
from .trace import Category, Describer, EventKind, Touch, Words, declare
from .workqueue import WorkPhase

DESIGN = "seed"

# --- anomalies ---------------------------------------------------------------------

HINTED_NOT_AT_TAIL = declare_anomaly(
    "hinted_not_at_tail",
    "get_unhinted_tail",
    "get_unhinted_tail",
    "the commit message promises the Hinted blocks stay one contiguous run at the tail of each list; a tail "
    "insert goes behind them whenever the tail it is given is the real one: while the zone is not ACTIVE "
    "(get_unhinted_tail returns the list head), and while it is, for Hinted blocks an earlier cycle left in "
    "front of a boundary this cycle reset to the list head",
)
# Three kinds are guards: by the seed's own bookkeeping they cannot happen, and
# 160,000 random runs never produced them (tests/core/test_tours.py keeps the
# argument).  refcnt always equals the number of REQUESTED zones, so the
# process loop cannot spin; while ACTIVE, every block behind a boundary got
# there Hinted through put_hinted_page and any way out of the list goes
# through clear_page_hinted, which pushes the boundary on; and boundaries are
# reset before ACTIVE is set, so one left naming a block that is gone (which
# happens between cycles all the time, harmlessly: the state marks it
# `stale`) is never followed.
UNHINTED_BEHIND_BOUNDARY = declare_anomaly(
    "unhinted_behind_boundary",
    "get_unhinted_page",
    "get_unhinted_page: try the head",
    "a block is meant to cross the boundary only by being hinted; this unhinted block sits "
    "behind the boundary and this cycle will not pull it",
    guard=True,
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
    "__free_one_page: no notify when hinted",
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

QUIET = {"quiet": True}  # a "did nothing, because" event (docs/designs.md, Events)


# --- events -------------------------------------------------------------------------


def _plural(n: int, one: str, many: str) -> str:
    return one if n == 1 else many


def _boundary_name(order: Any, mt: Any) -> str:
    return f"boundary[{order}][{mt_name(mt)}]"


def _d_clear_hinted(zone: str | None, pfn: Any, order: Any, mt: Any, arg: Any) -> Words:
    lst = list_ref(zone, order, mt)
    return Words(
        f"clear_page_hinted: {pfn} (order {order}) is no longer Hinted; {zone}'s count of Hinted order-{order} "
        "blocks (hinted_pages) drops by one",
        [lst],
        [pfn],
        {"change": {"op": "unhint", "list": lst, "pfn": pfn}},
    )


BOUNDARY_LEFT_WHY = {
    "alloc": "as it is allocated, so the boundary is stale",
    "merge": "as it merges into a bigger block, so the boundary is stale",
    "isolate": "as it is taken off the list, so the boundary is stale",
    "move": "as it moves to another list, so the boundary is stale",
    "move_same": "as it moves, unhinted, to the head of this same list",
}


def _d_boundary_left(zone: str | None, pfn: Any, order: Any, mt: Any, why: Any) -> Words:
    how = BOUNDARY_LEFT_WHY.get(why, "as it leaves its place, so the boundary is stale")
    return Words(
        f"clear_page_hinted: {zone} is not ACTIVE, so page_hinting_del_from_boundary is not called: "
        f"{_boundary_name(order, mt)} keeps naming {pfn} {how}. Harmless: nothing reads a boundary between "
        "cycles, and the next cycle resets every one before it sets ACTIVE",
        [list_ref(zone, order, mt)],
        [pfn],
        {"stale_boundary": {"order": order, "migratetype": mt_name(mt), "zone": zone, "pfn": pfn}},
    )


def _d_wasted(zone: str | None, pfn: Any, order: Any, mt: Any, why: Any) -> Words:
    if why in ("move", "move_same"):
        where = ("to the head of its own list (its pageblock is that type already)" if why == "move_same"
                 else "to another list")
        return Words(
            f"move_to_free_list: {pfn} (order {order}) was Hinted; moving it {where} clears that first "
            "(clear_page_hinted): a wasted hint, the block will be reported again",
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
        f"del_page_from_free_list: Hinted {pfn} (order {order}), the free buddy of a block coming onto the lists, "
        "is taken off to merge and clear_page_hinted drops its mark: a wasted hint, the merged block must be "
        "reported again",
        blocks=[pfn],
        extra={"wasted": True, **anomaly_extra(HINTED_BUDDY_MERGED)},
        fn="del_page_from_free_list",
    )


def _d_boundary_del(zone: str | None, pfn: Any, order: Any, mt: Any, new: Any) -> Words:
    to = str(new) if new is not None else "the list head"
    return Words(
        f"page_hinting_del_from_boundary: {pfn} leaves, so {_boundary_name(order, mt)} moves on to {to}",
        [list_ref(zone, order, mt)],
        [pfn],
        {"boundary": {"order": order, "migratetype": mt_name(mt), "zone": zone, "pfn": new}},
    )


def _d_boundary_add(zone: str | None, pfn: Any, order: Any, mt: Any, arg: Any) -> Words:
    return Words(
        f"page_hinting_add_to_boundary: {_boundary_name(order, mt)} = {pfn}",
        [list_ref(zone, order, mt)],
        [pfn],
        {"boundary": {"order": order, "migratetype": mt_name(mt), "zone": zone, "pfn": pfn}},
    )


def _d_populate(zone: str | None, pfn: Any, order: Any, mt: Any, allocated: Any) -> Words:
    text = f"page_hinting_populate_metadata: every boundary reset to {zone}'s list heads"
    if allocated:  # the kcalloc of the zone's first cycle: cite the whole function
        text += f"; {zone}'s hinted_pages allocated"
    return Words(text, extra={"boundary_reset": zone}, anchor="page_hinting_populate_metadata" if allocated else None)


def _d_tail(zone: str | None, pfn: Any, order: Any, mt: Any, arg: Any) -> Words:
    active, hinted_last = arg
    lst = f"{mt_name(mt)} order {order}"
    if not active:
        return Words(f"get_unhinted_tail: {zone} is not ACTIVE: the tail of {lst} is the real one",
                     [list_ref(zone, order, mt)], extra=QUIET)
    if pfn is not None:
        return Words(f"get_unhinted_tail: {zone} is ACTIVE: the tail of {lst} is in front of "
                     f"{_boundary_name(order, mt)}, {pfn}", [list_ref(zone, order, mt)], [pfn], QUIET)
    if hinted_last is None:
        return Words(f"get_unhinted_tail: {zone} is ACTIVE and {_boundary_name(order, mt)} is the list head: the "
                     f"tail of {lst} is the real one", [list_ref(zone, order, mt)], extra=QUIET)
    return Words(
        f"get_unhinted_tail: {zone} is ACTIVE, but {_boundary_name(order, mt)} is still the list head: the tail of "
        f"{lst} is the real one, behind {hinted_last}, a Hinted block an earlier cycle left there",
        [list_ref(zone, order, mt)],
        [hinted_last],
    )


def _d_notify(zone: str | None, pfn: Any, order: Any, mt: Any, arg: Any) -> Words:
    nr_free, nr_hinted, hwm, requested = arg
    verdict = "reaches hinted + hwm: request hinting" if requested else "is below hinted + hwm: no request"
    return Words(
        f"page_hinting_notify_free: {zone} order {order} has {nr_free} free, {nr_hinted} Hinted, hwm {hwm}; "
        f"nr_free {verdict}",
        extra={"nr_free": nr_free, "nr_hinted": nr_hinted, "requested": requested},
        anchor=None if requested else "page_hinting_notify_free: hwm",
    )


def _d_notify_quiet(zone: str | None, pfn: Any, order: Any, mt: Any, arg: Any) -> Words:
    why, min_order = arg
    extra = {**QUIET, "why": why}
    if why == "hinted":
        return Words(
            f"__free_one_page: no page_hinting_notify_free for {pfn} (order {order}): it comes back from the device "
            "(hinted = true), and the seed holds that the count of unhinted blocks cannot have grown",
            blocks=[pfn], extra=extra, fn="__free_one_page", anchor="__free_one_page: no notify when hinted",
        )
    if why == "key":
        return Words("page_hinting_notify_free: did nothing: the static key page_hinting_notify_enabled is off "
                     "(no hinting device is registered)", extra=extra, anchor="page_hinting_notify_free: static key")
    if why == "order":
        return Words(f"page_hinting_notify_free: did nothing: order {order} is below PAGE_HINTING_MIN_ORDER "
                     f"({min_order})", extra=extra, anchor="page_hinting_notify_free: min_order")
    return Words(f"page_hinting_notify_free: did nothing: {zone} is already REQUESTED, so the counts are not "
                 "even read", extra=extra, anchor="page_hinting_notify_free: REQUESTED")


def _d_request(zone: str | None, pfn: Any, order: Any, mt: Any, arg: Any) -> Words:
    refcnt, due = arg
    text = f"__page_hinting_request: {zone} REQUESTED, refcnt {refcnt}"
    if due is not None:
        text += f"; refcnt was 0, so the work is scheduled for t = {due} ms"
    elif refcnt > 1:
        text += f"; refcnt was {refcnt - 1}: the work is already scheduled or running, nothing more is scheduled"
    else:
        text += "; the work was pending already"
    return Words(text, extra={"refcnt": refcnt, "due_ms": due})


def _in_front(order: Any, mt: Any, boundary: Any) -> str:
    at = "the list head, so the real tail" if boundary is None else str(boundary)
    return f"the entry in front of {_boundary_name(order, mt)} ({at})"


def _d_pull(zone: str | None, pfn: Any, order: Any, mt: Any, arg: Any) -> Words:
    via, boundary, tried = arg
    lst = list_ref(zone, order, mt)
    if via == "tail":
        what = f"pulled {pfn} (order {order}), {_in_front(order, mt, boundary)},"
    else:
        what = (f"{_in_front(order, mt, boundary)}, {tried}, is Hinted, so it tries the list's head and pulls "
                f"{pfn} (order {order})")
    return Words(
        f"get_unhinted_page: {what} into the batch; its {1 << order} pages leave NR_FREE_PAGES while it is out",
        [lst],
        [pfn],
        {"via": via, "change": {"op": "del", "list": lst, "pfn": pfn}},
        anchor=None if via == "tail" else "get_unhinted_page: try the head",
    )


def _d_list_done(zone: str | None, pfn: Any, order: Any, mt: Any, arg: Any) -> Words:
    return Words(
        f"get_unhinted_page: nothing in front of {_boundary_name(order, mt)}, which is the list's first entry, "
        f"{pfn}: {mt_name(mt)} order {order} reads as done",
        [list_ref(zone, order, mt)],
        [pfn],
        QUIET,
    )


def _d_both_hinted(zone: str | None, pfn: Any, order: Any, mt: Any, arg: Any) -> Words:
    boundary, tried = arg
    front = _in_front(order, mt, boundary)
    seen = (f"{front}, {tried}, is Hinted, and it is the list's head too" if tried == pfn
            else f"{front}, {tried}, is Hinted, and so is the list's head, {pfn}")
    return Words(
        f"get_unhinted_page: {seen}: the boundary moves onto the head, so {mt_name(mt)} order {order} reads as "
        "done, and nothing is pulled",
        [list_ref(zone, order, mt)],
        [pfn],
    )


def _d_fill_full(zone: str | None, pfn: Any, order: Any, mt: Any, n: Any) -> Words:
    return Words(
        f"page_hinting_fill: the batch is full ({n} {_plural(n, 'block', 'blocks')}); {zone} stays REQUESTED",
        extra={"count": n},
    )


def _d_fill_end(zone: str | None, pfn: Any, order: Any, mt: Any, arg: Any) -> Words:
    n, refcnt, capacity = arg
    got = "nothing to pull" if not n else f"only {n} {_plural(n, 'block', 'blocks')} pulled"
    return Words(
        f"page_hinting_fill: {got}, fewer than the capacity of {capacity}: {zone} is no longer REQUESTED and "
        f"refcnt drops to {refcnt}",
        extra={"count": n, "refcnt": refcnt},
    )


def _d_react(zone: str | None, pfn: Any, order: Any, mt: Any, arg: Any) -> Words:
    num, pages, dropped = arg[:3]
    return Words(
        f"react: the host drops the {pages} pages of {num} reported {_plural(num, 'block', 'blocks')} "
        f"({dropped} {_plural(dropped, 'was', 'were')} still resident)",
        extra={"pages": pages, "dropped": dropped},
    )


def _d_drain(zone: str | None, pfn: Any, order: Any, mt: Any, n: Any) -> Words:
    return Words(
        f"page_hinting_drain: {n} block{' goes' if n == 1 else 's go'} back to the lists", extra={"count": n}
    )


def _which_list(zone: str | None, mt: Any, where: Any) -> str:
    """Why put_hinted_page chose this list, when it is worth saying."""
    if not where:
        return ""
    pulled, checked, pageblock = where
    if checked:
        reason = "it came from an Isolate list" if pulled == MIGRATE_ISOLATE else f"{zone} has an isolated pageblock"
        if pulled != mt:
            return (f" (it was pulled from {mt_name(pulled)}; {reason}, so put_hinted_page read its pageblock's "
                    f"type, now {mt_name(mt)})")
        return f" ({reason}, so put_hinted_page read its pageblock's type: still {mt_name(mt)})"
    if pageblock != pulled:
        return (f" (its pageblock is {mt_name(pageblock)} now, but with no isolated pageblock in {zone} "
                f"put_hinted_page does not look: it goes back to the {mt_name(pulled)} list it came from)")
    return ""


def _d_put_hinted(zone: str | None, pfn: Any, order: Any, mt: Any, where: Any) -> Words:
    lst = list_ref(zone, order, mt)
    return Words(
        f"put_hinted_page: {pfn} (order {order}) is back on {mt_name(mt)} order {order} without merging, now "
        f"Hinted{_which_list(zone, mt, where)}",
        [lst],
        [pfn],
        {"change": {"op": "hint", "list": lst, "pfn": pfn}},
    )


def _d_put_merged(zone: str | None, pfn: Any, order: Any, mt: Any, arg: Any) -> Words:
    head, head_order = arg[:2]
    return Words(
        f"put_hinted_page: {pfn} (order {order}) merged into {head} (order {head_order}) on its way back, so it "
        f"is not marked Hinted{_which_list(zone, mt, arg[2:])}",
        blocks=[pfn, head],
        extra={"merged_into": head},
    )


def _d_cycle_start(zone: str | None, pfn: Any, order: Any, mt: Any, min_order: Any) -> Words:
    return Words(
        f"page_hinting_cycle: {zone} is ACTIVE: a tail insert of order {min_order} or more now goes in front of "
        "its boundary. page_hinting_populate_metadata has just reset every boundary to its list head, so until "
        "get_unhinted_page or put_hinted_page moves one, that is still the real tail, behind any Hinted blocks "
        "earlier cycles left there",
        anchor="page_hinting_cycle: ACTIVE",
    )


def _d_cycle_end(zone: str | None, pfn: Any, order: Any, mt: Any, why: Any) -> Words:
    reason = ("the last fill found nothing to pull" if why == "empty"
              else "REQUESTED is clear after the drain: the last fill came back short")
    return Words(
        f"page_hinting_cycle: {zone} is done ({reason}); ACTIVE cleared: get_unhinted_tail hands out the real "
        "tail again and clear_page_hinted stops moving boundaries. The boundaries stay where this cycle left "
        "them; nothing reads them until the next cycle resets them",
        anchor="page_hinting_cycle: end",
    )


def _d_process_start(zone: str | None, pfn: Any, order: Any, mt: Any, refcnt: Any) -> Words:
    return Words(f"page_hinting_process: the work runs (refcnt {refcnt})", extra={"refcnt": refcnt})


def _d_process_skip(zone: str | None, pfn: Any, order: Any, mt: Any, refcnt: Any) -> Words:
    return Words(f"page_hinting_process: {zone} is not REQUESTED: no cycle, on to the next zone (refcnt {refcnt})",
                 extra={**QUIET, "refcnt": refcnt}, anchor="page_hinting_process: REQUESTED")


def _d_process_end(zone: str | None, pfn: Any, order: Any, mt: Any, refcnt: Any) -> Words:
    return Words(f"page_hinting_process: the work is done (refcnt {refcnt})", extra={"refcnt": refcnt})


def _d_work_start(zone: str | None, pfn: Any, order: Any, mt: Any, due: Any) -> Words:
    return Words("the hinting work starts")


def _d_work_stop(zone: str | None, pfn: Any, order: Any, mt: Any, phase: Any) -> Words:
    if phase == WorkPhase.REACT:
        return Words("stopped: spin_unlock has dropped the zone lock and the batch is out; next, react",
                     extra={"phase": str(phase)})
    return Words("stopped: react is done; next, spin_lock retakes the zone lock and the drain runs",
                 extra={"phase": str(phase)}, anchor="page_hinting_cycle: drain")


def _d_startup(zone: str | None, pfn: Any, order: Any, mt: Any, arg: Any) -> Words:
    return Words("page_hinting_startup: refcnt set to 0 and the device registered; every populated zone is "
                 "requested, whatever its counts, then the static key goes on")


def _d_shutdown(zone: str | None, pfn: Any, order: Any, mt: Any, arg: Any) -> Words:
    running, pending, refcnt = arg
    text = ("page_hinting_shutdown: the static key is off (frees no longer notify) and the device pointer is NULL "
            "(no more requests)")
    if running:
        text += ("; cancel_delayed_work_sync waits for the work item that is running, and it goes on to its end: "
                 "page_hinting_process keeps cycling every REQUESTED zone, calling react for each batch, until "
                 "refcnt is 0")
        if pending:
            text += "; then the queued run is cancelled"
    elif pending:
        text += (f"; the pending work is cancelled: REQUESTED zones stay REQUESTED and refcnt stays {refcnt}, "
                 "but no cycle runs")
    else:
        text += "; no work was pending or running"
    return Words(text, extra={"refcnt": refcnt}, anchor="page_hinting_shutdown: cancel" if running else None)


def _d_shutdown_quiet(zone: str | None, pfn: Any, order: Any, mt: Any, arg: Any) -> Words:
    return Words("page_hinting_shutdown: did nothing: no hinting device is registered", extra=QUIET,
                 anchor="page_hinting_shutdown: not registered")


def _seed(name: str, category: Category, tag: str, fn: str | None, describe: Describer, **kw: Any) -> EventKind:
    return declare(name, category, tag, fn, describe, design=DESIGN, **kw)


H, B, W = Category.HINTING, Category.BOUNDARY, Category.WORK
CLEAR_HINTED = _seed("clear_hinted", H, "UNHINT", "clear_page_hinted", _d_clear_hinted, touches=Touch.MARK)
BOUNDARY_LEFT = _seed("boundary_left", B, "BOUNDARY", "clear_page_hinted", _d_boundary_left,
                      anchor="clear_page_hinted: boundary")
WASTED = _seed("wasted", H, "WASTED", "del_page_from_free_list", _d_wasted)
BOUNDARY_DEL = _seed("boundary_del", B, "BOUNDARY", "page_hinting_del_from_boundary", _d_boundary_del)
BOUNDARY_ADD = _seed("boundary_add", B, "BOUNDARY", "page_hinting_add_to_boundary", _d_boundary_add)
POPULATE = _seed("populate", B, "BOUNDARY", "page_hinting_populate_metadata", _d_populate,
                 anchor="page_hinting_populate_metadata: reset")
TAIL = _seed("tail", B, "BOUNDARY", "get_unhinted_tail", _d_tail, quiet=True)
NOTIFY = _seed("notify", H, "NOTIFY", "page_hinting_notify_free", _d_notify)
NOTIFY_QUIET = _seed("notify_quiet", H, "NOTIFY", "page_hinting_notify_free", _d_notify_quiet, quiet=True)
REQUEST = _seed("request", H, "REQUEST", "__page_hinting_request", _d_request)
PULL = _seed("pull", H, "FILL", "get_unhinted_page", _d_pull, touches=Touch.LIST)
LIST_DONE = _seed("list_done", H, "FILL", "get_unhinted_page", _d_list_done, quiet=True)
BOTH_HINTED = _seed("both_hinted", H, "FILL", "get_unhinted_page", _d_both_hinted,
                    anchor="get_unhinted_page: both Hinted")
FILL_FULL = _seed("fill_full", H, "FILL", "page_hinting_fill", _d_fill_full, anchor="page_hinting_fill: capacity")
FILL_END = _seed("fill_end", H, "FILL", "page_hinting_fill", _d_fill_end, anchor="page_hinting_fill: underflow")
REACT = _seed("react", H, "REACT", "react", _d_react, anchor="page_hinting_cycle: react", touches=Touch.DROP)
DRAIN = _seed("drain", H, "DRAIN", "page_hinting_drain", _d_drain)
PUT_HINTED = _seed("put_hinted", H, "PUT", "put_hinted_page", _d_put_hinted, touches=Touch.MARK)
PUT_MERGED = _seed("put_merged", H, "PUT", "put_hinted_page", _d_put_merged, anchor="put_hinted_page: merged")
CYCLE_START = _seed("cycle_start", H, "CYCLE", "page_hinting_cycle", _d_cycle_start)
CYCLE_END = _seed("cycle_end", H, "CYCLE", "page_hinting_cycle", _d_cycle_end)
PROCESS_START = _seed("process_start", W, "WORK", "page_hinting_process", _d_process_start)
PROCESS_SKIP = _seed("process_skip", W, "WORK", "page_hinting_process", _d_process_skip, quiet=True)
PROCESS_END = _seed("process_end", W, "WORK", "page_hinting_process", _d_process_end)
WORK_START = _seed("work_start", W, "WORK", "page_hinting_process", _d_work_start)
WORK_STOP = _seed("work_stop", W, "STOP", "page_hinting_cycle", _d_work_stop, anchor="page_hinting_cycle: react")
STARTUP = _seed("startup", H, "STARTUP", "page_hinting_startup", _d_startup)
SHUTDOWN = _seed("shutdown", H, "SHUTDOWN", "page_hinting_shutdown", _d_shutdown)
SHUTDOWN_QUIET = _seed("shutdown_quiet", H, "SHUTDOWN", "page_hinting_shutdown", _d_shutdown_quiet,
                        quiet=True)
