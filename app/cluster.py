"""Many server processes, one class: sessions shared through one Redis (`--redis`).

Every process serves every session id; each session is *run* by one process
at a time, its owner, which holds the session's lease in Redis:

* Lease: `hl:s:<id>:lease` = "<process>:<fence>", set with an expiry
  (`lease_ms`, 3 s by default) and renewed every third of it.  A process
  takes a session (`_load`) only when no lease exists; each new lease has a
  fresh fence value.  Every write to the store checks, in the same Lua
  script, that the lease is still the writer's (app/redis_store.py): a
  process that lost its lease (paused past its expiry, cut off) cannot
  write, and learns so from the refusal or the failed renewal, then drops
  the session at once and closes its connections so they reconnect.
* Viewers on another process: a websocket for a session run elsewhere is a
  `Relay`.  It forwards the client's frames to the owner ("in" messages on
  the owner's inbox channel `hl:n:<process>`); the owner runs them exactly
  as its own connections' (app/ws.py's Connection, on a `GuestSubscriber`),
  and everything it would send (answers, snapshots, deltas) goes back in
  "out" messages on the relay process's inbox, one message per process per
  burst, each delta text once however many of that process's viewers get
  it.  Redis delivers one publisher's messages in order; the relay checks
  the sequence numbers anyway and asks for a snapshot at a gap, so its
  viewers see no gap, no reordering and no duplicate.  Answers are
  published only once what they report is stored.
* HTTP for a session run elsewhere is forwarded the same way: the owner runs
  the request through its own app and sends back the answer.
* Takeover: when the owner dies its lease expires; a process with relays on
  the session notices (it checks the lease every renewal period, and a
  publish nobody receives says so at once), closes them with 1012 (service
  restart), and the clients reconnect by themselves.  The first access
  after that takes the lease and loads the session from the store: every
  acknowledged step is there (results are sent only after their write).
* A process stopping normally writes everything, releases its leases and
  closes its relays, so the others take over at once.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import json
import logging
import os
import secrets
import socket
from collections.abc import Callable
from typing import Any

from starlette.websockets import WebSocket, WebSocketDisconnect

from .durable import DurableSessions
from .errors import LimitError
from .protocol import ErrorInfo, ErrorMsg, HelloMsg
from .redis_store import PREFIX, RedisStore, session_keys
from .roles import Role
from .sessions import Session
from .settings import Settings
from .stall import client_frames, close_within, finish_writer, give_up, send_within
from .store import SessionWrite
from .subscriber import SNAPSHOT, Subscriber
from .ws import BINARY_REFUSED, Connection

log = logging.getLogger("hinting_lab.cluster")
CLOSE_MOVED = 1012  # "service restart": the client reconnects, and finds the session's new process
FORWARD_TIMEOUT_S = 15.0
BIG_BODY = 1 << 20  # HTTP answers above this travel through a key, not the channel

ACQUIRE_LUA = """
-- KEYS: lease, fence counter ; ARGV: process, ttl ms
if redis.call('EXISTS', KEYS[1]) == 1 then return false end
local v = ARGV[1] .. ':' .. redis.call('INCR', KEYS[2])
redis.call('SET', KEYS[1], v, 'PX', ARGV[2])
return v
"""
RENEW_LUA = """
-- KEYS: leases ; ARGV: ttl ms, then each lease's expected value
local out = {}
for i, k in ipairs(KEYS) do
  if redis.call('GET', k) == ARGV[i + 1] then redis.call('PEXPIRE', k, ARGV[1]); out[i] = 1 else out[i] = 0 end
end
return out
"""
RELEASE_LUA = """
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
"""


def inbox(node: str) -> str:
    return f"{PREFIX}n:{node}"


def encode(header: dict[str, Any], texts: list[str]) -> bytes:
    """One channel message: a JSON header line, then texts back to back (their byte lengths in the header)."""
    blobs = [t.encode("utf-8", "surrogatepass") for t in texts]
    header["lens"] = [len(b) for b in blobs]
    return json.dumps(header, separators=(",", ":")).encode() + b"\n" + b"".join(blobs)


def decode(message: bytes) -> tuple[dict[str, Any], list[str]]:
    cut = message.index(b"\n")
    header = json.loads(message[:cut])
    texts, at = [], cut + 1
    for n in header.get("lens", ()):
        texts.append(message[at:at + n].decode("utf-8", "surrogatepass"))
        at += n
    return header, texts


def _owner_of(lease: bytes | str | None) -> str | None:
    if lease is None:
        return None
    text = lease.decode() if isinstance(lease, bytes) else lease
    return text.rsplit(":", 1)[0]


# --- the owner's side: connections from other processes ------------------------------------


class Outbox:
    """What this process sends one other process, gathered per burst and published in order."""

    def __init__(self, cluster: ClusterSessions, node: str) -> None:
        self.cluster = cluster
        self.node = node
        self.items: list[list[Any]] = []
        self.texts: list[str] = []
        self.index: dict[int, int] = {}
        self.sessions: set[Session] = set()
        self.task: asyncio.Task[None] | None = None

    def _text(self, text: str) -> int:
        i = self.index.get(id(text))
        if i is None or self.texts[i] is not text:
            i = len(self.texts)
            self.texts.append(text)
            self.index[id(text)] = i
        return i

    def add(self, kind: str, conn: str, session: Session | None, text: str | None = None, seq: int = 0) -> None:
        if kind == "d":
            assert text is not None
            ti = self._text(text)
            last = self.items[-1] if self.items else None
            if last is not None and last[0] == "d" and last[1] == seq and last[2] == ti:
                last[3].append(conn)
            else:
                self.items.append(["d", seq, ti, [conn]])
        elif kind in ("c", "p"):
            assert text is not None
            self.items.append([kind, conn, self._text(text)])
        elif kind == "s":
            assert text is not None
            self.items.append(["s", conn, seq, self._text(text)])
        else:  # "x" (closed, with a reason) or "g" (gone from here: reconnect)
            self.items.append([kind, conn, text or ""])
        if session is not None:
            self.sessions.add(session)
        if self.task is None or self.task.done():
            self.task = asyncio.get_running_loop().create_task(self._send())

    async def _send(self) -> None:
        await asyncio.sleep(0)  # gather what this turn of the loop adds
        while self.items:
            for session in list(self.sessions):
                await self.cluster.saved(session)  # nothing is reported before it is stored
            items, texts = self.items, self.texts
            self.items, self.texts, self.index, self.sessions = [], [], {}, set()
            try:
                received = await self.cluster.redis.publish(inbox(self.node), encode({"t": "out", "items": items},
                                                                                      texts))
            except Exception:
                log.exception("could not send to process %s", self.node)
                received = 0
            if not received:
                self.cluster.node_gone(self.node)
                return


class GuestSubscriber(Subscriber):
    """A connection on another process, as a session here sees it: what it is sent goes to an Outbox."""

    def __init__(self, settings: Settings, address: str, outbox: Outbox, conn: str) -> None:
        super().__init__(settings, address)
        self.outbox = outbox
        self.conn = conn
        self.session: Session | None = None
        self.on_close: Callable[[GuestSubscriber], None] | None = None

    def reply(self, text: str) -> None:
        if not self.closing:
            self.outbox.add("c", self.conn, self.session, text)

    def push(self, item: Any) -> None:
        if self.closing or self.session is None:
            return
        if item is SNAPSHOT:
            seq, text = self.session.snapshot_text(self.owner)
            self.outbox.add("s", self.conn, self.session, text, seq)
        elif isinstance(item, tuple):
            self.outbox.add("d", self.conn, self.session, item[1], item[0])
        else:
            self.outbox.add("p", self.conn, self.session, item)

    def close(self, reason: str) -> None:
        if self.closing:
            return
        self.closing = reason
        self.outbox.add("x", self.conn, self.session, reason)
        if self.on_close is not None:
            self.on_close(self)

    def gone(self, why: str) -> None:
        """The session left this process: the other process closes the socket so its client reconnects."""
        if not self.closing:
            self.closing = why
            self.outbox.add("g", self.conn, None, why)


class Guest:
    """A relayed connection attached to a session this process runs."""

    def __init__(self, sub: GuestSubscriber, connection: Any) -> None:
        self.sub = sub
        self.connection = connection


# --- the other side: a websocket on this process for a session run elsewhere ----------------


class Relay:
    def __init__(self, cluster: ClusterSessions, ws: WebSocket, sid: str, owner: str, address: str) -> None:
        self.cluster = cluster
        self.ws = ws
        self.sid = sid
        self.owner = owner
        self.id = f"{cluster.node}/{secrets.token_hex(5)}"
        self.sub = Subscriber(cluster.settings, address)
        self.address = address
        self.last: int | None = None
        self.awaiting = False
        self.close_code = 1008

    def deliver(self, item: list[Any], texts: list[str]) -> None:
        kind = item[0]
        sub = self.sub
        if kind == "c":
            sub.reply(texts[item[2]])
        elif kind == "d":
            sub.push((item[1], texts[item[2]]))
        elif kind == "p":
            sub.push(texts[item[2]])
        elif kind == "s":
            sub.push(("snapshot", item[2], texts[item[3]]))
        elif kind == "x":
            sub.close(item[2] or "closed by the server")
        elif kind == "g":
            self.moved(item[2] or "the session moved to another server process; reconnect")

    def moved(self, why: str) -> None:
        self.close_code = CLOSE_MOVED
        self.sub.close(why)

    async def send(self, header: dict[str, Any], texts: list[str] = ()) -> bool:  # type: ignore[assignment]
        header.update(node=self.cluster.node, conn=self.id, sid=self.sid)
        try:
            received = await self.cluster.redis.publish(inbox(self.owner), encode(header, list(texts)))
        except Exception:
            log.exception("relay %s: cannot reach Redis", self.id)
            received = 0
        if not received:
            self.moved("the process running this session is gone; reconnect")
        return bool(received)

    async def run(self) -> None:
        cluster = self.cluster
        cluster.relays[self.id] = self
        writer = asyncio.get_running_loop().create_task(self._writer(asyncio.current_task()))
        try:
            if await self.send({"t": "attach", "addr": self.address}):
                async for text in client_frames(self.ws, self.sub):
                    if text is None:
                        self.sub.reply(ErrorMsg(error=ErrorInfo(code="bad_frame", message=BINARY_REFUSED,
                                                                field="message")).model_dump_json())
                    else:
                        await self.send({"t": "in"}, [text])
        except WebSocketDisconnect:
            pass
        finally:
            cluster.relays.pop(self.id, None)
            if not self.sub.closing or self.close_code != CLOSE_MOVED:
                with contextlib.suppress(Exception):
                    await cluster.redis.publish(inbox(self.owner), encode(
                        {"t": "detach", "node": cluster.node, "conn": self.id, "sid": self.sid}, []))
            await finish_writer(self.sub, writer)

    async def _writer(self, reader: asyncio.Task[Any] | None = None) -> None:
        sub, ws = self.sub, self.ws
        while True:
            await sub.wake.wait()
            sub.wake.clear()
            while (sub.control or sub.data) and not sub.closing:
                if sub.control:
                    text = sub.control.popleft()
                else:
                    item = sub.data.popleft()
                    if item is SNAPSHOT:  # this client fell behind: a fresh snapshot from the owner
                        await self._resync()
                        continue
                    if isinstance(item, tuple) and len(item) == 3:
                        _, seq, text = item
                        self.awaiting = False
                        self.last = seq
                    elif isinstance(item, tuple):
                        seq, text = item
                        if self.awaiting or (self.last is not None and seq <= self.last):
                            continue  # inside a snapshot on its way, or already sent
                        if self.last is not None and seq != self.last + 1:
                            await self._resync()  # a message was lost between the processes
                            continue
                        self.last = seq
                    else:
                        text = item
                if not await send_within(ws, sub, text, self.cluster.settings.send_timeout_s):
                    await give_up(ws, sub, self.close_code, reader)
                    return
            if sub.closing:
                await close_within(ws, self.close_code, sub.closing)
                return

    async def _resync(self) -> None:
        if not self.awaiting:
            self.awaiting = True
            await self.send({"t": "snap"})


# --- the manager -----------------------------------------------------------------------


class ClusterSessions(DurableSessions):
    def __init__(self, settings: Settings, store: RedisStore | None = None) -> None:
        store = store or RedisStore(settings.redis)
        super().__init__(settings, store)
        self.rstore = store
        self.redis = store.redis
        self.node = f"{socket.gethostname()[:24]}-{os.getpid()}-{secrets.token_hex(3)}"
        self.lease_ms = max(300, settings.lease_ms)
        self.leases: dict[str, str] = {}  # sessions this process runs: id -> lease value
        self.remote: dict[str, str] = {}  # sessions last seen run elsewhere: id -> process
        self.relays: dict[str, Relay] = {}
        self.guests: dict[str, Guest] = {}  # relay id (it names its process) -> guest
        self.outboxes: dict[str, Outbox] = {}
        self.replies: dict[str, asyncio.Future[tuple[dict[str, Any], list[str]]]] = {}
        store.on_fenced = self._fenced

    # --- leases -----------------------------------------------------------------------------

    def _stamp(self, session: Session, write: SessionWrite) -> None:
        if write.create:
            self.leases[session.id] = f"{self.node}:c{secrets.token_hex(6)}"
            write.lease_ms = self.lease_ms
        write.fence = self.leases.get(session.id, f"{self.node}:unleased")

    async def _load(self, sid: str) -> Session | None:
        for _ in range(3):
            if not await self.rstore.exists(sid):
                return None
            keys = session_keys(sid)
            lease = await self.rstore.run_script(ACQUIRE_LUA, [keys[4], keys[0] + ":fence"],
                                                 [self.node, self.lease_ms])
            if lease is None:
                current = await self.redis.get(keys[4])
                owner = _owner_of(current)
                if owner is None:
                    continue  # it expired meanwhile: try to take it
                if owner != self.node:
                    self.remote[sid] = owner
                    return None
                lease = current  # ours from before (a release that did not happen)
            self.leases[sid] = lease.decode() if isinstance(lease, bytes) else str(lease)
            self.remote.pop(sid, None)
            try:
                record = await self._read(sid)
                session = None if record is None else await self._adopt(record)
            except BaseException:
                await self._release(sid)
                raise
            if session is None:
                await self._release(sid)
            return session
        return None

    async def _release(self, sid: str) -> None:
        lease = self.leases.pop(sid, None)
        if lease is not None:
            with contextlib.suppress(Exception):
                await self.rstore.run_script(RELEASE_LUA, [session_keys(sid)[4]], [lease])

    def _fenced(self, sid: str | None) -> None:
        if sid is not None:
            self._lost(sid, "another server process runs this session now")

    def _lost(self, sid: str, why: str) -> None:
        """The lease is gone: stop running the session here at once, writing nothing more."""
        self.leases.pop(sid, None)
        session = self.sessions.get(sid)
        if session is None:
            return
        log.warning("session %s: %s; dropped here, its connections reconnect to the process that runs it", sid, why)
        self.journals.pop(session, None)  # no more writes: they would be refused anyway
        self._pending.pop(session, None)
        self._evacuate(session, "this session moved to another server process; reconnect")
        super(DurableSessions, self)._drop(session)

    def _evacuate(self, session: Session, why: str) -> None:
        """Close every connection to `session` so that each reconnects (here or wherever it runs next)."""
        for sub in list(session.subscribers):
            if isinstance(sub, GuestSubscriber):
                sub.gone(why)
                self.guests.pop(sub.conn, None)
                session.subscribers.discard(sub)
            else:
                sub.close(why)

    def _drop(self, session: Session) -> None:
        sid = session.id
        self._evacuate(session, "this session was unloaded here; reconnect")
        super()._drop(session)  # its last write is queued first
        self._spawn(self._release_after(sid))

    async def _release_after(self, sid: str) -> None:
        await self.rstore.flush()
        if sid not in self.sessions:
            await self._release(sid)

    async def _renew_forever(self) -> None:
        every = self.lease_ms / 3000
        while True:
            await asyncio.sleep(every)
            try:
                await self._renew()
            except Exception:
                log.exception("renewing leases failed")

    async def _renew(self) -> None:
        await self.redis.set(f"{PREFIX}node:{self.node}", "1", px=self.lease_ms * 2)
        sids = list(self.leases)
        if sids:
            ok = await self.rstore.run_script(RENEW_LUA, [session_keys(s)[4] for s in sids],
                                              [self.lease_ms, *[self.leases[s] for s in sids]])
            for sid, kept in zip(sids, ok, strict=True):
                if not kept and sid in self.leases:
                    self._lost(sid, "its lease ran out (this process was too slow or cut off from Redis)")
        # Relayed sessions whose process is gone: their clients reconnect, and the session is taken over.
        by_session: dict[str, list[Relay]] = {}
        for relay in self.relays.values():
            by_session.setdefault(relay.sid, []).append(relay)
        for sid, relays in by_session.items():
            owner = _owner_of(await self.redis.get(session_keys(sid)[4]))
            if owner is None or owner != relays[0].owner:
                self.remote.pop(sid, None)
                for relay in relays:
                    relay.moved("the process running this session is gone; reconnect")
        # Guests whose process is gone.
        for node in {g.sub.outbox.node for g in self.guests.values()}:
            if not await self.redis.exists(f"{PREFIX}node:{node}"):
                self.node_gone(node)

    def node_gone(self, node: str) -> None:
        for conn, guest in list(self.guests.items()):
            if guest.sub.outbox.node == node:
                self._detach(conn)
        self.outboxes.pop(node, None)

    # --- the inbox ----------------------------------------------------------------------------

    async def _listen_forever(self) -> None:
        first = True
        while True:
            pubsub = self.redis.pubsub(ignore_subscribe_messages=True)
            try:
                await pubsub.subscribe(inbox(self.node))
                if not first:
                    # Messages may have been lost while cut off: everyone relayed through here starts afresh.
                    for guest in list(self.guests.values()):
                        guest.sub.gone("the server processes lost touch; reconnect")
                    self.guests.clear()
                    for relay in list(self.relays.values()):
                        relay.moved("the server processes lost touch; reconnect")
                first = False
                while True:
                    message = await pubsub.get_message(timeout=1.0)
                    if message is not None and message.get("type") == "message":
                        try:
                            self._dispatch(message["data"])
                        except Exception:
                            log.exception("a message between server processes could not be handled")
            except asyncio.CancelledError:
                with contextlib.suppress(Exception):
                    await pubsub.aclose()
                raise
            except Exception as err:
                log.warning("the channel from Redis broke (%s); listening again", err)
                with contextlib.suppress(Exception):
                    await pubsub.aclose()
                await asyncio.sleep(0.5)

    def _dispatch(self, data: bytes) -> None:
        header, texts = decode(data)
        kind = header["t"]
        if kind == "out":
            for item in header["items"]:
                if item[0] == "d":
                    for conn in item[3]:
                        relay = self.relays.get(conn)
                        if relay is not None:
                            relay.deliver(item, texts)
                else:
                    relay = self.relays.get(item[1])
                    if relay is not None:
                        relay.deliver(item, texts)
        elif kind == "in":
            guest = self.guests.get(header["conn"])
            if guest is not None and not guest.sub.closing:
                guest.connection.handle_safely(texts[0])
        elif kind == "attach":
            self._attach_guest(header)
        elif kind == "detach":
            self._detach(header["conn"])
        elif kind == "snap":
            guest = self.guests.get(header["conn"])
            if guest is not None:
                guest.sub.push(SNAPSHOT)
        elif kind == "http":
            self._spawn(self._serve_forwarded(header))
        elif kind == "http_reply":
            waiter = self.replies.pop(header["rid"], None)
            if waiter is not None and not waiter.done():
                waiter.set_result((header, texts))

    def _outbox(self, node: str) -> Outbox:
        box = self.outboxes.get(node)
        if box is None:
            box = self.outboxes[node] = Outbox(self, node)
        return box

    def _attach_guest(self, header: dict[str, Any]) -> None:
        node, conn, sid = header["node"], header["conn"], header["sid"]
        box = self._outbox(node)
        session = self.sessions.get(sid)
        if session is None or sid not in self.leases:
            box.add("g", conn, None, "this session is not run here any more; reconnect")
            return
        sub = GuestSubscriber(self.settings, header.get("addr", ""), box, conn)
        sub.session = session
        sub.on_close = lambda s: asyncio.get_running_loop().call_soon(self._detach, s.conn)
        connection = Connection(None, session, self, self.settings, sub.address)  # type: ignore[arg-type]
        connection.sub = sub
        hello = HelloMsg(session=session.id, connection=sub.id, role=Role.VIEWER, limits=self.settings.limits())
        sub.reply(hello.model_dump_json())
        try:
            session.subscribe(sub)
        except LimitError as err:
            sub.reply(ErrorMsg(error=ErrorInfo(code=err.code, message=err.message,
                                               field=err.field)).model_dump_json())
            sub.close(err.message)
            return
        self.guests[conn] = Guest(sub, connection)

    def _detach(self, conn: str) -> None:
        guest = self.guests.pop(conn, None)
        if guest is not None and guest.sub.session is not None:
            guest.sub.session.unsubscribe(guest.sub)

    # --- websockets and HTTP for sessions run elsewhere --------------------------------------------

    async def relay(self, ws: WebSocket, sid: str, address: str) -> bool:
        owner = self.remote.get(sid)
        if owner is None:
            return False
        await Relay(self, ws, sid, owner, address).run()
        return True

    async def forward(self, scope: Any, receive: Any, send: Any, sid: str) -> bool:
        """Answer an HTTP request about a session another process runs, through that process."""
        owner = self.remote.get(sid)
        if owner is None:
            return False
        rid = secrets.token_hex(8)
        waiter: asyncio.Future[tuple[dict[str, Any], list[str]]] = asyncio.get_running_loop().create_future()
        self.replies[rid] = waiter
        header = {"t": "http", "rid": rid, "node": self.node, "sid": sid, "path": scope["path"],
                  "query": scope.get("query_string", b"").decode("latin-1"), "method": scope["method"]}
        try:
            received = await self.redis.publish(inbox(owner), encode(header, []))
            if not received:
                self.remote.pop(sid, None)
                return False  # its process is gone: the caller answers as if unknown (it will be taken over)
            reply, texts = await asyncio.wait_for(waiter, FORWARD_TIMEOUT_S)
        except TimeoutError:
            reply, texts = {"status": 504, "headers": [["content-type", "application/json"]]}, [json.dumps(
                {"error": {"code": "busy", "message": "the process running this session did not answer in time",
                           "field": None}})]
        finally:
            self.replies.pop(rid, None)
        body = base64.b64decode(texts[0]) if texts else b""
        if reply.get("key"):
            body = await self.redis.getdel(reply["key"]) or b""
        await send({"type": "http.response.start", "status": reply["status"],
                    "headers": [(k.encode("latin-1"), v.encode("latin-1")) for k, v in reply.get("headers", [])]})
        await send({"type": "http.response.body", "body": body})
        return True

    async def _serve_forwarded(self, header: dict[str, Any]) -> None:
        """Run a forwarded GET through this process's own app; send the answer back."""
        status, headers, chunks = 500, [], []
        if self.asgi_app is not None and header.get("method") == "GET":
            scope = {"type": "http", "asgi": {"version": "3.0", "spec_version": "2.3"}, "http_version": "1.1",
                     "method": "GET", "scheme": "http", "path": header["path"],
                     "raw_path": header["path"].encode(), "query_string": header.get("query", "").encode("latin-1"),
                     "root_path": "", "headers": [(b"host", b"forwarded")], "client": ("forwarded", 0),
                     "server": ("forwarded", 0), "state": {}}

            async def receive() -> dict[str, Any]:
                return {"type": "http.request", "body": b"", "more_body": False}

            async def send(message: dict[str, Any]) -> None:
                nonlocal status, headers
                if message["type"] == "http.response.start":
                    status = message["status"]
                    headers = [[k.decode("latin-1"), v.decode("latin-1")] for k, v in message.get("headers", [])]
                elif message["type"] == "http.response.body":
                    chunks.append(message.get("body", b""))

            await self.asgi_app(scope, receive, send)
        body = b"".join(chunks)
        reply: dict[str, Any] = {"t": "http_reply", "rid": header["rid"], "status": status,
                                 "headers": [h for h in headers if h[0].lower() != "content-length"]}
        texts = [base64.b64encode(body).decode()]
        if len(body) > BIG_BODY:
            key = f"{PREFIX}tmp:{header['rid']}"
            await self.redis.set(key, body, px=60_000)
            reply["key"] = key
            texts = []
        await self.redis.publish(inbox(header["node"]), encode(reply, texts))

    # --- running ------------------------------------------------------------------------------

    def report(self) -> dict[str, Any]:
        return {**super().report(), "process": self.node, "sessions_run_here": len(self.leases),
                "relayed_connections": len(self.relays), "guest_connections": len(self.guests)}

    async def open(self) -> None:
        """Fail at start, with a clear message, if Redis cannot be reached."""
        try:
            await asyncio.wait_for(self.redis.ping(), 5)
        except Exception as err:
            raise SystemExit(f"--redis {self.rstore.where}: cannot reach Redis ({err})") from err

    def start(self) -> None:
        super().start()
        loop = asyncio.get_running_loop()
        self._tasks.append(loop.create_task(self._listen_forever()))
        self._tasks.append(loop.create_task(self._renew_forever()))
        self._spawn(self._renew())

    async def stop(self) -> None:
        for relay in list(self.relays.values()):
            relay.moved("this server process is stopping; reconnect")
        for session in list(self.sessions.values()):
            self.sync(session)
            self._evacuate(session, "this server process is stopping; reconnect")
        await self.rstore.flush()
        for sid in list(self.leases):
            await self._release(sid)
        for box in list(self.outboxes.values()):
            if box.task is not None:
                with contextlib.suppress(Exception):
                    await asyncio.wait_for(box.task, 2)
        await asyncio.sleep(0.05)  # let the relays' writers send their close frames
        await super().stop()


__all__ = ["CLOSE_MOVED", "ClusterSessions", "Relay"]
