"""Property: whatever a session goes through, its history exports to a scenario that imports and replays.

Hypothesis drives a Session the way requests and the running clock do
(steps good and bad, long clock runs, a workload, travel, undo, forks,
branch switches, resets) and then checks the export: it parses under the
server's own limits (as POST /api/sessions would), and replaying it gives
the session's state, at the end of the history and at the cursor.
"""

from __future__ import annotations

import json
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app.protocol import WorkloadMsg
from app.sessions import LimitError, Session, SessionManager
from app.settings import Settings
from core import InvalidInput, parse_scenario, replay

SETTINGS = Settings.from_env(env={})
MACHINE = {"format": "hinting-scenario/1", "title": "property",
           "machine": {"max_order": 5, "pageblock_order": 3, "zones": [{"name": "DMA", "pages": 16},
                                                                     {"name": "Normal", "pages": 48}]},
           "hinting": {"min_order": 2, "hwm": 2, "capacity": 4, "delay_ms": 20}}

steps = st.one_of(
    st.builds(lambda z, o, mt, name: {"do": "alloc", "zone": z, "order": o, "migratetype": mt,
                                      **({"as": name} if name else {})},
              st.sampled_from(["DMA", "Normal", "HighMem"]), st.integers(0, 5),
              st.sampled_from(["Movable", "Unmovable", "Reclaimable", "Isolate"]), st.sampled_from([None, "a", "b"])),
    st.builds(lambda pfn, order: {"do": "free", "pfn": pfn, "order": order}, st.integers(0, 70), st.integers(0, 4)),
    st.builds(lambda ref: {"do": "free", "ref": ref}, st.sampled_from(["a", "b", "c"])),
    st.builds(lambda pfn, mt: {"do": "move_pageblock", "pfn": pfn, "migratetype": mt}, st.integers(0, 70),
              st.sampled_from(["Movable", "Isolate", "Unmovable"])),
    st.sampled_from([{"do": "hinting_start"}, {"do": "hinting_stop"}, {"do": "step"},
                     {"do": "stepping", "on": True}, {"do": "stepping", "on": False}]),
    st.builds(lambda ms: {"do": "advance", "ms": ms}, st.integers(1, 10**9)),
)

operations = st.lists(st.one_of(
    st.tuples(st.just("do"), steps),
    st.tuples(st.just("clock"), st.integers(1, 3 * 10**9)),
    st.tuples(st.just("clock"), st.integers(1, 50)),
    st.tuples(st.just("workload"), st.integers(1, 40)),
    st.tuples(st.just("travel"), st.integers(0, 80)),
    st.tuples(st.just("undo"), st.none()),
    st.tuples(st.just("branch"), st.tuples(st.sampled_from(["switch", "discard"]), st.integers(1, 4))),
    st.tuples(st.just("reset"), st.sampled_from(["tiny", "machine"])),
), max_size=40)


def run(session: Session, manager: SessionManager, ops: list[tuple[str, Any]]) -> None:
    for kind, arg in ops:
        try:
            if kind == "do":
                session.apply(arg)
            elif kind == "clock":
                session._clock_advance(arg)
            elif kind == "workload":
                session.start_workload(WorkloadMsg.model_validate(
                    {"type": "workload", "action": "start", "seed": arg, "live_target": 6, "orders": [0, 1, 2]}))
                session._run_workload(arg)
                session.stop_workload()
            elif kind == "travel":
                session.travel(arg)
            elif kind == "undo":
                session.undo()
            elif kind == "branch":
                session.branch(*arg)
            elif kind == "reset":
                body = {"preset": "tiny"} if arg == "tiny" else {"scenario": MACHINE}
                session.reset(*manager.scenario_from(body))
        except (InvalidInput, LimitError):
            pass  # refused: the property is about what was accepted


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(operations)
def test_any_reachable_history_exports_imports_and_replays(ops: list[tuple[str, Any]]) -> None:
    manager = SessionManager(SETTINGS)
    session = manager.create({"scenario": MACHINE})
    run(session, manager, ops)
    doc = json.loads(json.dumps(session.scenario_document()))
    # Imports as a new session would (the server's limits, the misspelling checks).
    scenario, _ = manager.scenario_from({"scenario": doc})
    cursor = session.timeline.cursor
    at_cursor = {**doc, "steps": doc["steps"][:cursor]}
    assert replay(parse_scenario(at_cursor))["state"] == session.machine.state()
    session.travel(len(session.history))
    assert replay(scenario)["state"] == session.machine.state()
