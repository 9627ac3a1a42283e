"""The seam between the allocator and a design holds (ARCHITECTURE.md, design.py).

* A third design is one module and one registration line: `Eager` below is a
  whole (if simple-minded) design, registered with one line, and the machine,
  scenarios, states, deltas, invariants, checkpoints and the event decoder
  serve it without knowing it.
* No module outside a design's own imports it (designs.py registers them), and
  the allocator imports neither a design nor the host.
* Work items move only along their transitions.
"""

from __future__ import annotations

import ast
import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from core import MachineConfig, decode_all, parse_scenario, replay
from core.config import want_bool, want_int
from core.delta import StateTracker, apply_delta
from core.design import HintingDesign
from core.designs import DESIGNS
from core.errors import HintingBusy
from core.lists import ListHead
from core.mmzone import DESIGN_MARK, ClearPageMarked, Leave, Move, Page, PglistData, SetPageMarked, Zone, page_order
from core.trace import Category, Touch, Words, declare
from core.workqueue import (
    DelayedWork,
    WorkPhase,
    WorkStateError,
    run_work,
    schedule_delayed_work,
    start_work,
)
from tests.conftest import ROOT
from tests.core.test_properties import OPS, concrete

# --- a third design, whole ----------------------------------------------------------


@dataclass(frozen=True)
class EagerConfig:
    design: ClassVar[str] = "eager"
    min_order: int = 2
    capacity: int = 1
    delay_ms: int = 10
    stepping: bool = False

    def to_json(self) -> dict[str, Any]:
        return {"design": self.design, "min_order": self.min_order, "delay_ms": self.delay_ms,
                "stepping": self.stepping}


def _d_marked(zone: str | None, pfn: Any, order: Any, mt: Any, arg: Any) -> Words:
    return Words(f"eager: {pfn} (order {order}) marked", blocks=[pfn])


def _d_work(zone: str | None, pfn: Any, order: Any, mt: Any, arg: Any) -> Words:
    return Words(f"eager: work {arg}")


MARKED = declare("marked", Category.HINTING, "MARK", None, _d_marked, touches=Touch.MARK, design="eager")
WORK_START = declare("work_start", Category.WORK, "WORK", None, _d_work, design="eager")
WORK_STOP = declare("work_stop", Category.WORK, "STOP", None, _d_work, design="eager")


class Eager(HintingDesign):
    """After a delay, marks every free block of min_order or more; a mark goes when its block leaves."""

    name = "eager"
    mark_name = "Marked"
    marked_field = "marked"
    stop_phases = frozenset({WorkPhase.REPORT})
    work_start_event = WORK_START
    work_stop_event = WORK_STOP

    def __init__(self, pgdat: PglistData, clock: Any, host: Any, config: EagerConfig) -> None:
        super().__init__(pgdat, clock, host, config)
        self.min_order = config.min_order
        self.enabled = False
        self.cleared = [0] * len(pgdat.node_zones)
        self.work = DelayedWork(self._pass, clock, self.stop_phases)

    @classmethod
    def default_config(cls, machine: MachineConfig) -> EagerConfig:
        return EagerConfig()

    @classmethod
    def parse_config(cls, obj: dict[str, Any], machine: MachineConfig, path: str) -> EagerConfig:
        return EagerConfig(want_int(obj.get("min_order", 2), f"{path}.min_order", 0, machine.max_order - 1),
                           delay_ms=want_int(obj.get("delay_ms", 10), f"{path}.delay_ms", 0),
                           stepping=want_bool(obj.get("stepping", False), f"{path}.stepping"))

    def marked_page_leaves(self, page: Page, zone: Zone, order: int, why: Leave) -> None:
        ClearPageMarked(zone, page, on_list=False)
        self.cleared[zone.idx] += 1
        if why is Leave.MERGE:
            self.host.hint_wasted()

    def marked_page_moves(self, page: Page, zone: Zone, order: int, migratetype: int, why: Move) -> None:
        pass  # the mark stays

    def notify_free(self, zone: Zone, order: int) -> None:
        assert self.work is not None
        schedule_delayed_work(self.work, self.config.delay_ms)

    def _pass(self) -> Iterator[WorkPhase]:
        for zone in self.pgdat.node_zones:
            yield WorkPhase.REPORT
            for order in range(self.min_order, self.pgdat.max_order):
                for head in zone.free_area[order].free_list:
                    node: ListHead = head.next
                    while type(node) is Page:
                        if not node.info & DESIGN_MARK:
                            SetPageMarked(zone, node)
                            if self.pgdat.trace is not None:
                                self.pgdat.trace.append((MARKED, zone.idx, node.pfn, order, None, None))
                        node = node.next

    def start(self) -> None:
        if self.enabled:
            raise HintingBusy("eager is on", "do")
        self.enabled = True
        self.notify_from_order = self.min_order
        assert self.work is not None
        schedule_delayed_work(self.work, self.config.delay_ms)

    def stop(self) -> None:
        self.enabled = False
        self.notify_from_order = 1 << 30

    def state(self) -> dict[str, Any]:
        assert self.work is not None
        return {"design": self.name, "enabled": self.enabled, "batch": [],
                "work": {"pending": self.work.pending, "due_ms": self.work.due_ms, "phase": self.work.phase.value}}

    def zone_state(self, zone: Zone) -> dict[str, Any]:
        return {"marks_cleared": self.cleared[zone.idx]}

    def batch(self) -> list[Page]:
        return []

    def invariant_problems(self) -> list[str]:
        return [f"{pfn} is marked below min_order" for z in self.pgdat.node_zones for pfn in self.marked_pfns(z)
                if page_order(self._page(pfn)) < self.min_order]

    def _page(self, pfn: int) -> Page:
        page = self.pgdat.mem_map[pfn]
        assert isinstance(page, Page)
        return page

    def anomalies(self) -> list[dict[str, Any]]:
        return []

    def copy_into(self, other: Any, pgdat: PglistData) -> None:
        assert self.work is not None and other.work is not None
        other.enabled, other.cleared = self.enabled, list(self.cleared)
        other.notify_from_order = self.notify_from_order
        other.work.pending, other.work.due_ms = self.work.pending, self.work.due_ms


@pytest.fixture(autouse=True)
def eager_registered(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(DESIGNS, Eager.name, Eager)  # the one registration line


def scenario(steps: list[dict[str, Any]], stepping: bool = False) -> dict[str, Any]:
    return {"format": "hinting-scenario/1",
            "machine": {"max_order": 5, "pageblock_order": 2, "zones": [{"name": "Normal", "pages": 64}]},
            "hinting": {"design": "eager", "min_order": 2, "stepping": stepping}, "steps": steps}


def test_a_scenario_runs_under_the_new_design() -> None:
    doc = scenario([{"do": "hinting_start"}, {"do": "advance", "ms": 10},
                    {"do": "alloc", "zone": "Normal", "order": 2, "migratetype": "Movable"}])
    out = replay(parse_scenario(doc), check_invariants=True)
    zone = out["state"]["zones"][0]
    assert out["state"]["config"]["hinting"]["design"] == "eager"
    # Boot left order-4 blocks [48, 32, 16, 0]; the pass marked all four; the allocation
    # took 48 (its mark cleared as it left) and split it: 56 and 52 are not marked.
    assert zone["marked"] == [0, 16, 32]
    assert zone["marks_cleared"] == 1 and zone["nr_free_pages"] == 60
    assert out["state"]["hinting"] == {"design": "eager", "enabled": True, "batch": [],
                                       "work": {"pending": False, "due_ms": None, "phase": "idle"}}


def test_its_events_decode_with_their_category_and_tag() -> None:
    m = parse_scenario(scenario([], stepping=True)).machine_instance(record_events=True)
    m.apply({"do": "hinting_start"})
    m.apply({"do": "advance", "ms": 10})  # stops at its REPORT point
    m.apply({"do": "step"})
    events = decode_all(m, m.take_raw_events())
    marked = [e for e in events if e["kind"] == "marked"]
    assert [e["pfn"] for e in marked] == [48, 32, 16, 0]
    assert all(e["category"] == "hinting" and e["tag"] == "MARK" for e in marked)
    assert [e["category"] for e in events if e["kind"] == "work_stop"] == ["work"]


@settings(max_examples=60, deadline=None)
@given(st.lists(OPS, min_size=1, max_size=60), st.booleans())
def test_states_deltas_invariants_and_clones_serve_it(ops: list[tuple[Any, ...]], stepping: bool) -> None:
    m = parse_scenario(scenario([], stepping)).machine_instance(record_events=True, check_invariants=True)
    tracker = StateTracker(m)
    viewer = json.loads(json.dumps(tracker.state))
    for op in ops:
        m.apply(concrete(m, op))
        apply_delta(viewer, json.loads(json.dumps(tracker.delta(m.take_raw_events()))))
        assert viewer == m.state()
        if m.cloneable:
            assert m.clone().state() == m.state()


# --- nobody reads a design's internals ------------------------------------------------

CORE = ROOT / "core"
SEED_MODULES = {"page_hinting", "page_hinting_events", "page_hinting_design"}


def imports_of(path: Path) -> set[str]:
    names = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.level == 1:
            names.add((node.module or "").split(".")[0])
        elif isinstance(node, ast.ImportFrom) and (node.module or "").startswith("core."):
            names.add(node.module.split(".")[1])
        elif isinstance(node, ast.Import):
            names.update(a.name.split(".")[1] for a in node.names if a.name.startswith("core."))
    return names


def test_only_the_seed_and_the_registry_import_the_seed() -> None:
    for path in sorted(CORE.glob("*.py")):
        if path.stem in SEED_MODULES or path.stem == "designs":
            continue
        assert not imports_of(path) & SEED_MODULES, f"{path.name} imports the seed's modules"


def test_the_allocator_knows_no_design_and_no_host() -> None:
    for stem in ("mmzone", "page_alloc", "lists"):
        bad = imports_of(CORE / f"{stem}.py") & (SEED_MODULES | {"design", "designs", "host", "machine"})
        assert not bad, f"{stem}.py imports {bad}"


def test_app_reads_no_design_internals() -> None:
    for path in sorted((ROOT / "app").glob("*.py")):
        text = path.read_text(encoding="utf-8")
        for name in ("phdev", "page_hinting", "cycling_zone", ".boundary", "PG_HINTED", "DESIGN_MARK"):
            assert name not in text, f"app/{path.name} reads {name}"


# --- work phases ------------------------------------------------------------------------


def two_stops() -> Iterator[WorkPhase]:
    yield WorkPhase.REACT
    yield WorkPhase.DRAIN


def test_a_work_item_moves_along_its_transitions_only() -> None:
    from core.workqueue import Clock

    work = DelayedWork(two_stops, Clock(), frozenset({WorkPhase.REACT, WorkPhase.DRAIN}))
    with pytest.raises(WorkStateError):
        run_work(work, stop=True)  # not started
    start_work(work)
    with pytest.raises(WorkStateError):
        start_work(work)  # already running
    assert run_work(work, stop=True) is WorkPhase.REACT and work.phase is WorkPhase.REACT
    assert run_work(work, stop=True) is WorkPhase.DRAIN
    assert run_work(work, stop=True) is None and work.phase is WorkPhase.IDLE
    with pytest.raises(WorkStateError):
        work.move_to(WorkPhase.DRAIN)  # idle -> drain skips running


def test_a_design_cannot_stop_where_it_did_not_say() -> None:
    from core.workqueue import Clock

    work = DelayedWork(two_stops, Clock(), frozenset({WorkPhase.REPORT}))
    start_work(work)
    with pytest.raises(WorkStateError, match="does not stop at react"):
        run_work(work, stop=True)
