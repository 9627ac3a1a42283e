"""Against a real uvicorn server on a free loopback port, with the `websockets` client.

One controller and 50 viewers: every viewer sees every delta, in order, and
ends holding the controller's state.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
import websockets

from core.delta import apply_delta
from tests.support import LabServer

VIEWERS = 50


@pytest.fixture(scope="module")
def server() -> Iterator[str]:
    lab = LabServer(args=["--actions-per-second", "2000", "--action-burst", "2000"]).start()
    yield lab.url
    lab.stop()


def steps_to_run() -> list[dict[str, Any]]:
    """A varied, deterministic sequence: allocations, frees, a stepped hinting cycle, moves."""
    steps: list[dict[str, Any]] = [{"do": "hinting_start"}, {"do": "advance", "ms": 100}]
    for i in range(40):
        steps.append({"do": "alloc", "zone": "Normal", "order": i % 4, "migratetype": ["Movable", "Unmovable",
                                                                                       "Reclaimable"][i % 3],
                      "as": f"a{i}"})
    for i in range(0, 40, 3):
        steps.append({"do": "free", "ref": f"a{i}"})
    steps += [{"do": "step"}] * 6
    steps += [{"do": "move_pageblock", "pfn": 8, "migratetype": "Isolate"},
              {"do": "move_pageblock", "pfn": 8, "migratetype": "Movable"}]
    for i in range(1, 40, 3):
        steps.append({"do": "free", "ref": f"a{i}"})
    steps += [{"do": "advance", "ms": 250}, {"do": "step"}, {"do": "step"}, {"do": "stepping", "on": False}]
    return steps


async def viewer(url: str, ready: asyncio.Event, counter: list[int], done: asyncio.Event) -> dict[str, Any]:
    async with websockets.connect(url, max_size=None) as ws:
        hello = json.loads(await ws.recv())
        assert hello["type"] == "hello" and hello["role"] == "viewer"
        snap = json.loads(await ws.recv())
        assert snap["type"] == "snapshot"
        counter[0] += 1
        if counter[0] == VIEWERS:
            ready.set()
        state, seq, seqs = snap["state"], snap["seq"], []
        while True:
            try:
                raw = await asyncio.wait_for(ws.recv(), timeout=0.5 if done.is_set() else 30)
            except TimeoutError:
                break
            msg = json.loads(raw)
            assert msg["type"] == "delta", msg["type"]
            seqs.append(msg["seq"])
            assert msg["seq"] == seq + 1, f"gap: {seq} -> {msg['seq']}"
            seq = msg["seq"]
            apply_delta(state, msg["changes"])
        return {"state": state, "seqs": seqs, "last": seq}


async def scenario(base: str) -> tuple[list[dict[str, Any]], dict[str, Any], int]:
    async with httpx.AsyncClient(base_url=base) as http:
        s = (await http.post("/api/sessions", json={"preset": "default"})).json()
        url = base.replace("http", "ws") + s["ws_url"]
        ready, done = asyncio.Event(), asyncio.Event()
        counter = [0]
        tasks = [asyncio.create_task(viewer(url, ready, counter, done)) for _ in range(VIEWERS)]
        await asyncio.wait_for(ready.wait(), 30)
        async with websockets.connect(url) as ctl:
            await ctl.recv()
            await ctl.recv()
            await ctl.send(json.dumps({"type": "auth", "token": s["control_token"], "id": 0}))
            last_seq = 0
            pending: set[int] = set()
            for i, step in enumerate(steps_to_run(), start=1):
                await ctl.send(json.dumps({"type": "do", "id": i, "step": step}))
                pending.add(i)
                while pending:
                    msg = json.loads(await ctl.recv())
                    if msg["type"] == "result":
                        pending.discard(msg["id"])
                    elif msg["type"] == "delta":
                        last_seq = msg["seq"]
            # The delta of the last step follows its result.
            while True:
                msg = json.loads(await asyncio.wait_for(ctl.recv(), 5))
                if msg["type"] == "delta":
                    last_seq = msg["seq"]
                    break
        done.set()
        results = await asyncio.gather(*tasks)
        live = (await http.get(f"/api/sessions/{s['id']}/state")).json()
        return results, live, last_seq


def test_fifty_viewers_see_every_delta_in_order(server: str) -> None:
    results, live, last_seq = asyncio.run(scenario(server))
    assert len(results) == VIEWERS
    for r in results:
        assert r["state"] == live
        assert r["seqs"] == sorted(r["seqs"]) and len(r["seqs"]) >= len(steps_to_run())
    # The viewers' last delta is the controller's last delta (the controller's own
    # disconnect adds one more, with the viewer count).
    assert all(r["last"] >= last_seq for r in results)


def test_healthz_and_dashboard_on_the_real_server(server: str) -> None:
    assert httpx.get(f"{server}/healthz").json()["ok"] is True
    assert httpx.get(f"{server}/").status_code == 200
