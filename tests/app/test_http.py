"""The HTTP API: sessions, state, scenario, presets, health, the dashboard's pages."""

from __future__ import annotations

import json
import subprocess
import sys

from fastapi.testclient import TestClient

from core import parse_scenario, replay
from tests.app.conftest import make_client, new_session
from tests.conftest import ROOT


def test_health_and_openapi(client: TestClient) -> None:
    r = client.get("/healthz")
    assert r.status_code == 200 and r.json()["ok"] is True and r.json()["protocol"] == 2
    assert "/api/sessions" in client.get("/openapi.json").json()["paths"]
    assert client.get("/docs").status_code == 200


def test_presets_are_valid_scenarios(client: TestClient) -> None:
    presets = client.get("/api/presets").json()
    names = {p["name"] for p in presets}
    assert {"default", "tiny", "one-gib"} <= names
    for p in presets:
        doc = client.get(f"/api/presets/{p['name']}").json()
        parse_scenario(doc)
    assert client.get("/api/presets/nope").status_code == 404


def test_create_from_default_preset_scenario_and_nothing(client: TestClient) -> None:
    s = new_session(client, {})
    assert s["preset"] == "default" and len(s["control_token"]) >= 24
    assert s["dashboard_url"] == f"/s/{s['id']}" and s["ws_url"] == f"/ws/{s['id']}"
    assert s["control_token"] not in s["dashboard_url"] + s["ws_url"]
    r = client.post("/api/sessions")  # no body at all
    assert r.status_code == 201 and r.json()["preset"] == "default"
    doc = {"format": "hinting-scenario/1", "title": "mine",
           "machine": {"max_order": 4, "pageblock_order": 2, "zones": [{"name": "Normal", "pages": 16}]},
           "steps": [{"do": "alloc", "zone": "Normal", "order": 1, "as": "x"}]}
    s = new_session(client, {"scenario": doc})
    assert s["title"] == "mine"
    state = client.get(f"/api/sessions/{s['id']}/state").json()
    assert state["zones"][0]["allocated"] == [{"pfn": 8, "order": 1, "migratetype": "Movable"}]


def test_bad_bodies_name_the_field(client: TestClient) -> None:
    def err(body: object, raw: bytes | None = None) -> tuple[int, dict]:  # type: ignore[type-arg]
        r = (client.post("/api/sessions", content=raw, headers={"content-type": "application/json"})
             if raw is not None else client.post("/api/sessions", json=body))
        return r.status_code, r.json()["error"]

    code, e = err(None, raw=b"{oops")
    assert code == 400 and e["code"] == "bad_json"
    code, e = err([1])
    assert code == 422
    code, e = err({"preset": "nope"})
    assert code == 422 and e["field"] == "preset"
    code, e = err({"preset": "tiny", "scenario": {}})
    assert code == 422 and e["field"] == "preset"
    code, e = err({"scenario": {"format": "hinting-scenario/1", "steps": [{"do": "alloc", "order": 99}]}})
    assert code == 422 and e["field"] == "scenario.steps[0].order"
    huge = {"format": "hinting-scenario/1", "machine": {"zones": [{"name": "N", "pages": 1 << 24}]}}
    code, e = err({"scenario": huge})
    assert code == 422 and e["field"] == "scenario.machine.zones" and "limit" in e["message"]


def test_session_limit() -> None:
    with make_client(max_sessions=2) as c:
        new_session(c)
        new_session(c)
        r = c.post("/api/sessions", json={"preset": "tiny"})
        assert r.status_code == 429 and r.json()["error"]["code"] == "too_many_sessions"


def test_idle_sessions_expire() -> None:
    with make_client(idle_expiry_s=0.0) as c:
        s = new_session(c)
        manager = c.app.state.manager  # type: ignore[attr-defined]
        assert manager.reap() == 1
        assert c.get(f"/api/sessions/{s['id']}/state").status_code == 404


def test_unknown_session_is_404_naming_the_id(client: TestClient) -> None:
    for path in ("/api/sessions/zzz", "/api/sessions/zzz/state", "/api/sessions/zzz/scenario"):
        r = client.get(path)
        assert r.status_code == 404 and r.json()["error"]["field"] == "id"


def test_dashboard_pages(client: TestClient) -> None:
    r = client.get("/")
    assert r.status_code == 200
    assert client.get("/s/anything").status_code == 200


def test_exported_scenario_replays_to_the_live_state(client: TestClient, tmp_path) -> None:  # type: ignore[no-untyped-def]
    s = new_session(client, {"preset": "default"})
    doc = client.get(f"/api/sessions/{s['id']}/scenario").json()
    live = client.get(f"/api/sessions/{s['id']}/state").json()
    assert replay(parse_scenario(doc))["state"] == live
    path = tmp_path / "exported.json"
    path.write_text(json.dumps(doc))
    out = subprocess.run([sys.executable, "-m", "core", "replay", str(path)], capture_output=True, text=True,
                         cwd=ROOT, check=True)
    assert json.loads(out.stdout)["state"] == live
