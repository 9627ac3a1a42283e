"""A review tour's claims and predictions, checked against the model under both designs.

A review tour (app/presets/tour-review-*.json) stages one argument of the
seed's review thread on one scenario run twice: under the seed and under free
page reporting, with the same steps and the same hinting fields (the
scenario's `hinting.design` is ignored, as `python -m core compare` does).
What it asserts must come from the model, not from its prose, so a tour
states it in a form this module can check:

* `"claim"` on the tour: `{"says": text, "at": n, "checks": [check, ...]}`,
  about the state after narrated step `n` (1-based; default the last);
* `"predict"` on a step, with `"choices"` and `"answer"`, carries
  `"check": {"figure", "args", "when": [expr per choice]}`: exactly the
  answer's expression must hold after that step.

A check is `{"figure": name, "args": {...}, "holds": [expr, ...]}`, and
`"since": k` makes it the figure's growth since narrated step k (0: the
tour's start).  A figure is a number or a word computed from one design's
machine (FIGURES below); an expression compares the two designs' values, or
one with a literal: `"reporting < seed"`, `"seed == 4"`,
`"reporting == 'dumped'"`.

The figures are read where the dashboard reads them (the state, its costs,
the page view), so a tour that stops showing its argument fails its test
(tests/core/test_review_tours.py) instead of narrating what no longer happens.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any

from .config import parse_hinting, parse_machine, want_object
from .errors import InvalidInput
from .machine import Machine
from .scenario import parse_scenario

DESIGN_NAMES = ("seed", "reporting")
OPS: dict[str, Callable[[Any, Any], bool]] = {
    "<=": lambda a, b: a <= b,
    ">=": lambda a, b: a >= b,
    "==": lambda a, b: a == b,
    "!=": lambda a, b: a != b,
    "<": lambda a, b: a < b,
    ">": lambda a, b: a > b,
}
_TERM = r"(seed|reporting|-?\d+(?:\.\d+)?|'[^']*')"
_EXPR = re.compile(rf"^\s*{_TERM}\s*(<=|>=|==|!=|<|>)\s*{_TERM}\s*$")



class At:
    """One design's machine after a narrated step, and its state then."""

    __slots__ = ("m", "state")

    def __init__(self, m: Machine, state: dict[str, Any]) -> None:
        self.m = m
        self.state = state


Figure = Callable[[At, dict[str, Any]], Any]


# --- figures --------------------------------------------------------------------------------


def _path(value: Any, path: str) -> Any:
    for key in path.split("."):
        if isinstance(value, list) and key.lstrip("-").isdigit():
            value = value[int(key)]
        elif isinstance(value, dict):
            value = value.get(key)
        else:
            return None
    return value


def _zone(at: At, args: dict[str, Any]) -> dict[str, Any]:
    name = args.get("zone", "Normal")
    return next(z for z in at.state["zones"] if z["name"] == name)


def _list(at: At, args: dict[str, Any]) -> list[int]:
    return list(_zone(at, args)["free_area"][int(args["order"])]["free_list"][str(args["migratetype"])])


def _marked(at: At, args: dict[str, Any]) -> set[int]:
    return set(_zone(at, args).get(at.m.design.marked_field) or [])


def fig_state(at: At, args: dict[str, Any]) -> Any:
    """Any field of the state, by dotted path ("zones.0.nr_free_pages")."""
    return _path(at.state, str(args["path"]))


def fig_costs(at: At, args: dict[str, Any]) -> Any:
    """A cost counter of the design (core/costs.py) by dotted path ("lock.longest.pulled")."""
    return _path(at.state["hinting"].get("costs") or {}, str(args["path"]))


def fig_marked_on_list(at: At, args: dict[str, Any]) -> int:
    """How many blocks of one free list the design has marked (Hinted, Reported)."""
    return len(set(_list(at, args)) & _marked(at, args))


def fig_marked_behind(at: At, args: dict[str, Any]) -> int:
    """Marked blocks between a block and the tail of its list (-1 when it is not on that list).

    Where a tail free lands: the seed's boundary puts it in front of the
    blocks Hinted this cycle; reporting has no boundary and puts it last.
    """
    pfns = _list(at, args)
    pfn = int(args["pfn"])
    if pfn not in pfns:
        return -1
    return len(set(pfns[pfns.index(pfn) + 1 :]) & _marked(at, args))


def fig_first_marked(at: At, args: dict[str, Any]) -> bool | None:
    """Whether the first entry of a list is marked (None for an empty list): where a walk from the head starts."""
    pfns = _list(at, args)
    return pfns[0] in _marked(at, args) if pfns else None


def fig_is_marked(at: At, args: dict[str, Any]) -> bool:
    return int(args["pfn"]) in _marked(at, args)


def fig_in_batch(at: At, args: dict[str, Any]) -> bool:
    """Whether the design holds the block off the lists right now (pulled, reported, not yet put back)."""
    return any(b["pfn"] == int(args["pfn"]) for b in at.state["hinting"]["batch"])


def fig_pageblock(at: At, args: dict[str, Any]) -> str:
    """The migratetype of the pageblock holding `pfn`."""
    zone = _zone(at, args)
    return str(zone["pageblocks"][(int(args["pfn"]) - zone["start_pfn"]) >> at.state["config"]["pageblock_order"]])


def fig_batch_pages(at: At, args: dict[str, Any]) -> int:
    """Pages of the blocks the design holds off the lists: free, but on no list and off NR_FREE_PAGES."""
    return sum(1 << b["order"] for b in at.state["hinting"]["batch"])


def fig_counter_gap(at: At, args: dict[str, Any]) -> int:
    """Pages on the zone's non-Isolate free lists minus its NR_FREE_PAGES: 0 while the counter is right.

    v5.3 leaves isolated free pages out of the counter on purpose, and a
    batch is on neither side; any other difference is drift.
    """
    zone = _zone(at, args)
    on_lists = sum(len(pfns) << area["order"] for area in zone["free_area"]
                   for mt, pfns in area["free_list"].items() if mt != "Isolate")
    return int(on_lists - zone["nr_free_pages"])


def fig_page(at: At, args: dict[str, Any]) -> Any:
    """A field of one page as the kernel and its tools see it under an encoding (default: the design's own)."""
    from .page_repr import page_view

    return _path(page_view(at.m, int(args["pfn"]), args.get("encoding")), str(args["field"]))


def fig_pages(at: At, args: dict[str, Any]) -> Any:
    """A per-zone total under an encoding (flag writes, pages makedumpfile writes out...), by dotted path."""
    from .page_repr import pages_view

    return _path(pages_view(at.m, args.get("encoding")), str(args["field"]))


def fig_diff(at: At, args: dict[str, Any]) -> Any:
    """One figure minus another, on the same design ({"a": {figure, args}, "b": {...}})."""
    a, b = (figure_value(at, args[k]) for k in ("a", "b"))
    return None if a is None or b is None else a - b


FIGURES: dict[str, Figure] = {
    "state": fig_state,
    "costs": fig_costs,
    "marked_on_list": fig_marked_on_list,
    "marked_behind": fig_marked_behind,
    "is_marked": fig_is_marked,
    "first_marked": fig_first_marked,
    "in_batch": fig_in_batch,
    "pageblock": fig_pageblock,
    "batch_pages": fig_batch_pages,
    "counter_gap": fig_counter_gap,
    "page": fig_page,
    "pages": fig_pages,
    "diff": fig_diff,
}


def figure_value(at: At, spec: dict[str, Any]) -> Any:
    return FIGURES[spec["figure"]](at, spec.get("args", {}))


# --- expressions -------------------------------------------------------------------------------


def parse_expr(text: Any, field: str) -> tuple[str, str, str]:
    """(left, op, right) of "seed < reporting"; InvalidInput names `field`."""
    match = _EXPR.match(text) if isinstance(text, str) else None
    if not match:
        raise InvalidInput(f"must compare two of seed, reporting, a number or a 'word' with one of "
                           f"{' '.join(OPS)}, got {str(text)[:60]!r}", field)
    left, op, right = match.groups()
    if "seed" not in (left, right) and "reporting" not in (left, right):
        raise InvalidInput("must name seed or reporting", field)
    return left, op, right


def _term(term: str, values: dict[str, Any]) -> Any:
    if term in values:
        return values[term]
    if term.startswith("'"):
        return term[1:-1]
    return float(term) if "." in term else int(term)


def holds(text: str, values: dict[str, Any]) -> bool:
    """Whether the expression holds for the two designs' values of a figure (False if a value is missing)."""
    left, op, right = parse_expr(text, "expression")
    a, b = _term(left, values), _term(right, values)
    if a is None or b is None:
        return False
    try:
        return OPS[op](a, b)
    except TypeError:  # a number against a word
        return False


# --- validation ----------------------------------------------------------------------------------


def check_figure(obj: Any, field: str) -> None:
    """A figure spec {"figure": name, "args": {...}}; InvalidInput names the field at fault."""
    obj = want_object(obj, field)
    name = obj.get("figure")
    if name not in FIGURES:
        raise InvalidInput(f"unknown figure {str(name)[:40]!r}; one of {', '.join(FIGURES)}", f"{field}.figure")
    args = obj.get("args", {})
    if not isinstance(args, dict):
        raise InvalidInput("must be an object", f"{field}.args")
    if name == "diff":
        for key in ("a", "b"):
            check_figure(args.get(key), f"{field}.args.{key}")


def _exprs(obj: Any, field: str) -> list[str]:
    """One expression or a list of them (all must hold)."""
    items = obj if isinstance(obj, list) else [obj]
    if not items:
        raise InvalidInput("must give at least one expression", field)
    for j, expr in enumerate(items):
        parse_expr(expr, f"{field}[{j}]" if isinstance(obj, list) else field)
    return items


def _narrated_index(obj: Any, narrated: int, field: str) -> int:
    if isinstance(obj, bool) or not isinstance(obj, int) or not 1 <= obj <= narrated:
        raise InvalidInput(f"must be a narrated step, 1..{narrated}", field)
    return obj


def check_claim(obj: Any, narrated: int, field: str = "claim") -> None:
    """A tour's claim: {"says", "at"?, "contrast"?, "checks": [{"figure", "args"?, "holds", "at"?}, ...]}."""
    obj = want_object(obj, field)
    if not isinstance(obj.get("says"), str) or not obj["says"].strip():
        raise InvalidInput("must say the claim in words", f"{field}.says")
    if obj.get("contrast", "designs") not in ("designs", "encodings"):
        raise InvalidInput("must be 'designs' (the default) or 'encodings': what the claim sets apart",
                           f"{field}.contrast")
    _narrated_index(obj.get("at", narrated), narrated, f"{field}.at")
    checks = obj.get("checks")
    if not isinstance(checks, list) or not checks:
        raise InvalidInput("must list at least one check", f"{field}.checks")
    for i, check in enumerate(checks):
        where = f"{field}.checks[{i}]"
        check_figure(check, where)
        if "at" in check:
            _narrated_index(check["at"], narrated, f"{where}.at")
        _exprs(check.get("holds"), f"{where}.holds")
        _since(check, check.get("at", obj.get("at", narrated)), where)


def _since(check: dict[str, Any], at: int, field: str) -> None:
    since = check.get("since")
    if since is not None and (isinstance(since, bool) or not isinstance(since, int) or not 0 <= since < at):
        raise InvalidInput(f"must be a narrated step before this one, 0..{at - 1}", f"{field}.since")


def check_predict_check(obj: Any, choices: int, field: str, step: int) -> None:
    """A prediction's check on narrated step `step`: {"figure", "args"?, "since"?, "when": [expression(s) per
    choice]}."""
    check_figure(obj, field)
    _since(obj, step, field)
    when = obj.get("when")
    if not isinstance(when, list) or len(when) != choices:
        raise InvalidInput(f"must give one expression (or a list of them) per choice ({choices})", f"{field}.when")
    for j, exprs in enumerate(when):
        _exprs(exprs, f"{field}.when[{j}]")


# --- replaying a tour under both designs ----------------------------------------------------------


def design_document(doc: dict[str, Any], design: str) -> dict[str, Any]:
    """The scenario `doc` under `design`: its other hinting fields kept where that design has them."""
    hinting = doc.get("hinting") or {}
    given = {k: v for k, v in hinting.items() if k != "design"}
    config = parse_hinting({**given, "design": design}, parse_machine(doc.get("machine")))
    return {**doc, "hinting": config.to_json()}


def narrated_steps(doc: dict[str, Any]) -> list[dict[str, Any]]:
    return [s for s in doc.get("steps", []) if isinstance(s, dict) and not s.get("setup")]


def _checks(doc: dict[str, Any]) -> list[tuple[int, dict[str, Any]]]:
    """(narrated step, figure spec) for everything the claim and the predictions read."""
    narrated = narrated_steps(doc)
    out = []
    claim = doc.get("claim")
    if claim:
        for check in claim["checks"]:
            out.append((check.get("at", claim.get("at", len(narrated))), check))
    for n, step in enumerate(narrated, 1):
        check = (step.get("predict") or {}).get("check")
        if check:
            out.append((n, check))
    return out


def figure_key(spec: dict[str, Any]) -> str:
    return json.dumps({"figure": spec["figure"], "args": spec.get("args", {}), "since": spec.get("since")},
                      sort_keys=True)


def _base(spec: dict[str, Any]) -> dict[str, Any]:
    return {"figure": spec["figure"], "args": spec.get("args", {})}


Perturb = Callable[[str, dict[str, Any], Any], Any]


def replay_design(doc: dict[str, Any], design: str, perturb: Perturb | None = None) -> dict[int, dict[str, Any]]:
    """Narrated step -> {figure key: value} for what the tour checks, under one design.

    Every step must succeed unless it says `"expect_fail": true`; the
    invariant checker runs after each.  `perturb(design, spec, value)`
    lets a test falsify a figure to see a claim fail.
    """
    scenario = parse_scenario(design_document(doc, design))
    m = scenario.machine_instance(check_invariants=True)
    want: dict[int, list[dict[str, Any]]] = {}
    for n, spec in _checks(doc):
        want.setdefault(n, []).append(spec)
        if spec.get("since") is not None:  # read the figure then too
            want.setdefault(spec["since"], []).append(_base(spec))
    out: dict[int, dict[str, Any]] = {}
    seen: dict[tuple[int, str], Any] = {}  # (narrated step, figure key) -> value, for `since`

    def read(n: int) -> None:
        at = At(m, m.state())
        values = {}
        for spec in want.get(n, []):
            value = figure_value(at, spec)
            since = spec.get("since")
            if since is not None:
                then = seen[(since, figure_key(_base(spec)))]
                value = None if value is None or then is None else value - then
            seen[(n, figure_key(spec))] = value
            values[figure_key(spec)] = perturb(design, spec, value) if perturb else value
        out[n] = values

    n = 0
    for i, (raw, step) in enumerate(zip(scenario.raw_steps, scenario.steps, strict=True)):
        if not raw.get("setup") and n == 0 and 0 in want and 0 not in out:  # the tour's start: its setup applied
            read(0)
        result = m.apply_parsed(step)
        if result["ok"] == bool(raw.get("expect_fail")):
            what = f"failed: {result.get('error')}" if not result["ok"] else "did not fail"
            raise AssertionError(f"{design}: step {i} ({raw.get('do')}) {what}")
        if raw.get("setup"):
            continue
        n += 1
        if n in want:
            read(n)
    return out


def replay_both(doc: dict[str, Any], perturb: Perturb | None = None) -> dict[str, dict[int, dict[str, Any]]]:
    """Design -> what replay_design computed for it."""
    return {design: replay_design(doc, design, perturb) for design in DESIGN_NAMES}


def evaluate(doc: dict[str, Any], per: dict[str, dict[int, dict[str, Any]]] | None = None) -> dict[str, Any]:
    """The tour's claim and predictions, each with both designs' figures and whether it holds.

    `per` is replay_both's result when the caller has it (or has altered it).
    """
    per = replay_both(doc) if per is None else per

    def values(at: int, spec: dict[str, Any]) -> dict[str, Any]:
        return {design: per[design][at][figure_key(spec)] for design in DESIGN_NAMES}

    narrated = narrated_steps(doc)
    out: dict[str, Any] = {"claim": None, "predicts": []}
    claim = doc.get("claim")
    if claim:
        checks = []
        for check in claim["checks"]:
            at = check.get("at", claim.get("at", len(narrated)))
            v = values(at, check)
            exprs = check["holds"] if isinstance(check["holds"], list) else [check["holds"]]
            checks.append({"figure": check["figure"], "args": check.get("args", {}), "since": check.get("since"),
                           "at": at, "values": v,
                           "holds": {e: holds(e, v) for e in exprs}})
        out["claim"] = {"says": claim["says"], "checks": checks,
                        "ok": all(all(c["holds"].values()) for c in checks)}
    for n, step in enumerate(narrated, 1):
        p = step.get("predict") or {}
        if "check" not in p:
            continue
        v = values(n, p["check"])
        truth = [all(holds(e, v) for e in (w if isinstance(w, list) else [w])) for w in p["check"]["when"]]
        out["predicts"].append({"step": n, "values": v, "true": [i for i, t in enumerate(truth) if t],
                                "answer": p.get("answer")})
    return out
