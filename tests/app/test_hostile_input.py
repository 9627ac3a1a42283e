"""Issue 13's reproductions, one by one: no message breaks a connection or a session.

Each sends what a hostile client sent and checks the typed answer, that the
connection still answers, that the session is unchanged and still serves
everyone (GET state, a new websocket's snapshot).
"""

from __future__ import annotations

import json
import time
from typing import Any

import pytest
from fastapi.testclient import TestClient

from app.roles import Role, RoleError, Standing
from app.settings import Settings
from app.subscriber import SNAPSHOT, Subscriber
from core import parse_scenario, replay
from tests.app.conftest import make_client, new_session, open_ws, recv

TINY = {"format": "hinting-scenario/1", "machine": {"max_order": 4, "pageblock_order": 2,
                                                    "zones": [{"name": "Normal", "pages": 16}]}}


def answer(ws: Any, rid: int | None = None) -> dict[str, Any]:
    """The next result (with this id) or error, skipping the stream."""
    for _ in range(200):
        msg = recv(ws)
        if msg["type"] == "error" or (msg["type"] == "result" and (rid is None or msg["id"] == rid)):
            return msg
    raise AssertionError("no answer")


def healthy(client: TestClient, s: dict[str, Any]) -> None:
    """Everyone can still use the session: HTTP reads and a newcomer's snapshot."""
    sid = s["id"]
    for path in ("", "/state", "/scenario"):
        r = client.get(f"/api/sessions/{sid}{path}")
        assert r.status_code == 200, (path, r.text)
    doc = client.get(f"/api/sessions/{sid}/scenario").json()
    assert replay(parse_scenario(doc))["state"] == client.get(f"/api/sessions/{sid}/state").json()
    late = open_ws(client, s)
    assert late.snapshot["state"] == client.get(f"/api/sessions/{sid}/state").json()


def raw_post(client: TestClient, path: str, text: str | bytes, **headers: str) -> Any:
    return client.post(path, content=text, headers={"content-type": "application/json", **headers})


# --- 1. deep nesting --------------------------------------------------------------------


def test_deeply_nested_json_is_refused_and_the_connection_lives(client: TestClient) -> None:
    s = new_session(client)
    viewer = open_ws(client, s)  # no auth: anyone could send it
    viewer.send_text("[" * 1100 + "]" * 1100)
    e = answer(viewer)
    assert e["type"] == "error" and e["error"]["code"] == "too_deep" and e["error"]["field"] == "message"
    viewer.send_text(json.dumps({"type": "ping", "id": 5, "x": json.loads("[" * 34 + "1" + "]" * 34)}))
    assert answer(viewer)["error"]["code"] == "too_deep"
    viewer.send_text(json.dumps({"type": "ping", "id": 6}))
    assert recv(viewer)["type"] == "pong"
    r = raw_post(client, "/api/sessions", "[" * 5000 + "]" * 5000)
    assert r.status_code == 400 and r.json()["error"]["code"] == "too_deep"
    healthy(client, s)


# --- 2. wrong types anywhere ------------------------------------------------------------


@pytest.mark.parametrize(("step", "field"), [
    ({"do": "alloc", "zone": [], "order": 0}, "step.zone"),
    ({"do": "alloc", "zone": "Normal", "order": 0, "migratetype": []}, "step.migratetype"),
    ({"do": "alloc", "zone": {}, "order": 0, "migratetype": {}}, "step.zone"),
    ({"do": "move_pageblock", "pfn": 0, "migratetype": {}}, "step.migratetype"),
    ({"do": ["alloc"]}, "step.do"),
    ({"do": {"x": 1}}, "step.do"),
    ({"do": "free", "ref": ["a"]}, "step.ref"),
    ({"do": "stepping", "on": "yes"}, "step.on"),
])
def test_wrong_types_in_a_step_are_invalid(client: TestClient, step: dict[str, Any], field: str) -> None:
    s = new_session(client)
    ws = open_ws(client, s, s["control_token"])
    before = client.get(f"/api/sessions/{s['id']}/scenario").json()
    ws.send_text(json.dumps({"type": "do", "id": 1, "step": step}))
    r = answer(ws, 1)
    assert r["ok"] is False and r["error"]["code"] == "invalid" and r["error"]["field"] == field
    assert client.get(f"/api/sessions/{s['id']}/scenario").json() == before
    # The same steps inside a scenario over HTTP: 422 naming the step, never a 500.
    doc = {**TINY, "steps": [{"do": "hinting_start"}, step]}
    for path, body in (("/api/sessions", {"scenario": doc}), ("/api/links", {"scenario": doc})):
        r2 = client.post(path, json=body)
        assert r2.status_code == 422, r2.text
        assert r2.json()["error"]["field"] == "scenario.steps[1]." + field.split(".", 1)[1]
    healthy(client, s)


# --- 3. a deep view ---------------------------------------------------------------------


def test_a_deep_view_cannot_poison_the_session(client: TestClient) -> None:
    s = new_session(client)
    ws = open_ws(client, s, s["control_token"])
    deep: Any = 1
    for _ in range(300):
        deep = [deep]
    ws.send_text(json.dumps({"type": "view", "id": 1, "view": {"a": deep}}))
    assert answer(ws)["error"]["code"] == "too_deep"
    assert client.get(f"/api/sessions/{s['id']}").json()["view"] is None
    healthy(client, s)


# --- 4. lone surrogates ------------------------------------------------------------------


@pytest.mark.parametrize("message", [
    '{"type":"view","id":1,"view":{"zone":"\\ud800"}}',
    '{"type":"do","id":1,"step":{"do":"alloc","zone":"Normal","order":0,"as":"\\udfff"}}',
    '{"type":"do","id":1,"step":{"do":"free","ref":"x\\ud800y"}}',
    '{"type":"reset","id":1,"scenario":{"format":"hinting-scenario/1","title":"\\ud800"}}',
    '{"type":"reset","id":1,"scenario":{"format":"hinting-scenario/1","machine":{"zones":[{"name":"\\ud800",'
    '"pages":1024}]}}}',
    '{"type":"identity","id":1,"name":"\\ud800"}',
    '{"type":"ping","id":1,"\\ud800":1}',
])
def test_lone_surrogates_are_refused_and_never_stored(client: TestClient, message: str) -> None:
    s = new_session(client)
    ws = open_ws(client, s, s["control_token"])
    before = client.get(f"/api/sessions/{s['id']}/scenario").json()
    ws.send_text(message)
    e = answer(ws)
    assert e["error"]["code"] == "bad_text"
    assert client.get(f"/api/sessions/{s['id']}/scenario").json() == before
    info = client.get(f"/api/sessions/{s['id']}").json()
    assert all(m["name"] is None for m in info["audience"])
    healthy(client, s)


def test_a_refused_session_body_creates_no_session(client: TestClient) -> None:
    manager = client.app.state.manager  # type: ignore[attr-defined]
    count = len(manager.sessions)
    for text in ('{"scenario":{"format":"hinting-scenario/1","title":"\\ud800"}}',
                 '{"preset":"\\udc00"}',
                 '{"scenario":{"format":"hinting-scenario/1","steps":[{"do":"alloc","as":"\\ud800"}]}}'):
        r = raw_post(client, "/api/sessions", text)
        assert r.status_code == 400 and r.json()["error"]["code"] == "bad_text", r.text
    r = raw_post(client, "/api/links", '{"scenario":{"format":"hinting-scenario/1","title":"\\ud800"}}')
    assert r.status_code == 400
    assert len(manager.sessions) == count


# --- 5. numbers that are not numbers ------------------------------------------------------------


def test_workload_weights_must_be_finite_and_a_run_never_dies_silently(client: TestClient) -> None:
    s = new_session(client)
    ws = open_ws(client, s, s["control_token"])
    ws.send_text(json.dumps({"type": "workload", "id": 1, "action": "start", "migratetypes": ["Movable", "Unmovable"],
                             "mt_weights": [1e308, 1e308]}))
    r = answer(ws, 1)
    assert r["ok"] is False and r["error"]["field"] == "mt_weights.0"
    ws.send_text('{"type":"workload","id":2,"action":"start","migratetypes":["Movable"],"mt_weights":[NaN]}')
    assert answer(ws)["error"]["code"] == "bad_json"
    ws.send_text('{"type":"clock","id":3,"action":"speed","speed":1e400}')
    assert answer(ws)["error"]["code"] == "bad_json"
    assert client.get(f"/api/sessions/{s['id']}").json()["workload"]["running"] is False


def test_an_exception_in_a_run_stops_it_and_tells_the_viewers() -> None:
    with make_client() as c:
        s = new_session(c)
        ws = open_ws(c, s, s["control_token"])
        session = c.app.state.manager.get(s["id"])  # type: ignore[attr-defined]

        def broken(n: int) -> None:
            raise ZeroDivisionError("a bug")

        session._run_workload = broken
        ws.send_text(json.dumps({"type": "workload", "id": 1, "action": "start", "rate": 500}))
        assert answer(ws, 1)["ok"] is True
        deadline = time.monotonic() + 5
        while session.running and time.monotonic() < deadline:
            time.sleep(0.02)
        assert not session.running and "ZeroDivisionError" in (session.fault or "")
        assert c.get(f"/api/sessions/{s['id']}").json()["workload"]["running"] is False


# --- 6. refused requests change nothing ------------------------------------------------------


@pytest.mark.parametrize("msg", [
    {"type": "travel", "id": 9, "to": 2147483647},
    {"type": "branch", "id": 9, "action": "discard", "branch": 99},
    {"type": "branch", "id": 9, "action": "switch", "branch": 99},
])
def test_a_refused_request_does_not_stop_the_clock_or_the_workload(client: TestClient, msg: dict[str, Any]) -> None:
    s = new_session(client)
    ws = open_ws(client, s, s["control_token"])
    ws.send_text(json.dumps({"type": "workload", "id": 1, "action": "start", "rate": 200}))
    ws.send_text(json.dumps({"type": "clock", "id": 2, "action": "run"}))
    assert answer(ws, 1)["ok"] and answer(ws, 2)["ok"]
    ws.send_text(json.dumps(msg))
    r = answer(ws, 9)
    assert r["ok"] is False and r["error"]["code"] == "invalid"
    info = client.get(f"/api/sessions/{s['id']}").json()
    assert info["clock"]["running"] is True and info["workload"]["running"] is True
    ws.send_text(json.dumps({"type": "workload", "id": 3, "action": "stop"}))
    ws.send_text(json.dumps({"type": "clock", "id": 4, "action": "pause"}))
    assert answer(ws, 3)["ok"] and answer(ws, 4)["ok"]


def test_undo_with_nothing_to_undo_changes_nothing(client: TestClient) -> None:
    s = new_session(client, {"scenario": TINY})
    ws = open_ws(client, s, s["control_token"])
    ws.send_text(json.dumps({"type": "clock", "id": 1, "action": "run"}))
    assert answer(ws, 1)["ok"]
    session = client.app.state.manager.get(s["id"])  # type: ignore[attr-defined]
    session.timeline.travel(0)  # nothing before the cursor
    ws.send_text(json.dumps({"type": "undo", "id": 2}))
    assert answer(ws, 2)["error"]["message"] == "nothing to undo"
    assert session.clock_running


# --- 7. results are never dropped ------------------------------------------------------------


def test_a_slow_reader_skips_deltas_but_never_answers() -> None:
    sub = Subscriber(Settings(max_queue=4, max_control_queue=1000))
    for i in range(300):
        sub.reply(f"result {i}")
        sub.push((i, f"delta {i}"))
    assert list(sub.control) == [f"result {i}" for i in range(300)]
    assert len(sub.data) <= 4 and sub.resyncs > 0 and SNAPSHOT in sub.data
    # A client that never reads its answers is closed, with a reason, not buffered for ever.
    for i in range(800):
        sub.reply(f"more {i}")
    assert sub.closing and "does not read" in sub.closing and not sub.control


def test_every_request_of_a_burst_is_answered() -> None:
    with make_client(max_queue=2, actions_per_second=10_000.0, action_burst=10_000) as c:
        s = new_session(c)
        ws = open_ws(c, s, s["control_token"])
        for i in range(1, 401):
            ws.send_text(json.dumps({"type": "do", "id": i, "step": {"do": "alloc", "zone": "Normal", "order": 0}}
                                    if i % 2 else {"type": "do", "id": i, "step": {"do": "free", "pfn": 9999}}))
        seen = set()
        while len(seen) < 400:
            msg = recv(ws)
            if msg["type"] == "result":
                seen.add(msg["id"])
        assert seen == set(range(1, 401))


# --- 8. field names and error shapes --------------------------------------------------------


def test_unknown_fields_are_refused_in_requests_and_misspellings_in_scenarios(client: TestClient) -> None:
    s = new_session(client)
    ws = open_ws(client, s, s["control_token"])
    ws.send_text(json.dumps({"type": "do", "id": 1, "step": {"do": "alloc", "zone": "Normal", "order": 0,
                                                             "migrateype": "Unmovable"}}))
    r = answer(ws, 1)
    assert r["error"]["field"] == "step.migrateype" and "unknown field" in r["error"]["message"]
    ws.send_text(json.dumps({"type": "do", "id": 2, "step": {"do": "step", "say": "hello"}}))
    assert answer(ws, 2)["error"]["field"] == "step.say"
    # In a scenario document descriptive extras are fine, a misspelt field is not.
    doc = {**TINY, "steps": [{"do": "alloc", "zone": "Normal", "order": 0, "migrateype": "Unmovable"}]}
    e = client.post("/api/sessions", json={"scenario": doc}).json()["error"]
    assert e["field"] == "scenario.steps[0].migrateype" and "did you mean 'migratetype'" in e["message"]
    doc = {**TINY, "steps": [{"do": "alloc", "zone": "Normal", "order": 0, "say": "a block", "setup": True}]}
    assert client.post("/api/sessions", json={"scenario": doc}).status_code == 201
    for body, field in (({"foo": 1}, "foo"), ({"scenario": 1}, "scenario"), ({"preset": 3}, "preset")):
        r2 = client.post("/api/sessions", json=body)
        assert r2.status_code == 422 and r2.json()["error"]["field"] == field, r2.text


def test_every_http_error_has_the_documented_shape(client: TestClient) -> None:
    s = new_session(client)
    for r, status, field in (
        (client.get("/api/nothing"), 404, "path"),
        (client.delete("/api/sessions"), 405, "method"),
        (client.get(f"/api/sessions/{s['id']}/frames", params={"start": "x", "stop": 1}), 422, "start"),
        (client.get(f"/api/sessions/{s['id']}/frames"), 422, "start"),
        (raw_post(client, "/api/sessions", "[1]"), 422, "body"),
        (raw_post(client, "/api/sessions", '"text"'), 422, "body"),
        (client.post("/api/sessions", content=b'{"preset":"tiny"}', headers={"content-type": "text/plain"}), 415,
         "content-type"),
    ):
        assert r.status_code == status, r.text
        assert set(r.json()) == {"error"} and r.json()["error"]["field"] == field, r.text


def test_non_objects_and_binary_frames_get_a_clear_field(client: TestClient) -> None:
    s = new_session(client)
    ws = open_ws(client, s)
    for text in ("[]", "3", '"ping"', "null"):
        ws.send_text(text)
        e = answer(ws)
        assert e["error"]["code"] == "invalid" and e["error"]["field"] == "message"
    ws.send_bytes(b'{"type":"ping","id":1}')
    assert answer(ws)["error"]["code"] == "bad_frame"
    ws.send_text(json.dumps({"type": "ping", "id": 2}))
    assert recv(ws)["type"] == "pong"


# --- cross-site and body limits ---------------------------------------------------------------


def test_post_checks_origin_and_length_before_reading() -> None:
    with make_client(max_body_bytes=1000) as c:
        r = c.post("/api/sessions", json={"preset": "tiny"}, headers={"origin": "http://evil.example"})
        assert r.status_code == 403 and r.json()["error"]["field"] == "origin"
        assert c.post("/api/sessions", json={"preset": "tiny"}, headers={"origin": "http://localhost:8000"}
                      ).status_code == 201
        r = c.post("/api/sessions", content=b"{}", headers={"content-type": "application/json",
                                                            "content-length": "999999999"})
        assert r.status_code == 413 and r.json()["error"]["code"] == "too_large"
        big = json.dumps({"scenario": {**TINY, "title": "x" * 2000}})
        assert raw_post(c, "/api/sessions", big).status_code == 413


def test_titles_and_names_are_capped(client: TestClient) -> None:
    e = client.post("/api/sessions", json={"scenario": {**TINY, "title": "t" * 201}}).json()["error"]
    assert e["field"] == "scenario.title"
    doc = {**TINY, "steps": [{"do": "alloc", "zone": "Normal", "order": 0, "as": "n" * 101}]}
    assert client.post("/api/sessions", json={"scenario": doc}).json()["error"]["field"] == "scenario.steps[0].as"


# --- roles ----------------------------------------------------------------------------------


def test_roles_change_only_by_legal_moves(client: TestClient) -> None:
    st = Standing()
    assert st.role is Role.VIEWER and not st.owner
    st.grant()
    assert st.controller
    st.revoke()
    assert st.role is Role.VIEWER
    st.authenticate()
    with pytest.raises(RoleError):
        st.revoke()
    with pytest.raises(RoleError):
        st.grant()
    # Over the wire, the owner's own control is neither granted nor revoked.
    s = new_session(client)
    owner = open_ws(client, s, s["control_token"])
    me = next(m["id"] for m in client.get(f"/api/sessions/{s['id']}").json()["audience"] if m["owner"])
    owner.send_text(json.dumps({"type": "control", "id": 1, "action": "revoke", "connection": me}))
    assert answer(owner, 1)["error"]["field"] == "connection"


# --- history stays a scenario ----------------------------------------------------------------


def test_merged_clock_advances_are_split_at_the_format_limit(client: TestClient) -> None:
    s = new_session(client, {"scenario": TINY})
    session = client.app.state.manager.get(s["id"])  # type: ignore[attr-defined]
    for _ in range(5):
        session._clock_advance(400_000_000)
    session._clock_advance(3_000_000_000)
    steps = client.get(f"/api/sessions/{s['id']}/scenario").json()["steps"]
    assert all(st["ms"] <= 10**9 for st in steps) and sum(st["ms"] for st in steps) == 5_000_000_000
    doc = client.get(f"/api/sessions/{s['id']}/scenario").json()
    assert client.post("/api/sessions", json={"scenario": doc}).status_code == 201
    assert replay(parse_scenario(doc))["state"] == client.get(f"/api/sessions/{s['id']}/state").json()


# --- bounded cost per user -------------------------------------------------------------------


def test_identity_changes_reach_only_the_owner_and_are_coalesced() -> None:
    with make_client(info_interval_ms=200) as c:
        s = new_session(c)
        owner = open_ws(c, s, s["control_token"])
        viewers = [open_ws(c, s) for _ in range(3)]
        time.sleep(0.3)
        for v in viewers:  # whatever the joins caused
            v.send_text(json.dumps({"type": "ping", "id": 99}))
            while recv(v)["type"] != "pong":
                pass
        for i in range(20):
            viewers[0].send_text(json.dumps({"type": "identity", "id": i, "name": f"n{i}", "hand": i % 2 == 0}))
        for i in range(20):
            assert answer(viewers[0], i)["ok"]
        time.sleep(0.5)
        viewers[1].send_text(json.dumps({"type": "ping", "id": 100}))
        seen = []
        while (m := recv(viewers[1]))["type"] != "pong":
            seen.append(m["type"])
        assert seen == []  # other viewers hear nothing of it
        owner.send_text(json.dumps({"type": "ping", "id": 101}))
        lists = []
        while (m := recv(owner))["type"] != "pong":
            if m["type"] == "audience" or (m["type"] == "delta" and m.get("session")):
                lists.append(m.get("audience") or m["session"]["audience"])
        assert 1 <= len(lists) <= 4  # 20 changes, a few updates
        assert any(m["name"] == "n19" for m in lists[-1])


def test_connections_per_address_are_limited_cheaply() -> None:
    from starlette.websockets import WebSocketDisconnect

    with make_client(max_connections_per_ip=2) as c:
        s = new_session(c)
        open_ws(c, s)
        open_ws(c, s)
        with pytest.raises(WebSocketDisconnect) as info, c.websocket_connect(s["ws_url"]) as ws:
            ws.receive_text()
        assert info.value.code == 1013


def test_sessions_nobody_used_make_room_and_an_address_holds_a_bounded_number() -> None:
    with make_client(max_sessions=3, unused_grace_s=0.0) as c:
        made = [new_session(c) for _ in range(3)]
        open_ws(c, made[0])  # used: kept
        for _ in range(5):  # a flood of unused sessions cannot lock a new user out
            new_session(c)
        ids = set(c.app.state.manager.sessions)  # type: ignore[attr-defined]
        assert made[0]["id"] in ids and len(ids) == 3
    with make_client(max_sessions_per_ip=2, unused_grace_s=3600.0) as c:
        new_session(c)
        new_session(c)
        r = c.post("/api/sessions", json={"preset": "tiny"})
        assert r.status_code == 429 and "address" in r.json()["error"]["message"]


def test_unused_sessions_expire_sooner_than_used_ones() -> None:
    with make_client(unused_expiry_s=0.0, idle_expiry_s=3600.0) as c:
        unused, used = new_session(c), new_session(c)
        ws = open_ws(c, used)
        ws.close()
        time.sleep(0.1)
        manager = c.app.state.manager  # type: ignore[attr-defined]
        assert manager.reap() == 1 and unused["id"] not in manager.sessions and used["id"] in manager.sessions


def test_steps_endpoint_serves_ranges(client: TestClient) -> None:
    s = new_session(client, {"preset": "default"})
    full = client.get(f"/api/sessions/{s['id']}/scenario").json()["steps"]
    r = client.get(f"/api/sessions/{s['id']}/steps", params={"start": 2, "stop": 5}).json()
    assert r["steps"] == full[2:5] and r["length"] == len(full) and r["start"] == 2
    assert client.get(f"/api/sessions/{s['id']}/steps", params={"start": 99}).json()["error"]["field"] == "start"
