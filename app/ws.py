"""The websocket endpoint: /ws/{session}.

One reader loop and one writer task per connection.  The writer owns the
socket's send side and drains the connection's queue (results, deltas,
snapshots) in order, so a reply is never overtaken by a delta it caused.
Bad messages get an error naming the field and the request id; the
connection stays open and the session's state is untouched.
"""

from __future__ import annotations

import asyncio
import contextlib
import hmac
import json
from typing import Any
from urllib.parse import urlsplit

from pydantic import ValidationError
from starlette.websockets import WebSocket, WebSocketDisconnect

from core import InvalidInput, StepFailed

from .live_host import HOST_ID, serve_host
from .protocol import (
    PROTOCOL_VERSION,
    AuthMsg,
    BranchMsg,
    ClockMsg,
    ControlMsg,
    DoMsg,
    ErrorInfo,
    ErrorMsg,
    HelloMsg,
    IdentityMsg,
    PingMsg,
    PongMsg,
    ResetMsg,
    ResultMsg,
    ResyncMsg,
    RoleMsg,
    TravelMsg,
    UndoMsg,
    ViewMsg,
    WorkloadMsg,
    client_message,
)
from .sessions import SNAPSHOT, LimitError, Session, SessionManager, Subscriber
from .settings import Settings

CLOSE_POLICY = 1008
CLOSE_NO_SESSION = 4404


def origin_allowed(ws: WebSocket, settings: Settings) -> bool:
    """Browsers send Origin; only this server's own pages (and configured ones) may connect."""
    origin = ws.headers.get("origin")
    if origin is None:
        return True  # not a browser: command-line clients, tests
    allowed = {o.strip().rstrip("/") for o in settings.allowed_origins.split(",") if o.strip()}
    if origin.rstrip("/") in allowed:
        return True
    host = ws.headers.get("host", "")
    return urlsplit(origin).netloc.lower() == host.lower()


def _error(code: str, message: str, field: str | None = None) -> ErrorInfo:
    return ErrorInfo(code=code, message=message, field=field)


def _pydantic_field(err: ValidationError) -> tuple[str | None, str]:
    first = err.errors()[0]
    loc = [str(p) for p in first.get("loc", ())]
    # Discriminated unions put the tag first: ("do", "step") means field "step".
    if loc and loc[0] in ("auth", "do", "clock", "reset", "workload", "travel", "undo", "branch", "view", "control",
                          "identity", "resync", "ping"):
        loc = loc[1:]
    field = ".".join(loc) if loc else None
    if first.get("type") == "union_tag_invalid" or first.get("type") == "union_tag_not_found":
        field = "type"
    return field, first.get("msg", "invalid")


class Connection:
    def __init__(self, ws: WebSocket, session: Session, manager: SessionManager, settings: Settings) -> None:
        self.ws = ws
        self.session = session
        self.manager = manager
        self.settings = settings
        self.sub = Subscriber("viewer", settings)

    async def run(self) -> None:
        session = self.session
        hello = HelloMsg(session=session.id, connection=self.sub.id, role="viewer", limits=self.settings.limits())
        self.sub.push(hello.model_dump_json())
        session.subscribe(self.sub)
        writer = asyncio.get_running_loop().create_task(self._writer())
        try:
            while True:
                message = await self.ws.receive()
                if message["type"] == "websocket.disconnect":
                    break
                text = message.get("text")
                if text is None and message.get("bytes") is not None:
                    text = message["bytes"].decode("utf-8", errors="replace")
                self.handle(text or "")
        except WebSocketDisconnect:
            pass
        finally:
            session.unsubscribe(self.sub)
            writer.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await writer

    async def _writer(self) -> None:
        sub = self.sub
        ws = self.ws
        while True:
            await sub.wake.wait()
            sub.wake.clear()
            while sub.queue:
                item = sub.queue.popleft()
                if item is SNAPSHOT:
                    seq, text = self.session.snapshot_text()
                    # Deltas already queued are inside this snapshot.
                    while sub.queue and isinstance(sub.queue[0], tuple) and sub.queue[0][0] <= seq:
                        sub.queue.popleft()
                elif isinstance(item, tuple):
                    text = item[1]
                else:
                    text = item
                await ws.send_text(text)

    # --- requests -----------------------------------------------------------------

    def reply(self, msg: Any) -> None:
        self.sub.push(msg.model_dump_json())

    def fail(self, rid: int | None, code: str, message: str, field: str | None = None) -> None:
        self.reply(ResultMsg(id=rid, ok=False, error=_error(code, message, field)) if rid is not None
                   else ErrorMsg(id=None, error=_error(code, message, field)))

    def handle(self, text: str) -> None:
        if len(text.encode("utf-8")) > self.settings.max_message_bytes:
            self.fail(None, "too_large", f"message of {len(text)} bytes; the limit is "
                      f"{self.settings.max_message_bytes}", None)
            return
        try:
            raw = json.loads(text)
        except ValueError as err:
            self.fail(None, "bad_json", f"not JSON: {err}")
            return
        rid = raw.get("id") if isinstance(raw, dict) and isinstance(raw.get("id"), int) else None
        if not self.sub.take_token():
            self.fail(rid, "rate_limited", f"more than {self.settings.actions_per_second:g} requests per second; "
                      "slow down", None)
            return
        if isinstance(raw, dict) and raw.get("v", PROTOCOL_VERSION) != PROTOCOL_VERSION:
            self.fail(rid, "unsupported_version", f"this server speaks protocol {PROTOCOL_VERSION}", "v")
            return
        try:
            msg = client_message.validate_python(raw)
        except ValidationError as err:
            field, why = _pydantic_field(err)
            self.fail(rid, "invalid", why, field)
            return
        try:
            self.dispatch(msg)
        except InvalidInput as err:
            self.fail(msg.id, "invalid", err.message, err.field)
        except LimitError as err:
            self.fail(msg.id, err.code, err.message, err.field)
        # The reply is queued; now the delta showing its effect.
        self.session.settle()

    def dispatch(self, msg: Any) -> None:
        session = self.session
        if isinstance(msg, PingMsg):
            self.reply(PongMsg(id=msg.id))
            return
        if isinstance(msg, ResyncMsg):
            self.sub.push(SNAPSHOT)
            self.reply(ResultMsg(id=msg.id, ok=True))
            return
        if isinstance(msg, AuthMsg):
            if hmac.compare_digest(msg.token.encode(), session.control_token.encode()):
                self.sub.role = "controller"
                self.sub.owner = True
                session.mark_changed()
                self.reply(ResultMsg(id=msg.id, ok=True, result={"role": "controller", "owner": True}))
                self.reply(RoleMsg(role="controller", owner=True))
            else:
                self.fail(msg.id, "bad_token", "that is not this session's control token", "token")
            return
        if isinstance(msg, IdentityMsg):
            self.sub.name = msg.name
            self.sub.hand = msg.hand
            session.mark_changed()
            self.reply(ResultMsg(id=msg.id, ok=True))
            return
        if isinstance(msg, ControlMsg):
            if not self.sub.owner:
                self.fail(msg.id, "not_owner", "only the session's owner (who holds its control token) hands out "
                          "control", None)
                return
            target = session.member(msg.connection)
            if msg.action == "grant":
                target.role = "controller"
                target.hand = False
            elif not target.owner:
                target.role = "viewer"
            session.mark_changed()
            self.reply(ResultMsg(id=msg.id, ok=True, result={"connection": target.id, "role": target.role}))
            target.push(RoleMsg(role=target.role, owner=target.owner).model_dump_json())  # type: ignore[arg-type]
            return
        if not self.sub.controller:
            self.fail(msg.id, "read_only", "this connection only watches; open the session with its control "
                      "token to act", None)
            return
        if isinstance(msg, DoMsg):
            try:
                result = session.apply(msg.step)
            except InvalidInput as err:
                self.fail(msg.id, "invalid", err.message, err.field)
                return
            if result["ok"]:
                self.reply(ResultMsg(id=msg.id, ok=True, result=result))
            else:
                self.reply(ResultMsg(id=msg.id, ok=False, result=result,
                                     error=_error("step_failed", result["error"], _failed_field(msg.step))))
            return
        if isinstance(msg, ClockMsg):
            if msg.action == "speed" and msg.speed is None:
                self.fail(msg.id, "invalid", "give the new speed", "speed")
                return
            session.set_clock(msg.action, msg.speed)
            self.reply(ResultMsg(id=msg.id, ok=True, result={"running": session.clock_running,
                                                             "speed": session.speed}))
            return
        if isinstance(msg, WorkloadMsg):
            if msg.action == "start":
                session.start_workload(msg)
            else:
                session.stop_workload()
            self.reply(ResultMsg(id=msg.id, ok=True, result={"running": session.workload is not None}))
            return
        if isinstance(msg, TravelMsg):
            session.travel(msg.to)
            self.reply(ResultMsg(id=msg.id, ok=True, result=session.timeline.summary()))
            return
        if isinstance(msg, UndoMsg):
            undone = session.undo()
            self.reply(ResultMsg(id=msg.id, ok=True, result={"undone": undone, **session.timeline.summary()}))
            return
        if isinstance(msg, BranchMsg):
            session.branch(msg.action, msg.branch)
            self.reply(ResultMsg(id=msg.id, ok=True, result=session.timeline.summary()))
            return
        if isinstance(msg, ViewMsg):
            session.set_view(msg.view, self.sub.id)
            self.reply(ResultMsg(id=msg.id, ok=True))
            return
        if isinstance(msg, ResetMsg):
            scenario, preset = self.manager.scenario_from(msg.model_dump(include={"preset", "scenario"},
                                                                         exclude_none=True))
            self.reply(ResultMsg(id=msg.id, ok=True, result={"preset": preset}))
            session.reset(scenario, preset)
            return
        raise AssertionError(f"unhandled message {msg!r}")  # pragma: no cover


def _failed_field(step: dict[str, Any]) -> str | None:
    """Which field a refused step is about, for the dashboard to put the error next to."""
    kind = step.get("do")
    if kind == "free":
        return "step.ref" if "ref" in step else "step.pfn"
    if kind == "alloc":
        return "step.order"
    if kind == "move_pageblock":
        return "step.pfn"
    return "step.do"


async def websocket_endpoint(ws: WebSocket, session_id: str, manager: SessionManager, settings: Settings) -> None:
    if not origin_allowed(ws, settings):
        await ws.close(code=CLOSE_POLICY)
        return
    await ws.accept()
    if session_id == HOST_ID:  # the read-only view of this server's host (app/live_host.py)
        return await serve_host(ws, settings)
    session = manager.get(session_id)
    if session is None:
        await ws.send_text(ErrorMsg(error=_error("no_session", f"there is no session {session_id!r} here "
                                                 "(it may have expired)", "session")).model_dump_json())
        await ws.close(code=CLOSE_NO_SESSION)
        return
    conn = Connection(ws, session, manager, settings)
    try:
        await conn.run()
    except LimitError as err:
        await ws.send_text(ErrorMsg(error=_error(err.code, err.message, err.field)).model_dump_json())
        await ws.close(code=CLOSE_POLICY)


__all__ = ["StepFailed", "websocket_endpoint"]
