"""Soak (issue 13): a class of 200 watching a 1,000 steps/s workload for ten minutes.  Prints figures.

    .venv/bin/python bench/soak_bench.py                 # 10 minutes, 200 viewers, 1,000 steps/s
    .venv/bin/python bench/soak_bench.py --minutes 1     # a shorter run

One server process (default settings: its memory budget, queues, limits),
and around it, each in a process of its own so that the measuring does not
slow what it measures:

* viewers (two processes of --viewers/2): every connection checks that each
  delta follows its snapshot or the previous delta (no gap, no reordering,
  no duplicate); per delta sequence number, each process reports when its
  first and its last viewer got it: the spread is how far the slowest
  viewer was behind the fastest.
* a normal client on another session, acting (alloc, free) in a loop:
  its action latency, per minute and during the flood
  (bench/robustness_bench.py's Pinger).
* a connection flood on a third session (--flood attempts) at 60% of the
  run (robustness_bench's flood child).
* a viewer that never reads (a 4 KiB receive window, nothing read): when
  the server closed it, and the reason it logged.
* the server's RSS every 5 s, against its memory budget.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import multiprocessing
import re
import socket
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx
import websockets

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.robustness_bench import Pinger, _flood_child, cpu_s, pct  # noqa: E402
from tests.support import LabServer, machine_info  # noqa: E402

HEAD = re.compile(r'"type":"(\w+)","seq":(\d+)')


def cpu_share(pid: int, since: tuple[float, float], now: float) -> float:
    """The server's CPU time over wall time since `since` (wall, cpu)."""
    return (cpu_s(pid) - since[1]) / max(1e-9, now - since[0])


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


# --- viewers (each process runs many) -----------------------------------------------------------


def viewers_child(url: str, count: int, seconds: float, pipe: Any) -> None:
    first: dict[int, float] = {}
    last: dict[int, float] = {}
    report = {"problems": [], "snapshots": 0, "deltas": 0, "drops": 0, "connected": 0}

    async def one(stop_at: float) -> None:
        while time.time() < stop_at:
            try:
                async with websockets.connect(url, max_size=None, open_timeout=30) as ws:
                    report["connected"] += 1
                    seq = None
                    while time.time() < stop_at:
                        try:
                            text = await asyncio.wait_for(ws.recv(), 1.0)
                        except TimeoutError:
                            continue
                        now = time.time()
                        m = HEAD.search(text, 0, 80)
                        if m is None:
                            continue  # hello, answers
                        kind, n = m.group(1), int(m.group(2))
                        if kind == "snapshot":
                            report["snapshots"] += 1
                            seq = n
                            continue
                        report["deltas"] += 1
                        if seq is None or n != seq + 1:
                            report["problems"].append(f"delta {n} after {seq}")
                        seq = n
                        if n not in first:
                            first[n] = now
                        last[n] = now
            except (OSError, websockets.ConnectionClosed, TimeoutError) as err:
                report["drops"] += 1
                report["problems"].append(f"connection lost: {type(err).__name__}: {err}"[:200])
                await asyncio.sleep(0.5)

    async def main() -> None:
        stop_at = time.time() + seconds
        tasks = []
        for _ in range(count):
            tasks.append(asyncio.create_task(one(stop_at)))
            await asyncio.sleep(0.01)
        await asyncio.gather(*tasks)

    asyncio.run(main())
    pipe.send((report, first, last))


# --- the run --------------------------------------------------------------------------------------


async def never_reader(url: str, port: int) -> tuple[Any, float]:
    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    sock.connect(("127.0.0.1", port))
    ws = await websockets.connect(url, sock=sock, max_queue=1, max_size=None)
    return ws, time.time()


async def soak(args: argparse.Namespace, lab: LabServer, log: Path) -> None:
    seconds = args.minutes * 60
    pid = lab.proc.pid if lab.proc else 0
    async with httpx.AsyncClient(base_url=lab.url, timeout=60) as http:
        s = (await http.post("/api/sessions", json={"preset": args.preset})).json()
        other = (await http.post("/api/sessions", json={"preset": "tiny"})).json()
        target = (await http.post("/api/sessions", json={"preset": "default"})).json()
        base_ws = lab.url.replace("http", "ws")
        url = base_ws + s["ws_url"]
        budget = (await http.get("/healthz")).json()["memory_budget_mb"]

        ctx = multiprocessing.get_context("fork")
        groups = []
        per = [args.viewers // 2, args.viewers - args.viewers // 2] if args.viewers >= 2 else [args.viewers]
        for n in per:
            parent, child = ctx.Pipe()
            proc = ctx.Process(target=viewers_child, args=(url, n, seconds + 20, child), daemon=True)
            proc.start()
            groups.append((proc, parent))
        await asyncio.sleep(8)  # the class joins

        ctl = await websockets.connect(url, max_size=None)
        await ctl.send(json.dumps({"type": "auth", "id": 1, "token": s["control_token"]}))
        await ctl.send(json.dumps({"type": "workload", "id": 2, "action": "start", "rate": args.rate,
                                   "live_target": 2000}))
        drain_stop = asyncio.Event()

        async def drain() -> None:
            with contextlib.suppress(Exception):
                while not drain_stop.is_set():
                    await ctl.recv()

        drainer = asyncio.create_task(drain())
        pinger = Pinger(base_ws + other["ws_url"], other["control_token"], act=True)
        pinger.start()
        stuck, stuck_at = await never_reader(url, lab.port)
        t_start = time.time()
        print(f"soak: {args.viewers} viewers, workload {args.rate:g} steps/s on {args.preset}, {args.minutes:g} min "
              f"(server pid {pid}, memory budget {budget} MiB)", flush=True)

        rss: list[tuple[float, float, float]] = []
        stuck_closed: float | None = None
        flood_window: tuple[float, float] | None = None
        flood_outcomes: Any = None
        flood_at = t_start + seconds * 0.6
        flood_proc = None
        length0 = (await http.get(f"/api/sessions/{s['id']}")).json()["history_length"]
        next_print = t_start + 60
        last_cpu = (time.time(), cpu_s(pid))
        slow_monitor = 0
        health: dict[str, Any] = {}
        while time.time() < t_start + seconds:
            await asyncio.sleep(5)
            now = time.time()
            try:
                health = (await http.get("/healthz", timeout=10)).json()
                if stuck_closed is None:
                    info = (await http.get(f"/api/sessions/{s['id']}", timeout=10)).json()
                    if info["viewers"] <= args.viewers + 1:  # the never-reader is no longer counted
                        stuck_closed = now
            except httpx.HTTPError:
                slow_monitor += 1  # counted and reported: a figure in itself
            rss.append((now - t_start, rss_mb(pid), float(health.get("memory_in_use_mb", "nan"))))
            if flood_proc is None and now >= flood_at:
                fparent, fchild = ctx.Pipe()
                flood_proc = ctx.Process(target=_flood_child, args=(base_ws + target["ws_url"], args.flood, fchild),
                                         daemon=True)
                flood_start = time.time()
                flood_proc.start()
            if flood_proc is not None and flood_window is None and fparent.poll():
                flood_outcomes, took = fparent.recv()
                flood_window = (flood_start, flood_start + took)
            if now >= next_print:
                next_print += 60
                print(f"  {int((now - t_start) / 60)} min: RSS {rss[-1][1]:.0f} MiB, estimate {rss[-1][2]:.0f} MiB, "
                      f"sessions in memory {health.get('sessions_in_memory')}, "
                      f"connections {health.get('connections')}, "
                      f"machine load {Path('/proc/loadavg').read_text().split()[0]}, server CPU "
                      f"{cpu_share(pid, last_cpu, now):.0%}", flush=True)
                last_cpu = (now, cpu_s(pid))
        length1 = (await http.get(f"/api/sessions/{s['id']}")).json()["history_length"]
        achieved = (length1 - length0) / (time.time() - t_start)
        pinger.finish()
        await ctl.send(json.dumps({"type": "workload", "id": 3, "action": "stop"}))
        drain_stop.set()
        await ctl.close()
        drainer.cancel()
        results = []
        for proc, parent in groups:
            results.append(parent.recv())
            proc.join()
        if flood_proc is not None:
            if flood_window is None:
                flood_outcomes, took = fparent.recv()
                flood_window = (flood_start, flood_start + took)
            flood_proc.join()
        stuck.transport.abort()

    # --- figures ------------------------------------------------------------------------------
    problems = [p for r, _, _ in results for p in r["problems"]]
    deltas = sum(r["deltas"] for r, _, _ in results)
    snapshots = sum(r["snapshots"] for r, _, _ in results)
    seqs = set().union(*(f.keys() for _, f, _ in results))
    spreads = []
    for n in seqs:
        firsts = [f[n] for _, f, _ in results if n in f]
        lasts = [la[n] for _, _, la in results if n in la]
        spreads.append((max(lasts) - min(firsts)) * 1000)
    print(f"viewers   {deltas} deltas received over {len(seqs)} sequence numbers; problems (gaps, reordering, "
          f"duplicates, lost connections): {len(problems)} {problems[:5]}; snapshots {snapshots} "
          f"({snapshots - args.viewers} beyond the first each)")
    print(f"lag       slowest viewer behind the fastest, per delta: p50 {pct(spreads, 50):.0f} ms, p99 "
          f"{pct(spreads, 99):.0f} ms, max {max(spreads) if spreads else float('nan'):.0f} ms")
    print(f"workload  {achieved:.0f} steps/s achieved (asked {args.rate:g})")
    minutes = []
    for m in range(int(args.minutes + 0.999)):
        lat = pinger.between(t_start + m * 60, t_start + (m + 1) * 60)
        if flood_window:
            lat = [ms for t, ms in pinger.timed if t_start + m * 60 <= t < t_start + (m + 1) * 60
                   and not flood_window[0] <= t <= flood_window[1]]
        if lat:
            minutes.append(pct(lat, 99))
    print(f"latency   a normal client's action, p99 per minute (flood excluded): "
          f"{', '.join(f'{x:.1f}' for x in minutes)} ms; whole run {Pinger.figures(pinger.between(t_start, 1e12))}")
    if flood_window:
        took = flood_window[1] - flood_window[0]
        print(f"flood     {args.flood} connection attempts on another session in {took:.1f} s ({flood_outcomes}); "
              f"the client's latency meanwhile "
              f"{Pinger.figures(pinger.between(*flood_window))}")
    peak = max(r for _, r, _ in rss) if rss else float("nan")
    print(f"memory    server RSS {rss[0][1]:.0f} -> {rss[-1][1]:.0f} MiB, peak {peak:.0f} MiB (budget for sessions "
          f"{budget} MiB); sessions' estimate peak {max(e for _, _, e in rss):.0f} MiB")
    reason = [line for line in log.read_text().splitlines() if "read nothing" in line]
    closed = f"{stuck_closed - stuck_at:.0f} s after it connected" if stuck_closed else "NOT closed"
    if slow_monitor:
        print(f"monitor   {slow_monitor} of the bench's 5-second checks got no answer within 10 s")
    print(f"stuck     the viewer that never reads: {closed}; logged: {reason[0].split(': ', 2)[-1] if reason else '-'}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--minutes", type=float, default=10.0)
    parser.add_argument("--viewers", type=int, default=200)
    parser.add_argument("--rate", type=float, default=1000.0)
    parser.add_argument("--preset", default="one-gib")
    parser.add_argument("--flood", type=int, default=2000, help="connection attempts in the flood")
    args = parser.parse_args()
    print(f"machine: {machine_info()}")
    with tempfile.TemporaryDirectory() as tmp:
        log = Path(tmp) / "server.log"
        lab = LabServer(args=["--log-level", "info"], log=log).start()
        try:
            asyncio.run(soak(args, lab, log))
        finally:
            lab.stop()


if __name__ == "__main__":
    main()
