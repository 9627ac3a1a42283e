"""Compare mode sessions: two machines in lockstep on one history (core/pair.py, app/pairview.py)."""

from __future__ import annotations

import json
from typing import Any

from fastapi.testclient import TestClient

from .conftest import new_session, open_ws, recv, recv_until


def send(ws: Any, **msg: Any) -> dict[str, Any]:
    ws.send_text(json.dumps(msg))
    return recv_until(ws, "result")


def both_states(client: TestClient, sid: str) -> tuple[dict[str, Any], dict[str, Any]]:
    left = client.get(f"/api/sessions/{sid}/state").json()
    right = client.get(f"/api/sessions/{sid}/state", params={"side": "right"}).json()
    return left, right


def test_a_compare_session_runs_both_designs_in_lockstep(client: TestClient) -> None:
    s = new_session(client, {"preset": "tiny", "compare": True})
    ws = open_ws(client, s, s["control_token"])
    snap = ws.snapshot  # type: ignore[attr-defined]
    assert snap["session"]["compare"] is True
    assert snap["state"]["config"]["hinting"]["design"] == "seed"
    assert snap["pair"]["state"]["config"]["hinting"]["design"] == "reporting"
    assert set(snap["pair"]["samples"]) == {"fields", "left", "right"}
    for i, step in enumerate([{"do": "hinting_start"}, {"do": "alloc", "zone": "Normal", "order": 2},
                              {"do": "advance", "ms": 500}]):
        assert send(ws, type="do", id=i + 1, step=step)["ok"]
        delta = recv_until(ws, "delta")
        assert delta["pair"]["side"] == "right"
        assert [r["index"] for r in delta["pair"]["results"]] == [i]
        assert delta["pair"]["samples"]["left"][-1][0] == delta["pair"]["samples"]["right"][-1][0] == i + 1
    left, right = both_states(client, s["id"])
    assert left["now_ms"] == right["now_ms"] == 500
    assert right["hinting"]["design"] == "reporting" and "walk" in right["hinting"]
    info = client.get(f"/api/sessions/{s['id']}").json()
    assert info["compare"] is True and info["history_length"] == 3


def test_travel_and_undo_move_both_sides(client: TestClient) -> None:
    s = new_session(client, {"preset": "tiny", "compare": True})
    ws = open_ws(client, s, s["control_token"])
    for i, step in enumerate([{"do": "hinting_start"}, {"do": "alloc", "zone": "Normal", "order": 2},
                              {"do": "advance", "ms": 300}, {"do": "alloc", "zone": "Normal", "order": 1}]):
        send(ws, type="do", id=i + 1, step=step)
    assert send(ws, type="travel", id=9, to=2)["ok"]
    snap = recv_until(ws, "snapshot")
    assert snap["state"]["now_ms"] == snap["pair"]["state"]["now_ms"] == 0
    assert snap["session"]["timeline"]["cursor"] == 2
    left, right = both_states(client, s["id"])
    assert len(left["zones"][0]["allocated"]) == len(right["zones"][0]["allocated"]) == 1
    assert send(ws, type="travel", id=10, to=4)["ok"]
    assert send(ws, type="undo", id=11)["ok"]
    left, right = both_states(client, s["id"])
    assert len(left["zones"][0]["allocated"]) == len(right["zones"][0]["allocated"]) == 1
    assert left["now_ms"] == right["now_ms"] == 300


def test_the_exported_scenario_carries_compare_and_recreates_the_pair(client: TestClient) -> None:
    s = new_session(client, {"preset": "tiny", "compare": True})
    ws = open_ws(client, s, s["control_token"])
    for i, step in enumerate([{"do": "hinting_start"}, {"do": "alloc", "zone": "Normal", "order": 2},
                              {"do": "advance", "ms": 300}]):
        send(ws, type="do", id=i + 1, step=step)
    doc = client.get(f"/api/sessions/{s['id']}/scenario").json()
    assert doc["compare"] is True and "design" not in doc["hinting"]
    again = new_session(client, {"scenario": doc})
    assert both_states(client, again["id"]) == both_states(client, s["id"])
    off = new_session(client, {"scenario": doc, "compare": False})
    assert client.get(f"/api/sessions/{off['id']}").json()["compare"] is False


def test_compare_toggles_on_a_running_history(client: TestClient) -> None:
    s = new_session(client, {"preset": "tiny"})
    ws = open_ws(client, s, s["control_token"])
    for i, step in enumerate([{"do": "hinting_start"}, {"do": "alloc", "zone": "Normal", "order": 2},
                              {"do": "advance", "ms": 300}]):
        send(ws, type="do", id=i + 1, step=step)
    send(ws, type="travel", id=5, to=2)
    assert send(ws, type="compare", id=6, on=True)["result"] == {"compare": True}
    snap = recv_until(ws, "snapshot")
    assert snap["pair"]["state"]["config"]["hinting"]["design"] == "reporting"
    assert snap["session"]["timeline"]["cursor"] == 2 and snap["session"]["timeline"]["length"] == 3
    assert send(ws, type="undo", id=7)["ok"]  # the start is kept: the preset's own steps are not undone
    assert send(ws, type="reset", id=70, preset="tiny")["ok"]  # a reset keeps compare mode...
    assert recv_until(ws, "snapshot")["session"]["compare"] is True
    assert send(ws, type="reset", id=71, preset="tiny", compare=False)["ok"]  # ...unless told otherwise
    assert recv_until(ws, "snapshot")["session"]["compare"] is False
    assert send(ws, type="compare", id=72, on=True)["ok"]
    recv_until(ws, "snapshot")
    assert send(ws, type="compare", id=8, on=False)["ok"]
    snap = recv_until(ws, "snapshot")
    assert snap["pair"] is None and snap["session"]["compare"] is False


def test_a_free_clicked_on_the_right_frees_the_same_allocation_on_both(client: TestClient) -> None:
    s = new_session(client, {"preset": "tiny", "compare": True})
    ws = open_ws(client, s, s["control_token"])
    res = send(ws, type="do", id=1, step={"do": "alloc", "zone": "Normal", "order": 2})
    right_pfn = res["result"].get("right", res["result"])["pfn"]
    assert send(ws, type="do", id=2, side="right", step={"do": "free", "pfn": right_pfn})["ok"]
    left, right = both_states(client, s["id"])
    assert left["zones"][0]["allocated"] == right["zones"][0]["allocated"] == []


def test_the_page_api_reads_either_side(client: TestClient) -> None:
    s = new_session(client, {"preset": "tiny", "compare": True})
    left = client.get(f"/api/sessions/{s['id']}/page/0").json()
    right = client.get(f"/api/sessions/{s['id']}/page/0", params={"side": "right"}).json()
    assert left != right  # each side's design: its own default encoding of the mark
    assert client.get(f"/api/sessions/{s['id']}/page/0", params={"side": "left"}).json() == left
    pages = client.get(f"/api/sessions/{s['id']}/pages", params={"side": "right"})
    assert pages.status_code == 200
    single = new_session(client, {"preset": "tiny"})
    r = client.get(f"/api/sessions/{single['id']}/page/0", params={"side": "right"})
    assert r.status_code == 422 and r.json()["error"]["field"] == "side"
    r = client.get(f"/api/sessions/{s['id']}/pages", params={"side": "up"})
    assert r.status_code == 422 and r.json()["error"]["field"] == "side"


def test_bad_compare_input_is_refused_naming_the_field(client: TestClient) -> None:
    r = client.post("/api/sessions", json={"preset": "tiny", "compare": "yes"})
    assert r.status_code == 422 and r.json()["error"]["field"] == "compare"
    doc = client.get("/api/presets/tiny").json()
    r = client.post("/api/sessions", json={"scenario": {**doc, "compare": 1}})
    assert r.status_code == 422 and r.json()["error"]["field"] == "scenario.compare"
    s = new_session(client, {"preset": "tiny"})
    ws = open_ws(client, s, s["control_token"])
    r = send(ws, type="do", id=1, side="right", step={"do": "advance", "ms": 1})
    assert r["ok"] is False and r["error"]["field"] == "side"
    r = send(ws, type="do", id=2, side="middle", step={"do": "advance", "ms": 1})
    assert r["ok"] is False and r["error"]["field"] == "side"
    r = send(ws, type="compare", id=3, on="yes")
    assert r["ok"] is False and r["error"]["field"] == "on"
    r = client.get(f"/api/sessions/{s['id']}/state", params={"side": "right"})
    assert r.status_code == 422 and r.json()["error"]["field"] == "side"
    ws.send_text(json.dumps({"type": "ping", "id": 4}))
    assert recv(ws)["type"] in ("pong", "delta")
