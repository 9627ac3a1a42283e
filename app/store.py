"""The durable store: sessions and stored links, kept across restarts.

Two implementations of one small interface:

* `SQLiteStore` (the default): one file, WAL, one writer (the event loop's
  thread).  A write is committed before `write` returns, so a result sent
  after it reports something already on disk.
* `RedisStore` (app/redis_store.py, `--redis`): shared by several server
  processes; writes are fenced by the session's lease (app/cluster.py).

What a session is, stored (see `SessionWrite` and `SessionRecord`):

* `header`: the scenario's header (format, title, preset, machine, hinting),
  JSON; with the steps it is a hinting-scenario/1 document.
* `steps`: the history.  Full runs of CHUNK steps are sealed chunks
  (zlib-compressed JSON arrays, chunk k = steps k*CHUNK ..); the steps after
  the last sealed chunk are rows of one step each, so appending a step
  writes one small row.
* `meta`: JSON: cursor, clock, workload, the presenter's view, who has
  connected... (app/journal.py builds it).
* `branches`: each kept branch as zlib-compressed JSON {steps, results}.
* the control token as its SHA-256 only: the store never holds the token.

A writer sends only what changed since its last write (app/journal.py).
"""

from __future__ import annotations

import json
import logging
import sqlite3
import threading
import time
from collections.abc import Awaitable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .packed import CHUNK, unpack_json

log = logging.getLogger("hinting_lab.store")
SCHEMA_VERSION = 1


class IdTaken(Exception):
    """A new session's id is already in the store: pick another."""


class Fenced(Exception):
    """This process no longer holds the session's lease: it may not write it."""


@dataclass
class SessionWrite:
    """What changed in one session since the store last heard of it.

    Steps: stored chunks >= chunk_from are replaced by `chunks`; stored rows
    >= rows_from are replaced by `rows` (steps rows_from ..); rows below
    sealed * CHUNK are dropped (they are in chunks now).  After the write
    the history has `length` steps, `sealed` of its chunks sealed.
    """

    sid: str
    length: int
    sealed: int
    chunk_from: int = 0
    chunks: list[bytes] = field(default_factory=list)
    rows_from: int = 0
    rows: list[str] = field(default_factory=list)
    create: bool = False  # a new session: refused (IdTaken) if the id exists
    full: bool = False  # everything stored for the session is replaced (a new session, a reset)
    token_hash: str | None = None
    header: str | None = None
    meta: str | None = None
    branches_put: list[tuple[int, int, bytes]] = field(default_factory=list)
    branches_del: list[int] = field(default_factory=list)
    fence: str | None = None  # the lease this write is made under (Redis)
    lease_ms: int = 0  # a new session's lease, taken with its first write (Redis)
    urgent: bool = False  # a user waits for it (a result is held until it is durable)


@dataclass
class SessionRecord:
    """A stored session, as loaded."""

    sid: str
    token_hash: str
    header: dict[str, Any]
    meta: dict[str, Any]
    length: int
    chunks: list[bytes]
    rows: list[str]
    branches: list[tuple[int, int, bytes]]
    created: float
    touched: float

    def steps(self) -> Iterator[dict[str, Any]]:
        """The history, oldest first."""
        for block in self.blocks():
            yield from block

    def blocks(self) -> Iterator[list[dict[str, Any]]]:
        """The history a chunk at a time (then the rows after the last chunk)."""
        for blob in self.chunks:
            yield unpack_json(blob)
        if self.rows:
            yield [json.loads(row) for row in self.rows]

    def check(self) -> None:
        """Refuse a record whose parts do not add up (a store written by a bug, or edited)."""
        if len(self.chunks) * CHUNK + len(self.rows) != self.length:
            raise ValueError(f"session {self.sid}: {len(self.chunks)} chunks and {len(self.rows)} rows do not make "
                             f"{self.length} steps")


class Store:
    """The interface both stores implement."""

    kind = "none"
    where = ""

    def write(self, w: SessionWrite) -> Awaitable[None] | None:
        """Apply one session's changes.  None: done and durable; else await it."""
        raise NotImplementedError

    async def load(self, sid: str) -> SessionRecord | None:
        raise NotImplementedError

    async def delete(self, sid: str, fence: str | None = None) -> None:
        raise NotImplementedError

    async def exists(self, sid: str) -> bool:
        raise NotImplementedError

    async def put_link(self, link_id: str, text: str, max_links: int) -> None:
        raise NotImplementedError

    async def get_link(self, link_id: str) -> str | None:
        raise NotImplementedError

    async def purge(self, older_than: float, max_sessions: int, keep: set[str]) -> list[str]:
        """Delete sessions not touched since `older_than` (wall clock), and the oldest past `max_sessions`,
        except those in `keep` (in memory)."""
        raise NotImplementedError

    async def count(self) -> int:
        raise NotImplementedError

    async def close(self) -> None:
        return None


_SCHEMA = """
CREATE TABLE IF NOT EXISTS sessions (
    id TEXT PRIMARY KEY,
    token_hash TEXT NOT NULL,
    created REAL NOT NULL,
    touched REAL NOT NULL,
    header TEXT NOT NULL,
    meta TEXT NOT NULL,
    length INTEGER NOT NULL,
    sealed INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS sessions_touched ON sessions (touched);
CREATE TABLE IF NOT EXISTS chunks (
    sid TEXT NOT NULL, k INTEGER NOT NULL, data BLOB NOT NULL, PRIMARY KEY (sid, k)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS steps (
    sid TEXT NOT NULL, i INTEGER NOT NULL, step TEXT NOT NULL, PRIMARY KEY (sid, i)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS branches (
    sid TEXT NOT NULL, id INTEGER NOT NULL, fork_at INTEGER NOT NULL, data BLOB NOT NULL, PRIMARY KEY (sid, id)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS links (
    id TEXT PRIMARY KEY, body TEXT NOT NULL, created REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS links_created ON links (created);
"""


class SQLiteStore(Store):
    """One SQLite file (or `:memory:`), WAL, synchronous=NORMAL: a killed process loses nothing committed.

    All access goes through one connection under a lock: the event loop
    writes, and a worker thread may read (a large restore).
    """

    kind = "sqlite"

    def __init__(self, path: str) -> None:
        self.where = path
        if path != ":memory:":
            Path(path).expanduser().parent.mkdir(parents=True, exist_ok=True)
            path = str(Path(path).expanduser())
        self.db = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
        self.lock = threading.Lock()
        db = self.db
        db.execute("PRAGMA journal_mode=WAL")
        db.execute("PRAGMA synchronous=NORMAL")
        db.execute("PRAGMA foreign_keys=OFF")
        version = db.execute("PRAGMA user_version").fetchone()[0]
        if version > SCHEMA_VERSION:
            raise SystemExit(f"{path}: written by a newer Hinting Lab (schema {version}; this one knows "
                             f"{SCHEMA_VERSION}); use another --db or a newer version")
        db.executescript(_SCHEMA)
        db.execute(f"PRAGMA user_version={SCHEMA_VERSION}")

    # --- sessions ---------------------------------------------------------------------

    def write(self, w: SessionWrite) -> None:
        with self.lock:
            db = self.db
            db.execute("BEGIN IMMEDIATE")
            try:
                self._write(db, w)
            except BaseException:
                db.execute("ROLLBACK")
                raise
            db.execute("COMMIT")

    def write_many(self, writes: list[SessionWrite]) -> None:
        """Several sessions' changes in one transaction (the batched clock and workload steps)."""
        if not writes:
            return
        with self.lock:
            db = self.db
            db.execute("BEGIN IMMEDIATE")
            try:
                for w in writes:
                    self._write(db, w)
            except BaseException:
                db.execute("ROLLBACK")
                raise
            db.execute("COMMIT")

    def _write(self, db: sqlite3.Connection, w: SessionWrite) -> None:
        now = time.time()
        sid = w.sid
        if w.create or w.full:
            if w.create and db.execute("SELECT 1 FROM sessions WHERE id = ?", (sid,)).fetchone():
                raise IdTaken(sid)
            for table in ("chunks", "steps", "branches"):
                db.execute(f"DELETE FROM {table} WHERE sid = ?", (sid,))
            assert w.token_hash is not None and w.header is not None and w.meta is not None
            db.execute(
                "INSERT INTO sessions (id, token_hash, created, touched, header, meta, length, sealed) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (id) DO UPDATE SET token_hash = excluded.token_hash, "
                "touched = excluded.touched, header = excluded.header, meta = excluded.meta, "
                "length = excluded.length, sealed = excluded.sealed",
                (sid, w.token_hash, now, now, w.header, w.meta, w.length, w.sealed))
        else:
            sets = ["touched = ?", "length = ?", "sealed = ?"]
            args: list[Any] = [now, w.length, w.sealed]
            if w.header is not None:
                sets.append("header = ?")
                args.append(w.header)
            if w.meta is not None:
                sets.append("meta = ?")
                args.append(w.meta)
            cur = db.execute(f"UPDATE sessions SET {', '.join(sets)} WHERE id = ?", (*args, sid))
            if cur.rowcount == 0:
                raise Fenced(f"session {sid} is no longer in the store")
            db.execute("DELETE FROM chunks WHERE sid = ? AND k >= ?", (sid, w.chunk_from))
            db.execute("DELETE FROM steps WHERE sid = ? AND (i >= ? OR i < ?)", (sid, w.rows_from, w.sealed * CHUNK))
        if w.chunks:
            db.executemany("INSERT INTO chunks (sid, k, data) VALUES (?, ?, ?)",
                           [(sid, w.chunk_from + j, blob) for j, blob in enumerate(w.chunks)])
        if w.rows:
            db.executemany("INSERT INTO steps (sid, i, step) VALUES (?, ?, ?)",
                           [(sid, w.rows_from + j, row) for j, row in enumerate(w.rows)])
        for bid in w.branches_del:
            db.execute("DELETE FROM branches WHERE sid = ? AND id = ?", (sid, bid))
        if w.branches_put:
            db.executemany("INSERT OR REPLACE INTO branches (sid, id, fork_at, data) VALUES (?, ?, ?, ?)",
                           [(sid, bid, fork_at, blob) for bid, fork_at, blob in w.branches_put])

    def load_now(self, sid: str) -> SessionRecord | None:
        with self.lock:
            db = self.db
            db.execute("BEGIN")
            try:
                row = db.execute("SELECT token_hash, header, meta, length, created, touched FROM sessions "
                                 "WHERE id = ?", (sid,)).fetchone()
                if row is None:
                    return None
                chunks = [r[0] for r in db.execute("SELECT data FROM chunks WHERE sid = ? ORDER BY k", (sid,))]
                rows = [r[0] for r in db.execute("SELECT step FROM steps WHERE sid = ? ORDER BY i", (sid,))]
                branches = [(r[0], r[1], r[2]) for r in
                            db.execute("SELECT id, fork_at, data FROM branches WHERE sid = ? ORDER BY id", (sid,))]
            finally:
                db.execute("COMMIT")
        record = SessionRecord(sid, row[0], json.loads(row[1]), json.loads(row[2]), row[3], chunks, rows, branches,
                               row[4], row[5])
        record.check()
        return record

    async def load(self, sid: str) -> SessionRecord | None:
        return self.load_now(sid)

    async def delete(self, sid: str, fence: str | None = None) -> None:
        self.delete_now(sid)

    def delete_now(self, sid: str) -> None:
        with self.lock:
            db = self.db
            db.execute("BEGIN IMMEDIATE")
            for table, key in (("sessions", "id"), ("chunks", "sid"), ("steps", "sid"), ("branches", "sid")):
                db.execute(f"DELETE FROM {table} WHERE {key} = ?", (sid,))
            db.execute("COMMIT")

    async def exists(self, sid: str) -> bool:
        with self.lock:
            return self.db.execute("SELECT 1 FROM sessions WHERE id = ?", (sid,)).fetchone() is not None

    async def purge(self, older_than: float, max_sessions: int, keep: set[str]) -> list[str]:
        with self.lock:
            db = self.db
            old = [r[0] for r in db.execute("SELECT id FROM sessions WHERE touched < ?", (older_than,))]
            total = db.execute("SELECT COUNT(*) FROM sessions").fetchone()[0] - len(old)
            if total > max_sessions:
                old += [r[0] for r in db.execute("SELECT id FROM sessions WHERE touched >= ? ORDER BY touched "
                                                 "LIMIT ?", (older_than, total - max_sessions))]
        old = [sid for sid in old if sid not in keep]
        for sid in old:
            self.delete_now(sid)
        return old

    async def count(self) -> int:
        with self.lock:
            return int(self.db.execute("SELECT COUNT(*) FROM sessions").fetchone()[0])

    # --- links ------------------------------------------------------------------------

    async def put_link(self, link_id: str, text: str, max_links: int) -> None:
        with self.lock:
            db = self.db
            db.execute("BEGIN IMMEDIATE")
            db.execute("INSERT INTO links (id, body, created) VALUES (?, ?, ?) ON CONFLICT (id) DO UPDATE SET "
                       "created = excluded.created", (link_id, text, time.time()))
            count = db.execute("SELECT COUNT(*) FROM links").fetchone()[0]
            if count > max_links:
                db.execute("DELETE FROM links WHERE id IN (SELECT id FROM links ORDER BY created LIMIT ?)",
                           (count - max_links,))
            db.execute("COMMIT")

    async def get_link(self, link_id: str) -> str | None:
        with self.lock:
            row = self.db.execute("SELECT body FROM links WHERE id = ?", (link_id,)).fetchone()
        return row[0] if row else None

    async def close(self) -> None:
        """Fold the WAL into the database file (the connection stays usable: an app may be started again)."""
        with self.lock:
            self.db.execute("PRAGMA wal_checkpoint(TRUNCATE)")


def default_db_path() -> Path:
    """Where sessions live unless --db says otherwise: $XDG_DATA_HOME/hinting-lab/lab.db."""
    import os

    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "hinting-lab" / "lab.db"
