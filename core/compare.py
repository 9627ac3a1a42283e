"""`python -m core compare SCENARIO`: one scenario under every design, the costs side by side.

The review of the seed was an argument between designs; this runs the same
steps under each design the core offers (designs.py) and sets what each
one's work cost beside the other's (costs.py): list entries read, zone-lock
holds, batches, reports wasted, the time to report all free memory.

The scenario's own `hinting.design` is ignored.  Every other field of its
`hinting` object applies to each design that has that field (`hwm` only to
the seed); a field the scenario leaves out takes each design's own default
(the seed waits 100 ms, reporting 2 s), and the output says which.
"""

from __future__ import annotations

import json
from typing import Any

from .config import parse_hinting, parse_machine, want_object
from .designs import DESIGNS
from .errors import InvalidInput
from .scenario import SCENARIO_FORMAT, load_document, parse_scenario, run_steps

COMPARE_FORMAT = "hinting-compare/1"


def compare_document(doc: Any) -> dict[str, Any]:
    """The `hinting-compare/1` document of a scenario document; InvalidInput names the field at fault."""
    doc = want_object(doc, "scenario")
    hinting = doc.get("hinting")
    hinting = {} if hinting is None else want_object(hinting, "hinting")
    given = {k: v for k, v in hinting.items() if k != "design"}
    machine = parse_machine(doc.get("machine"))
    out: dict[str, Any] = {
        "format": COMPARE_FORMAT,
        "title": doc.get("title") if isinstance(doc.get("title"), str) else None,
        "ignored_design": hinting.get("design"),
        "designs": {},
    }
    for name in DESIGNS:
        try:
            config = parse_hinting({**given, "design": name}, machine)
        except InvalidInput as err:
            err.message = f"{err.message} (under the {name} design)"
            raise
        scenario = parse_scenario({**doc, "hinting": config.to_json()})
        m = scenario.machine_instance()
        results = run_steps(m, scenario.steps)
        state = m.state()
        settings = {k: v for k, v in config.to_json().items() if k != "design"}
        out["steps"] = len(results)
        out["designs"][name] = {
            "config": settings,
            "defaults": sorted(k for k in settings if k not in given),
            "failed_steps": sum(1 for r in results if not r["ok"]),
            "now_ms": state["now_ms"],
            "costs": state["hinting"].get("costs"),
            "host": state["host"],
            "nr_free_pages": sum(z["nr_free_pages"] for z in state["zones"]),
            "marked_share": _marked_share(state, m.design.marked_field),
        }
    return out


def _marked_share(state: dict[str, Any], marked_field: str) -> list[int]:
    """[pages in marked free blocks, free pages] now (the batch counts as free)."""
    marked = free = 0
    for zone in state["zones"]:
        order_of = {}
        for area in zone["free_area"]:
            free += area["nr_free"] << area["order"]
            for pfns in area["free_list"].values():
                for pfn in pfns:
                    order_of[pfn] = area["order"]
        marked += sum(1 << order_of[pfn] for pfn in zone[marked_field])
    free += sum(1 << b["order"] for b in state["hinting"]["batch"])
    return [marked, free]


# --- the table -------------------------------------------------------------------------------


def _fmt(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return f"{value:,.2f}"
    if isinstance(value, int) and not isinstance(value, bool):
        return f"{value:,}"
    return str(value)


def _rows(doc: dict[str, Any]) -> list[tuple[str, list[Any]]]:
    names = list(doc["designs"])
    per = [doc["designs"][n] for n in names]
    keys = sorted({k for d in per for k in d["config"]})

    def cost(*path: str) -> list[Any]:
        out = []
        for d in per:
            value: Any = d["costs"]
            for key in path:
                value = value.get(key) if isinstance(value, dict) else None
            out.append(value)
        return out

    rows: list[tuple[str, list[Any]]] = [("configuration", [])]
    for key in keys:
        rows.append((f"  {key}", [
            (f"{_fmt(d['config'][key])} (default)" if key in d["defaults"] else d["config"][key])
            if key in d["config"] else None for d in per]))
    share = [(f"{100 * m / f:.1f}% ({m:,} of {f:,})" if f else "-") for m, f in (d["marked_share"] for d in per)]
    rows += [
        ("run", []),
        ("  steps failed", [d["failed_steps"] for d in per]),
        ("  virtual time, ms", [d["now_ms"] for d in per]),
        ("list entries read", cost("entries_read")),
        ("  per reported block", cost("entries_per_block")),
        ("zone-lock holds by the work", cost("lock", "holds")),
        ("  longest: lists scanned", cost("lock", "longest", "lists")),
        ("  longest: entries read", cost("lock", "longest", "entries")),
        ("  longest: blocks pulled", cost("lock", "longest", "pulled")),
        ("  longest: blocks put back", cost("lock", "longest", "put_back")),
        ("  longest: merges on the way back", cost("lock", "longest", "merges")),
        ("  longest: pages moved", cost("lock", "longest", "pages")),
        ("passes (work runs)", cost("passes")),
        ("cycles", cost("cycles")),
        ("batches to the host", cost("batches")),
        ("blocks reported", cost("blocks_reported")),
        ("pages reported", cost("pages_reported")),
        ("reported again: blocks (whole range)", cost("rereported", "blocks")),
        ("reported again: pages", cost("rereported", "pages")),
        ("reports wasted: merged", cost("wasted", "merged")),
        ("  merged on the way back", cost("wasted", "merged_on_return")),
        ("  moved (pageblock move)", cost("wasted", "moved")),
        ("  stolen (fallback steal)", cost("wasted", "stolen")),
        ("  allocated", cost("wasted", "allocated")),
        ("refaults (pages)", cost("refaults")),
        ("time to report all free memory, ms", [
            (c or {}).get("took_ms") if (c or {}).get("at_ms") is not None else "not reached"
            for c in cost("full")]),
        ("free memory reported now", share),
        ("NR_FREE_PAGES now", [d["nr_free_pages"] for d in per]),
        ("host resident pages", [d["host"]["resident_pages"] for d in per]),
    ]
    return rows


def compare_table(doc: dict[str, Any]) -> str:
    names = list(doc["designs"])
    rows = _rows(doc)
    width = max(len(label) for label, _ in rows) + 2
    cols = [max([len(n)] + [len(_fmt(v[i])) for _, v in rows if v]) + 2 for i, n in enumerate(names)]
    title = doc["title"] or "(untitled scenario)"
    lines = [f"compare: {title} ({doc['steps']:,} steps)"]
    if doc["ignored_design"] is not None:
        lines.append(f"the scenario's own design ({doc['ignored_design']!s}) is ignored; "
                     "\"(default)\": a field it leaves out, at that design's default")
    else:
        lines.append("\"(default)\": a field the scenario leaves out, at that design's default")
    lines.append(" " * width + "".join(n.rjust(c) for n, c in zip(names, cols, strict=True)))
    for label, values in rows:
        if not values:
            lines.append(label)
            continue
        lines.append(label.ljust(width) + "".join(_fmt(v).rjust(c) for v, c in zip(values, cols, strict=True)))
    return "\n".join(lines)


def compare_cli(path: str, as_json: bool) -> tuple[int, str, str]:
    """(exit status, stdout, stderr) of `python -m core compare PATH [--json]`."""
    try:
        doc = load_document(path)
        if isinstance(doc, dict) and doc.get("format") not in (SCENARIO_FORMAT, None):
            raise InvalidInput(f"must be {SCENARIO_FORMAT!r}, got {doc.get('format')!r}", "format")
        out = compare_document(doc)
    except InvalidInput as err:
        return 2, "", f"error: {path}: {err}\n"
    if as_json:
        return 0, json.dumps(out) + "\n", ""
    return 0, compare_table(out) + "\n", ""
