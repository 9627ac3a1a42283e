"""Issue 5 on the server: time travel, forks, undo, frames, stored links, presenter and audience."""

from __future__ import annotations

import json
from typing import Any

from fastapi.testclient import TestClient

from core import parse_scenario, replay
from core.delta import apply_delta
from tests.app.conftest import make_client, new_session, open_ws, recv, recv_until, recv_where


def send(ws: Any, **msg: Any) -> None:
    ws.send_text(json.dumps(msg))


def result(ws: Any, rid: int) -> dict[str, Any]:
    return recv_where(ws, lambda m: m["type"] == "result" and m["id"] == rid, f"result {rid}")


def state_at(client: TestClient, sid: str, n: int) -> dict[str, Any]:
    doc = client.get(f"/api/sessions/{sid}/scenario").json()
    doc["steps"] = doc["steps"][:n]
    return replay(parse_scenario(doc))["state"]


def allocs(ws: Any, n: int, start_id: int = 100) -> None:
    for i in range(n):
        send(ws, type="do", id=start_id + i, step={"do": "alloc", "zone": "Normal", "order": 2, "as": f"a{i}"})
        assert result(ws, start_id + i)["ok"] is True


def test_travel_back_and_forward(client: TestClient) -> None:
    s = new_session(client)
    ws = open_ws(client, s, s["control_token"])
    viewer = open_ws(client, s)
    allocs(ws, 5)
    send(ws, type="travel", id=1, to=2)
    r = result(ws, 1)
    assert r["result"]["cursor"] == 2 and r["result"]["length"] == 5
    snap = recv_where(viewer, lambda m: m["type"] == "snapshot" and m["session"]["timeline"]["cursor"] == 2,
                      "a snapshot at step 2")
    assert snap["state"] == state_at(client, s["id"], 2)
    assert client.get(f"/api/sessions/{s['id']}/state").json() == snap["state"]
    # Forward again: deltas, not a snapshot.
    state = snap["state"]
    send(ws, type="travel", id=2, to=4)
    assert result(ws, 2)["ok"] is True

    def applied_up_to_4(msg: dict[str, Any]) -> bool:
        if msg["type"] != "delta":
            return False
        apply_delta(state, msg["changes"])
        return bool(msg.get("session")) and msg["session"]["timeline"]["cursor"] == 4

    recv_where(viewer, applied_up_to_4, "a delta reaching step 4")
    assert state == state_at(client, s["id"], 4)
    send(ws, type="travel", id=3, to=99)
    e = result(ws, 3)
    assert e["ok"] is False and e["error"]["field"] == "to"


def test_acting_in_the_past_forks_switch_and_discard(client: TestClient) -> None:
    s = new_session(client)
    ws = open_ws(client, s, s["control_token"])
    allocs(ws, 4)
    send(ws, type="travel", id=1, to=1)
    result(ws, 1)
    send(ws, type="do", id=2, step={"do": "free", "ref": "a0"})
    assert result(ws, 2)["ok"] is True
    info = client.get(f"/api/sessions/{s['id']}").json()
    assert info["timeline"] == {"cursor": 2, "length": 2, "branches": [{"id": 1, "fork_at": 1, "length": 3}],
                                "start": 0}
    live = client.get(f"/api/sessions/{s['id']}/state").json()
    assert live == replay(parse_scenario(client.get(f"/api/sessions/{s['id']}/scenario").json()))["state"]
    send(ws, type="branch", id=3, action="switch", branch=1)
    assert result(ws, 3)["result"]["length"] == 4
    info = client.get(f"/api/sessions/{s['id']}").json()
    assert info["timeline"]["branches"] == [{"id": 2, "fork_at": 1, "length": 1}]
    send(ws, type="branch", id=4, action="discard", branch=2)
    assert result(ws, 4)["ok"] is True
    send(ws, type="branch", id=5, action="discard", branch=2)
    e = result(ws, 5)
    assert e["ok"] is False and e["error"]["field"] == "branch"


def test_undo(client: TestClient) -> None:
    s = new_session(client)
    ws = open_ws(client, s, s["control_token"])
    allocs(ws, 3)
    before = state_at(client, s["id"], 2)
    send(ws, type="undo", id=1)
    r = result(ws, 1)
    assert r["result"]["undone"]["as"] == "a2" and r["result"]["length"] == 2
    assert client.get(f"/api/sessions/{s['id']}/state").json() == before
    for i in range(2, 4):
        send(ws, type="undo", id=i)
        assert result(ws, i)["ok"] is True
    send(ws, type="undo", id=9)
    e = result(ws, 9)
    assert e["ok"] is False and "nothing to undo" in e["error"]["message"]


def test_frames_endpoint(client: TestClient) -> None:
    s = new_session(client)
    ws = open_ws(client, s, s["control_token"])
    allocs(ws, 4)
    r = client.get(f"/api/sessions/{s['id']}/frames", params={"start": 1, "stop": 3}).json()
    assert len(r["frames"]) == 3
    assert r["frames"][0] == state_at(client, s["id"], 1) and r["frames"][2] == state_at(client, s["id"], 3)
    bad = client.get(f"/api/sessions/{s['id']}/frames", params={"start": 3, "stop": 9})
    assert bad.status_code == 422 and bad.json()["error"]["field"] == "start"
    with make_client(max_frames=2) as c:
        s2 = new_session(c)
        big = c.get(f"/api/sessions/{s2['id']}/frames", params={"start": 0, "stop": 5})
        assert big.status_code == 422 and big.json()["error"]["field"] == "stop"


def test_stored_links(tmp_path) -> None:  # type: ignore[no-untyped-def]
    doc = {"format": "hinting-scenario/1", "machine": {"max_order": 4, "pageblock_order": 2,
                                                       "zones": [{"name": "Normal", "pages": 16}]},
           "steps": [{"do": "alloc", "zone": "Normal", "order": 0}]}
    with make_client(links_dir=str(tmp_path)) as c:
        r = c.post("/api/links", json={"scenario": doc, "step": 1, "view": {"zone": "Normal"}})
        assert r.status_code == 201
        link = r.json()
        assert link["url"] == f"/l/{link['id']}"
        assert c.post("/api/links", json={"scenario": doc, "step": 1, "view": {"zone": "Normal"}}).json() == link
        got = c.get(f"/api/links/{link['id']}").json()
        assert got == {"scenario": doc, "step": 1, "view": {"zone": "Normal"}}
        assert c.get(link["url"]).status_code == 200
        e = c.post("/api/links", json={"scenario": doc, "step": 5}).json()["error"]
        assert e["field"] == "step"
        e = c.post("/api/links", json={"scenario": {"format": "nope"}}).json()["error"]
        assert e["field"] == "scenario.format"
        assert c.get("/api/links/aaaaaaaaaaaa").status_code == 404
    # A new server with the same directory still has it.
    with make_client(links_dir=str(tmp_path)) as c:
        assert c.get(f"/api/links/{link['id']}").json()["step"] == 1


def test_presenter_view_and_handing_over_control(client: TestClient) -> None:
    s = new_session(client)
    owner = open_ws(client, s, s["control_token"])
    audience = client.websocket_connect(s["ws_url"]).__enter__()
    hello = recv(audience)
    me = hello["connection"]
    recv(audience)  # snapshot
    send(audience, type="identity", id=1, name="Ana", hand=True)
    assert result(audience, 1)["ok"] is True
    info = client.get(f"/api/sessions/{s['id']}").json()
    assert {"id": me, "name": "Ana", "role": "viewer", "owner": False, "hand": True} in info["audience"]
    # The presenter's view reaches the audience.
    send(owner, type="view", id=2, view={"zone": "Normal", "selected": 16})
    assert result(owner, 2)["ok"] is True
    msg = recv_where(audience, lambda m: m["type"] == "delta" and bool(m.get("session")) and bool(m["session"]["view"]),
                     "a delta carrying the presenter's view")
    assert msg["session"]["view"] == {"zone": "Normal", "selected": 16}
    # Viewers cannot act or hand out control.
    send(audience, type="do", id=3, step={"do": "hinting_start"})
    assert result(audience, 3)["error"]["code"] == "read_only"
    send(audience, type="control", id=4, action="grant", connection=me)
    assert result(audience, 4)["error"]["code"] == "not_owner"
    # The owner hands control over...
    send(owner, type="control", id=5, action="grant", connection=me)
    assert result(owner, 5)["result"] == {"connection": me, "role": "controller"}
    assert recv_until(audience, "role") == {"v": 2, "type": "role", "role": "controller", "owner": False}
    send(audience, type="do", id=6, step={"do": "hinting_start"})
    assert result(audience, 6)["ok"] is True
    # ...and takes it back.
    send(owner, type="control", id=7, action="revoke", connection=me)
    assert result(owner, 7)["result"]["role"] == "viewer"
    assert recv_until(audience, "role")["role"] == "viewer"
    send(audience, type="do", id=8, step={"do": "hinting_stop"})
    assert result(audience, 8)["error"]["code"] == "read_only"
    send(owner, type="control", id=9, action="grant", connection="nobody")
    assert result(owner, 9)["error"]["field"] == "connection"
    audience.__exit__(None, None, None)


def test_tour_presets_start_with_only_their_setup_steps(client: TestClient) -> None:
    tours = [p for p in client.get("/api/presets").json() if p["kind"] == "tour"]
    for tour in tours:
        doc = client.get(f"/api/presets/{tour['name']}").json()
        s = new_session(client, {"preset": tour["name"]})
        info = client.get(f"/api/sessions/{s['id']}").json()
        setup = [st for st in doc["steps"] if st.get("setup")]
        assert info["history_length"] == len(setup)


def test_late_joiners_get_recent_events_and_deltas_carry_the_history_length(client: TestClient) -> None:
    s = new_session(client)
    ws = open_ws(client, s, s["control_token"])
    allocs(ws, 3)
    d = recv_until(ws, "delta")
    assert d["history_length"] == 3 and d["cursor"] == 3
    late = open_ws(client, s)
    texts = [e["text"] for e in late.snapshot["recent_events"]]
    assert any(t.startswith("alloc: ") for t in texts) and len(texts) <= 50


def test_an_unwatched_run_is_paused() -> None:
    import time

    with make_client(orphan_pause_s=0.0) as c:
        s = new_session(c)
        manager = c.app.state.manager  # type: ignore[attr-defined]
        ws = open_ws(c, s, s["control_token"])
        send(ws, type="workload", id=1, action="start", rate=100)
        assert result(ws, 1)["ok"] is True
        session = manager.get(s["id"])
        session.unsubscribe(next(iter(session.subscribers)))  # the last viewer goes away
        deadline = time.monotonic() + 5
        while session.running and time.monotonic() < deadline:
            time.sleep(0.05)
        assert not session.running


def test_frames_of_one_zone_and_the_view_author(client: TestClient) -> None:
    s = new_session(client, {"preset": "default"})
    ws = open_ws(client, s, s["control_token"])
    frames = client.get(f"/api/sessions/{s['id']}/frames", params={"start": 0, "stop": 2, "zone": "DMA32"}).json()
    assert [[z["name"] for z in f["zones"]] for f in frames["frames"]] == [["DMA32"]] * 3
    bad = client.get(f"/api/sessions/{s['id']}/frames", params={"start": 0, "stop": 2, "zone": "HighMem"})
    assert bad.status_code == 422 and bad.json()["error"]["field"] == "zone"
    send(ws, type="view", id=1, view={"zone": "DMA32"})
    assert result(ws, 1)["ok"] is True
    info = client.get(f"/api/sessions/{s['id']}").json()
    me = next(m["id"] for m in info["audience"] if m["owner"])
    assert info["view_by"] == me


def test_travelling_back_forgets_the_recent_events_of_the_future(client: TestClient) -> None:
    s = new_session(client)
    ws = open_ws(client, s, s["control_token"])
    allocs(ws, 3)
    send(ws, type="travel", id=1, to=0)
    assert result(ws, 1)["ok"] is True
    late = open_ws(client, s)
    assert late.snapshot["recent_events"] == []
