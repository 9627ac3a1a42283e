"""Seeded mutation fuzzers for the websocket protocol and the HTTP API, against a real server.

Used by tests/app/test_fuzz.py (a few thousand messages) and
bench/fuzz_bench.py (a longer run that prints throughput and findings).
Every message starts as a valid one of its type and is then mutated the
ways a hostile or broken client would: wrong types anywhere (also inside a
step or a scenario's steps), missing and unknown fields, deep nesting, lone
surrogates, NaN and huge numbers, broken JSON, oversized and binary
frames, bad ids.  What must hold, whatever was sent:

* every frame gets exactly one answer (`result`, `pong` or `error`), in
  order, carrying the frame's id when it had a readable one; or the server
  closes the connection deliberately, with a code and a reason;
* the session stays healthy: HTTP reads work, its scenario replays to its
  state, and a new websocket gets hello and a snapshot;
* the server's log shows no traceback.
"""

from __future__ import annotations

import asyncio
import copy
import json
import random
import time
from dataclasses import dataclass, field
from typing import Any

import httpx
import websockets

STEPS = [
    {"do": "alloc", "zone": "Normal", "order": 0, "migratetype": "Movable", "as": "a"},
    {"do": "alloc", "zone": "Normal", "order": 2},
    {"do": "free", "ref": "a"},
    {"do": "free", "pfn": 16, "order": 0},
    {"do": "move_pageblock", "pfn": 0, "migratetype": "Isolate"},
    {"do": "hinting_start"},
    {"do": "hinting_stop"},
    {"do": "advance", "ms": 100},
    {"do": "step"},
    {"do": "stepping", "on": False},
]
SCENARIO = {"format": "hinting-scenario/1", "title": "fuzz",
            "machine": {"max_order": 4, "pageblock_order": 2, "zones": [{"name": "Normal", "pages": 32}]},
            "hinting": {"min_order": 2, "hwm": 2, "capacity": 4, "delay_ms": 10, "stepping": True},
            "steps": [{"do": "hinting_start"}, {"do": "alloc", "zone": "Normal", "order": 1}]}


def templates(rng: random.Random, token: str, others: list[str]) -> list[dict[str, Any]]:
    """One valid message of every client type (the tokens and ids are real ones)."""
    return [
        {"type": "auth", "token": token if rng.random() < 0.5 else "wrong-token"},
        {"type": "do", "step": copy.deepcopy(rng.choice(STEPS))},
        {"type": "clock", "action": rng.choice(["run", "pause", "speed"]), "speed": rng.choice([0.5, 1, 20])},
        ({"type": "reset", "preset": "tiny"} if rng.random() < 0.5
         else {"type": "reset", "scenario": copy.deepcopy(SCENARIO)}),
        {"type": "workload", "action": rng.choice(["start", "stop"]), "rate": 300, "seed": rng.randrange(100),
         "live_target": 8, "orders": [0, 1], "order_weights": [2, 1], "migratetypes": ["Movable", "Unmovable"],
         "mt_weights": [3, 1]},
        {"type": "travel", "to": rng.randrange(0, 12)},
        {"type": "undo"},
        {"type": "branch", "action": rng.choice(["switch", "discard"]), "branch": rng.randrange(1, 4)},
        {"type": "view", "view": {"zone": "Normal", "selected": rng.randrange(32)}},
        {"type": "control", "action": rng.choice(["grant", "revoke"]),
         "connection": rng.choice(others) if others else "nobody"},
        {"type": "identity", "name": rng.choice(["Ana", "Bo", None]), "hand": rng.random() < 0.5},
        {"type": "resync"},
        {"type": "ping"},
    ]


def odd_value(rng: random.Random) -> Any:
    deep: Any = 0
    for _ in range(rng.choice([3, 40, 300])):
        deep = [deep] if rng.random() < 0.5 else {"k": deep}
    return rng.choice([
        None, True, False, 0, -1, 2**63, 10**30, 1.5, -0.0, 1e308, "", "x" * 300, "\ud800", "a\udfffb", [], {},
        [1, "2", None], {"do": "alloc"}, deep, "Normal", "Movable", "Isolate", 4294967296, -(2**53),
    ])


def _paths(obj: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    out = [prefix]
    if isinstance(obj, dict):
        for k, v in obj.items():
            out += _paths(v, (*prefix, k))
    elif isinstance(obj, list):
        for i, v in enumerate(obj):
            out += _paths(v, (*prefix, i))
    return out


def _set(obj: Any, path: tuple[Any, ...], value: Any) -> Any:
    if not path:
        return value
    parent = obj
    for p in path[:-1]:
        parent = parent[p]
    parent[path[-1]] = value
    return obj


def mutate(rng: random.Random, msg: dict[str, Any]) -> Any:
    """A structured mutation of a valid message (it may stay valid)."""
    msg = copy.deepcopy(msg)
    kind = rng.randrange(9)
    paths = _paths(msg)
    if kind == 0:  # a value of the wrong type anywhere
        return _set(msg, rng.choice(paths), odd_value(rng))
    if kind == 1:  # drop a field
        path = rng.choice(paths[1:]) if len(paths) > 1 else ()
        if path:
            parent = msg
            for p in path[:-1]:
                parent = parent[p]
            del parent[path[-1]]
        return msg
    if kind == 2:  # an unknown or misspelt field, at the top or in an object inside
        objs = [p for p in paths if isinstance(_get(msg, p), dict)]
        target = _get(msg, rng.choice(objs))
        target[rng.choice(["extra", "migrateype", "ordr", "\ud800", "say", "v", "id"])] = odd_value(rng)
        return msg
    if kind == 3:  # another type tag
        msg["type"] = rng.choice(["do", "ping", "teleport", "", None, ["do"], "DO"])
        return msg
    if kind == 4:  # the whole message not an object
        return rng.choice([[msg], msg.get("type"), 3, None, "text"])
    if kind == 5:  # the version
        msg["v"] = rng.choice([0, 3, "1", None, 1.0, True])
        return msg
    if kind == 6:  # deep nesting in a value
        return _set(msg, rng.choice(paths), odd_value(random.Random(rng.random())))
    return msg  # 7, 8: unchanged (valid messages keep the session moving)


def _get(obj: Any, path: tuple[Any, ...]) -> Any:
    for p in path:
        obj = obj[p]
    return obj


def frame(rng: random.Random, msg: Any, rid: int) -> str | bytes:
    """The message as sent: usually JSON with an id, sometimes broken on purpose."""
    if isinstance(msg, dict) and "id" not in msg:
        msg["id"] = rid if rng.random() < 0.9 else rng.choice([-1, "7", 2**60, None, 1.5])
    text = json.dumps(msg)
    r = rng.random()
    if r < 0.03:
        return text[: rng.randrange(len(text))]  # truncated
    if r < 0.05:
        return text.replace("100", "NaN").replace("0.5", "Infinity")
    if r < 0.06:
        return "[" * rng.choice([40, 1100, 5000]) + "]" * rng.choice([40, 1100, 5000])
    if r < 0.07:
        return text.encode()  # a binary frame
    if r < 0.08 and isinstance(msg, dict):
        return json.dumps({**msg, "pad": "x" * 70_000})  # over the message limit
    if r < 0.09:
        return text + " trailing"
    return text


def readable_id(text: str | bytes) -> int | None:
    """The id the server can know: a top-level integer of a JSON object it accepts."""
    if isinstance(text, bytes):
        return None
    try:
        raw = json.loads(text)
    except (ValueError, RecursionError):
        return None
    if not isinstance(raw, dict) or "\\ud8" in text or "\\udf" in text or "NaN" in text:
        return None
    rid = raw.get("id")
    return rid if type(rid) is int and 0 <= rid <= 2**53 else None


@dataclass
class Report:
    sent: int = 0
    answered: int = 0
    closes: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    codes: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0

    def note(self, problem: str) -> None:
        if len(self.problems) < 50:
            self.problems.append(problem)


async def _client(url: str, rng: random.Random, token: str, others: list[str], count: int, owner: bool,
                  report: Report, batch: int = 16) -> None:
    async with websockets.connect(url, max_size=None) as ws:
        hello = json.loads(await ws.recv())
        others.append(hello["connection"])
        if owner:
            await ws.send(json.dumps({"type": "auth", "token": token, "id": 0}))
        pending_auth = owner
        rid = 1
        while count > 0 and not report.problems[5:]:
            sent: list[str | bytes] = []
            for _ in range(min(batch, count)):
                msg = mutate(rng, rng.choice(templates(rng, token, others)))
                text = frame(rng, msg, rid)
                rid += 1
                await ws.send(text)
                sent.append(text)
            count -= len(sent)
            report.sent += len(sent)
            i = 0
            while i < len(sent):
                try:
                    raw = await asyncio.wait_for(ws.recv(), 20)
                except websockets.ConnectionClosed as closed:
                    rcvd = closed.rcvd
                    if rcvd is None or rcvd.code not in (1008, 1009, 1013) or not rcvd.reason:
                        report.note(f"connection dropped without a deliberate close: {rcvd}")
                    else:
                        report.closes.append(f"{rcvd.code} {rcvd.reason}")
                    return
                except TimeoutError:
                    report.note(f"no answer to {sent[i]!r:.200}")
                    return
                msg = json.loads(raw)
                if msg["type"] == "result" and pending_auth and msg["id"] == 0:
                    pending_auth = False
                    continue
                if msg["type"] not in ("result", "pong", "error"):
                    continue
                report.answered += 1
                code = (msg.get("error") or {}).get("code") or ("ok" if msg.get("ok", True) else "failed")
                report.codes[code] = report.codes.get(code, 0) + 1
                if code == "internal":
                    report.note(f"internal error on {sent[i]!r:.300}")
                want = readable_id(sent[i])
                if msg["type"] in ("result", "pong") and msg["id"] != want and code not in ("rate_limited",):
                    report.note(f"answer id {msg['id']} for {sent[i]!r:.200} (expected {want})")
                i += 1


async def fuzz_websocket(base: str, seed: int, controller_messages: int, viewer_messages: int,
                         viewers: int = 2) -> Report:
    """Fuzz one session: an owner and `viewers` viewers, all at once."""
    report = Report()
    t0 = time.perf_counter()
    async with httpx.AsyncClient(base_url=base, timeout=60) as http:
        s = (await http.post("/api/sessions", json={"scenario": SCENARIO})).json()
        url = base.replace("http", "ws", 1) + s["ws_url"]
        others: list[str] = []
        tasks = [_client(url, random.Random(seed), s["control_token"], others, controller_messages, True, report)]
        tasks += [_client(url, random.Random(seed * 1000 + i), "", others, viewer_messages // viewers, False, report)
                  for i in range(viewers)]
        await asyncio.gather(*tasks)
        report.seconds = time.perf_counter() - t0
        await check_session_healthy(http, url, s["id"], report)
    return report


async def check_session_healthy(http: httpx.AsyncClient, url: str, sid: str, report: Report) -> None:
    from core import parse_scenario, replay

    for path in ("", "/state", "/scenario"):
        r = await http.get(f"/api/sessions/{sid}{path}")
        if r.status_code != 200:
            report.note(f"GET {path or 'info'} answered {r.status_code}: {r.text[:200]}")
            return
    # Pause whatever the fuzz left running, then the history must replay to the state.
    async with websockets.connect(url, max_size=None) as ws:
        hello, snap = json.loads(await ws.recv()), json.loads(await ws.recv())
        if hello["type"] != "hello" or snap["type"] != "snapshot":
            report.note(f"a new websocket got {hello['type']} then {snap['type']}")
    info = (await http.get(f"/api/sessions/{sid}")).json()
    doc = (await http.get(f"/api/sessions/{sid}/scenario")).json()
    if not info["clock"]["running"] and not info["workload"]["running"]:
        doc["steps"] = doc["steps"][: info["timeline"]["cursor"]]
        state = (await http.get(f"/api/sessions/{sid}/state")).json()
        if replay(parse_scenario(doc))["state"] != state:
            report.note("the session's scenario does not replay to its state")
    else:
        parse_scenario(doc)  # still a valid scenario


# --- HTTP --------------------------------------------------------------------------------


def http_requests(rng: random.Random, sid: str) -> tuple[str, str, dict[str, str], bytes | None]:
    """One request: method, path, headers, body."""
    json_type = {"content-type": "application/json"}
    r = rng.random()
    if r < 0.45:
        body: Any = rng.choice([{"scenario": copy.deepcopy(SCENARIO)}, {"preset": "tiny"}, {},
                                {"scenario": copy.deepcopy(SCENARIO), "step": 1, "view": {"zone": "Normal"}}])
        for _ in range(rng.randrange(1, 3)):
            body = mutate(rng, body) if isinstance(body, dict) else body
        text = json.dumps(body)
        if rng.random() < 0.1:
            text = text[: rng.randrange(len(text) + 1)]
        headers = dict(json_type)
        if rng.random() < 0.1:
            headers = rng.choice([{"content-type": "text/plain"}, {}, {**json_type, "origin": "http://evil.example"},
                                  {**json_type, "origin": "http://localhost:1"}])
        return "POST", rng.choice(["/api/sessions", "/api/links"]), headers, text.encode("utf-8", "surrogatepass")
    odd = rng.choice(["0", "-1", "x", "99999999999999999999", "1e3", "", "%00", "..%2f..", "\u00e9", "3"])
    path = rng.choice([
        f"/api/sessions/{sid}", f"/api/sessions/{sid}/state", f"/api/sessions/{sid}/scenario",
        f"/api/sessions/{sid}/frames?start={odd}&stop={rng.choice(['1', odd, '700'])}",
        f"/api/sessions/{sid}/frames?start=0&stop=2&zone={odd}",
        f"/api/sessions/{sid}/steps?start={odd}", f"/api/sessions/{odd}", f"/api/links/{odd}",
        f"/api/presets/{odd}", "/api/presets", "/healthz", f"/api/{odd}",
    ])
    method = rng.choice(["GET"] * 8 + ["POST", "DELETE", "PUT"])
    return method, path, json_type, None


async def fuzz_http(base: str, seed: int, count: int) -> Report:
    report = Report()
    rng = random.Random(seed)
    t0 = time.perf_counter()
    async with httpx.AsyncClient(base_url=base, timeout=60) as http:
        s = (await http.post("/api/sessions", json={"scenario": SCENARIO})).json()
        for _ in range(count):
            method, path, headers, body = http_requests(rng, s["id"])
            r = await http.request(method, path, headers=headers, content=body)
            report.sent += 1
            report.answered += 1
            report.codes[str(r.status_code)] = report.codes.get(str(r.status_code), 0) + 1
            if r.status_code >= 500 and r.status_code != 503:
                report.note(f"{method} {path} {body!r:.200} -> {r.status_code} {r.text[:200]}")
            elif r.status_code >= 400:
                is_json = r.headers.get("content-type", "").startswith("application/json")
                err = r.json().get("error") if is_json else None
                if not isinstance(err, dict) or set(err) != {"code", "message", "field"}:
                    report.note(f"{method} {path} -> {r.status_code} without the error shape: {r.text[:200]}")
        report.seconds = time.perf_counter() - t0
        url = base.replace("http", "ws", 1) + s["ws_url"]
        await check_session_healthy(http, url, s["id"], report)
    return report


def log_problems(text: str) -> list[str]:
    """Tracebacks and errors in a server log."""
    lines = text.splitlines()
    return [ln for ln in lines if "Traceback" in ln or "ERROR" in ln or "Exception" in ln][:20]
