"""Fixtures for server tests: an app with small limits, and a TestClient."""

from __future__ import annotations

import contextlib
import json
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from app.main import create_app
from app.settings import Settings

# Websocket sessions opened by open_ws; they must be exited before their
# client, or the client's event-loop thread waits for them for ever.
_OPEN: list[Any] = []


class _Client(TestClient):
    def __exit__(self, *exc: Any) -> None:
        while _OPEN:
            ctx = _OPEN.pop()
            with contextlib.suppress(Exception):
                ctx.__exit__(None, None, None)
        super().__exit__(*exc)


def make_client(**overrides: Any) -> TestClient:
    settings = Settings.from_env(env={}, **overrides)
    return _Client(create_app(settings))


@pytest.fixture
def client() -> Iterator[TestClient]:
    with make_client() as c:
        yield c


def new_session(client: TestClient, body: dict[str, Any] | None = None) -> dict[str, Any]:
    r = client.post("/api/sessions", json=body if body is not None else {"preset": "tiny"})
    assert r.status_code == 201, r.text
    return r.json()


def recv(ws: Any) -> dict[str, Any]:
    return json.loads(ws.receive_text())


def recv_where(ws: Any, wanted: Callable[[dict[str, Any]], bool], what: str, limit: int = 50) -> dict[str, Any]:
    """The first message `wanted` accepts among the next `limit`: a test waiting for something that never
    comes fails, naming it, instead of reading for ever."""
    for _ in range(limit):
        msg = recv(ws)
        if wanted(msg):
            return msg
    raise AssertionError(f"no {what} in {limit} messages")


def recv_until(ws: Any, kind: str, limit: int = 50) -> dict[str, Any]:
    return recv_where(ws, lambda m: m["type"] == kind, f"{kind} message", limit)


def open_ws(client: TestClient, session: dict[str, Any], token: str | None = None, **headers: str) -> Any:
    """A websocket past hello and snapshot (and authenticated when given a token)."""
    ctx = client.websocket_connect(session["ws_url"], headers=dict(headers))
    ws = ctx.__enter__()
    _OPEN.append(ctx)
    hello = recv(ws)
    assert hello["type"] == "hello" and hello["v"] == 2
    snap = recv(ws)
    assert snap["type"] == "snapshot"
    ws.snapshot = snap  # type: ignore[attr-defined]
    if token:
        ws.send_text(json.dumps({"type": "auth", "token": token, "id": 0}))
        assert recv_until(ws, "result")["ok"] is True
    return ws
