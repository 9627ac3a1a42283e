"""Server benchmarks (issue 3) against a real server on loopback: prints figures, asserts nothing.

    .venv/bin/python bench/ws_bench.py [--quick]

Figures:
  latency    action-to-delta p50/p99 for one controller (send a step, wait for the
             delta carrying it), then the same with 200 viewers connected, and the
             viewers' p99 (action sent -> each viewer has the delta).
  churn      bytes per delta while a 1,000 steps/s workload runs on a 1 GiB zone
             with the clock running, next to the full snapshot's size.
  memory     server RSS per idle session with a 1 GiB zone.

The server runs as its own process with the request rate limit raised (the
default, 50/s per connection, is for people, not for a benchmark).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import re
import statistics
import sys
import time
from pathlib import Path
from typing import Any

import httpx
import websockets

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.support import LabServer, machine_info  # noqa: E402

WARMUP = 10
STEP_INDEX = re.compile(r'\{"index":(\d+),"step"')


def start_server() -> LabServer:
    return LabServer(args=["--actions-per-second", "100000", "--action-burst", "100000", "--max-viewers", "1000",
                           "--max-queue", "100000"]).start()


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def pct(values: list[float], p: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, round(p / 100 * (len(values) - 1)))]


async def connect(url: str) -> Any:
    ws = await websockets.connect(url, max_size=None)
    await ws.recv()  # hello
    await ws.recv()  # snapshot
    return ws


async def latency(base: str, actions: int, viewers: int) -> tuple[list[float], list[float]]:
    async with httpx.AsyncClient(base_url=base) as http:
        s = (await http.post("/api/sessions", json={"preset": "default"})).json()
    url = base.replace("http", "ws") + s["ws_url"]
    watchers = [await connect(url) for _ in range(viewers)]
    ctl = await connect(url)
    await ctl.send(json.dumps({"type": "auth", "token": s["control_token"], "id": 0}))
    sent_at: dict[int, float] = {}
    viewer_lags: list[float] = []
    stop = asyncio.Event()

    async def watch(ws: Any) -> None:
        # 200 viewers share this one client process: read just the step indices
        # (a full JSON parse per viewer would measure the client, not the server).
        while not stop.is_set():
            try:
                text = await asyncio.wait_for(ws.recv(), 1)
            except TimeoutError:
                continue
            now = time.perf_counter()
            if text.startswith('{"v":1,"type":"delta"'):
                for index in STEP_INDEX.findall(text):
                    t0 = sent_at.get(int(index))
                    if t0 is not None:
                        viewer_lags.append(now - t0)

    tasks = [asyncio.create_task(watch(w)) for w in watchers]
    await asyncio.sleep(0.5)
    # Drain what joining produced.
    while True:
        try:
            await asyncio.wait_for(ctl.recv(), 0.3)
        except TimeoutError:
            break
    history = (await httpx.AsyncClient(base_url=base).get(f"/api/sessions/{s['id']}")).json()["history_length"]
    lat: list[float] = []
    pace = 0.05 if viewers else 0.0  # with viewers: 20 actions/s, a busy presenter's pace
    for i in range(actions):
        if pace:
            await asyncio.sleep(pace)
        step = {"do": "alloc", "zone": "Normal", "order": 0, "migratetype": "Movable"} if i % 2 == 0 else \
            {"do": "free", "pfn": last_pfn, "order": 0}  # noqa: F821 - set on the alloc just before
        index = history + i
        t0 = time.perf_counter()
        if i >= WARMUP:  # the first few actions settle 200 fresh connections
            sent_at[index] = t0
        await ctl.send(json.dumps({"type": "do", "id": i + 1, "step": step}))
        while True:
            msg = json.loads(await ctl.recv())
            if msg["type"] == "result" and msg["result"] and "pfn" in msg["result"]:
                last_pfn = msg["result"]["pfn"]  # noqa: F841
            if msg["type"] == "delta" and any(st["index"] == index for st in msg["steps"]):
                if i >= WARMUP:
                    lat.append(time.perf_counter() - t0)
                break
    await asyncio.sleep(1.0)
    stop.set()
    await asyncio.gather(*tasks)
    for w in [*watchers, ctl]:
        await w.close()
    return lat, viewer_lags


async def churn_sizes(base: str, seconds: float) -> tuple[list[int], int]:
    async with httpx.AsyncClient(base_url=base) as http:
        s = (await http.post("/api/sessions", json={"preset": "one-gib"})).json()
    url = base.replace("http", "ws") + s["ws_url"]
    ws = await websockets.connect(url, max_size=None)
    await ws.recv()
    snap_text = await ws.recv()
    await ws.send(json.dumps({"type": "auth", "token": s["control_token"], "id": 0}))
    await ws.send(json.dumps({"type": "do", "id": 1, "step": {"do": "hinting_start"}}))
    await ws.send(json.dumps({"type": "workload", "id": 2, "action": "start", "rate": 1000, "seed": 1,
                              "live_target": 2000}))
    await ws.send(json.dumps({"type": "clock", "id": 3, "action": "run", "speed": 1}))
    # Warm up: let the first hinting cycle and the live set build.
    t_end = time.monotonic() + 3
    while time.monotonic() < t_end:
        await ws.recv()
    await ws.send(json.dumps({"type": "resync", "id": 4}))
    sizes: list[int] = []
    snapshot = len(snap_text)
    t_end = time.monotonic() + seconds
    while time.monotonic() < t_end:
        text = await ws.recv()
        kind = json.loads(text)["type"]
        if kind == "snapshot":
            snapshot = len(text.encode())
        elif kind == "delta":
            sizes.append(len(text.encode()))
    await ws.send(json.dumps({"type": "workload", "id": 5, "action": "stop"}))
    await ws.close()
    return sizes, snapshot


def memory_per_session(base: str, pid: int, n: int) -> float:
    before = rss_mb(pid)
    with httpx.Client(base_url=base) as http:
        for _ in range(n):
            assert http.post("/api/sessions", json={"preset": "one-gib"}).status_code == 201
    time.sleep(0.5)
    return (rss_mb(pid) - before) / n


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true")
    args = ap.parse_args()
    actions = 200 if args.quick else 1000
    lab = start_server()
    base = lab.url
    assert lab.proc is not None
    proc = lab.proc
    print(f"machine: {machine_info()}; server and clients on one machine, loopback")
    try:
        lat, _ = asyncio.run(latency(base, actions, 0))
        print(f"action-to-delta, 1 controller: p50 {statistics.median(lat) * 1e3:.2f} ms, "
              f"p99 {pct(lat, 99) * 1e3:.2f} ms ({len(lat)} actions)")
        lat, lags = asyncio.run(latency(base, actions // 2, 200))
        print(f"action-to-delta, 200 viewers: controller p50 {statistics.median(lat) * 1e3:.2f} ms, "
              f"p99 {pct(lat, 99) * 1e3:.2f} ms; viewers p50 {statistics.median(lags) * 1e3:.2f} ms, "
              f"p99 {pct(lags, 99) * 1e3:.2f} ms ({len(lags)} viewer deliveries)")
        sizes, snapshot = asyncio.run(churn_sizes(base, 3 if args.quick else 8))
        mean = statistics.mean(sizes)
        print(f"delta during a 1,000 steps/s workload on 1 GiB: mean {mean:,.0f} B, p95 {pct(sizes, 95):,.0f} B, "
              f"max {max(sizes):,} B over {len(sizes)} deltas; snapshot {snapshot:,} B "
              f"(mean {100 * mean / snapshot:.1f}%, p95 {100 * pct(sizes, 95) / snapshot:.1f}% of a snapshot)")
        per = memory_per_session(base, proc.pid, 10 if args.quick else 20)
        print(f"server memory per idle session with a 1 GiB zone: {per:.1f} MB")
        print(f"server RSS now: {rss_mb(proc.pid):.0f} MB")
    finally:
        lab.stop()


if __name__ == "__main__":
    main()
