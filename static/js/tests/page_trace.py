"""Page documents from the real core, for pagepanel.test.mjs.

Prints one JSON document: `page_view` for chosen pfns of two small runs (a
finished hinting cycle: every free block Hinted; a stepped one: a batch out)
under every encoding, with the zone summary the state carries and
`pages_view` per encoding: what static/js/pagepanel/ draws from.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[3]
sys.path.insert(0, str(ROOT))

from core import parse_scenario  # noqa: E402
from core.page_flags import ENCODINGS  # noqa: E402
from core.page_repr import page_view, pages_view  # noqa: E402
from core.scenario import run_steps  # noqa: E402

MACHINE = {"max_order": 6, "pageblock_order": 3, "zones": [{"name": "Normal", "pages": 256}]}


def run(stepping: bool) -> Any:
    steps: list[dict[str, Any]] = [{"do": "hinting_start"}]
    steps += [{"do": "alloc", "zone": "Normal", "order": 3, "as": f"b{i}"} for i in range(32)]
    steps += [{"do": "free", "ref": f"b{i}"} for i in range(0, 32, 2)]
    steps.append({"do": "advance", "ms": 100})
    doc = {"format": "hinting-scenario/1", "machine": MACHINE, "steps": steps,
           "hinting": {"min_order": 3, "hwm": 2, "capacity": 4, "delay_ms": 100, "stepping": stepping}}
    scenario = parse_scenario(doc)
    machine = scenario.machine_instance()
    for result in run_steps(machine, scenario.steps):
        assert result["ok"], result
    return machine


def views(machine: Any, pfns: list[int]) -> dict[str, Any]:
    return {"pages": {str(p): {e: page_view(machine, p, e) for e in ENCODINGS} for p in pfns},
            "totals": {e: pages_view(machine, e) for e in ENCODINGS},
            "summary": machine.state()["zones"][0]["page_repr"]}


def main() -> None:
    done = run(stepping=False)
    stepped = run(stepping=True)
    batch = stepped.state()["hinting"]["batch"]
    out = {"done": views(done, [0, 3, 8]), "stepped": views(stepped, [batch[0]["pfn"]]), "batch_pfn": batch[0]["pfn"]}
    json.dump(out, sys.stdout)


if __name__ == "__main__":
    main()
