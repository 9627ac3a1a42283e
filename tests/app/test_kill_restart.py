"""kill -9 a real server with a controller and viewers attached, start it again on the same --db.

Every step the server acknowledged is in the session's history; the session
keeps its id and its token; the viewers, which reconnect by themselves (as
the page's connection.js does), find the same state.  A running workload's
steps are written in batches: only the last ~100 ms of them may be lost.
"""

from __future__ import annotations

import asyncio
import json
import time
from typing import Any

import httpx
import websockets

from tests.support import LabServer

VIEWERS = 5
FAST = ["--actions-per-second", "100000", "--action-burst", "100000"]


def steps(n: int) -> list[dict[str, Any]]:
    """Fully spelled steps (as the server records them), allocations and frees that mostly succeed."""
    out: list[dict[str, Any]] = []
    for i in range(n):
        if i % 3 == 2:
            out.append({"do": "free", "ref": f"b{i - 2}"})
        else:
            out.append({"do": "alloc", "zone": "Normal", "order": 0, "migratetype": "Movable", "as": f"b{i}"})
    return out


async def reconnecting_viewer(url: str, log: dict[str, Any], stop: asyncio.Event) -> None:
    """Watches; when the connection drops, connects again by itself (backoff 0.1 .. 1 s) until `stop`."""
    delay = 0.1
    while not stop.is_set():
        try:
            async with websockets.connect(url, max_size=None, open_timeout=2) as ws:
                hello = json.loads(await ws.recv())
                snap = json.loads(await ws.recv())
                assert hello["type"] == "hello" and snap["type"] == "snapshot"
                log["snapshots"].append(snap)
                delay = 0.1
                while not stop.is_set():
                    try:
                        msg = json.loads(await asyncio.wait_for(ws.recv(), 0.2))
                    except TimeoutError:
                        continue
                    if msg["type"] == "delta":
                        log["lengths"].append((time.monotonic(), msg["history_length"]))
        except (OSError, websockets.ConnectionClosed, TimeoutError):
            log["drops"] += 1
            await asyncio.sleep(delay)
            delay = min(1.0, delay * 2)


async def scenario(lab: LabServer) -> None:
    base = lab.url
    ws_base = base.replace("http", "ws")
    async with httpx.AsyncClient(base_url=base, timeout=30) as http:
        s = (await http.post("/api/sessions", json={"preset": "default"})).json()
        w = (await http.post("/api/sessions", json={"preset": "default"})).json()
        first = len((await http.get(f"/api/sessions/{s['id']}/scenario")).json()["steps"])
    stop = asyncio.Event()
    logs = [{"snapshots": [], "lengths": [], "drops": 0} for _ in range(VIEWERS + 1)]
    viewers = [asyncio.create_task(reconnecting_viewer(ws_base + s["ws_url"], logs[i], stop)) for i in range(VIEWERS)]
    wl_log = logs[VIEWERS]
    viewers.append(asyncio.create_task(reconnecting_viewer(ws_base + w["ws_url"], wl_log, stop)))

    # A workload runs in the second session.
    async with websockets.connect(ws_base + w["ws_url"]) as ws:
        await ws.recv()
        await ws.recv()
        await ws.send(json.dumps({"type": "auth", "id": 1, "token": w["control_token"]}))
        await ws.send(json.dumps({"type": "workload", "id": 2, "action": "start", "rate": 1000, "live_target": 50}))
        answers = 0
        while answers < 2:
            msg = json.loads(await ws.recv())
            answers += msg["type"] == "result" and msg["ok"]

    while max((n for _, n in wl_log["lengths"]), default=0) < 500:
        await asyncio.sleep(0.05)

    # The controller pipelines steps; the server is killed while some are still unanswered.
    sent = steps(600)
    acked: list[int] = []
    async with websockets.connect(ws_base + s["ws_url"], max_size=None) as ctl:
        await ctl.recv()
        await ctl.recv()
        await ctl.send(json.dumps({"type": "auth", "id": 0, "token": s["control_token"]}))

        async def send_all() -> None:
            for i, step in enumerate(sent, start=1):
                await ctl.send(json.dumps({"type": "do", "id": i, "step": step}))
                if i % 20 == 0:
                    await asyncio.sleep(0.005)

        sender = asyncio.create_task(send_all())
        try:
            while len(acked) < 250:
                msg = json.loads(await ctl.recv())
                if msg["type"] == "result" and msg["id"]:
                    acked.append(msg["id"])
            killed_at = time.monotonic()
            lab.kill()
            while True:  # answers already on the wire count as acknowledged too
                msg = json.loads(await asyncio.wait_for(ctl.recv(), 2))
                if msg["type"] == "result" and msg["id"]:
                    acked.append(msg["id"])
        except (websockets.ConnectionClosed, TimeoutError):
            pass
        sender.cancel()
    assert acked == list(range(1, len(acked) + 1))  # answered in order
    # The workload's length that was more than 150 ms old when the server died.
    safe = max((n for t, n in wl_log["lengths"] if t <= killed_at - 0.15), default=0)
    assert safe >= 500

    lab.start()
    async with httpx.AsyncClient(base_url=base, timeout=30) as http:
        doc = (await http.get(f"/api/sessions/{s['id']}/scenario")).json()
        history = doc["steps"][first:]
        assert len(history) >= len(acked), f"{len(acked)} steps acknowledged, {len(history)} kept"
        assert history[:len(acked)] == sent[:len(acked)]
        assert history == sent[:len(history)]
        wl = (await http.get(f"/api/sessions/{w['id']}")).json()
        assert wl["history_length"] >= safe, f"workload: {safe} steps were 150 ms old at the kill, {wl} kept"
        assert wl["workload"]["running"] is True  # and it goes on
        # Viewers came back by themselves and hold the state the server holds.
        deadline = time.monotonic() + 30
        while any(len(log["snapshots"]) < 2 for log in logs[:VIEWERS]) and time.monotonic() < deadline:
            await asyncio.sleep(0.1)
        live = (await http.get(f"/api/sessions/{s['id']}/state")).json()
        for log in logs[:VIEWERS]:
            assert log["drops"] >= 1 and len(log["snapshots"]) >= 2
            assert log["snapshots"][-1]["session"]["id"] == s["id"]
            assert log["snapshots"][-1]["state"] == live
    # The same token still gives control of the same id.
    async with websockets.connect(ws_base + s["ws_url"]) as ctl:
        assert json.loads(await ctl.recv())["session"] == s["id"]
        await ctl.recv()
        await ctl.send(json.dumps({"type": "auth", "id": 1, "token": s["control_token"]}))
        while (msg := json.loads(await ctl.recv()))["type"] != "result":
            pass
        assert msg["ok"] is True and msg["result"]["role"] == "controller"
        await ctl.send(json.dumps({"type": "do", "id": 2, "step": {"do": "alloc", "zone": "Normal", "order": 0,
                                                                    "as": "after-restart"}}))
        while (msg := json.loads(await ctl.recv()))["type"] != "result":
            pass
        assert msg["ok"] is True
    stop.set()
    await asyncio.gather(*viewers)


def test_kill_9_loses_no_acknowledged_step_and_everyone_comes_back() -> None:
    lab = LabServer(args=FAST).start()
    try:
        asyncio.run(scenario(lab))
    finally:
        lab.stop()
