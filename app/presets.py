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
  step the learner guesses, then sees): {"prompt": "...", "boundary":
  {"order": 3, "migratetype": "Movable", "zone": "Normal"}} asks where that
  boundary will point after the step.  A tour session starts with its setup
  steps applied; the dashboard plays the rest one `do` at a time.

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
            "zones": [{"name": z["name"], "pages": z["pages"]} for z in zones],
            "steps": len(doc.get("steps", [])),
        }

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
        presets[path.stem] = Preset(path.stem, json.loads(path.read_text(encoding="utf-8")))
    return presets


def get_preset(name: str) -> Preset | None:
    return load_presets().get(name)
