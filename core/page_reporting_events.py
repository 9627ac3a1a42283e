"""Free page reporting's event kinds (Linux 5.7), each declared once (trace.py).

The events are what page_reporting.py and its design record; each describer
says in words what the v5.7 function did, and every decoded event names the
kernel file the function is in (`kernel_file`), as core/seedref.py's
KERNEL_FILES does for the allocator.  None of them cites the seed's lines:
this is not the seed's code.  No anomaly kinds: MODEL-REPORTING.md asks for
none, and the design's own rules are checked as invariants.
"""

from __future__ import annotations

from typing import Any

from .kinds import list_ref, mt_name
from .trace import Category, Describer, EventKind, Touch, Words, declare
from .workqueue import WorkPhase

DESIGN = "reporting"
V57 = "v5.7"

# Where a reader finds each function in a v5.7 tree.
KERNEL_FILES: dict[str, str] = {
    "page_reporting_register": "mm/page_reporting.c (v5.7)",
    "page_reporting_unregister": "mm/page_reporting.c (v5.7)",
    "__page_reporting_request": "mm/page_reporting.c (v5.7)",
    "page_reporting_process": "mm/page_reporting.c (v5.7)",
    "page_reporting_process_zone": "mm/page_reporting.c (v5.7)",
    "page_reporting_cycle": "mm/page_reporting.c (v5.7)",
    "page_reporting_drain": "mm/page_reporting.c (v5.7)",
    "page_reporting_notify_free": "mm/page_reporting.h (v5.7)",
    "__isolate_free_page": "mm/page_alloc.c (v5.7)",
    "del_page_from_free_list": "mm/page_alloc.c (v5.7)",
    "list_rotate_to_front": "include/linux/list.h (v5.7)",
    "report": "drivers/virtio/virtio_balloon.c (v5.7, virtballoon_free_page_report)",
}


def _tuple(arg: Any, n: int) -> tuple[Any, ...]:
    """`arg` as an n-tuple (None-padded): describers must word any argument, even a malformed one."""
    if isinstance(arg, tuple) and len(arg) == n:
        return arg
    return (None,) * n


def _s(n: Any) -> str:
    return "" if n == 1 else "s"


def _d_register(zone: str | None, pfn: Any, order: Any, mt: Any, first: Any) -> Words:
    text = "page_reporting_register: the device is registered; state idle, then the initial request"
    if first:
        text += "; the static key page_reporting_enabled is switched on (it stays on)"
    return Words(text)


def _d_unregister(zone: str | None, pfn: Any, order: Any, mt: Any, arg: Any) -> Words:
    return Words(
        "page_reporting_unregister: notifications stop; cancel_delayed_work_sync finishes a pass under way "
        "(it cannot re-arm) and drops pending work; Reported flags stay on the pages"
    )


def _d_request(zone: str | None, pfn: Any, order: Any, mt: Any, arg: Any) -> Words:
    old, due = _tuple(arg, 2)
    if old == "idle" and due is not None:
        text = f"__page_reporting_request: idle -> requested; the work is scheduled for t = {due} ms"
    elif old == "idle":
        text = "__page_reporting_request: idle -> requested (the work was pending already)"
    else:
        text = f"__page_reporting_request: {old} -> requested; the pass under way will re-arm the work"
    return Words(text, extra={"old_state": old, "due_ms": due})


def _d_process_start(zone: str | None, pfn: Any, order: Any, mt: Any, arg: Any) -> Words:
    return Words("page_reporting_process: the pass starts, state active; a fresh scatterlist of empty slots")


def _d_process_end(zone: str | None, pfn: Any, order: Any, mt: Any, arg: Any) -> Words:
    state, due = _tuple(arg, 2)
    if due is not None:
        text = (f"page_reporting_process: the pass is done; something asked meanwhile, so the work runs again "
                f"at t = {due} ms")
    elif state == "requested":
        text = "page_reporting_process: the pass is done; something asked meanwhile, but the work cannot re-arm now"
    else:
        text = "page_reporting_process: the pass is done; nothing asked meanwhile: state idle"
    return Words(text, extra={"state": state, "due_ms": due})


def _d_cycle_start(zone: str | None, pfn: Any, order: Any, mt: Any, arg: Any) -> Words:
    budget, nr_free = _tuple(arg, 2)
    return Words(
        f"page_reporting_cycle: {mt_name(mt)} order {order} of {zone}, walked from the head; budget "
        f"ceil({nr_free} / (capacity x 16)) = {budget} reports",
        [list_ref(zone, order, mt)],
        extra={"budget": budget, "nr_free": nr_free},
    )


def _d_skip(zone: str | None, pfn: Any, order: Any, mt: Any, n: Any) -> Words:
    return Words(
        f"page_reporting_cycle: skipped {n} Reported block{_s(n)} from {pfn} on",
        [list_ref(zone, order, mt)],
        [pfn],
        {"skipped": n},
    )


def _d_budget(zone: str | None, pfn: Any, order: Any, mt: Any, arg: Any) -> Words:
    return Words(
        f"page_reporting_cycle: the budget is spent at {pfn}: state requested (another pass later); "
        f"the walk leaves {mt_name(mt)} order {order}",
        [list_ref(zone, order, mt)],
        [pfn],
    )


def _d_isolate(zone: str | None, pfn: Any, order: Any, mt: Any, slot: Any) -> Words:
    lst = list_ref(zone, order, mt)
    return Words(
        f"__isolate_free_page: {pfn} (order {order}) taken off {mt_name(mt)} order {order} into slot {slot}",
        [lst],
        [pfn],
        {"slot": slot, "change": {"op": "del", "list": lst, "pfn": pfn}},
    )


def _d_rotate(zone: str | None, pfn: Any, order: Any, mt: Any, arg: Any) -> Words:
    return Words(
        f"list_rotate_to_front: {mt_name(mt)} order {order} rotated so that {pfn}, the next block to report, "
        "is its head; the blocks that were before it move behind the last one",
        [list_ref(zone, order, mt)],
        [pfn],
    )


def _d_cycle_end(zone: str | None, pfn: Any, order: Any, mt: Any, arg: Any) -> Words:
    budget, out = _tuple(arg, 2)
    text = f"page_reporting_cycle: {mt_name(mt)} order {order} done, budget left {budget}"
    if out:
        text += f"; {out} block{_s(out)} stay in the scatterlist for the next list"
    return Words(text, [list_ref(zone, order, mt)], extra={"budget": budget, "batch": out})


def _d_leftover(zone: str | None, pfn: Any, order: Any, mt: Any, n: Any) -> Words:
    return Words(f"page_reporting_process_zone: {zone} walked; the {n} leftover block{_s(n)} go to the host")


def _d_report(zone: str | None, pfn: Any, order: Any, mt: Any, arg: Any) -> Words:
    num, pages, dropped, _blocks = _tuple(arg, 4)
    return Words(
        f"report: the host drops the {pages} pages of {num} block{_s(num)} ({dropped} were still resident)",
        extra={"pages": pages, "dropped": dropped},
    )


def _d_drain(zone: str | None, pfn: Any, order: Any, mt: Any, n: Any) -> Words:
    return Words(
        f"page_reporting_drain: the lock is taken again; {n} block{_s(n)} go back, in slot order, "
        "to the lists of their pageblocks' types now",
        extra={"count": n},
    )


def _d_put_reported(zone: str | None, pfn: Any, order: Any, mt: Any, slot: Any) -> Words:
    lst = list_ref(zone, order, mt)
    return Words(
        f"page_reporting_drain: {pfn} (order {order}, slot {slot}) is back on {mt_name(mt)} order {order} "
        "without merging: Reported",
        [lst],
        [pfn],
        {"slot": slot, "change": {"op": "hint", "list": lst, "pfn": pfn}},
    )


def _d_put_merged(zone: str | None, pfn: Any, order: Any, mt: Any, arg: Any) -> Words:
    head, head_order = _tuple(arg, 2)
    return Words(
        f"page_reporting_drain: {pfn} (order {order}) merged into {head} (order {head_order}) on its way back: "
        "not Reported; the larger block is reported when the pass reaches its order",
        blocks=[pfn] + ([head] if head is not None else []),
        extra={"merged_into": head, "wasted": True},
    )


def _d_clear_reported(zone: str | None, pfn: Any, order: Any, mt: Any, why: Any) -> Words:
    if why == "merge":
        return Words(
            f"del_page_from_free_list: Reported {pfn} (order {order}) was swallowed by a merge: the flag goes, "
            "a wasted report; the merged block must be reported again",
            [list_ref(zone, order, mt)],
            [pfn],
            {"wasted": True, "change": {"op": "unhint", "list": list_ref(zone, order, mt), "pfn": pfn}},
        )
    return Words(
        f"del_page_from_free_list: Reported {pfn} (order {order}) leaves {mt_name(mt)} order {order}: "
        "__ClearPageReported",
        [list_ref(zone, order, mt)],
        [pfn],
        {"change": {"op": "unhint", "list": list_ref(zone, order, mt), "pfn": pfn}},
    )


def _d_work_start(zone: str | None, pfn: Any, order: Any, mt: Any, due: Any) -> Words:
    return Words("the reporting work starts")


def _d_work_stop(zone: str | None, pfn: Any, order: Any, mt: Any, phase: Any) -> Words:
    if phase == WorkPhase.REPORT:
        text = "stopped: the zone lock is dropped with the batch out; next, the host gets the report"
    else:
        text = "stopped: the host has the batch; next, the drain takes the zone lock again"
    return Words(text, extra={"phase": str(phase)})


def _with_file(describe: Describer, fn: str) -> Describer:
    """The describer, with the decoded event naming the kernel file of its function."""

    def described(zone: str | None, pfn: Any, order: Any, mt: Any, arg: Any) -> Words:
        words = describe(zone, pfn, order, mt, arg)
        extra = dict(words.extra or {})
        extra["kernel_file"] = KERNEL_FILES.get(words.fn or fn, "mm/page_reporting.c (v5.7)")
        return words._replace(extra=extra)

    return described


def _rep(name: str, category: Category, tag: str, fn: str, describe: Describer, **kw: Any) -> EventKind:
    # The anchor names no seed range: these are v5.7 functions, not the seed's lines.
    return declare(name, category, tag, fn, _with_file(describe, fn), design=DESIGN, anchor=f"{V57} {fn}", **kw)


H, W = Category.HINTING, Category.WORK
REGISTER = _rep("register", H, "STARTUP", "page_reporting_register", _d_register)
UNREGISTER = _rep("unregister", H, "SHUTDOWN", "page_reporting_unregister", _d_unregister)
REQUEST = _rep("request", H, "REQUEST", "__page_reporting_request", _d_request)
PROCESS_START = _rep("process_start", W, "WORK", "page_reporting_process", _d_process_start)
PROCESS_END = _rep("process_end", W, "WORK", "page_reporting_process", _d_process_end)
CYCLE_START = _rep("cycle_start", H, "CYCLE", "page_reporting_cycle", _d_cycle_start)
SKIP = _rep("skip", H, "SKIP", "page_reporting_cycle", _d_skip)
BUDGET = _rep("budget", H, "BUDGET", "page_reporting_cycle", _d_budget)
ISOLATE = _rep("isolate", H, "FILL", "__isolate_free_page", _d_isolate, touches=Touch.LIST)
ROTATE = _rep("rotate", H, "ROTATE", "list_rotate_to_front", _d_rotate, touches=Touch.LIST)
CYCLE_END = _rep("cycle_end", H, "CYCLE", "page_reporting_cycle", _d_cycle_end)
LEFTOVER = _rep("leftover", H, "LEFTOVER", "page_reporting_process_zone", _d_leftover)
REPORT = _rep("report", H, "REPORT", "report", _d_report, touches=Touch.DROP)
DRAIN = _rep("drain", H, "DRAIN", "page_reporting_drain", _d_drain)
PUT_REPORTED = _rep("put_reported", H, "PUT", "page_reporting_drain", _d_put_reported, touches=Touch.MARK)
PUT_MERGED = _rep("put_merged", H, "PUT", "page_reporting_drain", _d_put_merged)
CLEAR_REPORTED = _rep("clear_reported", H, "UNREPORT", "del_page_from_free_list", _d_clear_reported,
                      touches=Touch.MARK)
WORK_START = _rep("work_start", W, "WORK", "page_reporting_process", _d_work_start)
WORK_STOP = _rep("work_stop", W, "STOP", "page_reporting_cycle", _d_work_stop)
