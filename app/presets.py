"""Presets: scenario files shipped with the lab (app/presets/*.json).

A preset is an ordinary hinting-scenario/1 document.  Tours add a `tour`
list (one narrative per step) and are played step by step by the dashboard;
everything else is applied when a session resets to the preset.
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
            "kind": "tour" if "tour" in doc else "machine",
            "zones": [{"name": z["name"], "pages": z["pages"]} for z in zones],
            "steps": len(doc.get("steps", [])),
        }

    def scenario(self, max_pages: int) -> Scenario:
        return parse_scenario(self.document, max_pages=max_pages)


@lru_cache(maxsize=1)
def load_presets() -> dict[str, Preset]:
    presets = {}
    for path in sorted(PRESET_DIR.glob("*.json")):
        presets[path.stem] = Preset(path.stem, json.loads(path.read_text(encoding="utf-8")))
    return presets


def get_preset(name: str) -> Preset | None:
    return load_presets().get(name)
