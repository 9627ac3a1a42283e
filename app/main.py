"""The FastAPI application: HTTP API, the websocket, and the dashboard's files.

Every answer that is not a success is `{"error": {"code", "message", "field"}}`,
whatever went wrong (a bad body, an unknown path, a wrong method, a query
parameter that is not a number, a limit); app/http_errors.py makes it so.
Request bodies are refused by Content-Length before they are read, read
through app/jsonin.py, and a scenario is replayed off the event loop.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from fastapi import FastAPI, Request, WebSocket
from fastapi.middleware.gzip import GZipMiddleware
from fastapi.responses import FileResponse, JSONResponse, Response
from fastapi.staticfiles import StaticFiles

from . import claims_api, eventlog, page_api, seedfile, serverinfo
from .errors import LimitError
from .heavy import Deadline, HeavyWork
from .http_errors import error_response, install_error_handlers
from .jsonin import Unreadable, read_json, read_json_in_pieces
from .links import LinkStore
from .live_host import register as register_live_host
from .origins import OriginPolicy
from .presets import get_preset, load_presets
from .protocol import PROTOCOL_VERSION
from .sessions import SessionManager, frame_texts
from .settings import Settings
from .ws import websocket_endpoint

VERSION = "0.1.0"
PROJECT_STATIC = Path(__file__).resolve().parent.parent / "static"
# A body this small is parsed and replayed on the loop: a worker thread would cost more than the work.
SMALL_BODY = 64 * 1024

SESSION_BODY = {
    "type": "object",
    "additionalProperties": False,
    "properties": {
        "preset": {"type": "string", "description": "a preset's name (GET /api/presets)"},
        "scenario": {"type": "object", "description": "a hinting-scenario/1 document"},
    },
}
LINK_BODY = {
    "type": "object",
    "additionalProperties": False,
    "required": ["scenario"],
    "properties": {
        "scenario": {"type": "object", "description": "a hinting-scenario/1 document"},
        "step": {"type": "integer", "minimum": 0},
        "view": {"type": "object"},
    },
}


def _json_body_doc(schema: dict[str, Any], required: bool) -> dict[str, Any]:
    return {"requestBody": {"required": required, "content": {"application/json": {"schema": schema}}}}


def client_address(request: Request | WebSocket) -> str:
    return request.client.host if request.client else ""


async def read_body(request: Request, settings: Settings) -> bytes:
    """The request's body, checked before and while it is read; raises Unreadable or LimitError.

    Refused before reading: a body whose Content-Length is over the limit,
    and any body that is not declared JSON (a cross-site form can send
    text/plain without asking the browser's permission; JSON it cannot).
    A body sent without a length is read up to the limit and no further.
    """
    limit = settings.max_body_bytes
    declared = request.headers.get("content-length")
    if declared is not None and (not declared.isdigit() or int(declared) > limit):
        raise LimitError("too_large", f"the body has {declared[:20]} bytes; the limit is {limit}", "body")
    kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise LimitError("too_large", f"the body is over the limit of {limit} bytes", "body")
        chunks.append(chunk)
    data = b"".join(chunks)
    if not data.strip():
        if kind and kind != "application/json":
            raise Unreadable("unsupported_media_type", "send JSON (content-type: application/json)", "content-type")
        return data
    if kind != "application/json" and not kind.endswith("+json"):
        raise Unreadable("unsupported_media_type", f"send JSON (content-type: application/json), not "
                         f"{kind[:60] or 'an undeclared body'}", "content-type")
    return data


def scenario_json(doc: dict[str, Any]) -> str:
    """json.dumps(doc), a few thousand steps at a time (the encoder holds the interpreter lock per call)."""
    steps = doc["steps"]
    head = json.dumps({k: v for k, v in doc.items() if k != "steps"})
    parts = [json.dumps(steps[i:i + 4096])[1:-1] for i in range(0, len(steps), 4096)]
    return head[:-1] + (', "steps": [' if len(head) > 2 else '"steps": [') + ", ".join(p for p in parts if p) + "]}"


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or Settings.from_env()
    manager = SessionManager(settings)
    links = LinkStore(settings.links_dir, settings.max_links, settings.max_pages)
    static_dir = Path(settings.static_dir) if settings.static_dir else PROJECT_STATIC
    origins = OriginPolicy(settings)
    heavy = HeavyWork(settings.heavy_jobs, settings.max_heavy_waiting)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        manager.start()
        yield
        await manager.stop()
        app.state.host_view.close()  # the live host view's worker process (app/live_host.py)

    app = FastAPI(
        title="Hinting Lab",
        version=VERSION,
        description="A live laboratory for Linux free page hinting (the v2 'mm: Introduce Hinted pages' patch "
        "on a v5.3 buddy allocator). The websocket protocol is described in docs/protocol.md.",
        lifespan=lifespan,
    )
    app.state.settings = settings
    app.state.manager = manager
    app.state.heavy = heavy
    app.state.origins = origins
    install_error_handlers(app)

    def check_origin(request: Request) -> None:
        if not origins.allowed(request.headers.get("origin")):
            raise LimitError("forbidden_origin", "pages from other sites may not do this here (see --allowed-hosts)",
                             "origin")

    async def json_request(request: Request) -> tuple[Any, int]:
        """Origin, length, type, then the JSON itself (parsed off the loop when large)."""
        check_origin(request)
        data = await read_body(request, settings)
        if not data.strip():
            return None, 0
        if len(data) <= SMALL_BODY:
            return read_json(data, settings.max_json_depth), len(data)
        return await heavy.run(lambda: read_json_in_pieces(data, settings.max_json_depth)), len(data)

    # The dashboard's files and large states travel compressed (websockets are not affected).
    app.add_middleware(GZipMiddleware, minimum_size=1024)

    def session_or_404(sid: str) -> Any:
        session = manager.get(sid)
        if session is None:
            return None, error_response(404, "no_session", f"there is no session {sid[:40]!r} here (it may have "
                                        "expired)", "id")
        return session, None

    @app.get("/healthz")
    def healthz() -> dict[str, Any]:
        return {"ok": True, "version": VERSION, "protocol": PROTOCOL_VERSION, "sessions": len(manager.sessions),
                "connections": sum(manager.connections.values())}

    @app.post("/api/sessions", status_code=201, openapi_extra=_json_body_doc(SESSION_BODY, False))
    async def create_session(request: Request) -> Response:
        """A new session from a preset (default: "default") or a scenario; answers its id and control token."""
        address = client_address(request)
        manager.check_room(address)  # before reading a byte of the body
        body, size = await json_request(request)
        if size and not isinstance(body, dict):
            return error_response(422, "invalid", f"the body must be a JSON object, not {type(body).__name__}",
                                  "body")
        if size <= SMALL_BODY:
            scenario, preset = manager.scenario_from(body)
            session = manager.new_session(scenario, preset, address)
        else:
            deadline = Deadline(settings.replay_budget_s, "replaying this scenario", "scenario.steps")

            def build() -> Any:
                scenario, preset = manager.scenario_from(body)
                return manager.new_session(scenario, preset, address, deadline)

            session = await heavy.run(build)
        manager.register(session)
        return JSONResponse(
            {
                "id": session.id,
                "control_token": session.control_token,
                "dashboard_url": f"/s/{session.id}",
                "ws_url": f"/ws/{session.id}",
                "title": session.title,
                "preset": session.preset,
            },
            status_code=201,
        )

    @app.get("/api/sessions/{sid}")
    def session_info(sid: str) -> Any:
        session, err = session_or_404(sid)
        return err or session.info().model_dump()

    @app.get("/api/sessions/{sid}/state")
    def session_state(sid: str, side: str | None = None) -> Any:
        """The state now; in compare mode `side=right` is the reporting side (`left`, the default, the seed)."""
        session, err = session_or_404(sid)
        if err:
            return err
        machine, why = session.side_machine(side)
        return why or machine.state()

    @app.get("/api/sessions/{sid}/scenario")
    async def session_scenario(sid: str) -> Any:
        session, err = session_or_404(sid)
        if err:
            return err
        doc = session.scenario_document()  # its step list is a copy: safe to write out elsewhere
        if len(doc["steps"]) < 20_000:
            return JSONResponse(doc)
        return Response(await asyncio.to_thread(scenario_json, doc), media_type="application/json")

    @app.get("/api/sessions/{sid}/steps")
    def session_steps(sid: str, start: int = 0, stop: int | None = None) -> Any:
        """Steps start..stop-1 of the session's history (a page restoring its copy fetches what it lacks)."""
        session, err = session_or_404(sid)
        if err:
            return err
        length = len(session.history)
        stop = length if stop is None else stop
        if not 0 <= start <= length:
            return error_response(422, "invalid", f"must be in 0..{length}", "start")
        if not start <= stop <= length:
            return error_response(422, "invalid", f"must be in {start}..{length}", "stop")
        stop = min(stop, start + settings.max_steps_per_request)
        return {"start": start, "stop": stop, "length": length, "cursor": session.timeline.cursor,
                "steps": session.history[start:stop]}

    @app.get("/api/sessions/{sid}/frames")
    async def session_frames(sid: str, start: int, stop: int, zone: str | None = None) -> Any:
        """States at positions start..stop of the session's history (for animations); `zone` keeps one zone.

        Anyone who may watch a session may ask (its states are no secret: the
        scenario is public too); the cost is what is bounded: a frame count,
        a size and a time budget, computed off the loop, a few at a time."""
        session, err = session_or_404(sid)
        if err:
            return err
        if stop - start + 1 > settings.max_frames:
            return error_response(422, "too_large", f"at most {settings.max_frames} frames at once", "stop")
        checkpoint, steps = session.frames_plan(start, stop, zone)
        deadline = Deadline(settings.frames_budget_s, "computing these frames", "stop")
        texts = await heavy.run(lambda: frame_texts(checkpoint, steps, stop - start + 1, zone, deadline,
                                                    settings.max_frames_bytes))
        body = f'{{"start": {start}, "stop": {stop}, "frames": [{", ".join(texts)}]}}'
        return Response(body, media_type="application/json")

    @app.post("/api/links", status_code=201, openapi_extra=_json_body_doc(LINK_BODY, True))
    async def create_link(request: Request) -> Response:
        body, size = await json_request(request)
        link_id = await heavy.run(lambda: links.put(body)) if size > SMALL_BODY else links.put(body)
        return JSONResponse({"id": link_id, "url": f"/l/{link_id}"}, status_code=201)

    @app.get("/api/links/{link_id}")
    def get_link(link_id: str) -> Any:
        doc = links.get(link_id)
        if doc is None:
            return error_response(404, "no_link", f"there is no stored link {link_id[:40]!r} here", "id")
        return doc

    @app.get("/api/presets")
    def presets() -> list[dict[str, Any]]:
        return [p.summary() for p in load_presets().values()]

    @app.get("/api/presets/{name}")
    def preset(name: str) -> Any:
        p = get_preset(name)
        if p is None:
            return error_response(404, "no_preset", f"unknown preset {name[:40]!r}", "name")
        return p.document

    for routes in (eventlog, serverinfo, seedfile):  # issue 9: the log's events, LAN links, seed lines
        routes.register(app)
    page_api.register(app)  # issue 10: a page as the kernel and its tools see it (app/page_api.py)
    claims_api.register(app)  # issue 11: a review tour's claim, computed under both designs

    @app.websocket("/ws/{sid}")
    async def ws(websocket: WebSocket, sid: str) -> None:
        await websocket_endpoint(websocket, sid, manager, settings, origins)

    index = static_dir / "index.html"

    def dashboard() -> Response:
        if not index.exists():
            return Response("dashboard not built yet", media_type="text/plain")
        return FileResponse(index, headers={"Cache-Control": "no-cache"})

    @app.get("/", include_in_schema=False)
    def root() -> Response:
        return dashboard()

    @app.get("/s/{sid}", include_in_schema=False)
    def joined(sid: str) -> Response:
        return dashboard()

    @app.get("/l/{link_id}", include_in_schema=False)
    def stored_link(link_id: str) -> Response:
        return dashboard()

    register_live_host(app, settings)  # "This machine", Simulate this machine, trace upload (app/live_host.py)
    if static_dir.is_dir():
        app.mount("/static", StaticFiles(directory=static_dir), name="static")
    return app
