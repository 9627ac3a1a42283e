"""The one action vocabulary: scenario steps (FORMATS.md), parsed and checked.

`parse_step` turns a JSON step into a normalised dict or raises InvalidInput
naming the field.  Only what can be known without running the machine is
checked here (types, names, ranges given by the configuration); whether a pfn
is allocated is the machine's business and makes a failed step, not an
invalid one.
"""

from __future__ import annotations

from collections.abc import Callable
from difflib import SequenceMatcher
from typing import Any

from .config import MachineConfig, want_bool, want_int, want_object, want_str
from .errors import InvalidInput
from .mmzone import ALLOC_MIGRATETYPES, MIGRATETYPE_BY_NAME, MIGRATETYPE_NAMES

STEP_KINDS = (
    "alloc",
    "free",
    "move_pageblock",
    "hinting_start",
    "hinting_stop",
    "advance",
    "step",
    "stepping",
)
MAX_ADVANCE_MS = 10**9
# The fields each kind of step takes (FORMATS.md).
STEP_FIELDS: dict[str, tuple[str, ...]] = {
    "alloc": ("do", "zone", "order", "migratetype", "as", "pfn"),  # pfn: docs/formats-extensions.md
    "free": ("do", "ref", "pfn", "order"),
    "move_pageblock": ("do", "pfn", "migratetype"),
    "advance": ("do", "ms"),
    "stepping": ("do", "on"),
}


def check_fields(obj: dict[str, Any], kind: str, strict: bool) -> None:
    """Refuse fields a step of this kind does not take.

    FORMATS.md lets a scenario file carry extra fields anywhere (a tour's
    `say`, `setup`, `predict`), so in a document only a likely misspelling is
    refused: a field of four or more characters that reads like one this
    kind takes and the step does not carry (`migrateype`), which would
    otherwise silently fall back to the default.  `strict` (a live request,
    which has no descriptive fields) refuses every field the kind does not take.
    """
    known = STEP_FIELDS.get(kind, ("do",))
    for key in obj:
        if key in known:
            continue
        if strict:
            raise InvalidInput(f"unknown field {str(key)[:40]!r}; a {kind} step takes {', '.join(known)}", str(key))
        if len(key) >= 4:
            for name in known:
                if name not in obj and SequenceMatcher(None, key, name).ratio() >= 0.8:
                    raise InvalidInput(f"unknown field {key[:40]!r}; did you mean {name!r}?", key)


def _migratetype(obj: Any, path: str, allowed: tuple[int, ...]) -> str:
    if obj.__class__ is not str or obj not in MIGRATETYPE_BY_NAME or MIGRATETYPE_BY_NAME[obj] not in allowed:
        names = ", ".join(MIGRATETYPE_NAMES[mt] for mt in allowed)
        raise InvalidInput(f"must be one of {names}; got {obj!r}", path)
    return MIGRATETYPE_NAMES[MIGRATETYPE_BY_NAME[obj]]


def parse_step(obj: Any, cfg: MachineConfig, path: str = "step", strict: bool = False) -> dict[str, Any]:
    """Check one step against the machine's configuration; return its normal form.

    Errors name the field under `path` ("steps[3].order").  Replays parse
    every step of long scenarios, so well-formed values take a short path
    and the descriptive checks run only when something looks wrong.
    `strict` refuses any field the step's kind does not take (check_fields).
    """
    try:
        return parse_one(obj, cfg, strict)
    except InvalidInput as err:
        err.field = f"{path}.{err.field}" if err.field else path
        raise


_ALL_MIGRATETYPES = tuple(range(len(MIGRATETYPE_NAMES)))
_ALLOC_NAMES = frozenset(MIGRATETYPE_NAMES[mt] for mt in ALLOC_MIGRATETYPES)


def step_parser(cfg: MachineConfig) -> Callable[[Any], dict[str, Any]]:
    """parse_one for one machine, with its zones and orders bound (replays parse many steps)."""
    zone_set = cfg.zone_set
    top = cfg.max_order  # orders are 0 .. max_order - 1

    def parse(obj: Any) -> dict[str, Any]:
        # A step already in normal form, with nothing extra, is kept as it is.
        if obj.__class__ is dict:
            kind = obj.get("do")
            n = len(obj)
            if kind == "alloc":
                zone = obj.get("zone")
                order = obj.get("order")
                mt = obj.get("migratetype")  # absent: parse_one fills in the default
                if (zone.__class__ is str and zone in zone_set and order.__class__ is int
                        and 0 <= order < top and mt.__class__ is str and mt in _ALLOC_NAMES):
                    if n == 4:
                        return obj
                    name = obj.get("as")
                    if n == 5 and name.__class__ is str and name:  # a named alloc (imported traces: every one)
                        return obj
            elif kind == "free":
                if n == 3 and obj.get("pfn").__class__ is int and obj.get("order").__class__ is int:
                    return obj
                if n == 2 and obj.get("ref").__class__ is str and obj["ref"]:  # free by name
                    return obj
            elif kind == "advance" and n == 2:
                ms = obj.get("ms")
                if ms.__class__ is int and 0 < ms <= MAX_ADVANCE_MS:
                    return obj
        return parse_one(obj, cfg)

    return parse


def parse_one(obj: Any, cfg: MachineConfig, strict: bool = False) -> dict[str, Any]:
    """parse_step without the path prefix on errors (the field is relative)."""
    if obj.__class__ is not dict:
        obj = want_object(obj, "")
    kind = obj.get("do")
    if kind.__class__ is not str or kind not in STEP_KINDS:
        raise InvalidInput(f"unknown step {str(kind)[:40]!r}; expected one of {', '.join(STEP_KINDS)}", "do")
    check_fields(obj, kind, strict)
    if kind == "alloc":
        zone = obj.get("zone")
        if zone.__class__ is not str or zone not in cfg.zone_set:
            zones = cfg.zone_names()
            if zone is None and len(zones) == 1:
                zone = zones[0]
            else:
                raise InvalidInput(f"unknown zone {zone!r}; this machine has {', '.join(zones)}", "zone")
        order = obj.get("order")
        if order.__class__ is not int or not 0 <= order < cfg.max_order:
            order = want_int(order, "order", 0, cfg.max_order - 1)
        mt = obj.get("migratetype", "Movable")
        if mt.__class__ is not str or mt not in _ALLOC_NAMES:
            mt = _migratetype(mt, "migratetype", ALLOC_MIGRATETYPES)
        out = {"do": kind, "zone": zone, "order": order, "migratetype": mt}
        name = obj.get("as")
        if name is not None:
            out["as"] = want_str(name, "as")
        if obj.get("pfn") is not None:
            out["pfn"] = _alloc_pfn(obj["pfn"], zone, order, cfg)
        return out
    if kind == "free":
        ref = obj.get("ref")
        pfn = obj.get("pfn")
        if (ref is None) == (pfn is None):
            raise InvalidInput("give either ref (a name from an alloc's 'as') or pfn", "ref")
        if ref is not None:
            out = {"do": kind, "ref": want_str(ref, "ref")}
        else:
            out = {"do": kind, "pfn": pfn if pfn.__class__ is int else want_int(pfn, "pfn")}
        order = obj.get("order")
        if order is not None:
            out["order"] = order if order.__class__ is int else want_int(order, "order")
        return out
    if kind == "advance":
        ms = obj.get("ms")
        if ms.__class__ is not int or not 0 < ms <= MAX_ADVANCE_MS:
            ms = want_int(ms, "ms", 1, MAX_ADVANCE_MS)
        return {"do": kind, "ms": ms}
    if kind == "move_pageblock":
        return {
            "do": kind,
            "pfn": want_int(obj.get("pfn"), "pfn"),
            "migratetype": _migratetype(obj.get("migratetype"), "migratetype", _ALL_MIGRATETYPES),
        }
    if kind == "stepping":
        return {"do": kind, "on": want_bool(obj.get("on"), "on")}
    return {"do": kind}


def _alloc_pfn(pfn: Any, zone: str, order: int, cfg: MachineConfig) -> int:
    """An alloc's wanted pfn: in its zone and aligned to its order (whether it is free is the machine's call)."""
    pfn = want_int(pfn, "pfn", 0)
    start = 0
    for name, pages in cfg.zones:
        if name == zone:
            if not start <= pfn < start + pages:
                raise InvalidInput(f"pfn {pfn} is not in zone {zone} (pfns {start}..{start + pages - 1})", "pfn")
            break
        start += pages
    if pfn & ((1 << order) - 1):
        raise InvalidInput(f"pfn {pfn} is not aligned to order {order} (a multiple of {1 << order})", "pfn")
    return int(pfn)


def describe_step(step: dict[str, Any]) -> str:
    """A short human label, for logs and the timeline."""
    kind = step.get("do")
    if kind == "alloc":
        label = f"alloc o{step['order']} {step['migratetype']} in {step['zone']}"
        if "pfn" in step:
            label += f" at pfn {step['pfn']}"
        return label + (f" as {step['as']}" if "as" in step else "")
    if kind == "free":
        if "ref" in step:
            return f"free {step['ref']}"
        return f"free {step['pfn']}" + (f" o{step['order']}" if "order" in step else "")
    if kind == "move_pageblock":
        return f"move_pageblock {step['pfn']} to {step['migratetype']}"
    if kind == "advance":
        return f"advance {step['ms']} ms"
    if kind == "stepping":
        return "stepping " + ("on" if step["on"] else "off")
    return str(kind)
