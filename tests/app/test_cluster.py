"""Several server processes on one real Redis (`--redis`): one runs each session, the others relay.

Debian's redis-server is started on a free port for this module and killed
by its PID afterwards (tests/support.py).  The server processes are real
`python -m app` processes, killed with kill -9 where the test says so.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
import websockets

from app.journal import Journal
from app.protocol import WorkloadMsg
from app.redis_store import RedisStore
from app.restore import restore_session
from app.sessions import Session
from app.settings import Settings
from core import parse_scenario
from core.delta import apply_delta
from tests.support import REDIS_SERVER, LabServer, RedisServer

from .conftest import tiny_document

pytestmark = pytest.mark.skipif(not os.path.exists(REDIS_SERVER), reason="redis-server is not installed (make redis)")

FAST = ["--actions-per-second", "100000", "--action-burst", "100000", "--lease-ms", "1500"]
VIEWERS = 50


@pytest.fixture(scope="module")
def redis_url() -> Iterator[str]:
    server = RedisServer().start()
    yield server.url
    server.stop()


def lab(url: str, *extra: str) -> LabServer:
    return LabServer(args=["--redis", url, *FAST, *extra]).start()


def alloc(i: int) -> dict[str, Any]:
    if i % 3 == 2:
        return {"do": "free", "ref": f"b{i - 2}"}
    return {"do": "alloc", "zone": "Normal", "order": i % 2, "migratetype": "Movable", "as": f"b{i}"}


class Viewer:
    """A watcher that reconnects by itself; it checks every connection's deltas follow its snapshot exactly."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.epochs: list[list[int]] = []  # per connection: the snapshot's seq, then each delta's
        self.state: dict[str, Any] | None = None
        self.problems: list[str] = []
        self.closes: list[int] = []

    async def run(self, stop: asyncio.Event) -> None:
        while not stop.is_set():
            try:
                async with websockets.connect(self.url, max_size=None, open_timeout=3) as ws:
                    hello = json.loads(await ws.recv())
                    assert hello["type"] == "hello"
                    while not stop.is_set():
                        try:
                            msg = json.loads(await asyncio.wait_for(ws.recv(), 0.2))
                        except TimeoutError:
                            continue
                        if msg["type"] == "snapshot":
                            self.epochs.append([msg["seq"]])
                            self.state = msg["state"]
                        elif msg["type"] == "delta":
                            if not self.epochs:
                                self.problems.append(f"a delta {msg['seq']} before any snapshot")
                                continue
                            seqs = self.epochs[-1]
                            if msg["seq"] != seqs[-1] + 1:
                                self.problems.append(f"delta {msg['seq']} after {seqs[-1]}")
                            seqs.append(msg["seq"])
                            assert self.state is not None
                            apply_delta(self.state, msg["changes"])
            except websockets.ConnectionClosed as err:
                self.closes.append(err.rcvd.code if err.rcvd else 0)
                await asyncio.sleep(0.1)
            except (OSError, TimeoutError):
                await asyncio.sleep(0.2)

    @property
    def last(self) -> int:
        return self.epochs[-1][-1] if self.epochs else -1


async def until(check: Any, seconds: float, what: str) -> None:
    deadline = time.monotonic() + seconds
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0.05)


async def controller(base: str, s: dict[str, Any]) -> Any:
    ws = await websockets.connect(base.replace("http", "ws") + s["ws_url"], max_size=None)
    await ws.recv()
    await ws.recv()
    await ws.send(json.dumps({"type": "auth", "id": 0, "token": s["control_token"]}))
    while (msg := json.loads(await ws.recv()))["type"] != "result":
        pass
    assert msg["ok"], msg
    return ws


async def run_steps(ws: Any, steps: list[tuple[int, dict[str, Any]]], acked: list[int],
                    stop_after: int | None = None, on_stop: Any = None) -> None:
    """Pipeline the steps; record the ids answered; after `stop_after` answers call on_stop (a kill)."""
    for i, step in steps:
        await ws.send(json.dumps({"type": "do", "id": i, "step": step}))
    pending = {i for i, _ in steps}
    try:
        while pending:
            msg = json.loads(await asyncio.wait_for(ws.recv(), 10))
            if msg["type"] == "result" and msg["id"] in pending:
                assert msg["ok"] or msg["error"]["code"] == "step_failed", msg
                pending.discard(msg["id"])
                acked.append(msg["id"])
                if stop_after is not None and len(acked) == stop_after:
                    on_stop()
    except (websockets.ConnectionClosed, TimeoutError):
        if on_stop is None:
            raise


async def presenter_on_a_fifty_viewers_on_b(url: str) -> None:
    a, b = lab(url), lab(url)
    try:
        s = httpx.post(f"{a.url}/api/sessions", json={"preset": "default"}).json()
        first = len(httpx.get(f"{a.url}/api/sessions/{s['id']}/scenario").json()["steps"])
        stop = asyncio.Event()
        viewers = [Viewer(b.url.replace("http", "ws") + s["ws_url"]) for _ in range(VIEWERS)]
        tasks = [asyncio.create_task(v.run(stop)) for v in viewers]
        await until(lambda: all(v.epochs for v in viewers), 30, "50 viewers on B")
        assert httpx.get(f"{b.url}/healthz").json()["relayed_connections"] == VIEWERS
        assert httpx.get(f"{a.url}/healthz").json()["guest_connections"] == VIEWERS

        # Phase 1: the presenter on A acts; the 50 viewers on B see every delta, in order.
        ctl = await controller(a.url, s)
        acked: list[int] = []
        await run_steps(ctl, [(i, alloc(i)) for i in range(1, 121)], acked)
        state_a = httpx.get(f"{a.url}/api/sessions/{s['id']}/state").json()
        await until(lambda: all(v.state == state_a for v in viewers), 30, "viewers to hold A's state")
        # B answers HTTP for A's session through A.
        assert httpx.get(f"{b.url}/api/sessions/{s['id']}/state").json() == viewers[0].state
        assert httpx.get(f"{b.url}/api/sessions/{s['id']}/scenario").json() == \
            httpx.get(f"{a.url}/api/sessions/{s['id']}/scenario").json()
        assert all(len(v.epochs) == 1 and len(v.epochs[0]) > 100 for v in viewers)

        # Phase 2: kill -9 A while steps are in flight.
        await run_steps(ctl, [(i, alloc(i)) for i in range(121, 400)], acked, stop_after=180, on_stop=a.kill)
        with_answers = sorted(acked)
        assert with_answers == list(range(1, len(with_answers) + 1))
        # B notices A is gone, closes its relays (1012), the viewers reconnect and B takes the session over.
        await until(lambda: all(len(v.epochs) >= 2 for v in viewers), 30, "viewers to come back after the kill")
        assert all(1012 in v.closes for v in viewers), [v.closes for v in viewers]
        health = httpx.get(f"{b.url}/healthz").json()
        assert health["sessions_run_here"] == 1 and health["loaded"] == 1
        doc = httpx.get(f"{b.url}/api/sessions/{s['id']}/scenario").json()
        history = doc["steps"][first:]
        assert len(history) >= len(with_answers), f"{len(with_answers)} acknowledged, {len(history)} kept"
        assert history == [alloc(i) for i in range(1, len(history) + 1)]

        # Phase 3: the presenter comes back on B with the same token and goes on.
        ctl = await controller(b.url, s)
        more = list(range(len(history) + 1, len(history) + 31))
        acked3: list[int] = []
        await run_steps(ctl, [(i, alloc(i)) for i in more], acked3)
        final = httpx.get(f"{b.url}/api/sessions/{s['id']}/state").json()
        await until(lambda: all(v.state == final for v in viewers), 30, "viewers to hold B's state")
        await ctl.close()
        stop.set()
        await asyncio.gather(*tasks)
        assert [p for v in viewers for p in v.problems] == []  # no gap, no reordering, no duplicate
    finally:
        a.stop()
        b.stop()


def test_presenter_on_a_fifty_viewers_on_b_then_a_is_killed(redis_url: str) -> None:
    asyncio.run(presenter_on_a_fifty_viewers_on_b(redis_url))


async def roles_across_processes(url: str) -> None:
    """The owner on B, a viewer on A (where the session runs): control handed over and used across."""
    a, b = lab(url), lab(url)
    try:
        s = httpx.post(f"{a.url}/api/sessions", json={"preset": "tiny"}).json()
        owner = await controller(b.url, s)  # forwarded to A
        async with websockets.connect(a.url.replace("http", "ws") + s["ws_url"]) as guest:
            hello = json.loads(await guest.recv())
            await owner.send(json.dumps({"type": "view", "id": 1, "view": {"zone": "Normal", "follow": True}}))
            await owner.send(json.dumps({"type": "control", "id": 2, "action": "grant",
                                         "connection": hello["connection"]}))
            answers: dict[int, Any] = {}
            while len(answers) < 2:
                msg = json.loads(await owner.recv())
                if msg["type"] == "result":
                    answers[msg["id"]] = msg
            assert answers[1]["ok"] and answers[2]["ok"] and answers[2]["result"]["role"] == "controller"
            while (msg := json.loads(await guest.recv()))["type"] != "role":
                pass
            assert msg["role"] == "controller"
            await guest.send(json.dumps({"type": "do", "id": 5, "step": alloc(0)}))
            while (msg := json.loads(await guest.recv()))["type"] != "result":
                pass
            assert msg["ok"] is True
            # A viewer on B may not act: refused by the owner process, answered through B.
            async with websockets.connect(b.url.replace("http", "ws") + s["ws_url"]) as viewer:
                await viewer.recv()
                snap = json.loads(await viewer.recv())
                assert snap["session"]["view"] == {"zone": "Normal", "follow": True}
                await viewer.send(json.dumps({"type": "do", "id": 9, "step": alloc(3)}))
                while (msg := json.loads(await viewer.recv()))["type"] != "result":
                    pass
                assert msg["error"]["code"] == "read_only"
                await viewer.send("[" * 100 + "]" * 100)
                while (msg := json.loads(await viewer.recv()))["type"] != "error":
                    pass
                assert msg["error"]["code"] == "too_deep"
        await owner.close()
    finally:
        a.stop()
        b.stop()


def test_control_and_refusals_work_across_processes(redis_url: str) -> None:
    asyncio.run(roles_across_processes(redis_url))


async def fenced_after_a_pause(url: str) -> None:
    """A process paused past its lease loses the session; once resumed it cannot write it any more."""
    a, b = lab(url), lab(url)
    try:
        s = httpx.post(f"{a.url}/api/sessions", json={"preset": "default"}).json()
        ctl = await controller(a.url, s)
        await ctl.send(json.dumps({"type": "workload", "id": 1, "action": "start", "rate": 500, "live_target": 40}))
        await asyncio.sleep(0.5)
        assert a.proc is not None
        os.kill(a.proc.pid, signal.SIGSTOP)
        try:
            await asyncio.sleep(2.5)  # past the 1.5 s lease
            info = httpx.get(f"{b.url}/api/sessions/{s['id']}").json()  # B takes it over
            assert httpx.get(f"{b.url}/healthz").json()["sessions_run_here"] == 1
            taken = info["history_length"]
        finally:
            os.kill(a.proc.pid, signal.SIGCONT)
        # A wakes up, its running workload tries to write: refused; A drops the session.
        await asyncio.sleep(1.5)
        assert httpx.get(f"{a.url}/healthz").json()["sessions_run_here"] == 0
        doc = httpx.get(f"{a.url}/api/sessions/{s['id']}/scenario").json()  # A now forwards to B
        later = httpx.get(f"{b.url}/api/sessions/{s['id']}/scenario").json()  # B's workload goes on
        assert len(doc["steps"]) >= taken and later["steps"][:len(doc["steps"])] == doc["steps"]
        assert httpx.get(f"{b.url}/api/sessions/{s['id']}").json()["workload"]["running"] is True
        with pytest.raises(websockets.ConnectionClosed):
            while True:  # the controller on A was told to reconnect
                await asyncio.wait_for(ctl.recv(), 5)
    finally:
        a.stop()
        b.stop()


def test_a_process_that_lost_its_lease_cannot_write(redis_url: str) -> None:
    asyncio.run(fenced_after_a_pause(redis_url))


def test_a_stopping_process_hands_its_sessions_over_at_once(redis_url: str) -> None:
    # A long lease, so "at once" (no lease waited out) is told from waiting with room for a slow machine.
    a, b = lab(redis_url, "--lease-ms", "10000"), lab(redis_url, "--lease-ms", "10000")
    try:
        s = httpx.post(f"{a.url}/api/sessions", json={"preset": "tiny"}).json()
        state = httpx.get(f"{b.url}/api/sessions/{s['id']}/state").json()
        a.stop()  # SIGTERM: writes everything, releases its leases
        t0 = time.monotonic()
        assert httpx.get(f"{b.url}/api/sessions/{s['id']}/state").json() == state
        assert time.monotonic() - t0 < 5.0  # no lease to wait out (it would be 10 s)
        assert httpx.get(f"{b.url}/healthz").json()["sessions_run_here"] == 1
    finally:
        a.stop()
        b.stop()


STEPS = [{"do": "alloc", "zone": "Normal", "order": 0, "migratetype": "Movable"},
         {"do": "free", "pfn": 0}, {"do": "advance", "ms": 3}, {"do": "hinting_start"}]


async def redis_roundtrip(url: str, design: str) -> None:
    """The Redis store's write script keeps exactly what the journal says, across chunk boundaries and cuts,
    under either design, from a scenario with steps of its own (undo's floor)."""
    import random

    settings = Settings.from_env(env={}, db=":memory:")
    store = RedisStore(url)
    rng = random.Random(5)
    scenario = parse_scenario(tiny_document(design, STEPS[:2]), max_pages=settings.max_pages)
    session = Session(f"rt-redis-{design}", settings, scenario, "tiny")
    journal = Journal()
    await store.write(journal.changes(session, create=True))  # type: ignore[arg-type]
    for op in range(120):
        r = rng.random()
        if r < 0.5:
            for _ in range(rng.randrange(1, 150)):
                session.apply(rng.choice(STEPS))
        elif r < 0.6:
            session.start_workload(WorkloadMsg(type="workload", action="start", seed=op, live_target=4))
            session._run_workload(rng.randrange(1, 300))
            session.stop_workload()
        elif r < 0.75 and session.history:
            session.travel(rng.randrange(len(session.history) + 1))
        elif r < 0.85 and session.timeline.undo_target() is not None:
            session.undo()
        elif r < 0.92 and session.timeline.branches:
            session.branch("switch", rng.choice(session.timeline.branches).id)
        else:
            session.set_view({"op": op}, "x")
        write = journal.changes(session)
        if write is not None:
            await store.write(write)
        if op % 30 == 29:
            record = await store.load(session.id)
            assert record is not None
            back = restore_session(record, settings)
            assert list(back.history) == list(session.history)
            assert (back.timeline.cursor, back.timeline.floor) == (session.timeline.cursor, session.timeline.floor)
            assert back.machine.state() == session.machine.state()
            assert back.scenario_document() == session.scenario_document()
            assert [(b.id, b.fork_at, list(b.steps)) for b in back.timeline.branches] == \
                [(b.id, b.fork_at, list(b.steps)) for b in session.timeline.branches]
    await store.delete(session.id)
    assert await store.load(session.id) is None
    await store.close()


@pytest.mark.parametrize("design", ["seed", "reporting"])
def test_the_redis_store_keeps_any_history_exactly(redis_url: str, design: str) -> None:
    asyncio.run(redis_roundtrip(redis_url, design))
