"""The websocket protocol through FastAPI's TestClient: every message type and error path."""

from __future__ import annotations

import json
import time
from typing import Any

import pytest
from fastapi.testclient import TestClient
from starlette.websockets import WebSocketDisconnect

from app.protocol import server_message
from core import parse_scenario, replay
from core.delta import apply_delta
from tests.app.conftest import make_client, new_session, open_ws, recv, recv_until


def send(ws: Any, **msg: Any) -> None:
    ws.send_text(json.dumps(msg))


def test_connect_gets_hello_then_a_snapshot_of_the_live_state(client: TestClient) -> None:
    s = new_session(client, {"preset": "default"})
    with client.websocket_connect(s["ws_url"]) as ws:
        hello = recv(ws)
        assert hello["type"] == "hello" and hello["role"] == "viewer" and hello["session"] == s["id"]
        assert hello["limits"]["max_message_bytes"] == 64 * 1024
        snap = recv(ws)
        server_message.validate_python(snap)
        assert snap["state"] == client.get(f"/api/sessions/{s['id']}/state").json()
        assert snap["session"]["history_length"] == 6


def test_viewers_are_read_only_and_bad_tokens_are_refused(client: TestClient) -> None:
    s = new_session(client)
    ws = open_ws(client, s)
    before = client.get(f"/api/sessions/{s['id']}/state").json()
    for msg in ({"type": "do", "id": 1, "step": {"do": "hinting_start"}},
                {"type": "clock", "id": 2, "action": "run"},
                {"type": "reset", "id": 3, "preset": "tiny"},
                {"type": "workload", "id": 4, "action": "start"}):
        send(ws, **msg)
        r = recv_until(ws, "result")
        assert r["id"] == msg["id"] and r["ok"] is False and r["error"]["code"] == "read_only"
    send(ws, type="auth", id=5, token="not-the-token")
    r = recv_until(ws, "result")
    assert r["error"] == {"code": "bad_token", "message": "that is not this session's control token",
                          "field": "token"}
    assert client.get(f"/api/sessions/{s['id']}/state").json() == before


def test_a_step_answers_then_a_delta_shows_it(client: TestClient) -> None:
    s = new_session(client)
    ws = open_ws(client, s, s["control_token"])
    viewer = open_ws(client, s)
    state = ws.snapshot["state"]
    send(ws, type="ping", id=6)  # let the deltas of joining (viewer counts) go by
    msg = recv(ws)
    while msg["type"] != "pong":
        if msg["type"] == "delta":
            apply_delta(state, msg["changes"])
        msg = recv(ws)
    send(ws, type="do", id=7, step={"do": "alloc", "zone": "Normal", "order": 2, "migratetype": "Movable"})
    msgs = [recv(ws), recv(ws)]
    assert [m["type"] for m in msgs] == ["result", "delta"]
    result, delta = msgs
    assert result == {"v": 2, "type": "result", "id": 7, "ok": True, "result": {"ok": True, "pfn": 16}, "error": None}
    assert delta["steps"] == [{"index": 0, "step": {"do": "alloc", "zone": "Normal", "order": 2,
                                                    "migratetype": "Movable"}, "result": {"ok": True, "pfn": 16}}]
    assert [e["fn"] for e in delta["events"]][:2] == [None, "__rmqueue_smallest"]
    apply_delta(state, delta["changes"])
    assert state == client.get(f"/api/sessions/{s['id']}/state").json()
    # The viewer gets the same delta.
    seen = recv_until(viewer, "delta")
    while seen["seq"] < delta["seq"]:
        seen = recv_until(viewer, "delta")
    assert seen == delta


@pytest.mark.parametrize(
    ("msg", "code", "field"),
    [
        ({"type": "do", "id": 1, "step": {"do": "alloc", "zone": "Normal", "order": 9}}, "invalid", "step.order"),
        ({"type": "do", "id": 1, "step": {"do": "alloc", "zone": "DMA", "order": 0}}, "invalid", "step.zone"),
        ({"type": "do", "id": 1, "step": {"do": "fly"}}, "invalid", "step.do"),
        ({"type": "do", "id": 1}, "invalid", "step"),
        ({"type": "do", "id": 1, "step": "alloc"}, "invalid", "step"),
        ({"type": "do", "id": 1, "step": {"do": "free", "pfn": 3}}, "step_failed", "step.pfn"),
        ({"type": "do", "id": 1, "step": {"do": "step"}}, "step_failed", "step.do"),
        ({"type": "clock", "id": 1, "action": "sideways"}, "invalid", "action"),
        ({"type": "clock", "id": 1, "action": "speed"}, "invalid", "speed"),
        ({"type": "clock", "id": 1, "action": "speed", "speed": -1}, "invalid", "speed"),
        ({"type": "reset", "id": 1, "preset": "nope"}, "invalid", "preset"),
        ({"type": "reset", "id": 1, "scenario": {"format": "x"}}, "invalid", "scenario.format"),
        ({"type": "workload", "id": 1, "action": "start", "orders": [0, 9]}, "invalid", "orders[1]"),
        ({"type": "workload", "id": 1, "action": "start", "rate": 10**9}, "invalid", "rate"),
        ({"type": "workload", "id": 1, "action": "start", "zone": "HighMem"}, "invalid", "zone"),
        ({"type": "workload", "id": 1, "action": "start", "order_weights": [1]}, "invalid", "order_weights"),
        ({"type": "teleport", "id": 1}, "invalid", "type"),
        ({"id": 1}, "invalid", "type"),
        ({"type": "ping", "id": 1, "extra": 1}, "invalid", "extra"),
        ({"type": "ping", "id": 1, "v": 3}, "unsupported_version", "v"),
    ],
)
def test_bad_requests_name_the_field_and_change_nothing(client: TestClient, msg: dict[str, Any], code: str,
                                                        field: str) -> None:
    s = new_session(client)
    ws = open_ws(client, s, s["control_token"])
    before = client.get(f"/api/sessions/{s['id']}/scenario").json()
    state_before = client.get(f"/api/sessions/{s['id']}/state").json()
    send(ws, **msg)
    r = recv_until(ws, "result")
    assert r["id"] == 1 and r["ok"] is False
    assert r["error"]["code"] == code and r["error"]["field"] == field and r["error"]["message"]
    assert client.get(f"/api/sessions/{s['id']}/state").json() == state_before
    if code != "step_failed":  # a refused step is recorded (as in a replay), nothing else is
        assert client.get(f"/api/sessions/{s['id']}/scenario").json() == before
    send(ws, type="ping", id=2)  # the connection is still open
    assert recv_until(ws, "pong")["id"] == 2


def test_unreadable_and_oversized_messages(client: TestClient) -> None:
    s = new_session(client)
    ws = open_ws(client, s, s["control_token"])
    ws.send_text("{nope")
    e = recv_until(ws, "error")
    assert e["error"]["code"] == "bad_json" and e["id"] is None
    ws.send_text(json.dumps({"type": "ping", "id": 3, "pad": "x" * (70 * 1024)}))
    e = recv_until(ws, "result")
    assert e["error"]["code"] == "too_large" and e["id"] == 3  # the answer names the request
    send(ws, type="ping", id=4)
    assert recv_until(ws, "pong")["id"] == 4


def test_rate_limit() -> None:
    with make_client(actions_per_second=1.0, action_burst=5) as c:
        s = new_session(c)
        ws = open_ws(c, s)
        for i in range(8):
            send(ws, type="ping", id=i)
        replies = [recv(ws) for _ in range(8)]
        limited = [r for r in replies if r["type"] == "result" and r["error"]["code"] == "rate_limited"]
        assert len(limited) >= 2


def test_viewer_limit() -> None:
    with make_client(max_viewers=1) as c:
        s = new_session(c)
        open_ws(c, s)
        with c.websocket_connect(s["ws_url"]) as ws:
            e = recv(ws)
            assert e["type"] == "error" and e["error"]["code"] == "too_many_viewers"
            with pytest.raises(WebSocketDisconnect):
                ws.receive_text()


def test_unknown_session_and_foreign_origins(client: TestClient) -> None:
    with client.websocket_connect("/ws/nosuch") as ws:
        e = recv(ws)
        assert e["error"]["code"] == "no_session" and e["error"]["field"] == "session"
        with pytest.raises(WebSocketDisconnect) as info:
            ws.receive_text()
        assert info.value.code == 4404
    s = new_session(client)
    # A foreign page, even one that DNS rebinding serves under this server's Host, is refused.
    for headers in ({"origin": "http://evil.example"}, {"origin": "http://evil.example", "host": "evil.example"},
                    {"origin": "ftp://localhost"}, {"origin": "null"}):
        with pytest.raises(WebSocketDisconnect) as info, client.websocket_connect(s["ws_url"], headers=headers) as ws:
            ws.receive_text()
        assert info.value.code == 1008
    open_ws(client, s, origin="http://localhost:8123")
    open_ws(client, s, origin="https://127.0.0.1")
    with make_client(allowed_hosts="lab.example") as c:
        s = new_session(c)
        open_ws(c, s, origin="https://lab.example:8443")


def test_ping_resync_and_reset_send_snapshots(client: TestClient) -> None:
    s = new_session(client)
    ws = open_ws(client, s, s["control_token"])
    viewer = open_ws(client, s)
    send(ws, type="ping", id=1)
    assert recv_until(ws, "pong")["id"] == 1
    send(viewer, type="resync", id=2)
    snap = recv_until(viewer, "snapshot")
    assert snap["state"] == client.get(f"/api/sessions/{s['id']}/state").json()
    send(ws, type="reset", id=3, preset="default")
    assert recv_until(ws, "result")["result"] == {"preset": "default"}
    snap = recv_until(viewer, "snapshot")
    assert [z["name"] for z in snap["state"]["zones"]] == ["DMA32", "Normal"]
    assert snap["session"]["preset"] == "default"
    doc = {"format": "hinting-scenario/1", "machine": {"max_order": 4, "pageblock_order": 2,
                                                       "zones": [{"name": "Normal", "pages": 8}]}}
    send(ws, type="reset", id=4, scenario=doc)
    assert recv_until(ws, "result")["ok"] is True
    snap = recv_until(viewer, "snapshot")
    assert snap["state"]["zones"][0]["pages"] == 8


def _follow(ws: Any, state: dict[str, Any], until: Any, timeout: float = 10.0) -> dict[str, Any]:
    """Apply deltas to `state` until `until(last delta)` holds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        msg = recv(ws)
        if msg["type"] == "delta":
            apply_delta(state, msg["changes"])
            if until(msg):
                return msg
    raise AssertionError("timed out")


def test_clock_runs_and_advances_are_merged(client: TestClient) -> None:
    s = new_session(client)
    ws = open_ws(client, s, s["control_token"])
    state = ws.snapshot["state"]
    send(ws, type="do", id=1, step={"do": "hinting_start"})
    send(ws, type="clock", id=2, action="run", speed=50)
    _follow(ws, state, lambda d: d["changes"].get("now_ms", 0) > 300)
    send(ws, type="clock", id=3, action="pause")
    last = _follow(ws, state, lambda d: d.get("session") and not d["session"]["clock"]["running"])
    assert last["session"]["clock"]["speed"] == 50
    doc = client.get(f"/api/sessions/{s['id']}/scenario").json()
    kinds = [step["do"] for step in doc["steps"]]
    assert kinds[0] == "hinting_start"
    assert all(k == "advance" for k in kinds[1:]) and len(kinds) <= 3  # merged into one clock advance
    live = client.get(f"/api/sessions/{s['id']}/state").json()
    assert replay(parse_scenario(doc))["state"] == live
    # The work ran at its due time on the way: stepping mode stopped it before react.
    assert live["hinting"]["work"]["phase"] == "react"


def test_workload_steps_are_recorded_and_replay(client: TestClient) -> None:
    s = new_session(client, {"preset": "default"})
    ws = open_ws(client, s, s["control_token"])
    state = ws.snapshot["state"]
    send(ws, type="workload", id=1, action="start", rate=2000, seed=4, live_target=20, orders=[0, 1, 2])
    _follow(ws, state, lambda d: d.get("steps") and d["steps"][-1]["index"] > 150)
    send(ws, type="workload", id=2, action="stop")
    _follow(ws, state, lambda d: d.get("session") and not d["session"]["workload"]["running"])
    live = client.get(f"/api/sessions/{s['id']}/state").json()
    # Deltas applied in order reproduce the live state exactly.
    assert state == live
    doc = client.get(f"/api/sessions/{s['id']}/scenario").json()
    assert len(doc["steps"]) > 150
    assert replay(parse_scenario(doc))["state"] == live


def test_every_server_message_validates_against_the_protocol(client: TestClient) -> None:
    s = new_session(client)
    ws = open_ws(client, s, s["control_token"])
    send(ws, type="do", id=1, step={"do": "hinting_start"})
    send(ws, type="do", id=2, step={"do": "step"})
    send(ws, type="ping", id=3)
    send(ws, type="do", id=4, step={"do": "free", "pfn": 1})
    ws.send_text("[]")
    seen: set[str] = set()
    while not {"result", "delta", "pong", "error"} <= seen:
        msg = recv(ws)
        server_message.validate_python(msg)
        assert msg["v"] == 2
        seen.add(msg["type"])
