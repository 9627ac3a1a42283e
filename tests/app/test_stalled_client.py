"""A client that stops reading is closed with a reason (app/stall.py), and nobody else notices.

The reason goes in the close frame, queued behind what the client has not
read (a client that reads again finds it there), and in the server's log.
"""

from __future__ import annotations

import asyncio
import json
import socket
from pathlib import Path

import httpx
import websockets

from tests.support import LabServer


async def never_reads(lab: LabServer) -> None:
    s = httpx.post(f"{lab.url}/api/sessions", json={"preset": "two-zones-4gib"}).json()
    url = lab.url.replace("http", "ws") + s["ws_url"]
    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)  # a client whose window fills at once
    sock.connect(("127.0.0.1", lab.port))
    stuck = await websockets.connect(url, sock=sock, max_queue=1, max_size=None)
    async with websockets.connect(url, max_size=None) as fine, httpx.AsyncClient(base_url=lab.url) as http:
        seen: list[str] = []

        async def read_fine() -> None:  # another viewer, reading as usual throughout
            while True:
                seen.append(json.loads(await fine.recv())["type"])

        reader = asyncio.create_task(read_fine())
        # A workload runs (deltas every frame); the stuck client also asks for many snapshots (~30 KB
        # each) and reads none of it.
        await fine.send(json.dumps({"type": "auth", "id": 1, "token": s["control_token"]}))
        await fine.send(json.dumps({"type": "workload", "id": 2, "action": "start", "rate": 500}))
        for i in range(300):
            await stuck.send(json.dumps({"type": "resync", "id": i + 1}))
        # Gone once its buffers fill and a send waits past the timeout; its subscription with it.
        for _ in range(300):
            if (await http.get("/healthz")).json()["connections"] == 1:
                break
            await asyncio.sleep(0.1)
        assert (await http.get("/healthz")).json()["connections"] == 1
        assert (await http.get(f"/api/sessions/{s['id']}")).json()["viewers"] == 1
        count = seen.count("delta")
        await asyncio.sleep(0.5)
        assert seen.count("delta") > count  # the other viewer never stopped
        reader.cancel()
    stuck.transport.abort()
    assert "read nothing for 1 s; closed" in (lab.log.read_text() if lab.log else "")


def test_a_client_that_reads_nothing_is_closed_with_a_reason(tmp_path: Path) -> None:
    lab = LabServer(args=["--send-timeout-s", "1", "--actions-per-second", "100000", "--action-burst", "100000",
                          "--log-level", "info"], log=tmp_path / "server.log").start()
    try:
        asyncio.run(never_reads(lab))
    finally:
        lab.stop()
