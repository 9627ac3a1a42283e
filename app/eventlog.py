"""GET /api/sessions/{id}/events: every event of a range of steps, for the dashboard's log.

A running session's deltas carry only each frame's newest events; the log
asks here for the rest once the run pauses, when a filter is chosen and
after time travel.  The events are rebuilt by replaying the steps from the
nearest checkpoint (core/eventlog.py), on a worker thread so the other
sessions' frames go on meanwhile.

Replays cost CPU, so they are budgeted: one request replays at most
`max_log_replay_steps` (a longer range is cut to its newest part and the
answer says where it starts), and a session replays at most
`log_replay_budget` steps a minute (beyond, 429 with the seconds to wait).
The session id is the right to read, as for its state and scenario: viewers
may read the log as well as controllers.
"""

from __future__ import annotations

import asyncio
import functools
import re
import time
import weakref
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from core.eventlog import replay_events, replay_plan
from core.trace import Category

from .errors import LimitError
from .sessions import Session, SessionManager
from .settings import Settings

KIND_RE = re.compile(r"^[a-z_]{1,40}$")
MAX_KINDS = 64


class ReplayBudget:
    """Steps a session may replay: `per_minute`, refilled continuously."""

    def __init__(self, per_minute: int) -> None:
        self.size = float(per_minute)
        self.tokens = self.size
        self.stamp = time.monotonic()

    def take(self, steps: int) -> float:
        """0 when granted, else the seconds until it would be."""
        now = time.monotonic()
        rate = self.size / 60
        self.tokens = min(self.size, self.tokens + (now - self.stamp) * rate)
        self.stamp = now
        need = min(float(steps), self.size)
        if self.tokens < need:
            return (need - self.tokens) / rate if rate else float("inf")
        self.tokens -= need
        return 0.0


def _error(status: int, code: str, message: str, field: str | None) -> JSONResponse:
    return JSONResponse({"error": {"code": code, "message": message, "field": field}}, status_code=status)


def _kinds(raw: str | None, field: str) -> tuple[list[str] | None, JSONResponse | None]:
    if raw is None:
        return None, None
    kinds = [k for k in raw.split(",") if k]
    if len(kinds) > MAX_KINDS:
        return None, _error(422, "invalid", f"at most {MAX_KINDS} kinds", field)
    for k in kinds:
        if not KIND_RE.match(k):
            return None, _error(422, "invalid", f"{k!r} is not an event kind (lower case and _ only)", field)
    return kinds, None


def _categories(raw: str | None) -> tuple[list[str] | None, JSONResponse | None]:
    if raw is None:
        return None, None
    cats = [c for c in raw.split(",") if c]
    known = {c.value for c in Category}
    for c in cats:
        if c not in known:
            return None, _error(422, "invalid", f"{c!r} is not an event category (one of {', '.join(sorted(known))})",
                                "categories")
    return cats, None


def _int(raw: str | None, field: str, default: int) -> tuple[int, JSONResponse | None]:
    if raw is None or raw == "":
        return default, None
    try:
        return int(raw), None
    except ValueError:
        return 0, _error(422, "invalid", f"must be a whole number, got {raw!r}", field)


def register(app: FastAPI) -> None:
    manager: SessionManager = app.state.manager
    settings: Settings = app.state.settings
    budgets: weakref.WeakKeyDictionary[Session, ReplayBudget] = weakref.WeakKeyDictionary()

    @app.get("/api/sessions/{sid}/events")
    async def session_events(sid: str, request: Request) -> Any:
        """Events of steps from..to-1 (positions on the session's history), newest `max_log_events` kept.

        Query: `from`, `to` (default: the cursor), `kinds` / `not_kinds` (comma-separated event
        kinds to keep / drop), `categories` (comma-separated categories to keep: step, alloc,
        free, hinting, work, boundary, anomaly), `anomalies=1` (only events naming an anomaly).
        """
        session = manager.get(sid)
        if session is None:
            return _error(404, "no_session", f"there is no session {sid!r} here (it may have expired)", "id")
        q = request.query_params
        tl = session.timeline
        length = len(tl.history)
        stop, bad = _int(q.get("to"), "to", tl.cursor)
        if bad:
            return bad
        start, bad = _int(q.get("from"), "from", max(0, stop - 200))
        if bad:
            return bad
        if not 0 <= stop <= length:
            return _error(422, "invalid", f"must be in 0..{length} (the history's length)", "to")
        if not 0 <= start <= stop:
            return _error(422, "invalid", f"must be in 0..{stop} (to)", "from")
        kinds, bad = _kinds(q.get("kinds"), "kinds")
        if bad:
            return bad
        not_kinds, bad = _kinds(q.get("not_kinds"), "not_kinds")
        if bad:
            return bad
        categories, bad = _categories(q.get("categories"))
        if bad:
            return bad
        anomalies = q.get("anomalies") in ("1", "true")
        # Too long a range: keep its newest part, from the earliest checkpoint the limit reaches.
        limit = settings.max_log_replay_steps
        served = start
        if stop - max(p for p in tl.checkpoints if p <= start) > limit:
            reachable = [p for p in tl.checkpoints if stop - limit <= p <= stop]
            if not reachable:
                return _error(422, "too_large", f"the steps before {stop} are more than {limit} steps from a "
                              "checkpoint: travel nearer to read them", "to")
            served = max(start, min(reachable))
        checkpoint, steps, base = replay_plan(tl, served, stop)
        budget = budgets.get(session)
        if budget is None:
            budget = budgets[session] = ReplayBudget(settings.log_replay_budget)
        wait = budget.take(len(steps))
        if wait:
            return JSONResponse({"error": {
                "code": "busy", "field": None,
                "message": f"this session has replayed its share of steps for the log this minute; "
                           f"try again in {wait:.0f} s"}}, status_code=429, headers={"Retry-After": f"{wait:.0f}"})
        job = functools.partial(replay_events, checkpoint, steps, base, served, cap=settings.max_log_events,
                                kinds=kinds, not_kinds=not_kinds or (), categories=categories,
                                anomalies_only=anomalies)
        heavy = getattr(app.state, "heavy", None)  # the server's worker threads for big jobs, when it has them
        try:
            found = await (heavy.run(job) if heavy is not None else asyncio.to_thread(job))
        except LimitError as err:
            return _error(429 if err.code == "busy" else 422, err.code, err.message, err.field)
        return {
            "from": served,
            "to": stop,
            "requested_from": start,
            "skipped_steps": served - start,
            "length": length,
            "cursor": tl.cursor,
            "matched": found.matched,
            "capped": found.capped,
            "cap": settings.max_log_events,
            "replayed": found.replayed,
            "events": found.events,
        }
