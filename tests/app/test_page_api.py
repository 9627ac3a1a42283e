"""GET /api/sessions/{id}/page/{pfn} and /pages (app/page_api.py): the page view over HTTP."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from tests.app.conftest import new_session
from tests.core.test_page_repr_writes import HAND

SCENARIO: dict[str, Any] = {
    "format": "hinting-scenario/1",
    "machine": {"max_order": 4, "pageblock_order": 2, "zones": [{"name": "Normal", "pages": 16}]},
    "hinting": {"min_order": 2, "hwm": 0, "capacity": 4, "delay_ms": 10},
    "steps": [step for step, *_ in HAND[:6]],  # ends with 0 and 8 Hinted (order 3)
}


def test_a_hinted_page_flips_with_the_encoding(client: TestClient) -> None:
    sid = new_session(client, {"scenario": SCENARIO})["id"]
    seed = client.get(f"/api/sessions/{sid}/page/0").json()
    assert seed["encoding"] == {**seed["encoding"], "name": "offline-alias", "own": True}
    assert seed["struct_page"]["page_type"]["hex"] == "0xfffffe7f"
    assert seed["kpageflags"]["text"] == "BUDDY|OFFLINE" and seed["makedumpfile"]["verdict"] == "dumped"
    rep = client.get(f"/api/sessions/{sid}/page/0", params={"encoding": "uptodate-reported"}).json()
    assert rep["kpageflags"]["text"] == "BUDDY|UPTODATE" and rep["makedumpfile"]["verdict"] == "excluded_free"
    tail = client.get(f"/api/sessions/{sid}/page/5", params={"encoding": "dirty-unhinted"}).json()
    assert tail["block"]["head_pfn"] == 0 and tail["kpageflags"]["text"] == "BUDDY"


def test_zone_totals_and_the_state_summary(client: TestClient) -> None:
    sid = new_session(client, {"scenario": SCENARIO})["id"]
    doc = client.get(f"/api/sessions/{sid}/pages", params={"encoding": "offline-alias"}).json()
    zone = doc["zones"][0]
    assert doc["format"] == "hinting-pages/1"
    assert zone["makedumpfile"]["dumped_though_free"] == 16 and zone["pageoffline"]["pages"] == 2
    state = client.get(f"/api/sessions/{sid}/state").json()
    summary = state["zones"][0]["page_repr"]
    assert summary["own_encoding"] == "offline-alias"
    assert summary["encodings"]["offline-alias"] == {"flag_writes": zone["flag_writes"]["total"],
                                                     "dumped_though_free": 16, "pageoffline_pages": 2}
    assert summary["encodings"]["uptodate-reported"]["dumped_though_free"] == 0


def test_errors_name_the_field(client: TestClient) -> None:
    sid = new_session(client, {"scenario": SCENARIO})["id"]
    cases = [
        (f"/api/sessions/{sid}/page/0?encoding=offline", 422, "encoding"),
        (f"/api/sessions/{sid}/page/16", 422, "pfn"),
        (f"/api/sessions/{sid}/page/-1", 422, "pfn"),
        (f"/api/sessions/{sid}/page/x", 422, "pfn"),
        (f"/api/sessions/{sid}/pages?encoding=PG_dirty", 422, "encoding"),
        ("/api/sessions/nope/page/0", 404, "id"),
        ("/api/sessions/nope/pages", 404, "id"),
    ]
    for path, status, field in cases:
        r = client.get(path)
        assert r.status_code == status, (path, r.text)
        assert r.json()["error"]["field"] == field, (path, r.json())
    assert "offline-alias" in client.get(f"/api/sessions/{sid}/page/0?encoding=x").json()["error"]["message"]


REPORTING: dict[str, Any] = {
    "format": "hinting-scenario/1",
    "machine": {"max_order": 5, "pageblock_order": 2, "zones": [{"name": "Normal", "pages": 32}]},
    "hinting": {"design": "reporting", "min_order": 2, "capacity": 1, "delay_ms": 100},
    "steps": [{"do": "alloc", "zone": "Normal", "order": 0, "migratetype": "Movable"},
              {"do": "hinting_start"}, {"do": "advance", "ms": 100}],  # 0 (o4), 20 (o2), 24 (o3) Reported
}


def test_a_reported_page_in_a_reporting_session(client: TestClient) -> None:
    sid = new_session(client, {"scenario": REPORTING})["id"]
    own = client.get(f"/api/sessions/{sid}/page/0").json()
    assert own["design"] == {"name": "reporting", "mark_name": "Reported", "own_encoding": "uptodate-reported"}
    assert own["encoding"]["name"] == "uptodate-reported" and own["encoding"]["own"] is True
    assert own["struct_page"]["page_type"]["hex"] == "0xffffff7f" and own["struct_page"]["flags"]["names"] == [
        "PG_uptodate"]
    assert own["kpageflags"]["text"] == "BUDDY|UPTODATE" and own["makedumpfile"]["verdict"] == "excluded_free"
    doc = client.get(f"/api/sessions/{sid}/pages").json()
    assert doc["zones"][0]["flag_writes"]["marks_set"] == 3 and doc["zones"][0]["marked_pages"] == 28
    state = client.get(f"/api/sessions/{sid}/state").json()
    assert state["zones"][0]["page_repr"]["encodings"]["uptodate-reported"]["flag_writes"] == 3


def test_compare_sessions_answer_for_either_side(client: TestClient) -> None:
    sid = new_session(client, {"scenario": {**SCENARIO, "compare": True}})["id"]
    left = client.get(f"/api/sessions/{sid}/page/0").json()
    assert client.get(f"/api/sessions/{sid}/page/0", params={"side": "left"}).json() == left
    assert left["design"]["name"] == "seed" and left["kpageflags"]["text"] == "BUDDY|OFFLINE"
    right = client.get(f"/api/sessions/{sid}/page/0", params={"side": "right"}).json()
    assert right["design"]["name"] == "reporting" and right["encoding"]["name"] == "uptodate-reported"
    assert right["block"]["marked"] and right["kpageflags"]["text"] == "BUDDY|UPTODATE"
    assert right["makedumpfile"]["verdict"] == "excluded_free"
    # The seed's encoding asked of the reporting side: its Reported head read as the seed would write it.
    alias = client.get(f"/api/sessions/{sid}/page/0", params={"side": "right", "encoding": "offline-alias"}).json()
    assert alias["encoding"]["own"] is False and alias["struct_page"]["page_type"]["hex"] == "0xfffffe7f"
    pages = client.get(f"/api/sessions/{sid}/pages", params={"side": "right"}).json()
    state = client.get(f"/api/sessions/{sid}/state", params={"side": "right"}).json()
    own = state["zones"][0]["page_repr"]["encodings"]["uptodate-reported"]
    assert pages["design"]["name"] == "reporting"
    assert own["flag_writes"] == pages["zones"][0]["flag_writes"]["total"]
    # A bad side, or a right side outside compare mode, is refused naming `side`; nothing else is consulted.
    single = new_session(client, {"scenario": SCENARIO})["id"]
    for path in (f"/api/sessions/{sid}/page/0?side=middle", f"/api/sessions/{sid}/pages?side=RIGHT",
                 f"/api/sessions/{single}/page/0?side=right", f"/api/sessions/{single}/pages?side=right"):
        r = client.get(path)
        assert r.status_code == 422 and r.json()["error"]["field"] == "side", (path, r.text)
    assert "compare mode" in client.get(f"/api/sessions/{single}/page/0?side=right").json()["error"]["message"]
