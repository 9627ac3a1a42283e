"""The "This machine" view: the server's own host, read-only, over the session websocket protocol.

`/ws/host` speaks protocol 1 like any session: `hello` (role viewer), then a
`snapshot` every `host_refresh_s` seconds while someone watches, whose state
is a `hinting-host/1` document (docs/live-host.md); requests other than
ping and resync are refused with `read_only`.  Nobody watching: nothing is
read.

Everything under `proc_root` (the `--proc-root` setting, `/` by default, a
fixture tree in tests) is read in one worker process (`spawn`), so the
C-speed passes over /proc/kpageflags, which hold the GIL, never stall the
event loop or another session.  HTTP: `GET /api/host` (one snapshot) and
`GET /api/host/scenario` ("Simulate this machine": a hinting-scenario/1).
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import json
import multiprocessing
import os
import secrets
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

from fastapi import FastAPI
from fastapi.responses import FileResponse, JSONResponse, Response
from pydantic import ValidationError
from starlette.websockets import WebSocket, WebSocketDisconnect

from core import InvalidInput
from core.host_scenario import host_zones, simulate_host
from core.kpageflags import CODE_NAMES, free_blocks, scan_zones
from core.procfs import read_host

from .protocol import (
    BranchInfo,
    ClockInfo,
    ErrorInfo,
    ErrorMsg,
    HelloMsg,
    PongMsg,
    ResultMsg,
    SessionInfo,
    SnapshotMsg,
    TimelineInfo,
    WorkloadInfo,
    client_message,
)
from .settings import Settings

PROJECT_STATIC = Path(__file__).resolve().parent.parent / "static"
HOST_ID = "host"
HOST_FORMAT = "hinting-host/1"
CLOSE_POLICY = 1008


# --- the worker's side (a separate process: plain functions, picklable results) ---------------


def _exit_with_parent(parent: int) -> None:
    """The worker's initializer: end this process when the server that started it is gone.

    A server killed outright (or stopped before its shutdown hook ran) would
    otherwise leave the worker, and the resource tracker it holds open, behind.
    """
    import threading

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(0.5)
        os._exit(0)

    threading.Thread(target=watch, name="exit-with-parent", daemon=True).start()


def host_snapshot(root: str, with_map: bool, map_max_pages: int) -> dict[str, Any]:
    """Everything the view shows, as a JSON-ready hinting-host/1 document (runs in the worker)."""
    t0 = time.perf_counter()
    host = read_host(root)
    zones = host_zones(host)
    buddy = {(b.node, b.zone): b.nr_free for b in host["buddyinfo"]}
    pti = host["pagetypeinfo"]
    max_order = max((len(v) for v in buddy.values()), default=11)
    sources = {name: src.to_json() for name, src in host["sources"].items()}
    total = sum(z["spanned"] for z in zones)
    maps: list[dict[str, Any]] = []
    map_source: dict[str, Any] = {"ok": False, "path": "/proc/kpageflags"}
    if not with_map:
        map_source["why"] = "the physical map is switched off on this server (host_map_max_pages = 0)"
    elif total > map_max_pages:
        map_source["why"] = f"the machine spans {total} pages, more than host_map_max_pages ({map_max_pages})"
    elif zones:
        maps = scan_zones(root, [(z["start_pfn"] or 0, z["spanned"]) for z in zones], max_order)
        whys = {m["why"] for m in maps if m["why"]}
        map_source["ok"] = any(m["counts"].get("unread", 0) < m["pages"] for m in maps)
        if whys:
            map_source["why"] = "; ".join(sorted(whys))
    sources["kpageflags"] = map_source
    out_zones = []
    for i, z in enumerate(zones):
        key = (z["node"], z["zone"])
        pz = next((p for p in (pti.zones if pti else []) if (p.node, p.zone) == key), None)
        entry: dict[str, Any] = {**z, "name": z["zone"] if z["node"] == 0 else f"{z['zone']}-N{z['node']}",
                                 "buddyinfo": buddy.get(key), "free_by_migratetype": pz.free if pz else None,
                                 "capped": pz.capped if pz else [], "pageblocks": pz.blocks if pz else None}
        if maps:
            m = maps[i]
            entry["map"] = {"start_pfn": m["start_pfn"], "pages": m["pages"], "encoding": "zlib+base64",
                            "codes": base64.b64encode(m["blob"]).decode("ascii"), "counts": m["counts"],
                            "reported_blocks": m["reported_blocks"], "why": m["why"]}
        out_zones.append(entry)
    vm = host["vmstat"]
    return {
        "format": HOST_FORMAT,
        "kernel": host["kernel"],
        "read_at": time.time(),
        "read_ms": round((time.perf_counter() - t0) * 1000, 1),
        "max_order": max_order,
        "pageblock_order": pti.pageblock_order if pti else None,
        "migratetypes": pti.migratetypes if pti else [],
        "codes": list(CODE_NAMES),
        "sources": sources,
        "zones": out_zones,
        "vmstat": {k: vm[k] for k in ("nr_free_pages", "nr_free_cma", "nr_free_pages_blocks", "pgfree",
                                      "nr_balloon_pages", "nr_unaccepted") if k in vm},
        "page_reporting": host["page_reporting"],
    }


def host_scenario(root: str, max_pages: int, with_map: bool, map_max_pages: int) -> dict[str, Any]:
    """"Simulate this machine" (runs in the worker); InvalidInput when there is nothing to simulate."""
    host = read_host(root)
    zones = host_zones(host)
    blocks = None
    total = sum(z["spanned"] for z in zones)
    if with_map and zones and total <= min(max_pages, map_max_pages):
        buddy_width = max((len(b.nr_free) for b in host["buddyinfo"]), default=11)
        maps = scan_zones(root, [(z["start_pfn"] or 0, z["spanned"]) for z in zones], buddy_width)
        import zlib

        blocks = {}
        for z, m in zip(zones, maps, strict=True):
            if m["why"] is None:
                blocks[(z["node"], z["zone"])] = free_blocks(zlib.decompress(m["blob"]), buddy_width, m["start_pfn"])
    return simulate_host(host, max_pages=max_pages, free_blocks=blocks)


# --- the server's side --------------------------------------------------------------------------


class HostView:
    """The one live host view of this server: its viewers and the refresh loop that runs while they watch."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.viewers: set[asyncio.Queue[str]] = set()
        self.latest: str | None = None
        self.seq = 0
        self._task: asyncio.Task[None] | None = None
        self._pool: ProcessPoolExecutor | None = None
        self.refreshes = 0

    @property
    def pool(self) -> ProcessPoolExecutor:
        if self._pool is None:
            self._pool = ProcessPoolExecutor(max_workers=1, mp_context=multiprocessing.get_context("spawn"),
                                             initializer=_exit_with_parent, initargs=(os.getpid(),))
        return self._pool

    def close(self) -> None:
        if self._task is not None:
            self._task.cancel()
        if self._pool is not None:
            # Not waiting: a read in flight finishes on its own; the worker also exits with this process.
            self._pool.shutdown(wait=False, cancel_futures=True)
            self._pool = None

    async def snapshot(self) -> dict[str, Any]:
        s = self.settings
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self.pool, host_snapshot, s.proc_root, s.host_map_max_pages > 0,
                                          s.host_map_max_pages)

    async def scenario(self) -> dict[str, Any]:
        s = self.settings
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self.pool, host_scenario, s.proc_root, s.max_pages,
                                          s.host_map_max_pages > 0, s.host_map_max_pages)

    def session_info(self) -> SessionInfo:
        return SessionInfo(
            id=HOST_ID, title="This machine", preset=None, clock=ClockInfo(running=bool(self.viewers), speed=1.0),
            workload=WorkloadInfo(running=False), history_length=0,
            timeline=TimelineInfo(cursor=0, length=0, branches=list[BranchInfo]()),
            viewers=len(self.viewers), controllers=0, audience=[],
        )

    async def refresh_once(self) -> str:
        state = await self.snapshot()
        self.seq += 1
        self.refreshes += 1
        text = SnapshotMsg(seq=self.seq, state=state, session=self.session_info()).model_dump_json()
        self.latest = text
        return text

    async def _run(self) -> None:
        period = max(0.05, self.settings.host_refresh_s)
        try:
            while self.viewers:
                t0 = time.monotonic()
                try:
                    text = await self.refresh_once()
                except Exception as err:  # the worker died, a file vanished mid-read...: say so, keep going
                    text = ErrorMsg(error=ErrorInfo(code="host_unreadable", message=f"reading the host failed: "
                                                    f"{err}", field=None)).model_dump_json()
                for q in list(self.viewers):
                    if q.qsize() < 4:  # a slow viewer skips refreshes rather than piling them up
                        q.put_nowait(text)
                await asyncio.sleep(max(0.0, period - (time.monotonic() - t0)))
        finally:
            self._task = None

    def join(self) -> asyncio.Queue[str]:
        if len(self.viewers) >= self.settings.max_viewers:
            raise InvalidInput(f"the host view already has {self.settings.max_viewers} viewers, the limit", "session")
        q: asyncio.Queue[str] = asyncio.Queue()
        self.viewers.add(q)
        if self._task is None or self._task.done():
            self._task = asyncio.get_running_loop().create_task(self._run())
        return q

    def leave(self, q: asyncio.Queue[str]) -> None:
        self.viewers.discard(q)
        if not self.viewers and self._task is not None:
            self._task.cancel()
            self._task = None


def _reply_to(text: str, settings: Settings) -> str | None:
    """The answer to one client message on the host connection (None: nothing to say)."""
    if len(text.encode("utf-8")) > settings.max_message_bytes:
        return ErrorMsg(error=ErrorInfo(code="too_large", message=f"message of {len(text)} bytes; the limit is "
                                        f"{settings.max_message_bytes}", field=None)).model_dump_json()
    try:
        raw = json.loads(text)
    except ValueError as err:
        return ErrorMsg(error=ErrorInfo(code="bad_json", message=f"not JSON: {err}", field=None)).model_dump_json()
    rid = raw.get("id") if isinstance(raw, dict) and isinstance(raw.get("id"), int) else None
    try:
        msg = client_message.validate_python(raw)
    except ValidationError as err:
        first = err.errors()[0]
        loc = ".".join(str(p) for p in first.get("loc", ())[1:]) or "type"
        return ResultMsg(id=rid, ok=False, error=ErrorInfo(code="invalid", message=first.get("msg", "invalid"),
                                                            field=loc)).model_dump_json()
    if msg.type == "ping":
        return PongMsg(id=msg.id).model_dump_json()
    if msg.type == "resync":
        return "resync"
    return ResultMsg(id=msg.id, ok=False, error=ErrorInfo(
        code="read_only", message="this is a read-only view of the host the server runs on; use "
        "Simulate this machine to get a session you can act on", field=None)).model_dump_json()


async def serve_host(ws: WebSocket, settings: Settings) -> None:
    """/ws/host after the origin check and accept (registered in app/ws.py)."""
    view: HostView = ws.scope["app"].state.host_view
    try:
        q = view.join()
    except InvalidInput as err:
        await ws.send_text(ErrorMsg(error=ErrorInfo(code="too_many_viewers", message=err.message,
                                                    field=None)).model_dump_json())
        await ws.close(code=CLOSE_POLICY)
        return
    conn = secrets.token_hex(3)
    await ws.send_text(HelloMsg(session=HOST_ID, connection=conn, role="viewer",
                                limits=settings.limits()).model_dump_json())
    if view.latest is not None:
        q.put_nowait(view.latest)

    async def writer() -> None:
        while True:
            await ws.send_text(await q.get())

    task = asyncio.get_running_loop().create_task(writer())
    try:
        while True:
            message = await ws.receive()
            if message["type"] == "websocket.disconnect":
                break
            text = message.get("text")
            if text is None and message.get("bytes") is not None:
                text = message["bytes"].decode("utf-8", errors="replace")
            answer = _reply_to(text or "", settings)
            if answer == "resync":
                if view.latest is not None:
                    q.put_nowait(view.latest)
            elif answer is not None:
                q.put_nowait(answer)
    except WebSocketDisconnect:
        pass
    finally:
        view.leave(q)
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await task


def register(app: FastAPI, settings: Settings) -> None:
    """The host view's HTTP routes and shared state (one line in app/main.py)."""
    view = HostView(settings)
    app.state.host_view = view

    @app.get("/api/host")
    async def host_now() -> Any:
        return await view.snapshot()

    @app.get("/api/host/scenario")
    async def host_scenario_route() -> Any:
        try:
            return await view.scenario()
        except InvalidInput as err:
            return JSONResponse({"error": {"code": "invalid", "message": err.message, "field": err.field}},
                                status_code=422)

    page = (Path(settings.static_dir) if settings.static_dir else PROJECT_STATIC) / "live.html"

    @app.get("/host", include_in_schema=False)
    def host_page() -> Response:
        if not page.exists():
            return Response("the host view's page is missing", media_type="text/plain", status_code=404)
        return FileResponse(page, headers={"Cache-Control": "no-cache"})

    from .trace_upload import register as register_upload

    register_upload(app, settings)
