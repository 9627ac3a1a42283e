"""`hinting-scenario/1` files in, `hinting-replay/1` documents out (FORMATS.md)."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .config import DEFAULT_MAX_PAGES, MachineConfig, parse_hinting, parse_machine, want_object
from .design import DesignConfig
from .errors import InvalidInput
from .machine import Machine
from .steps import step_parser

SCENARIO_FORMAT = "hinting-scenario/1"
REPLAY_FORMAT = "hinting-replay/1"


@dataclass
class Scenario:
    machine: MachineConfig
    hinting: DesignConfig
    steps: list[dict[str, Any]]
    title: str | None = None
    # Everything else the file carried (descriptions, narratives, ...), kept verbatim.
    extra: dict[str, Any] = field(default_factory=dict)
    raw_steps: list[dict[str, Any]] = field(default_factory=list)
    # The "hinting" object as the document gave it (compare mode applies its fields to each design: core/pair.py).
    raw_hinting: dict[str, Any] | None = None

    def to_json(self) -> dict[str, Any]:
        """The scenario as a file again (steps as given, extra fields kept)."""
        out: dict[str, Any] = {"format": SCENARIO_FORMAT}
        if self.title is not None:
            out["title"] = self.title
        out.update({k: v for k, v in self.extra.items() if k not in ("format", "title", "machine", "hinting", "steps")})
        out["machine"] = self.machine.to_json()
        hinting = self.hinting.to_json()
        out["hinting"] = hinting
        out["steps"] = list(self.raw_steps)
        return out

    def machine_instance(self, **kwargs: Any) -> Machine:
        return Machine(self.machine, self.hinting, **kwargs)


def parse_scenario(obj: Any, max_pages: int = DEFAULT_MAX_PAGES, max_steps: int | None = None) -> Scenario:
    """Validate a scenario document; InvalidInput names the first field at fault."""
    obj = want_object(obj, "scenario")
    fmt = obj.get("format")
    if fmt != SCENARIO_FORMAT:
        raise InvalidInput(f"must be {SCENARIO_FORMAT!r}, got {fmt!r}", "format")
    title = obj.get("title")
    if title is not None and not isinstance(title, str):
        raise InvalidInput("must be a string", "title")
    machine = parse_machine(obj.get("machine"), "machine", max_pages)
    hinting = parse_hinting(obj.get("hinting"), machine, "hinting")
    steps_obj = obj.get("steps", [])
    if not isinstance(steps_obj, list):
        raise InvalidInput("must be a list of steps", "steps")
    if max_steps is not None and len(steps_obj) > max_steps:
        raise InvalidInput(f"has {len(steps_obj)} steps; the limit here is {max_steps}", "steps")
    steps = _parse_steps(steps_obj, machine)
    extra = {k: v for k, v in obj.items() if k not in ("format", "title", "machine", "hinting", "steps")}
    return Scenario(machine, hinting, steps, title, extra, list(steps_obj), dict(obj.get("hinting") or {}))


def _parse_steps(steps_obj: list[Any], machine: MachineConfig) -> list[dict[str, Any]]:
    """parse_step over a list, naming `steps[i]` only when one is wrong (replays parse many)."""
    steps: list[dict[str, Any]] = []
    append = steps.append
    parse = step_parser(machine)
    for s in steps_obj:
        try:
            append(parse(s))
        except InvalidInput as err:
            where = f"steps[{len(steps)}]"
            err.field = f"{where}.{err.field}" if err.field else where
            raise
    return steps


def load_document(path: str | Path) -> Any:
    """A JSON file (or stdin for "-"), read; InvalidInput names `file` when it cannot be."""
    try:
        text = Path(path).read_text(encoding="utf-8") if str(path) != "-" else _stdin()
    except OSError as err:
        raise InvalidInput(f"cannot read {path}: {err.strerror}", "file") from err
    try:
        return json.loads(text)
    except json.JSONDecodeError as err:
        raise InvalidInput(f"not JSON: {err.msg} at line {err.lineno} column {err.colno}", "file") from err


def load_scenario(path: str | Path, max_pages: int = DEFAULT_MAX_PAGES) -> Scenario:
    return parse_scenario(load_document(path), max_pages)


def _stdin() -> str:
    import sys

    return sys.stdin.read()


def run_steps(machine: Machine, steps: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Apply already-parsed steps; one result per step."""
    apply = machine.apply_parsed
    return [apply(step) for step in steps]


def replay(scenario: Scenario, **machine_kwargs: Any) -> dict[str, Any]:
    """The hinting-replay/1 document for a scenario."""
    machine = scenario.machine_instance(**machine_kwargs)
    results = run_steps(machine, scenario.steps)
    return {"format": REPLAY_FORMAT, "results": results, "state": machine.state()}


def replay_json(document: dict[str, Any]) -> str:
    """`json.dumps(document)`, byte for byte, faster for the many small results.

    Nearly every result is {"ok": true} or {"ok": true, "pfn": N}; writing
    those directly beats the encoder's per-dict work on long replays.
    """
    parts: list[str] = []
    append = parts.append
    for r in document["results"]:
        if r.get("ok") is True and len(r) <= 2:
            if len(r) == 1:
                append('{"ok": true}')
                continue
            pfn = r.get("pfn")
            if pfn.__class__ is int:
                append('{"ok": true, "pfn": %d}' % pfn)  # noqa: UP031 - the fastest formatting
                continue
        append(json.dumps(r))
    rest = {k: v for k, v in document.items() if k not in ("format", "results")}
    tail = json.dumps(rest)[1:]  # '"state": {...}}' (or '}' when empty)
    head = '{"format": ' + json.dumps(document["format"]) + ', "results": [' + ", ".join(parts) + "]"
    return head + (", " + tail if tail != "}" else "}")
