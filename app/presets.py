"""Presets: scenario files shipped with the lab (app/presets/*.json).

A preset is an ordinary hinting-scenario/1 document, so every preset replays
with `python -m core replay`.  Two kinds:

* machines (`"kind": "machine"` or absent): resetting to one applies all of
  its steps at once.
* tours (`"kind": "tour"`): a guided walk through one seed behaviour.  Extra
  fields carry the teaching (FORMATS.md allows extra fields anywhere):
  `intro` and `outro` (text shown before the first and after the last step),
  and on each step `say` (its narrative) and optionally `setup: true` (applied
  at once when the tour starts, no narration) and `predict` (before this
  step the learner guesses, then sees), in one of two forms:

  - {"prompt": "...", "boundary": {"order": 3, "migratetype": "Movable",
    "zone": "Normal"}} asks where that boundary will point after the step;
  - {"question": "...", "choices": ["...", "..."], "answer": 1, "reveal":
    "...", "check": {...}} asks a multiple-choice question (2 to 6
    choices; `answer` is the index of the right one).  The player stops
    before the step until the learner answers, then plays it and reveals:
    right or wrong, the right choice, and `reveal`, the explanation.
    `check` ties the answer to the model: {"figure": name, "args": {...},
    "when": [expression(s) per choice]}, and exactly the answer's must hold
    after the step (core/claims.py; tests/core/test_review_tours.py).

  A tour session starts with its setup steps applied; the dashboard plays
  the rest one `do` at a time.
* review tours (`tour-review-N-*.json`): one per argument of the seed's
  review thread, with `"compare": true` (the tour opens in compare mode:
  the seed on the left, free page reporting on the right, the same steps on
  both machines; the scenario's hinting fields apply to both designs, its
  `design` is ignored), `"review"` (the argument's number, the thread's
  messages by number and author with what each argued in the lab's words,
  and the seed's functions with their line ranges in the patch file) and
  `"claim"`: {"says": "...", "at": narrated step, "checks": [{"figure",
  "args", "holds": ["reporting < seed", ...]}]}, what the model must show,
  checked under both designs by tests/core/test_review_tours.py.

app/tour_format.py validates the teaching fields when the presets load;
every error names the field at fault.

Every preset states its geometry (max_order, pageblock_order, min_order):
a machine in its `description`, a tour in its `intro`, the first thing it
shows.  A tour also says whether its lesson happens on x86-64's geometry
(max_order 11, pageblock_order 9, min_order 9, where buddy_merge_likely is
false at every hinting order): `"x86_64": {"happens": bool, "why": "..."}`,
shown with the geometry at the tour's start (tests/core/test_tours.py holds
both to the model).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from core import Scenario, parse_scenario
from core.errors import InvalidInput

from .tour_format import validate_tour

PRESET_DIR = Path(__file__).resolve().parent / "presets"
DEFAULT_PRESET = "default"


@dataclass(frozen=True)
class Preset:
    name: str
    document: dict[str, Any]

    @property
    def title(self) -> str:
        return str(self.document.get("title") or self.name)

    def summary(self) -> dict[str, Any]:
        doc = self.document
        machine = doc.get("machine", {})
        zones = machine.get("zones") or [{"name": "Normal", "pages": 262144}]
        return {
            "name": self.name,
            "title": self.title,
            "description": doc.get("description", ""),
            "kind": "tour" if doc.get("kind") == "tour" else "machine",
            "group": self.group,
            "compare": doc.get("compare") is True,
            "zones": [{"name": z["name"], "pages": z["pages"]} for z in zones],
            "steps": len(doc.get("steps", [])),
        }

    @property
    def group(self) -> str | None:
        """The Tours menu's group: the review's arguments apart from the lab's own tours."""
        if not self.is_tour:
            return None
        return "review" if "review" in self.document else "tours"

    @property
    def is_tour(self) -> bool:
        return self.document.get("kind") == "tour"

    def scenario(self, max_pages: int) -> Scenario:
        """The scenario a session starts from: a tour keeps only its setup steps."""
        doc = self.document
        if self.is_tour:
            doc = {**doc, "steps": [s for s in doc.get("steps", []) if isinstance(s, dict) and s.get("setup")]}
        return parse_scenario(doc, max_pages=max_pages)


@lru_cache(maxsize=1)
def load_presets() -> dict[str, Preset]:
    presets = {}
    for path in sorted(PRESET_DIR.glob("*.json")):
        preset = Preset(path.stem, json.loads(path.read_text(encoding="utf-8")))
        if preset.is_tour:
            check_tour(preset.document, path.name)
        presets[path.stem] = preset
    return presets


def check_tour(doc: dict[str, Any], where: str = "tour") -> None:
    """A shipped tour must be valid: fail loudly at start-up, naming the file and the field."""
    scenario = parse_scenario(doc)
    try:
        validate_tour(doc, scenario.machine.zone_names(), scenario.machine.max_order)
    except InvalidInput as err:
        raise InvalidInput(f"{where}: {err.message}", err.field) from err


def get_preset(name: str) -> Preset | None:
    return load_presets().get(name)
