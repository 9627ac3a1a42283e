"""The FastAPI application: HTTP API, the websocket, and the dashboard's files."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from fastapi import FastAPI, Request, WebSocket
from fastapi.middleware.gzip import GZipMiddleware
from fastapi.responses import FileResponse, JSONResponse, Response
from fastapi.staticfiles import StaticFiles

from core import InvalidInput

from .links import LinkStore
from .live_host import register as register_live_host
from .presets import get_preset, load_presets
from .protocol import PROTOCOL_VERSION
from .sessions import LimitError, SessionManager
from .settings import Settings
from .ws import websocket_endpoint

VERSION = "0.1.0"
PROJECT_STATIC = Path(__file__).resolve().parent.parent / "static"
MAX_BODY_BYTES = 16 * 1024 * 1024


def error_response(status: int, code: str, message: str, field: str | None = None) -> JSONResponse:
    return JSONResponse({"error": {"code": code, "message": message, "field": field}}, status_code=status)


async def json_body(request: Request) -> tuple[Any, Response | None]:
    """The request's JSON object (None for an empty body), or the error response to send."""
    body_bytes = await request.body()
    if len(body_bytes) > MAX_BODY_BYTES:
        return None, error_response(413, "too_large", f"the body has {len(body_bytes)} bytes; the limit is "
                                    f"{MAX_BODY_BYTES}", None)
    if not body_bytes.strip():
        return None, None
    try:
        body = json.loads(body_bytes)
    except ValueError as err:
        return None, error_response(400, "bad_json", f"not JSON: {err}", None)
    if not isinstance(body, dict):
        return None, error_response(422, "invalid", "the body must be an object", None)
    return body, None


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or Settings.from_env()
    manager = SessionManager(settings)
    links = LinkStore(settings.links_dir, settings.max_links, settings.max_pages)
    static_dir = Path(settings.static_dir) if settings.static_dir else PROJECT_STATIC

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        manager.start()
        yield
        await manager.stop()

    app = FastAPI(
        title="Hinting Lab",
        version=VERSION,
        description="A live laboratory for Linux free page hinting (the v2 'mm: Introduce Hinted pages' patch "
        "on a v5.3 buddy allocator). The websocket protocol is described in docs/protocol.md.",
        lifespan=lifespan,
    )
    app.state.settings = settings
    app.state.manager = manager

    # Bad input anywhere below becomes a 422 naming the field; a limit, 429 or 422.
    @app.exception_handler(InvalidInput)
    async def invalid_input(request: Request, err: InvalidInput) -> JSONResponse:
        return error_response(422, "invalid", err.message, err.field)

    @app.exception_handler(LimitError)
    async def limit_reached(request: Request, err: LimitError) -> JSONResponse:
        return error_response(429 if err.code == "too_many_sessions" else 422, err.code, err.message, err.field)
    # The dashboard's files and large states travel compressed (websockets are not affected).
    app.add_middleware(GZipMiddleware, minimum_size=1024)

    def session_or_404(sid: str) -> Any:
        session = manager.get(sid)
        if session is None:
            return None, error_response(404, "no_session", f"there is no session {sid!r} here (it may have expired)",
                                        "id")
        return session, None

    @app.get("/healthz")
    def healthz() -> dict[str, Any]:
        return {"ok": True, "version": VERSION, "protocol": PROTOCOL_VERSION, "sessions": len(manager.sessions)}

    @app.post("/api/sessions", status_code=201)
    async def create_session(request: Request) -> Response:
        body, bad = await json_body(request)
        if bad:
            return bad
        session = manager.create(body)
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
    def session_state(sid: str) -> Any:
        session, err = session_or_404(sid)
        return err or session.machine.state()

    @app.get("/api/sessions/{sid}/scenario")
    def session_scenario(sid: str) -> Any:
        session, err = session_or_404(sid)
        return err or session.scenario_document()

    @app.get("/api/sessions/{sid}/frames")
    def session_frames(sid: str, start: int, stop: int, zone: str | None = None) -> Any:
        """States at positions start..stop of the session's history (for animations); `zone` keeps one zone."""
        session, err = session_or_404(sid)
        if err:
            return err
        if stop - start + 1 > settings.max_frames:
            return error_response(422, "too_large", f"at most {settings.max_frames} frames at once", "stop")
        return {"start": start, "stop": stop, "frames": session.frames(start, stop, zone)}

    @app.post("/api/links", status_code=201)
    async def create_link(request: Request) -> Response:
        body, bad = await json_body(request)
        if bad:
            return bad
        link_id = links.put(body)
        return JSONResponse({"id": link_id, "url": f"/l/{link_id}"}, status_code=201)

    @app.get("/api/links/{link_id}")
    def get_link(link_id: str) -> Any:
        doc = links.get(link_id)
        if doc is None:
            return error_response(404, "no_link", f"there is no stored link {link_id!r} here", "id")
        return doc

    @app.get("/api/presets")
    def presets() -> list[dict[str, Any]]:
        return [p.summary() for p in load_presets().values()]

    @app.get("/api/presets/{name}")
    def preset(name: str) -> Any:
        p = get_preset(name)
        if p is None:
            return error_response(404, "no_preset", f"unknown preset {name!r}", "name")
        return p.document

    @app.websocket("/ws/{sid}")
    async def ws(websocket: WebSocket, sid: str) -> None:
        await websocket_endpoint(websocket, sid, manager, settings)

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
