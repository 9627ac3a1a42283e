"""What changed since the last look: compact deltas of hinting-state/1.

A `StateTracker` keeps a shadow of what a viewer already has.  After some
steps it reads the machine's raw events to learn which free lists, blocks and
pageblocks were touched, reads only those back, and reports the difference.
Everything small (flags, work, batch, boundaries, host figures, anomalies) is
compared whole.  `apply_delta` is the reference for applying a delta to a
state document; the dashboard's store does the same in JavaScript.

Delta format ("changes"):

    {"now_ms": 130, "stepping": true,
     "zones": {"Normal": {
         "lists": {"2/Movable": {"del": [20], "ins": [[24, null], [16, 24]]}},
         "nr_free": {"2": 3},
         "hinted": {"add": [0], "del": [8]},
         "allocated": {"add": [[16, 2, "Movable"]], "del": [28]},
         "pageblocks": {"3": "Isolate"},
         "residency": [["drop", 16, 4], ["back", 16, 4]],
         "nr_free_pages": 12040, "batch_pages": 0,
         "page_repr": {"own_encoding": "offline-alias", "encodings": {...}},
         "flags": {"requested": true, "active": false},
         "hinted_pages": [1, 0, 0]}},
     "hinting": {...the whole hinting object but its costs...},
     "costs": {"batches": 3, "lock": {...}},
     "host": {...}, "anomalies": [...]}

Only keys that changed are present.  A list entry is either {"full": [...]}
or {"del": [pfns], "ins": [[pfn, before], ...]}: first remove every pfn in
"del", then insert each pfn in "ins" order in front of `before` (a pfn
already in the list) or at the tail when `before` is null.  "residency" lists,
in order, the pages the host dropped ("drop", a reported block) and the pages
that came back ("back", a refaulting allocation); the zone's `nonresident`
runs ([first pfn, count]) follow from them.

`hinting` is sent whole when anything in it but `costs` changed (the design's
counters, costs.py, change at every step of its work and would make every
delta carry them); `costs` carries only the top-level keys of
`hinting.costs` that changed, each whole.

The design's part of a zone (design.py) travels the same way under the
design's own names: its list of marked blocks (the seed's "hinted", free
page reporting's "reported") as {"add", "del"}, its small fields (the
seed's "flags", "hinted_pages"; reporting has none) whole.
Any zone key other than "lists", "nr_free", "allocated", "residency" and
"pageblocks" is one of those two shapes.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .anomalies import detect_anomalies
from .mmzone import MIGRATETYPE_NAMES, MT_SHIFT, ORDER_MASK
from .state import small_zone_fields
from .trace import RawEvent, Touch

if TYPE_CHECKING:  # pragma: no cover
    from .machine import Machine


def _key(order: int, mt: int) -> str:
    return f"{order}/{MIGRATETYPE_NAMES[mt]}"


class StateTracker:
    """A viewer's shadow of one machine; `delta(raw)` moves it to the present."""

    def __init__(self, machine: Machine) -> None:
        self.m = machine
        self.resync()

    def resync(self) -> dict[str, Any]:
        """Forget the shadow; return the full state the viewer should now hold."""
        state = self.m.state()
        self._state = state
        marked = self.m.design.marked_field
        self._lists: list[dict[str, list[int]]] = []
        self._marked: list[set[int]] = []
        self._alloc: list[dict[int, tuple[int, str]]] = []
        for z in state["zones"]:
            lists = {}
            for area in z["free_area"]:
                for mt_name, pfns in area["free_list"].items():
                    lists[f"{area['order']}/{mt_name}"] = list(pfns)
            self._lists.append(lists)
            self._marked.append(set(z[marked]))
            self._alloc.append({a["pfn"]: (a["order"], a["migratetype"]) for a in z["allocated"]})
        return state

    # --- the delta ----------------------------------------------------------------

    def delta(self, raw: list[RawEvent]) -> dict[str, Any]:
        """Changes since the last call, given the raw events recorded meanwhile."""
        m = self.m
        design = m.design
        touched_lists: list[set[tuple[int, int]]] = [set() for _ in m.zones]
        touched_alloc: list[set[int]] = [set() for _ in m.zones]
        touched_pb: list[set[int]] = [set() for _ in m.zones]
        residency: list[list[list[Any]]] = [[] for _ in m.zones]
        marked_pfns: list[set[int]] = [set() for _ in m.zones]
        for kind, zi, pfn, order, mt, arg in raw:
            touches = kind.touches
            if not touches or zi is None:
                continue
            if touches & Touch.LIST:
                touched_lists[zi].update(kind.lists(order, mt, arg))
                marked_pfns[zi].add(pfn)  # a block that left or moved may have lost its mark
            if touches & Touch.MARK:
                marked_pfns[zi].add(pfn)
            if touches & Touch.BLOCK:
                touched_alloc[zi].add(pfn)
            if touches & Touch.REFAULT and arg:  # the whole block is resident again
                residency[zi].append(["back", pfn, 1 << order])
            if touches & Touch.DROP:
                residency[zi].extend(["drop", p, 1 << o] for p, o in arg[3])
            if touches & Touch.PAGEBLOCK:
                touched_pb[zi].add(pfn)

        old = self._state
        changes: dict[str, Any] = {}
        if m.now_ms != old["now_ms"]:
            changes["now_ms"] = m.now_ms
            old["now_ms"] = m.now_ms
        if m.stepping != old["config"]["hinting"]["stepping"]:
            changes["stepping"] = m.stepping
            old["config"]["hinting"]["stepping"] = m.stepping

        mem_map = m.pgdat.mem_map
        marked_field = design.marked_field
        zones_out: dict[str, Any] = {}
        for zi, zone in enumerate(m.zones):
            zstate = old["zones"][zi]
            zc: dict[str, Any] = {}
            lists_out = {}
            nr_free_out = {}
            for order, mt in sorted(touched_lists[zi]):
                key = _key(order, mt)
                new = m.free_list(zone, order, mt)
                before = self._lists[zi][key]
                if new != before:
                    lists_out[key] = _list_ops(before, new)
                    self._lists[zi][key] = new
                    zstate["free_area"][order]["free_list"][MIGRATETYPE_NAMES[mt]] = new
            for order, area in enumerate(zone.free_area):
                if area.nr_free != zstate["free_area"][order]["nr_free"]:
                    nr_free_out[str(order)] = area.nr_free
                    zstate["free_area"][order]["nr_free"] = area.nr_free
            if lists_out:
                zc["lists"] = lists_out
            if nr_free_out:
                zc["nr_free"] = nr_free_out

            # A mark is set in an event that says so (Touch.MARK) and cleared there
            # or as its block leaves or moves a list (Touch.LIST): those events
            # name every block to look at.
            marked_now = self._marked[zi]
            add, rem = [], []
            for pfn in marked_pfns[zi]:
                is_marked = design.is_marked(mem_map[pfn])
                if is_marked and pfn not in marked_now:
                    add.append(pfn)
                elif not is_marked and pfn in marked_now:
                    rem.append(pfn)
            if add or rem:
                marked_now.update(add)
                marked_now.difference_update(rem)
                zc[marked_field] = {"add": sorted(add), "del": sorted(rem)}
                zstate[marked_field] = sorted(marked_now)

            # Allocated blocks.
            if touched_alloc[zi]:
                alloc_now = self._alloc[zi]
                a_add, a_del = [], []
                for pfn in sorted(touched_alloc[zi]):
                    entry = mem_map[pfn]
                    if type(entry) is int:
                        cur = (entry & ORDER_MASK, MIGRATETYPE_NAMES[entry >> MT_SHIFT])
                        if alloc_now.get(pfn) != cur:
                            if pfn in alloc_now:
                                a_del.append(pfn)
                            a_add.append([pfn, cur[0], cur[1]])
                            alloc_now[pfn] = cur
                    elif pfn in alloc_now:
                        a_del.append(pfn)
                        del alloc_now[pfn]
                if a_add or a_del:
                    zc["allocated"] = {"add": a_add, "del": a_del}
                    zstate["allocated"] = [
                        {"pfn": p, "order": o, "migratetype": t} for p, (o, t) in sorted(alloc_now.items())
                    ]

            # Pageblocks.
            if touched_pb[zi]:
                pb_out = {}
                shift = m.pgdat.pageblock_order
                for pfn in touched_pb[zi]:
                    idx = (pfn - zone.zone_start_pfn) >> shift
                    name = MIGRATETYPE_NAMES[zone.pageblock_mt[idx]]
                    if zstate["pageblocks"][idx] != name:
                        pb_out[str(idx)] = name
                        zstate["pageblocks"][idx] = name
                if pb_out:
                    zc["pageblocks"] = pb_out

            if residency[zi]:
                zc["residency"] = residency[zi]
                zstate["nonresident"] = m.host.nonresident_runs(zone.zone_start_pfn, zone.zone_end_pfn)

            # Small fields, compared whole: the counters and the design's own.
            small = small_zone_fields(m, zone)
            small.update(design.zone_state(zone))
            for key, value in small.items():
                if value != zstate.get(key):
                    zc[key] = value
                    zstate[key] = value
            if zc:
                zones_out[zone.name] = zc
        if zones_out:
            changes["zones"] = zones_out

        hinting = design.state()
        costs = hinting.pop("costs", None)
        old_hinting = old["hinting"]
        old_costs = old_hinting.pop("costs", None)
        if hinting != old_hinting:
            changes["hinting"] = dict(hinting)
        if costs is not None:
            changed = {k: v for k, v in costs.items() if old_costs is None or old_costs.get(k) != v}
            if changed:
                changes["costs"] = changed
            hinting["costs"] = costs
        old["hinting"] = hinting
        host = m.host.figures()
        if host != old["host"]:
            changes["host"] = host
            old["host"] = host
        anomalies = detect_anomalies(m)  # the seed walks only the short lists at orders >= min_order
        if anomalies != old["anomalies"]:
            changes["anomalies"] = anomalies
            old["anomalies"] = anomalies
        return changes

    @property
    def state(self) -> dict[str, Any]:
        """The shadow: what a viewer who applied every delta holds."""
        return self._state


def _list_ops(before: list[int], after: list[int]) -> dict[str, Any]:
    """Edit operations from `before` to `after` (lists of distinct pfns)."""
    after_set = set(after)
    before_set = set(before)
    kept_before = [p for p in before if p in after_set]
    kept_after = [p for p in after if p in before_set]
    if kept_before != kept_after or not before:
        return {"full": after}
    dels = [p for p in before if p not in after_set]
    ins = []
    # From the tail backwards, so each insertion's successor is already there.
    for i in range(len(after) - 1, -1, -1):
        p = after[i]
        if p not in before_set:
            ins.append([p, after[i + 1] if i + 1 < len(after) else None])
    if len(dels) + len(ins) >= len(after):
        return {"full": after}
    return {"del": dels, "ins": ins}


def apply_delta(state: dict[str, Any], changes: dict[str, Any]) -> None:
    """Apply one delta to a hinting-state/1 document in place (the reference)."""
    if "now_ms" in changes:
        state["now_ms"] = changes["now_ms"]
    if "stepping" in changes:
        state["config"]["hinting"]["stepping"] = changes["stepping"]
    for zone in state["zones"]:
        zc = changes.get("zones", {}).get(zone["name"])
        if not zc:
            continue
        for key, ops in zc.get("lists", {}).items():
            order_s, mt_name = key.split("/")
            lst = zone["free_area"][int(order_s)]["free_list"][mt_name]
            if "full" in ops:
                lst[:] = ops["full"]
                continue
            gone = set(ops["del"])
            lst[:] = [p for p in lst if p not in gone]
            for pfn, before in ops["ins"]:
                if before is None:
                    lst.append(pfn)
                else:
                    lst.insert(lst.index(before), pfn)
        for order_s, n in zc.get("nr_free", {}).items():
            zone["free_area"][int(order_s)]["nr_free"] = n
        if "allocated" in zc:
            alloc = {a["pfn"]: a for a in zone["allocated"]}
            for pfn in zc["allocated"]["del"]:
                alloc.pop(pfn, None)
            for pfn, order, mt in zc["allocated"]["add"]:
                alloc[pfn] = {"pfn": pfn, "order": order, "migratetype": mt}
            zone["allocated"] = [alloc[p] for p in sorted(alloc)]
        if "residency" in zc:
            zone["nonresident"] = _apply_residency(zone["nonresident"], zc["residency"])
        for idx, name in zc.get("pageblocks", {}).items():
            zone["pageblocks"][int(idx)] = name
        for key, value in zc.items():
            if key in _ALLOCATOR_KEYS:
                continue
            if _is_set_change(value):  # a design's list of marked blocks ("hinted")
                zone[key] = sorted((set(zone[key]) | set(value["add"])) - set(value["del"]))
            else:  # a small field sent whole (nr_free_pages, batch_pages, flags, hinted_pages, ...)
                zone[key] = value
    if "hinting" in changes:
        costs = state["hinting"].get("costs")
        state["hinting"] = dict(changes["hinting"])
        if costs is not None:
            state["hinting"]["costs"] = costs
    if "costs" in changes:
        state["hinting"]["costs"] = {**state["hinting"].get("costs", {}), **changes["costs"]}
    for key in ("host", "anomalies"):
        if key in changes:
            state[key] = changes[key]


# Zone change keys apply_delta handles one by one; any other key is a field sent whole
# or, shaped {"add": [...], "del": [...]}, a change to a sorted list of pfns.
_ALLOCATOR_KEYS = frozenset({"lists", "nr_free", "allocated", "residency", "pageblocks"})


def _is_set_change(value: Any) -> bool:
    return isinstance(value, dict) and value.keys() == {"add", "del"}


def _apply_residency(runs: list[list[int]], ops: list[list[Any]]) -> list[list[int]]:
    """Apply ["drop"|"back", pfn, count] operations, in order, to nonresident runs."""
    dropped: set[int] = set()
    for start, count in runs:
        dropped.update(range(start, start + count))
    for op, pfn, count in ops:
        block = range(pfn, pfn + count)
        if op == "drop":
            dropped.update(block)
        else:
            dropped.difference_update(block)
    out: list[list[int]] = []
    for pfn in sorted(dropped):
        if out and out[-1][0] + out[-1][1] == pfn:
            out[-1][1] += 1
        else:
            out.append([pfn, 1])
    return out
