"""Trace upload: `POST /api/import-trace` turns a kmem trace into a new session (docs/trace-import.md).

The body is the trace itself (tracefs `trace` text or `perf script`
output) as `application/octet-stream` (a type a cross-site form cannot send
without the browser asking first; 415 naming `content-type` otherwise), at
most `max_trace_bytes` (the setting; 413 naming `file` beyond).
Query: `design` (seed or reporting), `time_scale` (> 0), `name` (the file's
name, for the title).  The answer streams NDJSON, one object a line, so a
page can show progress on a large file:

    {"phase": "convert", "lines": 250000, "total": 1000000}
    {"phase": "session"}
    {"result": {"id": ..., "control_token": ..., "dashboard_url": ..., "summary": {...}}}
    or {"error": {"code": ..., "message": ..., "field": ...}}

The conversion runs in a thread, a batch of lines at a time, so the event
loop keeps serving other sessions between batches.
"""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import AsyncIterator
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, Response, StreamingResponse

from core import InvalidInput
from core.trace_import import import_lines

from .errors import LimitError
from .heavy import Deadline
from .settings import Settings

DESIGNS = ("seed", "reporting")


def _error(status: int, code: str, message: str, field: str | None) -> JSONResponse:
    return JSONResponse({"error": {"code": code, "message": message, "field": field}}, status_code=status)


def register(app: FastAPI, settings: Settings) -> None:
    limit = settings.max_trace_bytes

    @app.post("/api/import-trace")
    async def import_trace(request: Request, design: str = "seed", time_scale: float = 1.0,
                           name: str = "trace") -> Response:
        address = request.client.host if request.client else ""
        request.app.state.manager.check_room(address)  # before reading a byte (LimitError: 429)
        kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
        if kind != "application/octet-stream":
            # Not text/plain: a cross-site form may send that without the browser asking this server first.
            return _error(415, "unsupported_media_type", "send the trace as application/octet-stream", "content-type")
        if design not in DESIGNS:
            return _error(422, "invalid", f"must be seed or reporting, got {design!r}", "design")
        if not 0 < time_scale <= 1e6:
            return _error(422, "invalid", f"must be > 0 and <= 1000000, got {time_scale}", "time_scale")
        declared = request.headers.get("content-length")
        if declared is not None and declared.isdigit() and int(declared) > limit:
            return _error(413, "too_large", f"the trace has {int(declared)} bytes; the limit here is {limit} "
                          "(max_trace_bytes)", "file")
        chunks = []
        size = 0
        async for chunk in request.stream():
            size += len(chunk)
            if size > limit:
                return _error(413, "too_large", f"the trace is larger than the limit here, {limit} bytes "
                              "(max_trace_bytes)", "file")
            chunks.append(chunk)
        if size == 0:
            return _error(422, "invalid", "the trace is empty", "file")
        text = b"".join(chunks).decode("utf-8", errors="replace")
        title = "Trace " + (re.sub(r"[^\w.\- ]", "_", name)[:80] or "trace")
        manager = request.app.state.manager
        return StreamingResponse(_convert(text, design, time_scale, title, manager, settings, address),
                                 media_type="application/x-ndjson")


async def _convert(text: str, design: str, time_scale: float, title: str, manager: Any,
                   settings: Settings, address: str) -> AsyncIterator[str]:
    lines = text.splitlines(keepends=True)
    total = len(lines)
    done = [0]

    def progress(n: int) -> None:
        done[0] = n

    def run() -> Any:
        return import_lines(lines, progress=progress, every=20_000, design=design, time_scale=time_scale,
                            max_pages=settings.max_pages)

    task = asyncio.ensure_future(asyncio.to_thread(run))
    while not task.done():
        yield json.dumps({"phase": "convert", "lines": done[0], "total": total}) + "\n"
        await asyncio.wait({task}, timeout=0.2)
    try:
        imp = task.result()
    except Exception as err:  # the importer never raises on its input; this is a bug, say so
        yield json.dumps({"error": {"code": "failed", "message": f"the import failed: {err}", "field": None}}) + "\n"
        return
    yield json.dumps({"phase": "convert", "lines": total, "total": total}) + "\n"
    doc = imp.scenario(title=title)
    yield json.dumps({"phase": "session", "steps": len(doc["steps"])}) + "\n"

    def build() -> Any:  # replays the whole trace: in a thread, within the server's replay budget
        scenario, _ = manager.scenario_from({"scenario": doc})
        return manager.new_session(scenario, None, address, Deadline(settings.replay_budget_s,
                                                                      "replaying this trace", "file"))

    try:
        session = manager.register(await asyncio.to_thread(build))
    except (InvalidInput, LimitError) as err:
        yield json.dumps({"error": {"code": getattr(err, "code", "invalid"), "message": err.message,
                                    "field": err.field}, "summary": doc["import"]}) + "\n"
        return
    yield json.dumps({"result": {"id": session.id, "control_token": session.control_token,
                                 "dashboard_url": f"/s/{session.id}", "title": session.title,
                                 "summary": doc["import"]}}) + "\n"
