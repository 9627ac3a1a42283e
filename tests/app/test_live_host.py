"""The live host view (/ws/host, /api/host), Simulate this machine and trace upload, through --proc-root trees."""

from __future__ import annotations

import base64
import json
import os
import time
import zlib
from pathlib import Path
from typing import Any

import pytest

from app.protocol import server_message
from core import parse_scenario
from core.invariants import check_invariants
from tests.app.conftest import make_client, recv
from tests.kernel_tree import free_blocks, write_tree

FIX = Path(__file__).resolve().parent.parent / "fixtures" / "kernel"
OCTET = {"content-type": "application/octet-stream"}


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    write_tree(tmp_path, 0)
    return tmp_path


def codes(zone: dict[str, Any]) -> bytes:
    return zlib.decompress(base64.b64decode(zone["map"]["codes"]))


def test_snapshot_over_http(tree: Path) -> None:
    with make_client(proc_root=str(tree)) as c:
        doc = c.get("/api/host").json()
    assert doc["format"] == "hinting-host/1" and doc["kernel"] == "6.18.0-fixture"
    assert all(s["ok"] for s in doc["sources"].values()), doc["sources"]
    dma, normal = doc["zones"]
    assert (dma["name"], dma["start_pfn"], dma["spanned"]) == ("DMA", 1, 4095)
    assert normal["buddyinfo"][10] == 2 and normal["free_by_migratetype"]["Unmovable"][3] == 1
    # The map: the generator's free blocks, Reported heads painting their blocks, the offline range, kernel pages.
    m = codes(normal)
    free_pages = sum(1 << o for p, o, _mt, _r in free_blocks(0) if p >= 4096)
    counts = normal["map"]["counts"]
    assert m.count(0) + m.count(1) == free_pages == counts["free"] + counts["reported"]
    assert normal["map"]["counts"]["reported"] == 1024 + 512 and normal["map"]["reported_blocks"] == 2
    assert normal["map"]["counts"]["offline"] == 1024 and normal["map"]["counts"]["kernel"] == 1024
    assert doc["page_reporting"] == {"page_reporting_order": 9}


def test_websocket_streams_snapshots_while_watched_and_stops_after(tree: Path) -> None:
    with make_client(proc_root=str(tree), host_refresh_s=0.2) as c, c.websocket_connect("/ws/host") as ws:
        hello = recv(ws)
        assert hello["type"] == "hello" and hello["session"] == "host" and hello["role"] == "viewer"
        first = recv(ws)
        server_message.validate_python(first)
        assert first["type"] == "snapshot" and first["state"]["format"] == "hinting-host/1"
        write_tree(tree, 1)  # the machine changes between reads
        for _ in range(20):
            later = recv(ws)
            if later["state"]["zones"][1]["buddyinfo"][2] == 2:
                break
        else:
            raise AssertionError("the change never showed")
        assert later["seq"] > first["seq"]
        ws.send_text(json.dumps({"type": "do", "id": 7, "step": {"do": "hinting_start"}}))
        ws.send_text(json.dumps({"type": "ping", "id": 8}))
        ws.send_text(json.dumps({"type": "nonsense", "id": 9}))
        seen = {}
        for _ in range(30):
            msg = recv(ws)
            if msg["type"] != "snapshot":
                seen[msg["id"]] = msg
            if len(seen) == 3:
                break
        assert seen[7]["error"]["code"] == "read_only"
        assert seen[8]["type"] == "pong"
        assert seen[9]["error"]["field"] == "type"
        view = c.app.state.host_view
    # Nobody watches: the reads stop.
    time.sleep(0.3)
    n = view.refreshes
    time.sleep(0.6)
    assert view.refreshes == n and not view.viewers


def test_the_reading_worker_runs_at_the_lowest_cpu_priority(tree: Path) -> None:
    """Its kernel reads and C passes must yield to the event loop (bench/kernel_bench.py: latency)."""
    with make_client(proc_root=str(tree)) as c:
        assert c.get("/api/host").status_code == 200
        view = c.app.state.host_view
        pid = view.pool.submit(os.getpid).result(timeout=30)
        # Field 19 of /proc/PID/stat is the nice value, read from outside the worker.
        stat = Path(f"/proc/{pid}/stat").read_text()
        worker_nice = int(stat[stat.rindex(")") + 2:].split()[16])
        assert pid != os.getpid() and worker_nice == 19


def test_simulate_this_machine_uses_the_real_free_blocks(tree: Path) -> None:
    with make_client(proc_root=str(tree)) as c:
        doc = c.get("/api/host/scenario").json()
        assert [(z["name"], z["pages"]) for z in doc["machine"]["zones"]] == [("DMA", 4096), ("Normal", 32768)]
        normal = doc["machine"]["zones"][1]["initial"]["free"]
        want = sorted((p, o) for p, o, _mt, _r in free_blocks(0) if p >= 4096)
        assert sorted((b["pfn"], b["order"]) for b in normal) == want
        assert {b["migratetype"] for b in normal if (b["pfn"], b["order"]) == (20480, 3)} == {"Unmovable"}
        assert any("kpageflags" in n for n in doc["notes"])
        sc = parse_scenario(doc)
        m = sc.machine_instance()
        check_invariants(m)
        state = m.state()
        assert [a["nr_free"] for a in state["zones"][1]["free_area"]] == \
               c.get("/api/host").json()["zones"][1]["buddyinfo"]
        made = c.post("/api/sessions", json={"scenario": doc})
        assert made.status_code == 201


def test_foreign_and_missing_sources_say_why() -> None:
    with make_client(proc_root=str(FIX / "foreign" / "macos")) as c:
        doc = c.get("/api/host").json()
        assert doc["zones"] == [] and not doc["sources"]["buddyinfo"]["ok"]
        assert "not a Linux machine" in doc["sources"]["buddyinfo"]["why"]
        r = c.get("/api/host/scenario")
        assert r.status_code == 422 and r.json()["error"]["field"] == "host"
    with make_client(proc_root=str(FIX / "foreign" / "numa-4.19")) as c:
        doc = c.get("/api/host").json()
        assert [z["name"] for z in doc["zones"]] == ["DMA", "DMA32", "Normal", "Normal-N1", "Movable-N1"]
        assert "CONFIG_PROC_PAGE_MONITOR" in doc["sources"]["kpageflags"]["why"]
        assert "not in this kernel" in doc["sources"]["page_reporting"]["why"]
        assert "CMA" in doc["migratetypes"]


def test_trace_upload_makes_a_session(tree: Path) -> None:
    trace = (FIX / "linux-6.18-vm-trace.txt").read_bytes()
    with make_client() as c:
        r = c.post("/api/import-trace?design=seed&time_scale=2&name=my%20trace.txt", content=trace, headers=OCTET)
        assert r.status_code == 200
        lines = [json.loads(x) for x in r.text.splitlines()]
        assert lines[0]["phase"] == "convert" and any(x.get("phase") == "session" for x in lines)
        result = lines[-1]["result"]
        assert result["summary"]["kept"]["alloc"] == 1020 and result["title"] == "Trace my trace.txt"
        info = c.get(f"/api/sessions/{result['id']}").json()
        assert info["history_length"] == result["summary"]["steps"]
        st = c.get(f"/api/sessions/{result['id']}/state").json()
        assert st["now_ms"] == 2 * 26 + 101


def test_trace_upload_limits_and_bad_input_name_the_field() -> None:
    trace = (FIX / "linux-6.18-vm-trace.txt").read_bytes()
    with make_client(max_trace_bytes=1000) as c:
        r = c.post("/api/import-trace", content=trace, headers=OCTET)
        assert r.status_code == 413 and r.json()["error"]["field"] == "file"
    with make_client() as c:
        for query, field in (("design=other", "design"), ("time_scale=0", "time_scale")):
            r = c.post(f"/api/import-trace?{query}", content=trace, headers=OCTET)
            assert r.status_code == 422 and r.json()["error"]["field"] == field
        assert c.post("/api/import-trace", content=b"", headers=OCTET).json()["error"]["field"] == "file"
        r = c.post("/api/import-trace", content=trace, headers={"content-type": "text/plain"})
        assert r.status_code == 415 and r.json()["error"]["field"] == "content-type"
        r = c.post("/api/import-trace", content=b"\x00\xffnot a trace\n" * 10, headers=OCTET)
        last = json.loads(r.text.splitlines()[-1])
        assert last["result"]["summary"]["unparsable"]["count"] == 10


def test_the_host_view_declines_compression_and_sessions_keep_it(tree: Path) -> None:
    """The host map is zlib already: deflating it again on the event loop only delayed other sessions."""
    import asyncio

    import websockets

    from tests.support import LabServer

    lab = LabServer(args=["--proc-root", str(tree)]).start()
    try:
        sid = lab.create({"preset": "default"})["id"]
        base = lab.url.replace("http", "ws")

        async def negotiated(path: str) -> tuple[list[str], dict[str, Any]]:
            async with websockets.connect(base + path, compression="deflate", max_size=None) as ws:
                await ws.recv()  # hello
                first = json.loads(await asyncio.wait_for(ws.recv(), 30))
                return [type(e).__name__ for e in ws.protocol.extensions], first

        host_ext, host_first = asyncio.run(negotiated("/ws/host"))
        session_ext, session_first = asyncio.run(negotiated(f"/ws/{sid}"))
        assert host_ext == [] and host_first["type"] == "snapshot"
        assert host_first["state"]["format"] == "hinting-host/1"
        assert session_ext == ["PerMessageDeflate"] and session_first["type"] == "snapshot"
    finally:
        lab.stop()
