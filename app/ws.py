"""The websocket endpoint: /ws/{session}.

One reader loop and one writer task per connection.  The writer owns the
socket's send side and drains the connection's two queues (answers first,
then the session's stream; see app/subscriber.py), so a reply is never
overtaken by a delta it caused and never dropped.  Every frame gets a typed
answer: bad messages an error naming the field and the request id, with the
connection left open and the session untouched; an unexpected exception an
`internal` error (and a log entry: that is a bug).  The server closes a
connection only deliberately, with a close code and a reason.
"""

from __future__ import annotations

import asyncio
import contextlib
import hmac
import logging
from typing import Any

from pydantic import ValidationError
from starlette.websockets import WebSocket, WebSocketDisconnect

from core import InvalidInput, StepFailed

from .errors import LimitError
from .jsonin import Unreadable, read_json
from .live_host import HOST_ID, serve_host
from .origins import OriginPolicy
from .protocol import (
    PROTOCOL_VERSION,
    SUPPORTED_VERSIONS,
    AuthMsg,
    BranchMsg,
    ClockMsg,
    CompareMsg,
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
from .roles import Role
from .sessions import Session, SessionManager
from .settings import Settings
from .subscriber import SNAPSHOT, Subscriber

CLOSE_POLICY = 1008
CLOSE_TRY_LATER = 1013
CLOSE_NO_SESSION = 4404
log = logging.getLogger("hinting_lab.ws")
MESSAGE_TAGS = ("auth", "do", "clock", "reset", "workload", "travel", "undo", "branch", "view", "control",
                "identity", "resync", "ping", "compare")


def _error(code: str, message: str, field: str | None = None) -> ErrorInfo:
    return ErrorInfo(code=code, message=message, field=field)


def _pydantic_field(err: ValidationError) -> tuple[str | None, str]:
    first = err.errors()[0]
    loc = [str(p) for p in first.get("loc", ())]
    # Discriminated unions put the tag first: ("do", "step") means field "step".
    if loc and loc[0] in MESSAGE_TAGS:
        loc = loc[1:]
    field = ".".join(loc) if loc else None
    if first.get("type") in ("union_tag_invalid", "union_tag_not_found"):
        field = "type"
    why = first.get("msg", "invalid")
    if first.get("type") == "extra_forbidden":
        why = f"unknown field {field!r}"
    return field, why


def _request_id(raw: Any) -> int | None:
    rid = raw.get("id") if isinstance(raw, dict) else None
    return rid if type(rid) is int and 0 <= rid <= 2**53 else None


class Connection:
    def __init__(self, ws: WebSocket, session: Session, manager: SessionManager, settings: Settings,
                 address: str = "") -> None:
        self.ws = ws
        self.session = session
        self.manager = manager
        self.settings = settings
        self.sub = Subscriber(settings, address)

    async def run(self) -> None:
        session = self.session
        hello = HelloMsg(session=session.id, connection=self.sub.id, role=Role.VIEWER, limits=self.settings.limits())
        self.sub.reply(hello.model_dump_json())
        session.subscribe(self.sub)
        writer = asyncio.get_running_loop().create_task(self._writer())
        try:
            while not self.sub.closing:
                message = await self.ws.receive()
                if message["type"] == "websocket.disconnect":
                    break
                text = message.get("text")
                if text is None:
                    self.fail(None, "bad_frame", "binary frames are not part of this protocol: send JSON as text",
                              "message")
                else:
                    self.handle_safely(text)
        except WebSocketDisconnect:
            pass
        finally:
            session.unsubscribe(self.sub)
            if self.sub.closing:
                # Let the writer send the close frame (with its reason) if the client still reads.
                with contextlib.suppress(asyncio.TimeoutError, Exception):
                    await asyncio.wait_for(asyncio.shield(writer), 1.0)
            writer.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await writer

    async def _writer(self) -> None:
        sub = self.sub
        ws = self.ws
        while True:
            await sub.wake.wait()
            sub.wake.clear()
            while (sub.control or sub.data) and not sub.closing:
                if sub.control:
                    text = sub.control.popleft()
                else:
                    item = sub.data.popleft()
                    if item is SNAPSHOT:
                        seq, text = self.session.snapshot_text(sub.owner)
                        # Deltas already queued are inside this snapshot.
                        while sub.data and isinstance(sub.data[0], tuple) and sub.data[0][0] <= seq:
                            sub.data.popleft()
                    elif isinstance(item, tuple):
                        text = item[1]
                    else:
                        text = item
                await ws.send_text(text)
            if sub.closing:
                await ws.close(code=CLOSE_POLICY, reason=sub.closing[:120])
                return

    # --- requests -----------------------------------------------------------------

    def reply(self, msg: Any) -> None:
        self.sub.reply(msg.model_dump_json())

    def fail(self, rid: int | None, code: str, message: str, field: str | None = None) -> None:
        self.reply(ResultMsg(id=rid, ok=False, error=_error(code, message, field)) if rid is not None
                   else ErrorMsg(id=None, error=_error(code, message, field)))

    def handle_safely(self, text: str) -> None:
        """handle(), but an unexpected exception is answered (and logged as the bug it is), never fatal."""
        try:
            self.handle(text)
        except Exception:
            log.exception("session %s: internal error on a message", self.session.id)
            self.fail(None, "internal", "the server failed on this message (a bug: it is logged); the session "
                      "is unchanged")

    def handle(self, text: str) -> None:
        limit = self.settings.max_message_bytes
        size = len(text) if len(text) * 4 <= limit else len(text.encode("utf-8", "surrogatepass"))
        # Bigger messages cost more of the rate budget: reading one is work too.
        if not self.sub.take_tokens(max(1, -(-size // limit))):
            rid = None
            if size <= 4096:
                with contextlib.suppress(Unreadable):
                    rid = _request_id(read_json(text, self.settings.max_json_depth))
            self.fail(rid, "rate_limited", f"more than {self.settings.actions_per_second:g} requests per second; "
                      "slow down", None)
            return
        try:
            raw = read_json(text, self.settings.max_json_depth)
        except Unreadable as err:
            self.fail(None, err.code, err.message, err.field or "message")
            return
        rid = _request_id(raw)
        if size > limit:
            self.fail(rid, "too_large", f"message of {size} bytes; the limit is {limit}", None)
            return
        if not isinstance(raw, dict):
            self.fail(None, "invalid", f"a message is a JSON object with a type, not {type(raw).__name__}",
                      "message")
            return
        if raw.get("v", PROTOCOL_VERSION) not in SUPPORTED_VERSIONS or type(raw.get("v", 0)) is not int:
            self.fail(rid, "unsupported_version", f"this server speaks protocol {PROTOCOL_VERSION} (and takes "
                      f"{', '.join(map(str, SUPPORTED_VERSIONS))})", "v")
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
        sub = self.sub
        if isinstance(msg, PingMsg):
            self.reply(PongMsg(id=msg.id))
            return
        if isinstance(msg, ResyncMsg):
            sub.push(SNAPSHOT)
            self.reply(ResultMsg(id=msg.id, ok=True))
            return
        if isinstance(msg, AuthMsg):
            if hmac.compare_digest(msg.token.encode(), session.control_token.encode()):
                sub.standing.authenticate()
                session.note_info()
                self.reply(ResultMsg(id=msg.id, ok=True, result={"role": Role.CONTROLLER, "owner": True}))
                self.reply(RoleMsg(role=Role.CONTROLLER, owner=True))
                sub.push(session.audience_text())  # the owner sees who is watching from now on
            else:
                self.fail(msg.id, "bad_token", "that is not this session's control token", "token")
            return
        if isinstance(msg, IdentityMsg):
            sub.name = msg.name
            sub.hand = msg.hand
            session.note_audience()
            self.reply(ResultMsg(id=msg.id, ok=True))
            return
        if isinstance(msg, ControlMsg):
            if not sub.owner:
                self.fail(msg.id, "not_owner", "only the session's owner (who holds its control token) hands out "
                          "control", None)
                return
            target = session.member(msg.connection)
            if target.owner:
                raise InvalidInput("that connection holds the control token: its control is not handed out or "
                                   "taken back", "connection")
            if msg.action == "grant":
                target.standing.grant()
                target.hand = False
            else:
                target.standing.revoke()
            session.note_info()
            self.reply(ResultMsg(id=msg.id, ok=True, result={"connection": target.id, "role": target.role}))
            target.reply(RoleMsg(role=target.role, owner=target.owner).model_dump_json())
            return
        if not sub.controller:
            self.fail(msg.id, "read_only", "this connection only watches; open the session with its control "
                      "token to act", None)
            return
        if isinstance(msg, DoMsg):
            result = session.apply(msg.step, msg.side)
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
            session.set_view(msg.view, sub.id)
            self.reply(ResultMsg(id=msg.id, ok=True))
            return
        if isinstance(msg, CompareMsg):
            session.set_compare(msg.on)
            self.reply(ResultMsg(id=msg.id, ok=True, result={"compare": session.compare}))
            return
        if isinstance(msg, ResetMsg):
            scenario, preset = self.manager.scenario_from(msg.model_dump(include={"preset", "scenario", "compare"},
                                                                         exclude_none=True))
            if session.compare and "compare" not in scenario.extra:
                # A reset keeps compare mode unless the message or the document says otherwise.
                scenario.extra = {**scenario.extra, "compare": True}
            session.reset(scenario, preset)
            self.reply(ResultMsg(id=msg.id, ok=True, result={"preset": preset}))
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


async def websocket_endpoint(ws: WebSocket, session_id: str, manager: SessionManager, settings: Settings,
                             origins: OriginPolicy) -> None:
    # Refusals before the handshake cost next to nothing (the client sees HTTP 403).
    if not origins.allowed(ws.headers.get("origin")):
        await ws.close(code=CLOSE_POLICY)
        return
    address = ws.client.host if ws.client else ""
    if (sum(manager.connections.values()) >= settings.max_connections
            or manager.connections[address] >= settings.max_connections_per_ip):
        await ws.close(code=CLOSE_TRY_LATER)
        return
    manager.connections[address] += 1
    try:
        await ws.accept()
        if session_id == HOST_ID:  # the read-only view of this server's host (app/live_host.py)
            return await serve_host(ws, settings)
        session = manager.get(session_id)
        if session is None:
            await ws.send_text(ErrorMsg(error=_error("no_session", f"there is no session {session_id[:40]!r} here "
                                                     "(it may have expired)", "session")).model_dump_json())
            await ws.close(code=CLOSE_NO_SESSION, reason="no such session")
            return
        conn = Connection(ws, session, manager, settings, address)
        try:
            await conn.run()
        except LimitError as err:
            await ws.send_text(ErrorMsg(error=_error(err.code, err.message, err.field)).model_dump_json())
            await ws.close(code=CLOSE_POLICY, reason=err.message[:120])
    except (WebSocketDisconnect, RuntimeError, OSError):
        pass  # the client went away mid-handshake or mid-send
    finally:
        manager.connections[address] -= 1
        if manager.connections[address] <= 0:
            del manager.connections[address]


__all__ = ["StepFailed", "websocket_endpoint"]
