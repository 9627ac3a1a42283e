"""`python -m core explain`: a scenario's replay in words, for a reviewer reading it beside the seed.

One line per event, with the seed lines (or the v5.3 kernel file) it cites.
Besides the events the log has, it prints what a reviewer would otherwise
have to work out:

* the machine's geometry first, and whether it is x86-64's (see `geometry`);
* anomaly *conditions* (states that break a claim, listed in the state's
  `anomalies`) where they appear and where they go, not only the incidents
  that are events;
* quiet events ("did nothing, because"), marked `..`, unless asked not to:
  a reviewer's question is as often why the code did nothing;
* with `lists`, the free lists after every step: each non-empty list head
  to tail, marked blocks (the seed's Hinted) starred, the boundary, the
  batch and the zone flags.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from .events import EventDecoder
from .mmzone import MIGRATETYPE_NAMES

if TYPE_CHECKING:  # pragma: no cover
    from .config import MachineConfig
    from .design import DesignConfig
    from .machine import Machine
    from .scenario import Scenario

# x86-64's geometry: MAX_ORDER 11, pageblock_order 9, and the seed's PAGE_HINTING_MIN_ORDER = pageblock_order.
X86_64 = (11, 9, 9)
PAD = " " * 7


def geometry(machine: MachineConfig, hinting: DesignConfig) -> str:
    """The machine's orders in one sentence, and what they mean for where frees land.

    buddy_merge_likely (patch 1/5) is false from order max_order - 2 up, so
    a plain free goes to the tail of its list at a hinting order only when
    min_order < max_order - 2: on x86-64 (11, 9, 9) never.
    """
    mo, pb, mn = machine.max_order, machine.pageblock_order, hinting.min_order
    text = f"max_order {mo}, pageblock_order {pb}, min_order {mn}"
    if (mo, pb, mn) == X86_64:
        text += ": x86-64's geometry"
    else:
        text += f": a shrunken machine (x86-64: max_order {X86_64[0]}, pageblock_order {X86_64[1]}, " \
                f"min_order {X86_64[2]})"
    never = mo - 2
    if mn < never:
        last = never - 1
        orders = f"order {mn}" if last == mn else f"orders {mn}-{last}"
        text += (f"; frees of {orders}, where hinting works, can go to the tail of their list "
                 f"(buddy_merge_likely), which x86-64 never allows at its hinting orders")
    else:
        text += (f"; buddy_merge_likely is false from order {never} up, so at the hinting orders a free always "
                 "goes to the head of its list")
    return text


def _ref(ev: dict[str, Any]) -> str:
    lines = ev.get("seed_lines")
    if lines:
        return f"  [seed {lines[0]}-{lines[1]}]" if lines[0] != lines[1] else f"  [seed {lines[0]}]"
    if ev.get("kernel_file"):
        return f"  [{ev['kernel_file']}]"
    return ""


def event_line(ev: dict[str, Any]) -> str:
    mark = "!! " if ev.get("anomaly") else ".. " if ev.get("quiet") else "   "
    indent = "" if ev["kind"] == "step" else "  "
    return f"{ev['t_ms']:>7} {mark}{indent}{ev['text']}{_ref(ev)}"


def _key(a: dict[str, Any]) -> tuple[Any, ...]:
    return a["kind"], a["zone"], a["order"], a["migratetype"], a["pfn"]


def condition_lines(before: list[dict[str, Any]], after: list[dict[str, Any]]) -> Iterator[str]:
    """Conditions that appeared (with their claim and lines) and those that went away."""
    old = {_key(a): a for a in before}
    new = {_key(a): a for a in after}
    for key, a in new.items():
        if key not in old:
            refs = [a["seed_lines"], *a.get("also_seed_lines", [])]
            cited = ", ".join(f"{r[0]}-{r[1]}" for r in refs if r)
            yield f"{PAD} !!   condition {a['kind']}: {a['message']}" + (f"  [seed {cited}]" if cited else "")
            yield f"{PAD}        (the claim: {a['claim']})"
    for key, a in old.items():
        if key not in new:
            where = f" at {a['pfn']}" if a["pfn"] is not None else ""
            on = f" ({a['migratetype']} order {a['order']})" if a["order"] is not None else ""
            yield f"{PAD}      condition {a['kind']}{where}{on} is gone"


def list_lines(m: Machine, state: dict[str, Any]) -> Iterator[str]:
    """Every non-empty free list, head to tail, marked blocks starred; boundaries, batch, flags."""
    design = m.design
    boundary = state["hinting"].get("boundary") or {}
    for z in state["zones"]:
        marked = set(z.get(design.marked_field) or ())
        flags = [name.upper() for name, on in (z.get("flags") or {}).items() if on]
        yield f"{PAD}      {z['name']}: {' '.join(flags) if flags else 'no flags'}"
        for area in z["free_area"]:
            order = area["order"]
            for mt in MIGRATETYPE_NAMES:
                pfns = area["free_list"][mt]
                b = boundary.get(str(order), {}).get(mt)
                mine = b is not None and b.get("zone") == z["name"]
                if not pfns and not (mine and b.get("pfn") is not None):
                    continue
                items = ", ".join(f"{p}*" if p in marked else str(p) for p in pfns)
                line = f"{PAD}        order {order} {mt}: [{items}]"
                if mine:
                    to = "the list head" if b.get("pfn") is None else str(b["pfn"])
                    line += f"  boundary -> {to}" + (" (stale)" if b.get("stale") else "")
                yield line
    batch = state["hinting"].get("batch") or []
    if batch:
        yield f"{PAD}      batch: " + ", ".join(f"{e['pfn']} (order {e['order']}, {e['migratetype']})" for e in batch)


def explain_lines(scenario: Scenario, *, quiet: bool = True, lists: bool = False) -> Iterator[str]:
    """The whole explanation of a scenario, line by line."""
    from .anomalies import detect_anomalies

    title = scenario.title or scenario.extra.get("title")
    if title:
        yield f"# {title}"
    yield f"# geometry: {geometry(scenario.machine, scenario.hinting)}"
    note = scenario.extra.get("x86_64")
    if isinstance(note, dict) and note.get("why"):
        yield f"# on x86-64: {note['why']}"
    if quiet:
        yield "# '..' marks a quiet event (the code looked and did nothing); '!!' an anomaly"
    else:
        yield "# '!!' marks an anomaly (quiet events left out)"
    machine = scenario.machine_instance(record_events=True)
    machine.take_raw_events()  # boot and initial state: not the scenario's steps
    decoder = EventDecoder(machine)
    conditions = detect_anomalies(machine)
    if lists:
        yield f"{PAD}    the lists before the first step (* = {machine.design.mark_name}):"
        yield from list_lines(machine, machine.state())
    for i, step in enumerate(scenario.steps):
        result = machine.apply_parsed(step)
        for ev in decoder.decode(machine.take_raw_events()):
            if quiet or not ev.get("quiet"):
                yield event_line(ev)
        if not result["ok"]:
            yield f"{PAD}    -> step {i} failed: {result['error']}"
        now = detect_anomalies(machine)
        yield from condition_lines(conditions, now)
        conditions = now
        if lists:
            yield from list_lines(machine, machine.state())
