"""New connections' first requests are handled a few per turn of the event loop (app/serve.py), none lost."""

from __future__ import annotations

import asyncio
import json
import urllib.request
from typing import Any, ClassVar

import websockets

from app.serve import FirstRequestGate, paced_protocol
from tests.support import LabServer


class FakeTransport:
    def __init__(self) -> None:
        self.reading = True
        self.closing = False

    def pause_reading(self) -> None:
        self.reading = False

    def resume_reading(self) -> None:
        self.reading = True

    def is_closing(self) -> bool:
        return self.closing


class Recorder(asyncio.Protocol):
    """Stands in for uvicorn's HTTP protocol: notes what it was given, and when."""

    log: ClassVar[list[tuple[int, int, bytes]]] = []
    turn: ClassVar[int] = 0

    def __init__(self, n: int) -> None:
        self.n = n
        self.transport: Any = FakeTransport()

    def data_received(self, data: bytes) -> None:
        Recorder.log.append((Recorder.turn, self.n, data))


def test_first_requests_pass_a_few_per_turn_in_order_and_later_data_is_kept() -> None:
    async def run() -> None:
        gate = FirstRequestGate(2)
        cls = paced_protocol(Recorder, gate)
        conns = [cls(n) for n in range(7)]  # type: ignore[call-arg]
        Recorder.log, Recorder.turn = [], 0
        for c in conns:
            c.data_received(b"GET")
        conns[3].data_received(b" /")  # arrives while it waits: kept, in order, and it stops reading
        assert not conns[3].transport.reading and conns[0].transport.reading
        conns[5].transport.closing = True  # the client went away while waiting: skipped, takes no place
        for turn in range(1, 5):
            Recorder.turn = turn
            await asyncio.sleep(0)  # one turn of the loop
        conns[0].data_received(b"more")  # a connection already going is never held
        assert Recorder.log == [(0, 0, b"GET"), (0, 1, b"GET"), (1, 2, b"GET"), (1, 3, b"GET /"),
                                (2, 4, b"GET"), (2, 6, b"GET"), (4, 0, b"more")]
        assert all(c.transport.reading for c in conns if c.n != 5)

    asyncio.run(run())


def test_a_burst_of_connections_is_served_whole_through_the_gate() -> None:
    """Through the real server (accept_batch 2): 60 websockets and 60 HTTP requests at once all answered."""
    server = LabServer(args=["--accept-batch", "2"]).start()
    try:
        with urllib.request.urlopen(urllib.request.Request(
                f"{server.url}/api/sessions", data=b'{"preset": "tiny"}',
                headers={"content-type": "application/json"})) as r:
            session = json.load(r)

        async def one_ws() -> str:
            async with websockets.connect(server.url.replace("http", "ws") + session["ws_url"]) as ws:
                return str(json.loads(await ws.recv())["type"])

        async def one_get() -> int:
            return await asyncio.to_thread(lambda: urllib.request.urlopen(f"{server.url}/healthz").status)

        async def burst() -> tuple[list[str], list[int]]:
            kinds = asyncio.gather(*(one_ws() for _ in range(60)))
            codes = asyncio.gather(*(one_get() for _ in range(60)))
            return await kinds, await codes

        kinds, codes = asyncio.run(burst())
        assert kinds == ["hello"] * 60 and codes == [200] * 60
    finally:
        server.stop()
