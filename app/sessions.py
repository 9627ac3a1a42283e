"""Sessions: one core machine each, its clock, its workload, its history, its viewers.

Everything a session does is a scenario step, recorded in `history`, so the
history is always a scenario that `python -m core replay` turns into the
session's current state.  The clock's advances are steps too; consecutive
clock advances with nothing between them are merged into one (advance(a)
then advance(b) and advance(a + b) leave a machine in the same state: the
work runs at most once, at its due time, either way).

Viewers get a snapshot, then deltas (core/delta.py) in sequence.  All of a
session's work happens on the event loop in plain synchronous code, so no
step ever interleaves with another or with a delta being built; only a new
session's first replay (before anyone can see it) may run in a worker
thread (app/heavy.py).

What the session tells its viewers about itself comes in two speeds.  What
a request changed (clock, workload, timeline, reset) goes out with that
request's delta.  What the audience changes by coming, going, naming itself
or raising a hand, and the presenter's view, are coalesced to at most one
update per `info_interval_ms`; the audience list itself goes to the owner
only.  So the cost of an audience grows with its size, not its square.

Lifecycle points a durable store hooks into: `Session.__init__` (created,
history replayed), `_record` (one step appended; `_clock_advance` may
instead grow the last advance in place), `travel`/`undo`/`branch`/`reset`
(the history or cursor changed shape), `set_view`, and
`SessionManager._drop` (the session is gone).
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import json
import logging
import secrets
import time
from collections import Counter, deque
from typing import Any

from core import EventDecoder, InvalidInput, Scenario, StepFailed, parse_scenario, parse_step
from core.delta import StateTracker
from core.pair import PairTimeline, compare_flag, given_hinting
from core.scenario import SCENARIO_FORMAT
from core.steps import MAX_ADVANCE_MS
from core.timeline import NOTHING_TO_UNDO, Timeline
from core.workload import Workload

from .errors import LimitError
from .heavy import Deadline
from .pairview import PairView
from .presets import DEFAULT_PRESET, get_preset
from .protocol import (
    AudienceMsg,
    BranchInfo,
    ClockInfo,
    DeltaMsg,
    Member,
    SessionInfo,
    SnapshotMsg,
    TimelineInfo,
    WorkloadInfo,
    WorkloadMsg,
)
from .settings import Settings
from .subscriber import SNAPSHOT, Subscriber

log = logging.getLogger("hinting_lab.sessions")


def now_s() -> float:
    return time.monotonic()


def _prefixed(field: str | None, prefix: str) -> str:
    """`scenario.steps[0]` for a field inside a scenario; `scenario` for the scenario itself."""
    if not field or field == prefix:
        return prefix
    return f"{prefix}.{field}"


def check_names(scenario: Scenario, settings: Settings, prefix: str = "scenario") -> None:
    """Titles and names go to every viewer again and again: keep them short."""
    if scenario.title is not None and len(scenario.title) > settings.max_title_chars:
        raise InvalidInput(f"at most {settings.max_title_chars} characters", f"{prefix}.title")
    for i, (name, _) in enumerate(scenario.machine.zones):
        if len(name) > settings.max_name_chars:
            raise InvalidInput(f"at most {settings.max_name_chars} characters", f"{prefix}.machine.zones[{i}].name")
    for i, step in enumerate(scenario.steps):
        check_step_names(step, settings, f"{prefix}.steps[{i}]")


def check_step_names(step: dict[str, Any], settings: Settings, where: str) -> None:
    for key in ("as", "ref"):
        name = step.get(key)
        if name is not None and len(name) > settings.max_name_chars:
            raise InvalidInput(f"at most {settings.max_name_chars} characters", f"{where}.{key}")


def checkpoint_budget(scenario: Scenario) -> tuple[int, int]:
    """(steps between checkpoints, most checkpoints) for a machine of this size.

    A checkpoint costs about 10 bytes a page; a session keeps at most ~64 MB of them.
    """
    pages = scenario.machine.nr_pages
    most = max(4, min(48, (64 << 20) // max(1, pages * 10)))
    return (200 if pages <= 1 << 16 else 1000), most


class Session:
    def __init__(self, sid: str, settings: Settings, scenario: Scenario, preset: str | None,
                 deadline: Deadline | None = None, address: str = "") -> None:
        self.id = sid
        self.control_token = secrets.token_urlsafe(24)
        self.settings = settings
        self.address = address  # who created it (per-address session limit)
        self.subscribers: set[Subscriber] = set()
        self.created = time.monotonic()
        self.last_active = self.created
        self.used = False  # someone connected at least once (unused sessions are reclaimed sooner)
        self.clock_running = False
        self.speed = 1.0
        self.workload: Workload | None = None
        self.workload_params: WorkloadMsg | None = None
        self.workload_rate = 0.0
        self.workload_steps = 0
        self.view: dict[str, Any] | None = None
        self.view_by: str | None = None
        self.recent_events: deque[dict[str, Any]] = deque(maxlen=50)
        self.unwatched_since: float | None = time.monotonic()
        self.seq = 0
        self.fault: str | None = None  # the last internal error a run hit (it stopped the run)
        self._ticker: asyncio.Task[None] | None = None
        self._session_changed = False  # public info changed by a request: send with the next delta
        self._info_passive = False  # public info changed by the audience (counts, view): coalesced
        self._audience_dirty = False  # the audience list changed: the owner hears, coalesced
        self._info_sent = 0.0
        self._passive_timer: asyncio.TimerHandle | None = None
        self._snap_cache: dict[bool, tuple[int, str]] = {}
        self._clock_advance_last = False
        self.pair: PairView | None = None  # compare mode's right side (app/pairview.py)
        self._reset(scenario, preset, deadline)

    # --- the machine and its history -------------------------------------------

    def _reset(self, scenario: Scenario, preset: str | None, deadline: Deadline | None = None) -> None:
        if len(scenario.steps) > self.settings.max_history:
            raise LimitError("too_large", f"the scenario has {len(scenario.steps)} steps; the limit is "
                             f"{self.settings.max_history}", "scenario.steps")
        every, most = checkpoint_budget(scenario)
        # The timeline starts empty and is fed the steps here, so a long replay can keep to its budget.
        # Compare mode (the scenario's top-level "compare": core/pair.py) holds two machines in lockstep.
        kind: Any = PairTimeline if compare_flag(scenario) else Timeline
        timeline = kind(dataclasses.replace(scenario, steps=[]), record_events=True, checkpoint_every=every,
                        max_checkpoints=most)
        apply = timeline.apply
        for i, step in enumerate(scenario.steps):
            if deadline is not None and not i % 2048:
                deadline.check()
            apply(step)
        timeline.floor = timeline.cursor  # undo stops at the session's start (issue 9)
        self.scenario = scenario
        self.preset = preset
        self.title = scenario.title
        self.timeline = timeline
        self._new_machine()
        self._clock_advance_last = False

    def _new_machine(self) -> None:
        """The timeline's machine was replaced (reset, travel back): viewers start from a snapshot."""
        self.machine = self.timeline.machine
        self.machine.take_raw_events()
        self.recent_events.clear()  # they belonged to a history position we left
        self.decoder = EventDecoder(self.machine)
        self.tracker = StateTracker(self.machine)
        self.pending_steps: list[dict[str, Any]] = []
        if isinstance(self.timeline, PairTimeline):
            if self.pair is None or self.pair.timeline is not self.timeline:
                self.pair = PairView(self.timeline)
            else:
                self.pair.renew()
        else:
            self.pair = None

    def side_machine(self, side: str | None) -> tuple[Any, Any]:
        """(the machine of a compare side, None), or (None, a 422 answer naming `side`) for the HTTP API.

        `left` (or none) is the session's machine; `right` exists in compare mode only.
        """
        if side in (None, "left"):
            return self.machine, None
        if side == "right" and self.pair is not None:
            return self.pair.machine, None
        from .http_errors import error_response

        why = ("this session is not in compare mode: it has one machine (no side=)" if side == "right"
               else "must be left or right")
        return None, error_response(422, "invalid", why, "side")

    @property
    def compare(self) -> bool:
        return self.pair is not None

    def set_compare(self, on: bool) -> None:
        """Compare mode on or off, keeping the history, the cursor and the start (kept branches are dropped)."""
        if on == self.compare:
            return
        cursor, floor, title = self.timeline.cursor, self.timeline.floor, self.title
        scenario = dataclasses.replace(self.scenario, steps=[], raw_steps=[])
        scenario.extra = {**scenario.extra, "compare": on}
        running = (self.clock_running, self.workload)
        self.stop_workload()
        self.clock_running = False
        steps = list(self.history)
        try:
            self._reset(dataclasses.replace(scenario, steps=steps, raw_steps=steps), self.preset,
                        Deadline(self.settings.replay_budget_s, "replaying this session's history",
                                 "on"))
        except Exception:
            self.clock_running, self.workload = running
            raise
        self.title = title
        self.timeline.floor = floor
        if cursor != self.timeline.cursor:
            self.timeline.travel(cursor)
            self._new_machine()
        self.mark_changed()
        self._broadcast_snapshot()

    def _broadcast_snapshot(self) -> None:
        self.seq += 1
        self._session_changed = False
        for sub in self.subscribers:
            sub.push(SNAPSHOT)

    @property
    def history(self) -> list[dict[str, Any]]:
        return self.timeline.history

    def reset(self, scenario: Scenario, preset: str | None) -> None:
        """Start over; every viewer gets a snapshot.  Nothing changes if the scenario is refused."""
        running = (self.clock_running, self.workload)
        self.stop_workload()
        self.clock_running = False
        try:
            self._reset(scenario, preset, Deadline(self.settings.replay_budget_s, "replaying this scenario",
                                                   "scenario.steps"))
        except Exception:
            self.clock_running, self.workload = running
            raise
        self.recent_events.clear()
        self.mark_changed()
        self._broadcast_snapshot()

    def _record(self, step: dict[str, Any]) -> dict[str, Any]:
        tl = self.timeline
        if tl.cursor >= self.settings.max_history:
            raise LimitError("history_full", f"this session holds {self.settings.max_history} steps, the limit; "
                             "export its scenario and reset to go on", "step")
        forking = not tl.at_end
        result = tl.apply(step)
        index = tl.cursor - 1
        self.pending_steps.append({"index": index, "step": step, "result": result})
        if self.pair is not None:
            self.pair.note_step(index)
        self._clock_advance_last = False
        self.last_active = time.monotonic()
        if forking:
            self.mark_changed()  # a new branch: the timeline changed shape
        return result

    def apply(self, step: Any, side: str | None = None) -> dict[str, Any]:
        """A controller's step: checked by the core (only its kind's fields), applied, recorded.

        In compare mode a free by pfn may name the right side's block (`side`
        "right"): the history records the left side's block it corresponds to.
        """
        parsed = parse_step(step, self.machine.machine_config, "step", strict=True)
        check_step_names(parsed, self.settings, "step")
        if side is not None:
            if not isinstance(self.timeline, PairTimeline):
                raise InvalidInput("this session is not in compare mode: a step has no side", "side")
            if side == "right" and parsed["do"] == "free" and "pfn" in parsed:
                parsed = {**parsed, "pfn": self.timeline.left_pfn(parsed["pfn"])}
        return self._record(parsed)

    def _clock_advance(self, ms: int) -> None:
        """The running clock moved `ms`: grow the last clock advance, or record a new one.

        An advance never grows past the scenario format's limit (MAX_ADVANCE_MS):
        the history must stay a scenario that imports and replays.
        """
        tl = self.timeline
        if self._clock_advance_last and tl.at_end and tl.history[-1]["ms"] + ms <= MAX_ADVANCE_MS:
            # Nothing happened since the last clock advance: extend it.
            merged = tl.extend_last_advance(ms)
            index = tl.cursor - 1
            self.pending_steps.append({"index": index, "step": merged, "result": tl.results[index]})
            if self.pair is not None:
                self.pair.note_step(index)
            return
        while ms > MAX_ADVANCE_MS:  # a single tick never is, but a direct caller may ask for more
            self._record({"do": "advance", "ms": MAX_ADVANCE_MS})
            ms -= MAX_ADVANCE_MS
        self._record({"do": "advance", "ms": ms})
        self._clock_advance_last = True

    # --- time travel ----------------------------------------------------------------

    def _pause_everything(self) -> None:
        if self.workload is not None or self.clock_running:
            self.workload = None
            self.clock_running = False
            self.mark_changed()

    def travel(self, position: int) -> None:
        tl = self.timeline
        if position > len(tl.history):
            raise InvalidInput(f"the history has {len(tl.history)} steps; travel to 0..{len(tl.history)}", "to")
        self._pause_everything()
        before = tl.machine
        self.flush()
        start = tl.cursor
        tl.travel(position)
        self._clock_advance_last = False
        self.mark_changed()
        if tl.machine is before:
            # Forward on the live machine: ordinary deltas show each step.
            self.pending_steps.extend(
                {"index": i, "step": tl.history[i], "result": tl.results[i]} for i in range(start, position)
            )
        else:
            self._new_machine()
            self._broadcast_snapshot()

    def undo(self) -> dict[str, Any]:
        if self.timeline.cursor == 0:
            raise InvalidInput("nothing to undo", "type")
        if self.timeline.undo_target() is None:  # refused steps and the preset's own are not undone (issue 9)
            raise InvalidInput(NOTHING_TO_UNDO, "type")
        self._pause_everything()
        self.flush()
        undone = self.timeline.undo()
        self._clock_advance_last = False
        self.mark_changed()
        self._new_machine()
        self._broadcast_snapshot()
        return undone

    def branch(self, action: str, branch_id: int) -> None:
        ids = [b.id for b in self.timeline.branches]
        if branch_id not in ids:
            raise InvalidInput(f"there is no branch {branch_id}" + (f"; the branches are {ids}" if ids else ""),
                               "branch")
        self._pause_everything()
        if action == "switch":
            self.flush()
            self.timeline.switch(branch_id)
            self._clock_advance_last = False
            self._new_machine()
            self.mark_changed()
            self._broadcast_snapshot()
        else:
            self.timeline.discard(branch_id)
            self.mark_changed()

    def frames_plan(self, start: int, stop: int, zone: str | None) -> tuple[Any, list[dict[str, Any]]]:
        """What frames start..stop need, taken on the loop: (a checkpoint, the steps after it).

        The states themselves are computed elsewhere (a worker thread) from
        these, which never change afterwards: checkpoints are never mutated,
        and the step list is a copy.
        """
        names = [z.name for z in self.machine.zones]
        if zone is not None and zone not in names:
            raise InvalidInput(f"unknown zone {zone[:40]!r}; this machine has {', '.join(names)}", "zone")
        tl = self.timeline
        if not 0 <= start <= stop <= len(tl.history):
            raise InvalidInput(f"positions must satisfy 0 <= start <= stop <= {len(tl.history)}", "start")
        base = max(p for p in tl.checkpoints if p <= start)
        return tl.checkpoints[base], tl.history[base:stop]

    def frames(self, start: int, stop: int, zone: str | None = None) -> list[dict[str, Any]]:
        """States at positions start..stop; with `zone`, only that zone's part of each."""
        checkpoint, steps = self.frames_plan(start, stop, zone)
        return [json.loads(t) for t in frame_texts(checkpoint, steps, stop - start + 1, zone, None, None)]

    def scenario_document(self) -> dict[str, Any]:
        """The session's history as a hinting-scenario/1 document (all of it, whatever the cursor)."""
        doc: dict[str, Any] = {"format": SCENARIO_FORMAT}
        doc["title"] = self.title or f"Hinting Lab session {self.id}"
        if self.preset:
            doc["preset"] = self.preset
        doc["machine"] = self.machine.machine_config.to_json()
        doc["hinting"] = self.machine.hinting_config.to_json()
        if self.pair is not None:
            # Each side's design takes the fields given, its own defaults for the rest (core/pair.py).
            doc["hinting"] = given_hinting(self.scenario)
            doc["compare"] = True
        doc["steps"] = list(self.history)
        return doc

    # --- clock and workload -------------------------------------------------------

    @property
    def running(self) -> bool:
        return self.clock_running or self.workload is not None

    def set_clock(self, action: str, speed: float | None) -> None:
        if speed is not None:
            self.speed = speed
        if action == "run":
            self.clock_running = True
        elif action == "pause":
            self.clock_running = False
        self.mark_changed()

    def start_workload(self, params: WorkloadMsg) -> None:
        machine = self.machine
        zones = [z.name for z in machine.zones]
        if params.zone is not None and params.zone not in zones:
            raise InvalidInput(f"unknown zone {params.zone[:40]!r}; this machine has {', '.join(zones)}", "zone")
        for i, order in enumerate(params.orders):
            if not 0 <= order < machine.pgdat.max_order:
                raise InvalidInput(f"must be in 0..{machine.pgdat.max_order - 1}, got {order}", f"orders[{i}]")
        for name, weights, items in (("order_weights", params.order_weights, params.orders),
                                     ("mt_weights", params.mt_weights, params.migratetypes)):
            if weights is not None and (len(weights) != len(items) or any(w < 0 for w in weights) or
                                        sum(weights) <= 0):
                raise InvalidInput(f"needs {len(items)} non-negative weights, not all zero", name)
        if params.rate > self.settings.max_workload_rate:
            raise InvalidInput(f"must be <= {self.settings.max_workload_rate:g} steps/s here", "rate")
        self.workload = Workload(
            seed=params.seed, live_target=params.live_target, orders=params.orders,
            order_weights=params.order_weights, migratetypes=params.migratetypes,
            mt_weights=params.mt_weights, zone=params.zone,
        )
        self.workload_params = params
        self.workload_rate = params.rate
        self.workload_steps = 0
        self.mark_changed()

    def stop_workload(self) -> None:
        if self.workload is not None:
            self.workload = None
            self.mark_changed()

    def mark_changed(self) -> None:
        """Public session info changed because of a request: it goes out with the next delta."""
        self._session_changed = True

    def note_info(self) -> None:
        """Public session info changed by the audience (viewer counts, the presenter's view): coalesced."""
        self._info_passive = True
        self._audience_dirty = True
        self._schedule_passive()

    def note_audience(self) -> None:
        """Only the audience list changed (a name, a hand): the owner hears, coalesced."""
        self._audience_dirty = True
        self._schedule_passive()

    def _schedule_passive(self) -> None:
        if self._passive_timer is not None:
            return
        with contextlib.suppress(RuntimeError):  # no loop (a test driving the session directly)
            loop = asyncio.get_running_loop()
            delay = max(0.0, self._info_sent + self.settings.info_interval_ms / 1000 - time.monotonic())
            self._passive_timer = loop.call_later(delay, self._passive_due)

    def _passive_due(self) -> None:
        self._passive_timer = None
        if not self.running:  # while running, the ticker's next frame carries it
            self._guarded(self.flush)

    def settle(self) -> None:
        """After a request: broadcast what it changed now, or let the running ticker do it this frame."""
        if self.running:
            self._ensure_ticker()
        else:
            self.flush()

    def _ensure_ticker(self) -> None:
        if self._ticker is None or self._ticker.done():
            self._ticker = asyncio.get_running_loop().create_task(self._tick_loop())

    def _guarded(self, work: Any) -> None:
        """Run session work from a timer or the ticker, where an exception would reach nobody.

        A bug must not leave a workload "running" for ever with no task
        behind it: the run stops, viewers are told, and the error is logged.
        """
        try:
            work()
        except Exception as err:
            log.exception("session %s: internal error; its clock and workload are stopped", self.id)
            self.fault = f"{type(err).__name__}: {err}"[:200]
            self.clock_running = False
            self.workload = None
            self.mark_changed()
            with contextlib.suppress(Exception):
                self.flush()

    async def _tick_loop(self) -> None:
        """While the clock or a workload runs: one batch of work and one delta per frame."""
        loop = asyncio.get_running_loop()
        frame = self.settings.frame_ms / 1000
        last = loop.time()
        carry = [0.0, 0.0]  # virtual ms, workload steps not yet done

        def tick(dt: float) -> None:
            try:
                if self.workload is not None:
                    carry[1] += self.workload_rate * dt
                    n = int(carry[1])
                    carry[1] -= n
                    self._run_workload(n)
                if self.clock_running:
                    carry[0] += dt * 1000 * self.speed
                    ms = int(carry[0])
                    if ms:
                        carry[0] -= ms
                        self._clock_advance(ms)
            except LimitError:
                self.clock_running = False
                self.workload = None
                self._session_changed = True
            if self.unwatched_since is not None and now_s() - self.unwatched_since > self.settings.orphan_pause_s:
                # Nobody has watched for a while: stop burning CPU on an abandoned run.
                self.clock_running = False
                self.workload = None
                self._session_changed = True
            self.flush()

        try:
            while self.running:
                await asyncio.sleep(frame)
                now = loop.time()
                dt = min(now - last, 0.25)  # after a stall, do not try to catch up seconds at once
                last = now
                self._guarded(lambda dt=dt: tick(dt))
        finally:
            self._ticker = None

    def _run_workload(self, n: int) -> None:
        wl = self.workload
        assert wl is not None
        machine = self.machine
        for _ in range(n):
            step = wl.next_step(machine)
            wl.observe(step, self._record(step))
            self.workload_steps += 1

    # --- viewers ---------------------------------------------------------------------

    def audience(self) -> list[Member]:
        return [Member(id=s.id, name=s.name, role=s.role, owner=s.owner, hand=s.hand)
                for s in sorted(self.subscribers, key=lambda s: s.id)[:100]]

    def audience_text(self) -> str:
        return AudienceMsg(viewers=len(self.subscribers), controllers=sum(1 for s in self.subscribers if s.controller),
                           audience=self.audience()).model_dump_json()

    def info(self, audience: bool = True) -> SessionInfo:
        """The session as its viewers see it; `audience=False` leaves out who is watching (all but the owner)."""
        wl = self.workload_params
        return SessionInfo(
            id=self.id,
            title=self.title,
            preset=self.preset,
            clock=ClockInfo(running=self.clock_running, speed=self.speed),
            workload=WorkloadInfo(
                running=self.workload is not None,
                seed=wl.seed if wl else None,
                rate=wl.rate if wl else None,
                live_target=wl.live_target if wl else None,
                steps=self.workload_steps,
            ),
            history_length=len(self.history),
            timeline=TimelineInfo(
                cursor=self.timeline.cursor,
                length=len(self.history),
                branches=[BranchInfo(**b.summary()) for b in self.timeline.branches],
                start=self.timeline.floor,
            ),
            viewers=len(self.subscribers),
            controllers=sum(1 for s in self.subscribers if s.controller),
            audience=self.audience() if audience else [],
            view=self.view,
            view_by=self.view_by,
            compare=self.pair is not None,
        )

    def set_view(self, view: dict[str, Any], by: str) -> None:
        if len(json.dumps(view)) > 4096:
            raise InvalidInput("a view is at most 4096 bytes of JSON", "view")
        self.view = view
        self.view_by = by
        self.note_info()

    def member(self, connection: str) -> Subscriber:
        for sub in self.subscribers:
            if sub.id == connection:
                return sub
        raise InvalidInput(f"no connection {connection[:40]!r} is watching this session", "connection")

    def snapshot_text(self, owner: bool = False) -> tuple[int, str]:
        """The snapshot at the current seq (built once per seq and kind of reader, then shared)."""
        cached = self._snap_cache.get(owner)
        if cached is not None and cached[0] == self.seq:
            return cached
        msg = SnapshotMsg(seq=self.seq, state=self.tracker.state, session=self.info(audience=owner),
                          recent_events=list(self.recent_events),
                          pair=self.pair.snapshot() if self.pair is not None else None)
        made = (self.seq, msg.model_dump_json())
        self._snap_cache[owner] = made
        return made

    def subscribe(self, sub: Subscriber) -> None:
        if len(self.subscribers) >= self.settings.max_viewers:
            raise LimitError("too_many_viewers", f"this session already has {self.settings.max_viewers} "
                             "connections, the limit")
        self.subscribers.add(sub)
        self.used = True
        self.unwatched_since = None
        sub.push(SNAPSHOT)
        self.last_active = time.monotonic()
        self.note_info()
        if self.running:
            self._ensure_ticker()

    def unsubscribe(self, sub: Subscriber) -> None:
        if sub in self.subscribers:
            self.subscribers.discard(sub)
            self.last_active = time.monotonic()
            if not self.subscribers:
                self.unwatched_since = self.last_active
            self.note_info()

    def flush(self) -> None:
        """Build one delta from everything since the last one and queue it for every viewer.

        Session info rides along when a request changed it, or (coalesced)
        when the audience did and `info_interval_ms` has passed since the
        last time; the owner's copy lists the audience, the others' does not.
        """
        raw = self.machine.take_raw_events()
        now = time.monotonic()
        due = now - self._info_sent >= self.settings.info_interval_ms / 1000
        with_info = self._session_changed or (self._info_passive and due)
        owners = [s for s in self.subscribers if s.owner]
        pair = self.pair
        if raw or self.pending_steps or with_info or (pair is not None and pair.has_news()):
            changes = self.tracker.delta(raw)
            keep = self.settings.max_events_per_delta if self.running else None
            events, omitted = self.decoder.decode_tail(raw, keep)
            steps = self.pending_steps
            self.pending_steps = []
            steps_omitted = 0
            if self.running and len(steps) > self.settings.max_steps_per_delta:
                # The scenario keeps every step; a running delta names only the newest.
                steps_omitted = len(steps) - self.settings.max_steps_per_delta
                steps = steps[steps_omitted:]
            self.recent_events.extend(events)
            self.seq += 1
            msg = DeltaMsg(
                seq=self.seq, history_length=len(self.history), cursor=self.timeline.cursor, changes=changes,
                events=events, events_omitted=omitted, steps=steps, steps_omitted=steps_omitted,
                session=self.info(audience=False) if with_info else None,
                pair=pair.delta(keep, self.settings.max_steps_per_delta) if pair is not None else None,
            )
            text = msg.model_dump_json()
            owner_text = text
            if with_info:
                self._session_changed = self._info_passive = False
                self._info_sent = now
                if owners:
                    msg.session = self.info()
                    owner_text = msg.model_dump_json()
                    self._audience_dirty = False
            item, owner_item = (self.seq, text), (self.seq, owner_text)
            for sub in self.subscribers:
                sub.push(owner_item if sub.owner else item)
        if self._audience_dirty and due:
            self._audience_dirty = False
            self._info_sent = now
            if owners:
                text = self.audience_text()
                for sub in owners:
                    sub.push(text)
        if self._info_passive or self._audience_dirty:
            self._schedule_passive()

    def close(self) -> None:
        self.workload = None
        self.clock_running = False
        if self._ticker is not None:
            self._ticker.cancel()
        if self._passive_timer is not None:
            self._passive_timer.cancel()
            self._passive_timer = None
        for sub in list(self.subscribers):
            sub.close("this session was closed")


def frame_texts(checkpoint: Any, steps: list[dict[str, Any]], count: int, zone: str | None,
                deadline: Deadline | None, max_bytes: int | None) -> list[str]:
    """The last `count` states of replaying `steps` on a clone of `checkpoint`, as JSON texts.

    Runs in a worker thread for HTTP (the checkpoint and the step list are
    never changed by anyone else).  Keeps to a time budget and a size budget.
    """
    machine = checkpoint.clone(record_events=False)
    first = len(steps) - (count - 1)
    for step in steps[:first]:
        machine.apply_parsed(step)
    out = [json.dumps(_only_zone(machine.state(), zone))]
    size = len(out[0])
    for i, step in enumerate(steps[first:]):
        machine.apply_parsed(step)
        out.append(json.dumps(_only_zone(machine.state(), zone)))
        size += len(out[-1])
        if max_bytes is not None and size > max_bytes:
            per = size // len(out)
            raise LimitError("too_large", f"the states of this machine take ~{per // 1024} KiB each; at most "
                             f"{max(1, max_bytes // max(1, per))} frames at once", "stop")
        if deadline is not None and not i % 8:
            deadline.check()
    return out


def _only_zone(state: dict[str, Any], zone: str | None) -> dict[str, Any]:
    if zone is not None:
        state["zones"] = [z for z in state["zones"] if z["name"] == zone]
    return state


class SessionManager:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.sessions: dict[str, Session] = {}
        self.connections: Counter[str] = Counter()  # open websockets per address
        self._reaper: asyncio.Task[None] | None = None

    # --- creating ---------------------------------------------------------------------

    def scenario_from(self, body: dict[str, Any] | None) -> tuple[Scenario, str | None]:
        """The scenario a new session or a reset starts from ({preset} or {scenario}, nothing else)."""
        body = body or {}
        unknown = sorted(str(k) for k in body if k not in ("preset", "scenario", "compare"))
        if unknown:
            raise InvalidInput(f"unknown field {unknown[0][:40]!r}; give preset or scenario (and compare)",
                               unknown[0][:100])
        compare = body.get("compare")
        if compare is not None and not isinstance(compare, bool):
            raise InvalidInput("must be true or false (compare mode: the seed and free page reporting side by side)",
                               "compare")
        scenario, preset = self._scenario_from(body)
        if compare is not None:
            scenario.extra = {**scenario.extra, "compare": compare}
        return scenario, preset

    def _scenario_from(self, body: dict[str, Any]) -> tuple[Scenario, str | None]:
        if "scenario" in body and "preset" in body:
            raise InvalidInput("give a scenario or a preset, not both", "preset")
        scenario_doc = body.get("scenario")
        preset_name = body.get("preset")
        if "scenario" in body and not isinstance(scenario_doc, dict):
            raise InvalidInput("must be a hinting-scenario/1 object", "scenario")
        if "preset" in body and (not isinstance(preset_name, str) or not preset_name):
            raise InvalidInput("must be a preset's name (GET /api/presets lists them)", "preset")
        if scenario_doc is not None:
            try:
                scenario = parse_scenario(scenario_doc, max_pages=self.settings.max_pages,
                                          max_steps=self.settings.max_history)
                compare_flag(scenario)
            except InvalidInput as err:
                err.field = _prefixed(err.field, "scenario")
                raise
            check_names(scenario, self.settings)
            return scenario, None
        name = preset_name or DEFAULT_PRESET
        preset = get_preset(name)
        if preset is None:
            raise InvalidInput(f"unknown preset {name[:40]!r}", "preset")
        scenario = preset.scenario(self.settings.max_pages)
        scenario.extra = dict(scenario.extra)  # a compare override must not reach the cached preset
        return scenario, name

    def check_room(self, address: str = "") -> None:
        """Refuse a new session before any work is done for it (cheap: no body read yet)."""
        per_ip = sum(1 for s in self.sessions.values() if s.address == address) if address else 0
        if address and per_ip >= self.settings.max_sessions_per_ip:
            self._evict_unused(address)
            if sum(1 for s in self.sessions.values() if s.address == address) >= self.settings.max_sessions_per_ip:
                raise LimitError("too_many_sessions", f"this address already holds {self.settings.max_sessions_per_ip}"
                                 " sessions, the limit; close some or try again later")
        if len(self.sessions) >= self.settings.max_sessions:
            self.reap()
            self._evict_unused()
            if len(self.sessions) >= self.settings.max_sessions:
                raise LimitError("too_many_sessions", f"this server holds {self.settings.max_sessions} sessions, "
                                 "the limit; try again later")

    def _evict_unused(self, address: str | None = None) -> None:
        """Make room: drop the oldest session nobody ever connected to, if it is older than unused_grace_s."""
        now = time.monotonic()
        unused = [s for s in self.sessions.values() if not s.used and not s.subscribers and
                  now - s.created > self.settings.unused_grace_s and (address is None or s.address == address)]
        if unused:
            self._drop(min(unused, key=lambda s: s.created))

    def new_session(self, scenario: Scenario, preset: str | None, address: str = "",
                    deadline: Deadline | None = None) -> Session:
        """Build a session (the replay may run in a worker thread); `register` makes it visible."""
        sid = secrets.token_urlsafe(6)
        while sid in self.sessions:
            sid = secrets.token_urlsafe(6)
        return Session(sid, self.settings, scenario, preset, deadline, address)

    def register(self, session: Session) -> Session:
        self.check_room(session.address)
        while session.id in self.sessions:
            session.id = secrets.token_urlsafe(6)
        self.sessions[session.id] = session
        return session

    def create(self, body: dict[str, Any] | None, address: str = "") -> Session:
        """Check, build and register a session, all on the caller's thread (tests, small bodies)."""
        self.check_room(address)
        scenario, preset = self.scenario_from(body)
        return self.register(self.new_session(scenario, preset, address))

    def get(self, sid: str) -> Session | None:
        return self.sessions.get(sid)

    # --- reclaiming ---------------------------------------------------------------------

    def _drop(self, session: Session) -> None:
        session.close()
        self.sessions.pop(session.id, None)

    def reap(self) -> int:
        """Drop sessions nobody has watched or touched for idle_expiry_s (unused_expiry_s if never used)."""
        now = time.monotonic()
        dead = [s for s in self.sessions.values()
                if not s.subscribers and not s.running and
                now - s.last_active > (self.settings.idle_expiry_s if s.used else
                                       min(self.settings.idle_expiry_s, self.settings.unused_expiry_s))]
        for s in dead:
            self._drop(s)
        return len(dead)

    async def reap_forever(self) -> None:
        every = min(self.settings.idle_expiry_s, self.settings.unused_expiry_s) / 4
        while True:
            await asyncio.sleep(min(30.0, max(1.0, every)))
            self.reap()

    def start(self) -> None:
        if self._reaper is None:
            self._reaper = asyncio.get_running_loop().create_task(self.reap_forever())

    async def stop(self) -> None:
        if self._reaper is not None:
            self._reaper.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._reaper
        for s in self.sessions.values():
            s.close()


__all__ = ["LimitError", "Session", "SessionManager", "StepFailed", "Subscriber"]
