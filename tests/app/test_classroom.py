"""Issue 9 on the server: the event log's ranges, LAN links, seed lines, stale boundaries, undo's floor."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from app.lan import lan_addresses
from app.presets import get_preset
from core import decode_all, parse_scenario
from core.eventlog import all_events, replay_events, replay_plan
from core.timeline import Timeline
from tests.app.conftest import make_client, new_session, open_ws
from tests.app.test_time_travel_and_presenting import result, send
from tests.conftest import SEED_FILE


def do(ws: Any, rid: int, **step: Any) -> dict[str, Any]:
    send(ws, type="do", id=rid, step=step)
    return result(ws, rid)


def churn(ws: Any, n: int, start_id: int = 1000) -> None:
    """Hinting on, then allocs, frees and clock advances: cycles run, boundaries move."""
    do(ws, start_id - 1, do="stepping", on=False)  # Auto: whole cycles run when due
    do(ws, start_id, do="hinting_start")
    live: list[int] = []
    for i in range(n):
        rid = start_id + 1 + i
        if i % 5 == 4:
            do(ws, rid, do="advance", ms=40)
        elif live and i % 3 == 2:
            assert do(ws, rid, do="free", pfn=live.pop(0))["ok"]
        else:
            r = do(ws, rid, do="alloc", zone="Normal", order=3 + i % 2, migratetype="Movable")
            if r["ok"]:
                live.append(r["result"]["pfn"])


def full_replay_events(doc: dict[str, Any]) -> list[dict[str, Any]]:
    """Every event of the scenario, from a machine replayed from scratch (no checkpoint involved)."""
    return all_events(parse_scenario(doc))


def strip(evs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [{k: v for k, v in e.items() if k != "seq"} for e in evs]


def test_events_of_a_range_equal_a_replay_from_scratch(client: TestClient) -> None:
    s = new_session(client, {"preset": "default"})
    ws = open_ws(client, s, s["control_token"])
    churn(ws, 60)
    doc = client.get(f"/api/sessions/{s['id']}/scenario").json()
    everything = full_replay_events(doc)
    n = len(doc["steps"])
    for a, b in ((0, n), (n - 30, n - 5), (5, 6), (n, n)):
        r = client.get(f"/api/sessions/{s['id']}/events", params={"from": a, "to": b})
        assert r.status_code == 200, r.text
        body = r.json()
        assert (body["from"], body["to"], body["skipped_steps"], body["capped"]) == (a, b, 0, 0)
        want = [e for e in everything if e["step"] is not None and a <= e["step"] < b]
        assert strip(body["events"]) == strip(want)
        assert body["matched"] == len(want)
        assert [e["seq"] for e in body["events"]] == list(range(1, len(want) + 1))
    # The run moved boundaries: the filter finds every boundary event of the range, and only those.
    kinds = "boundary_add,boundary_del,populate"
    body = client.get(f"/api/sessions/{s['id']}/events", params={"from": 0, "to": n, "kinds": kinds}).json()
    want = [e for e in everything if e["kind"] in kinds.split(",")]
    assert len(want) >= 3 and strip(body["events"]) == strip(want)
    body = client.get(f"/api/sessions/{s['id']}/events", params={"from": 0, "to": n, "not_kinds": "step"}).json()
    assert body["events"] and all(e["kind"] != "step" for e in body["events"])
    assert body["matched"] == sum(1 for e in everything if e["kind"] != "step")
    # The dashboard's filters ask by category, the one the core declares with each kind.
    for cats in ("boundary", "alloc,free", "hinting,work"):
        body = client.get(f"/api/sessions/{s['id']}/events", params={"from": 0, "to": n, "categories": cats}).json()
        want = [e for e in everything if e["category"] in cats.split(",")]
        assert want and strip(body["events"]) == strip(want)


def test_a_viewer_reads_the_log_without_the_token(client: TestClient) -> None:
    s = new_session(client)
    ws = open_ws(client, s, s["control_token"])
    do(ws, 1, do="alloc", zone="Normal", order=2)
    watcher = open_ws(client, s)  # no token: watch only
    assert watcher.snapshot["type"] == "snapshot"
    r = client.get(f"/api/sessions/{s['id']}/events", params={"from": 0})
    assert r.status_code == 200 and any(e["kind"] == "alloc" for e in r.json()["events"])


def test_the_cap_keeps_the_newest_and_says_how_many_more() -> None:
    with make_client(max_log_events=7) as client:
        s = new_session(client, {"preset": "default"})
        ws = open_ws(client, s, s["control_token"])
        churn(ws, 30)
        n = len(client.get(f"/api/sessions/{s['id']}/scenario").json()["steps"])
        body = client.get(f"/api/sessions/{s['id']}/events", params={"from": 0, "to": n}).json()
        assert len(body["events"]) == 7 and body["capped"] == body["matched"] - 7 > 0 and body["cap"] == 7
        last = client.get(f"/api/sessions/{s['id']}/events", params={"from": n - 1, "to": n}).json()["events"]
        assert strip(body["events"][-len(last):]) == strip(last), "the newest events are the ones kept"


def test_long_ranges_are_cut_to_their_newest_part_and_replays_are_budgeted() -> None:
    with make_client(max_log_replay_steps=100, log_replay_budget=250, actions_per_second=1e6,
                     action_burst=10**6) as client:
        s = new_session(client, {"preset": "tiny"})
        ws = open_ws(client, s, s["control_token"])
        do(ws, 1, do="stepping", on=False)
        do(ws, 2, do="hinting_start")
        for i in range(450):
            do(ws, 10 + i, do="advance", ms=7)
        n = len(client.get(f"/api/sessions/{s['id']}/scenario").json()["steps"])
        body = client.get(f"/api/sessions/{s['id']}/events", params={"from": 0, "to": n}).json()
        assert body["skipped_steps"] > 0 and body["from"] == body["skipped_steps"]
        assert body["replayed"] <= 100 and body["events"][0]["step"] >= body["from"]
        # The budget runs out: refused in words, with the wait.
        codes = [client.get(f"/api/sessions/{s['id']}/events", params={"from": n - 10, "to": n}).status_code
                 for _ in range(12)]
        assert 429 in codes
        r = client.get(f"/api/sessions/{s['id']}/events", params={"from": n - 10, "to": n})
        assert r.status_code == 429 and r.json()["error"]["code"] == "busy" and "try again in" in r.json()["error"][
            "message"] and int(r.headers["retry-after"]) >= 0


@pytest.mark.parametrize(("params", "field"), [
    ({"from": "x"}, "from"), ({"from": 1, "to": 0}, "from"), ({"to": 99999}, "to"), ({"from": -1}, "from"),
    ({"kinds": "boundary_add,Nope!"}, "kinds"), ({"not_kinds": "a b"}, "not_kinds"),
    ({"categories": "boundary,frees"}, "categories"),
])
def test_bad_ranges_name_their_field(client: TestClient, params: dict[str, Any], field: str) -> None:
    s = new_session(client)
    r = client.get(f"/api/sessions/{s['id']}/events", params=params)
    assert r.status_code == 422 and r.json()["error"]["field"] == field
    assert client.get("/api/sessions/nope/events").status_code == 404


def test_merged_clock_advances_name_the_step_they_grow() -> None:
    doc = {"format": "hinting-scenario/1", "machine": {"max_order": 5, "pageblock_order": 2,
                                                      "zones": [{"name": "Normal", "pages": 64}]},
           "hinting": {"min_order": 2, "hwm": 1, "capacity": 2, "delay_ms": 10}, "steps": []}
    tl = Timeline(parse_scenario(doc))
    tl.apply({"do": "hinting_start"})
    tl.apply({"do": "advance", "ms": 3})
    for _ in range(8):
        tl.extend_last_advance(3)
    assert tl.machine.steps_applied == tl.cursor == 2
    raw = tl.machine.take_raw_events()
    steps = [e for e in decode_all(tl.machine, raw) if e["kind"] == "step"]
    assert {e["step"] for e in steps[1:]} == {1}, "every growth of the advance is step 1"
    found = replay_events(*replay_plan(tl, 1, 2), 1)
    assert [e["step"] for e in found.events] == [1] * len(found.events)
    assert found.events[0]["step_do"] == {"do": "advance", "ms": 27}


def test_stale_boundaries_are_marked_in_the_state() -> None:
    preset = get_preset("tour-stale-boundary-between-cycles")
    assert preset is not None
    scenario = parse_scenario(preset.document)
    tl = Timeline(scenario)
    seen_stale = 0
    for st in tl.states(0, len(tl.history)):
        lists = {(z["name"], fa["order"], mt): pfns for z in st["zones"] for fa in z["free_area"]
                 for mt, pfns in fa["free_list"].items()}
        for order, row in st["hinting"]["boundary"].items():
            for mt, b in row.items():
                if b is None or b["pfn"] is None:
                    assert "stale" not in (b or {})
                    continue
                on = b["pfn"] in lists[(b["zone"], int(order), mt)]
                assert b.get("stale", False) is (not on)
                seen_stale += not on
    assert seen_stale, "the tour shows a stale boundary"


def test_undo_skips_refused_steps_and_stops_at_the_sessions_start(client: TestClient) -> None:
    s = new_session(client, {"preset": "default"})
    ws = open_ws(client, s, s["control_token"])
    start = len(client.get(f"/api/sessions/{s['id']}/scenario").json()["steps"])
    assert start > 0, "the preset has its own setup steps"
    assert do(ws, 1, do="alloc", zone="Normal", order=3)["ok"]
    assert not do(ws, 2, do="free", pfn=2)["ok"]  # refused: pfn 2 is not allocated
    assert not do(ws, 3, do="step")["ok"]  # refused: nothing to step
    send(ws, type="undo", id=4)
    r = result(ws, 4)
    assert r["ok"] and r["result"]["undone"]["do"] == "alloc" and r["result"]["length"] == start
    send(ws, type="undo", id=5)
    e = result(ws, 5)
    assert not e["ok"] and "nothing to undo" in e["error"]["message"]
    assert len(client.get(f"/api/sessions/{s['id']}/scenario").json()["steps"]) == start
    info = client.get(f"/api/sessions/{s['id']}").json()
    assert info["timeline"]["start"] == start


def test_server_info_offers_lan_links_or_says_why_not(client: TestClient) -> None:
    info = client.get("/api/server").json()
    addrs = lan_addresses()
    assert addrs == lan_addresses(), "stable order"
    assert all(not a.startswith("127.") for a in addrs)
    assert info["addresses"] == addrs and info["listen"] == "127.0.0.1" and info["loopback_only"] is True
    assert info["lan_urls"] == []
    assert ("HOST=0.0.0.0" in info["why_none"]) if addrs else ("no network address" in info["why_none"])
    with make_client(host="0.0.0.0") as c:
        info = c.get("/api/server").json()
        assert info["lan_urls"] == [f"http://[{a}]:{info['port']}" if ":" in a else f"http://{a}:{info['port']}"
                                    for a in addrs]
        assert info["why_none"] == ("" if addrs else info["why_none"])


def test_seed_lines_when_the_server_has_the_file(client: TestClient) -> None:
    r = client.get("/api/seed", params={"start": 2308, "stop": 2310})
    assert r.status_code == 404 and "--seed-file" in r.json()["error"]["message"]
    if not SEED_FILE.exists():
        pytest.skip("no seed file here")
    with make_client(seed_file=str(SEED_FILE)) as c:
        body = c.get("/api/seed", params={"start": 2308, "stop": 2354}).json()
        text = SEED_FILE.read_text().splitlines()
        assert body["lines"] == text[2307:2354] and body["total"] == len(text)
        assert any("get_unhinted_page" in line for line in body["lines"])
        assert c.get("/api/seed", params={"start": 0}).json()["error"]["field"] == "start"
        assert c.get("/api/seed", params={"start": 10, "stop": 5000}).json()["error"]["field"] == "stop"
        assert c.get("/api/server").json()["seed_file"] is True
