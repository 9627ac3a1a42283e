"""Sessions: one core machine each, its clock, its workload, its history, its viewers.

Everything a session does is a scenario step, recorded in `history`, so the
history is always a scenario that `python -m core replay` turns into the
session's current state.  The clock's advances are steps too; consecutive
clock advances with nothing between them are merged into one (advance(a)
then advance(b) and advance(a + b) leave a machine in the same state: the
work runs at most once, at its due time, either way).

Viewers get a snapshot, then deltas (core/delta.py) in sequence.  All of a
session's work happens on the event loop in plain synchronous code, so no
step ever interleaves with another or with a delta being built.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import secrets
import time
from collections import deque
from typing import Any

from core import EventDecoder, InvalidInput, Scenario, StepFailed, parse_scenario, parse_step
from core.delta import StateTracker
from core.scenario import SCENARIO_FORMAT
from core.timeline import Timeline
from core.workload import Workload

from .presets import DEFAULT_PRESET, get_preset
from .protocol import (
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

SNAPSHOT = object()  # queue marker: send a fresh snapshot here


def now_s() -> float:
    return time.monotonic()


class LimitError(Exception):
    """A configured limit was reached; `code` and `field` go to the client."""

    def __init__(self, code: str, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.field = field


class Subscriber:
    """One websocket connection: its role, its outgoing queue, its rate bucket."""

    def __init__(self, role: str, settings: Settings) -> None:
        self.id = secrets.token_hex(3)
        self.role = role
        self.owner = False  # holds the control token (may hand control to others)
        self.name: str | None = None
        self.hand = False
        self.queue: deque[Any] = deque()  # (seq, text) pairs, plain texts, or SNAPSHOT
        self.wake = asyncio.Event()
        self.max_queue = settings.max_queue
        self.rate = settings.actions_per_second
        self.burst = float(settings.action_burst)
        self.tokens = self.burst
        self.stamp = time.monotonic()
        self.resyncs = 0

    @property
    def controller(self) -> bool:
        return self.role == "controller"

    def push(self, item: Any) -> None:
        if len(self.queue) >= self.max_queue:
            # A viewer this far behind skips ahead: a fresh snapshot replaces
            # everything it has not read yet.
            self.queue.clear()
            self.queue.append(SNAPSHOT)
            self.resyncs += 1
        else:
            self.queue.append(item)
        self.wake.set()

    def take_token(self) -> bool:
        now = time.monotonic()
        self.tokens = min(self.burst, self.tokens + (now - self.stamp) * self.rate)
        self.stamp = now
        if self.tokens < 1:
            return False
        self.tokens -= 1
        return True


def checkpoint_budget(scenario: Scenario) -> tuple[int, int]:
    """(steps between checkpoints, most checkpoints) for a machine of this size.

    A checkpoint costs about 10 bytes a page; a session keeps at most ~64 MB of them.
    """
    pages = scenario.machine.nr_pages
    most = max(4, min(48, (64 << 20) // max(1, pages * 10)))
    return (200 if pages <= 1 << 16 else 1000), most


class Session:
    def __init__(self, sid: str, settings: Settings, scenario: Scenario, preset: str | None) -> None:
        self.id = sid
        self.control_token = secrets.token_urlsafe(24)
        self.settings = settings
        self.subscribers: set[Subscriber] = set()
        self.created = time.monotonic()
        self.last_active = self.created
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
        self._ticker: asyncio.Task[None] | None = None
        self._session_changed = False
        self._clock_advance_last = False
        self._reset(scenario, preset)

    # --- the machine and its history -------------------------------------------

    def _reset(self, scenario: Scenario, preset: str | None) -> None:
        if len(scenario.steps) > self.settings.max_history:
            raise LimitError("too_large", f"the scenario has {len(scenario.steps)} steps; the limit is "
                             f"{self.settings.max_history}", "scenario.steps")
        self.scenario = scenario
        self.preset = preset
        self.title = scenario.title
        every, most = checkpoint_budget(scenario)
        self.timeline = Timeline(scenario, record_events=True, checkpoint_every=every, max_checkpoints=most)
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

    def _broadcast_snapshot(self) -> None:
        self.seq += 1
        self._session_changed = False
        for sub in self.subscribers:
            sub.push(SNAPSHOT)

    @property
    def history(self) -> list[dict[str, Any]]:
        return self.timeline.history

    def reset(self, scenario: Scenario, preset: str | None) -> None:
        """Start over; every viewer gets a snapshot."""
        self.stop_workload()
        self.clock_running = False
        self.recent_events.clear()
        self._reset(scenario, preset)
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
        self._clock_advance_last = False
        self.last_active = time.monotonic()
        if forking:
            self.mark_changed()  # a new branch: the timeline changed shape
        return result

    def apply(self, step: Any) -> dict[str, Any]:
        """A controller's step: checked by the core, applied, recorded."""
        parsed = parse_step(step, self.machine.machine_config, "step")
        return self._record(parsed)

    def _clock_advance(self, ms: int) -> None:
        tl = self.timeline
        if self._clock_advance_last and tl.at_end:
            # Nothing happened since the last clock advance: extend it.
            merged = tl.extend_last_advance(ms)
            index = tl.cursor - 1
            self.pending_steps.append({"index": index, "step": merged, "result": tl.results[index]})
            return
        self._record({"do": "advance", "ms": ms})
        self._clock_advance_last = True

    # --- time travel ----------------------------------------------------------------

    def _pause_everything(self) -> None:
        if self.workload is not None or self.clock_running:
            self.workload = None
            self.clock_running = False
            self.mark_changed()

    def travel(self, position: int) -> None:
        self._pause_everything()
        tl = self.timeline
        if position > len(tl.history):
            raise InvalidInput(f"the history has {len(tl.history)} steps; travel to 0..{len(tl.history)}", "to")
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
        self._pause_everything()
        self.flush()
        try:
            undone = self.timeline.undo()
        except ValueError as err:
            raise InvalidInput(str(err), "type") from err
        self._clock_advance_last = False
        self._new_machine()
        self._broadcast_snapshot()
        return undone

    def branch(self, action: str, branch_id: int) -> None:
        self._pause_everything()
        try:
            if action == "switch":
                self.flush()
                self.timeline.switch(branch_id)
                self._new_machine()
                self._broadcast_snapshot()
            else:
                self.timeline.discard(branch_id)
                self.mark_changed()
        except ValueError as err:
            raise InvalidInput(str(err), "branch") from err

    def frames(self, start: int, stop: int, zone: str | None = None) -> list[dict[str, Any]]:
        """States at positions start..stop; with `zone`, only that zone's part of each."""
        names = [z.name for z in self.machine.zones]
        if zone is not None and zone not in names:
            raise InvalidInput(f"unknown zone {zone!r}; this machine has {', '.join(names)}", "zone")
        try:
            states = list(self.timeline.states(start, stop))
        except ValueError as err:
            raise InvalidInput(str(err), "start") from err
        if zone is not None:
            for st in states:
                st["zones"] = [z for z in st["zones"] if z["name"] == zone]
        return states

    def scenario_document(self) -> dict[str, Any]:
        """The session's history as a hinting-scenario/1 document (all of it, whatever the cursor)."""
        doc: dict[str, Any] = {"format": SCENARIO_FORMAT}
        doc["title"] = self.title or f"Hinting Lab session {self.id}"
        if self.preset:
            doc["preset"] = self.preset
        doc["machine"] = self.machine.machine_config.to_json()
        doc["hinting"] = self.machine.hinting_config.to_json()
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
            raise InvalidInput(f"unknown zone {params.zone!r}; this machine has {', '.join(zones)}", "zone")
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
        self._session_changed = True

    def settle(self) -> None:
        """After a request: broadcast what it changed now, or let the running ticker do it this frame."""
        if self.running:
            self._ensure_ticker()
        else:
            self.flush()

    def _ensure_ticker(self) -> None:
        if self._ticker is None or self._ticker.done():
            self._ticker = asyncio.get_running_loop().create_task(self._tick_loop())

    async def _tick_loop(self) -> None:
        """While the clock or a workload runs: one batch of work and one delta per frame."""
        loop = asyncio.get_running_loop()
        frame = self.settings.frame_ms / 1000
        last = loop.time()
        carry_ms = 0.0
        carry_steps = 0.0
        try:
            while self.running:
                await asyncio.sleep(frame)
                now = loop.time()
                dt = min(now - last, 0.25)  # after a stall, do not try to catch up seconds at once
                last = now
                try:
                    if self.workload is not None:
                        carry_steps += self.workload_rate * dt
                        n = int(carry_steps)
                        carry_steps -= n
                        self._run_workload(n)
                    if self.clock_running:
                        carry_ms += dt * 1000 * self.speed
                        ms = int(carry_ms)
                        if ms:
                            carry_ms -= ms
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

    def info(self) -> SessionInfo:
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
            audience=[
                Member(id=s.id, name=s.name, role=s.role, owner=s.owner, hand=s.hand)  # type: ignore[arg-type]
                for s in sorted(self.subscribers, key=lambda s: s.id)[:100]
            ],
            view=self.view,
            view_by=self.view_by,
        )

    def set_view(self, view: dict[str, Any], by: str) -> None:
        if len(json.dumps(view)) > 4096:
            raise InvalidInput("a view is at most 4096 bytes of JSON", "view")
        self.view = view
        self.view_by = by
        self.mark_changed()

    def member(self, connection: str) -> Subscriber:
        for sub in self.subscribers:
            if sub.id == connection:
                return sub
        raise InvalidInput(f"no connection {connection!r} is watching this session", "connection")

    def snapshot_text(self) -> tuple[int, str]:
        msg = SnapshotMsg(seq=self.seq, state=self.tracker.state, session=self.info(),
                          recent_events=list(self.recent_events))
        return self.seq, msg.model_dump_json()

    def subscribe(self, sub: Subscriber) -> None:
        if len(self.subscribers) >= self.settings.max_viewers:
            raise LimitError("too_many_viewers", f"this session already has {self.settings.max_viewers} "
                             "connections, the limit")
        self.subscribers.add(sub)
        self.unwatched_since = None
        sub.push(SNAPSHOT)
        self.last_active = time.monotonic()
        self.mark_changed()
        self.settle()

    def unsubscribe(self, sub: Subscriber) -> None:
        if sub in self.subscribers:
            self.subscribers.discard(sub)
            self.last_active = time.monotonic()
            if not self.subscribers:
                self.unwatched_since = self.last_active
            self.mark_changed()
            self.settle()

    def flush(self) -> None:
        """Build one delta from everything since the last one and queue it for every viewer."""
        raw = self.machine.take_raw_events()
        if not raw and not self.pending_steps and not self._session_changed:
            return
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
            session=self.info() if self._session_changed else None,
        )
        self._session_changed = False
        text = msg.model_dump_json()
        item = (self.seq, text)
        for sub in self.subscribers:
            sub.push(item)

    def close(self) -> None:
        self.workload = None
        self.clock_running = False
        if self._ticker is not None:
            self._ticker.cancel()


class SessionManager:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.sessions: dict[str, Session] = {}
        self._reaper: asyncio.Task[None] | None = None

    def scenario_from(self, body: dict[str, Any] | None) -> tuple[Scenario, str | None]:
        """The scenario a new session or a reset starts from."""
        body = body or {}
        scenario_doc = body.get("scenario")
        preset_name = body.get("preset")
        if scenario_doc is not None and preset_name is not None:
            raise InvalidInput("give a scenario or a preset, not both", "preset")
        if scenario_doc is not None:
            try:
                scenario = parse_scenario(scenario_doc, max_pages=self.settings.max_pages,
                                          max_steps=self.settings.max_history)
            except InvalidInput as err:
                err.field = f"scenario.{err.field}" if err.field else "scenario"
                raise
            return scenario, None
        name = preset_name or DEFAULT_PRESET
        if not isinstance(name, str):
            raise InvalidInput("must be a preset name", "preset")
        preset = get_preset(name)
        if preset is None:
            raise InvalidInput(f"unknown preset {name!r}", "preset")
        return preset.scenario(self.settings.max_pages), name

    def create(self, body: dict[str, Any] | None) -> Session:
        if len(self.sessions) >= self.settings.max_sessions:
            self.reap()
            if len(self.sessions) >= self.settings.max_sessions:
                raise LimitError("too_many_sessions", f"this server holds {self.settings.max_sessions} sessions, "
                                 "the limit; try again later")
        scenario, preset = self.scenario_from(body)
        sid = secrets.token_urlsafe(6)
        while sid in self.sessions:
            sid = secrets.token_urlsafe(6)
        session = Session(sid, self.settings, scenario, preset)
        self.sessions[sid] = session
        return session

    def get(self, sid: str) -> Session | None:
        return self.sessions.get(sid)

    def reap(self) -> int:
        """Drop sessions nobody has watched or touched for idle_expiry_s."""
        now = time.monotonic()
        dead = [s for s in self.sessions.values()
                if not s.subscribers and not s.running and now - s.last_active > self.settings.idle_expiry_s]
        for s in dead:
            s.close()
            del self.sessions[s.id]
        return len(dead)

    async def reap_forever(self) -> None:
        while True:
            await asyncio.sleep(min(30.0, max(1.0, self.settings.idle_expiry_s / 4)))
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
