"""The durable store in Redis (`--redis redis://host:port/db`), shared by every server process.

Keys (prefix `hl:`):

    hl:s:<id>        hash: token_hash, header, meta, length, sealed, created, touched
    hl:s:<id>:c      hash: chunk number -> sealed chunk (zlib JSON, CHUNK steps)
    hl:s:<id>:r      hash: step index -> step (JSON), the steps after the last chunk
    hl:s:<id>:b      hash: branch id -> 8-byte fork position + zlib JSON {steps, results}
    hl:s:<id>:lease  string "<process>:<fence>", expiring (app/cluster.py)
    hl:s:<id>:fence  counter: each new lease takes the next fence
    hl:touched       sorted set: id -> last write (wall clock), for the purge
    hl:links, hl:links:t   stored links and when each was made

Every session write is one Lua script that first checks the lease: a write
made under a lease that is no longer the session's (the process was paused
and another took over) is refused with FENCED, so a process that lost a
session cannot change it.  Writes go out in order through one writer task,
pipelined; a write's future resolves when Redis has applied it.  If Redis
cannot be reached the writer retries, in order, holding the results that
wait for it.

Redis keeps what it is given in memory; for sessions to survive a restart
of Redis itself, run it with `--appendonly yes` (see the README).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import struct
import time
from typing import Any

import redis.asyncio as aioredis
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import NoScriptError, ResponseError
from redis.exceptions import TimeoutError as RedisTimeoutError

from .packed import CHUNK
from .store import Fenced, IdTaken, SessionRecord, SessionWrite, Store

log = logging.getLogger("hinting_lab.store")
PREFIX = "hl:"

WRITE_LUA = """
-- KEYS: session, chunks, rows, branches, lease, touched
local s, c, r, b, lease, touched = KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5], KEYS[6]
local fence, sid, now, create, full = ARGV[1], ARGV[2], ARGV[3], ARGV[4], ARGV[5]
local token_hash, header, meta = ARGV[6], ARGV[7], ARGV[8]
local length, sealed = tonumber(ARGV[9]), tonumber(ARGV[10])
local chunk_from, rows_from, C = tonumber(ARGV[11]), tonumber(ARGV[12]), tonumber(ARGV[13])
local nchunks, nrows, nput, ndel = tonumber(ARGV[14]), tonumber(ARGV[15]), tonumber(ARGV[16]), tonumber(ARGV[17])
local ttl = tonumber(ARGV[18])
local exists = redis.call('EXISTS', s) == 1
if create == '1' then
  -- A new session: its id must be free, and its creator takes its lease with it.
  if exists or redis.call('EXISTS', lease) == 1 then return redis.error_reply('IDTAKEN') end
  if fence ~= '' then redis.call('SET', lease, fence, 'PX', ttl) end
else
  if fence ~= '' and redis.call('GET', lease) ~= fence then return redis.error_reply('FENCED') end
  if full ~= '1' and not exists then return redis.error_reply('GONE') end
end
if full == '1' then
  redis.call('DEL', c, r, b)
  redis.call('HSET', s, 'token_hash', token_hash, 'header', header)
  redis.call('HSETNX', s, 'created', now)
else
  local oldlen = tonumber(redis.call('HGET', s, 'length') or '0')
  local oldsealed = tonumber(redis.call('HGET', s, 'sealed') or '0')
  for k = chunk_from, oldsealed - 1 do redis.call('HDEL', c, k) end
  local lo = oldsealed * C
  for i = math.max(lo, rows_from), oldlen - 1 do redis.call('HDEL', r, i) end
  for i = lo, math.min(oldlen, sealed * C, rows_from) - 1 do redis.call('HDEL', r, i) end
  if header ~= '' then redis.call('HSET', s, 'header', header) end
end
redis.call('HSET', s, 'length', length, 'sealed', sealed, 'touched', now)
if meta ~= '' then redis.call('HSET', s, 'meta', meta) end
local a = 19
for j = 0, nchunks - 1 do redis.call('HSET', c, chunk_from + j, ARGV[a]); a = a + 1 end
for j = 0, nrows - 1 do redis.call('HSET', r, rows_from + j, ARGV[a]); a = a + 1 end
for j = 1, nput do redis.call('HSET', b, ARGV[a], ARGV[a + 1]); a = a + 2 end
for j = 1, ndel do redis.call('HDEL', b, ARGV[a]); a = a + 1 end
redis.call('ZADD', touched, now, sid)
return 1
"""

DELETE_LUA = """
-- KEYS: session, chunks, rows, branches, lease, touched ; ARGV: fence, sid
if ARGV[1] ~= '' and redis.call('GET', KEYS[5]) ~= ARGV[1] then return redis.error_reply('FENCED') end
redis.call('DEL', KEYS[1], KEYS[2], KEYS[3], KEYS[4])
redis.call('ZREM', KEYS[6], ARGV[2])
return 1
"""


def session_keys(sid: str) -> list[str]:
    base = f"{PREFIX}s:{sid}"
    return [base, f"{base}:c", f"{base}:r", f"{base}:b", f"{base}:lease", f"{PREFIX}touched"]


def _error(err: Exception) -> Exception:
    text = str(err)
    if "FENCED" in text or "GONE" in text:
        return Fenced(text)
    if "IDTAKEN" in text:
        return IdTaken(text)
    return err


class RedisStore(Store):
    kind = "redis"

    def __init__(self, url: str) -> None:
        self.where = url.split("@")[-1]  # never a password in a log or /healthz
        self.redis = aioredis.Redis.from_url(url, health_check_interval=10)
        self._queue: list[tuple[SessionWrite, asyncio.Future[None]]] = []
        self._wake: asyncio.Event | None = None
        self._writer: asyncio.Task[None] | None = None
        self._sha: dict[str, str] = {}
        self.on_fenced: Any = None  # called with the session id of a refused write (app/cluster.py sets it)

    # --- scripts ----------------------------------------------------------------------

    async def _script(self, lua: str) -> str:
        sha = self._sha.get(lua)
        if sha is None:
            sha = str(await self.redis.script_load(lua))
            self._sha[lua] = sha
        return sha

    async def run_script(self, lua: str, keys: list[str], args: list[Any]) -> Any:
        sha = await self._script(lua)
        try:
            return await self.redis.evalsha(sha, len(keys), *keys, *args)
        except NoScriptError:  # Redis restarted and forgot it
            self._sha.pop(lua, None)
            return await self.redis.evalsha(await self._script(lua), len(keys), *keys, *args)

    # --- writing ----------------------------------------------------------------------

    def write(self, w: SessionWrite) -> asyncio.Future[None]:
        loop = asyncio.get_running_loop()
        future: asyncio.Future[None] = loop.create_future()
        future.add_done_callback(self._written)
        self._queue.append((w, future))
        if self._wake is None:
            self._wake = asyncio.Event()
        if self._writer is None or self._writer.done():
            self._writer = loop.create_task(self._write_forever())
        self._wake.set()
        return future

    def _written(self, future: asyncio.Future[None]) -> None:
        if future.cancelled():
            return
        err = future.exception()  # retrieved here, whoever else awaits it
        if isinstance(err, Fenced) and self.on_fenced is not None:
            self.on_fenced(getattr(err, "sid", None))

    @staticmethod
    def _args(w: SessionWrite) -> list[Any]:
        args: list[Any] = [w.fence or "", w.sid, f"{time.time():.3f}", "1" if w.create else "0",
                           "1" if w.full else "0", w.token_hash or "", w.header or "", w.meta or "", w.length,
                           w.sealed, w.chunk_from, w.rows_from, CHUNK, len(w.chunks), len(w.rows),
                           len(w.branches_put), len(w.branches_del), w.lease_ms]
        args += w.chunks
        args += w.rows
        for bid, fork_at, blob in w.branches_put:
            args += [bid, struct.pack(">q", fork_at) + blob]
        args += w.branches_del
        return args

    async def _write_forever(self) -> None:
        assert self._wake is not None
        delay = 0.05
        while True:
            if not self._queue:
                self._wake.clear()
                await self._wake.wait()
                continue
            batch = self._queue[:64]
            try:
                sha = await self._script(WRITE_LUA)
                pipe = self.redis.pipeline(transaction=False)
                for w, _ in batch:
                    pipe.evalsha(sha, 6, *session_keys(w.sid), *self._args(w))
                results = await pipe.execute(raise_on_error=False)
            except (RedisConnectionError, RedisTimeoutError, OSError) as err:
                log.warning("the Redis store is unreachable (%s); %d writes wait, retrying in %.1f s", err,
                            len(self._queue), delay)
                await asyncio.sleep(delay)
                delay = min(2.0, delay * 2)
                continue
            delay = 0.05
            if any(isinstance(r, NoScriptError) for r in results):
                self._sha.clear()
                continue  # the same batch again, with the script loaded
            del self._queue[:len(batch)]
            for (w, future), result in zip(batch, results, strict=True):
                if future.done():
                    continue
                if isinstance(result, ResponseError):
                    err = _error(result)
                    err.sid = w.sid  # type: ignore[attr-defined]
                    future.set_exception(err)
                elif isinstance(result, Exception):
                    future.set_exception(result)
                else:
                    future.set_result(None)

    async def flush(self) -> None:
        """Wait until every write queued so far is applied (or refused)."""
        pending = [f for _, f in self._queue]
        for f in pending:
            with contextlib.suppress(Exception):
                await f

    # --- reading ----------------------------------------------------------------------

    async def load(self, sid: str) -> SessionRecord | None:
        s, c, r, b = session_keys(sid)[:4]
        pipe = self.redis.pipeline(transaction=True)
        pipe.hgetall(s)
        pipe.hgetall(c)
        pipe.hgetall(r)
        pipe.hgetall(b)
        head, chunks, rows, branches = await pipe.execute()
        if not head:
            return None
        branch_list = []
        for bid, data in branches.items():
            (fork_at,) = struct.unpack(">q", data[:8])
            branch_list.append((int(bid), fork_at, bytes(data[8:])))
        record = SessionRecord(
            sid=sid, token_hash=head[b"token_hash"].decode(), header=_json(head[b"header"]),
            meta=_json(head.get(b"meta", b"{}")), length=int(head[b"length"]),
            chunks=[bytes(chunks[k]) for k in sorted(chunks, key=int)],
            rows=[rows[k].decode() for k in sorted(rows, key=int)],
            branches=sorted(branch_list), created=float(head.get(b"created", 0)),
            touched=float(head.get(b"touched", 0)),
        )
        record.check()
        return record

    async def exists(self, sid: str) -> bool:
        return bool(await self.redis.exists(session_keys(sid)[0]))

    async def delete(self, sid: str, fence: str | None = None) -> None:
        try:
            await self.run_script(DELETE_LUA, session_keys(sid), [fence or "", sid])
        except ResponseError as err:
            raise _error(err) from err

    async def purge(self, older_than: float, max_sessions: int, keep: set[str]) -> list[str]:
        touched = f"{PREFIX}touched"
        old = [m.decode() for m in await self.redis.zrangebyscore(touched, "-inf", older_than)]
        excess = await self.redis.zcard(touched) - len(old) - max_sessions
        if excess > 0:
            old += [m.decode() for m in await self.redis.zrange(touched, len(old), len(old) + excess - 1)]
        gone = []
        for sid in old:
            if sid in keep or await self.redis.exists(session_keys(sid)[4]):
                continue  # in memory here, or leased by another process
            await self.delete(sid)
            gone.append(sid)
        return gone

    async def count(self) -> int:
        return int(await self.redis.zcard(f"{PREFIX}touched"))

    # --- links ------------------------------------------------------------------------

    async def put_link(self, link_id: str, text: str, max_links: int) -> None:
        links, times = f"{PREFIX}links", f"{PREFIX}links:t"
        pipe = self.redis.pipeline(transaction=True)
        pipe.hset(links, link_id, text)
        pipe.zadd(times, {link_id: time.time()})
        pipe.zcard(times)
        *_, count = await pipe.execute()
        if count > max_links:
            for member, _score in await self.redis.zpopmin(times, count - max_links):
                await self.redis.hdel(links, member)

    async def get_link(self, link_id: str) -> str | None:
        text = await self.redis.hget(f"{PREFIX}links", link_id)
        return text.decode() if text is not None else None

    async def close(self) -> None:
        await self.flush()
        if self._writer is not None:
            self._writer.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._writer
            self._writer = None
        await self.redis.aclose()


def _json(raw: bytes) -> Any:
    return json.loads(raw)
