"""Sessions kept in the durable store: written as they change, loaded on first access, unloaded to fit memory.

`DurableSessions` is the SessionManager the app runs (app/main.py).  What it
adds to app/sessions.py, and when a change is durable:

* a new session is written before POST /api/sessions answers;
* a user's request is written at the end of the request (Session.settle
  calls `after_request`), before its result can be sent: with SQLite the
  commit happens right there, on the loop; with Redis the connection's
  writer waits for it (`saved`);
* steps made by the running clock or workload are written every 50 ms, all
  running sessions in one transaction (at most ~100 ms of them at risk);
* a session is unloaded from memory (written first) when it has been idle
  for idle_expiry_s, or when memory is needed (see below); the next access
  to its id loads it again (`find`): same id, token, step, branches, view.

Memory: the server keeps the sessions in memory within `memory_budget_mb`
(estimated by app/budget.py) and `max_sessions`.  To load or create one past
either, the least recently used sessions nobody watches and nothing runs in
are unloaded (logged: they stay in the store).  If every session in memory
is watched or running, the new one is refused with `memory_budget`.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
import time
from collections.abc import Awaitable
from typing import Any

from .budget import machine_bytes, mib, session_bytes
from .errors import LimitError
from .gcpolicy import CollectorPolicy
from .journal import Journal
from .restore import journal_for, restore_session
from .sessions import Session, SessionManager
from .settings import Settings
from .store import Fenced, IdTaken, SessionRecord, SessionWrite, SQLiteStore, Store, default_db_path

log = logging.getLogger("hinting_lab.store")
SID = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
FLUSH_EVERY_S = 0.05
BIG_RESTORE = 20_000  # steps: restored in a worker thread, not on the loop
PURGE_EVERY_S = 3600.0
FIRST_WRITE = "_store_first_write"  # a new session's first write, prepared with it (new_session)


def open_sessions(settings: Settings) -> DurableSessions:
    """The session manager for these settings: SQLite, or Redis shared with other processes (app/cluster.py)."""
    if settings.redis:
        from .cluster import ClusterSessions

        return ClusterSessions(settings)
    return DurableSessions(settings, SQLiteStore(settings.db or str(default_db_path())))


class DurableSessions(SessionManager):
    def __init__(self, settings: Settings, store: Store) -> None:
        super().__init__(settings)
        self.store = store
        self.journals: dict[Session, Journal] = {}
        self.budget = settings.memory_budget_mb << 20
        self.evicted = 0
        self.loaded = 0
        self.unloadable = 0
        self._loading: dict[str, asyncio.Future[Session | None]] = {}
        self._pending: dict[Session, Awaitable[None]] = {}
        self._was_running: set[Session] = set()
        self._tasks: list[asyncio.Task[None]] = []
        self._last_full_warning = 0.0
        self.collector = CollectorPolicy(settings.gc_full_pass_s)
        self._machines: dict[Session, set[int]] = {}
        self.asgi_app: Any = None  # the whole app (app/loader.py sets it at start)

    # --- writing ------------------------------------------------------------------------

    def _attach(self, session: Session, journal: Journal) -> None:
        self.journals[session] = journal
        session.after_request = self._after_request

    def _after_request(self, session: Session) -> None:
        self.sync(session, urgent=True)
        self._note_machines(session)

    def sync(self, session: Session, urgent: bool = False) -> None:
        """Write what changed in `session` now (a user waits for it when `urgent`)."""
        write = self._changes(session)
        if write is not None:
            write.urgent = urgent
            self._issue(session, [write])

    def _changes(self, session: Session) -> SessionWrite | None:
        journal = self.journals.get(session)
        if journal is None:
            return None
        try:
            write = journal.changes(session)
        except Exception:
            log.exception("session %s: could not prepare its write; everything is written next time", session.id)
            journal.forget()
            return None
        if write is not None:
            self._stamp(session, write)
        return write

    def _stamp(self, session: Session, write: SessionWrite) -> None:
        """Mark a write with what the store checks it against (app/cluster.py: the session's lease)."""

    def _issue(self, session: Session | None, writes: list[SessionWrite]) -> None:
        store = self.store
        try:
            if isinstance(store, SQLiteStore):
                store.write_many(writes)
                return
            for w in writes:
                done = store.write(w)
                if done is not None and session is not None:
                    self._pending[session] = done
        except Exception:
            log.exception("writing %d session change(s) to the %s store failed; they are written again next time",
                          len(writes), store.kind)
            for w in writes:
                s = self.sessions.get(w.sid)
                if s is not None and s in self.journals:
                    self.journals[s].forget()

    async def saved(self, session: Session) -> None:
        """Returns once what `session` has written so far is durable (at once with SQLite)."""
        done = self._pending.get(session)
        if done is None:
            return
        try:
            await done
        except Fenced:
            log.info("session %s: a write was refused: another process runs the session now", session.id)
        except Exception:
            log.exception("session %s: a write to the store failed", session.id)
        if self._pending.get(session) is done:
            del self._pending[session]

    def _note_machines(self, session: Session) -> None:
        """Count machines the session dropped (thinned checkpoints, travel): the collector frees them."""
        tl = session.timeline
        now = {id(tl), id(session.machine), *map(id, tl.checkpoints.values())}
        before = self._machines.get(session)
        self._machines[session] = now
        if before is not None and self.collector.enabled:
            gone = len(before - now)
            if gone:
                self.collector.note_garbage(gone * machine_bytes(session.machine))

    def flush_running(self) -> None:
        """The clock's and the workload's steps since the last call, for every running session, in one write."""
        hot = [s for s in self.sessions.values() if s.running or s in self._was_running]
        self._was_running = {s for s in hot if s.running}
        writes = []
        for s in hot:
            self._note_machines(s)
            w = self._changes(s)
            if w is not None:
                writes.append(w)
        if writes:
            if isinstance(self.store, SQLiteStore):
                self._issue(None, writes)
            else:
                for w in writes:
                    s = self.sessions.get(w.sid)
                    self._issue(s, [w])

    async def _flush_forever(self) -> None:
        while True:
            await asyncio.sleep(FLUSH_EVERY_S)
            try:
                self.flush_running()
            except Exception:
                log.exception("flushing running sessions failed")

    # --- creating and loading ---------------------------------------------------------

    def new_session(self, scenario: Any, preset: str | None, address: str = "", deadline: Any = None) -> Session:
        """A session and its first write, both prepared where the replay runs (a worker thread for a large
        scenario: packing a long history for the store takes a while too)."""
        session = super().new_session(scenario, preset, address, deadline)
        journal = Journal()
        session.__dict__[FIRST_WRITE] = (journal, journal.changes(session, create=True))
        return session

    def register(self, session: Session) -> Session:
        journal, write = session.__dict__.pop(FIRST_WRITE, (Journal(), None))
        self.make_room(session.address, session_bytes(session))
        super().register(session)
        for _ in range(20):
            if write is None:
                write = journal.changes(session, create=True)
            assert write is not None
            write.sid = session.id  # it may have changed: ids are checked again here
            self._stamp(session, write)
            try:
                done = self.store.write(write)
            except IdTaken:
                # The id belongs to a stored session (not in memory): choose another.
                del self.sessions[session.id]
                session.id = _new_id()
                while session.id in self.sessions:
                    session.id = _new_id()
                self.sessions[session.id] = session
                journal, write = Journal(), None
                continue
            if done is not None:
                self._pending[session] = done
            break
        else:  # pragma: no cover - 20 collisions of 48-bit random ids
            raise LimitError("busy", "could not find a free session id; try again")
        self._attach(session, journal)
        return session

    async def find(self, sid: str) -> Session | None:
        session = self.sessions.get(sid)
        if session is not None:
            return session
        if not SID.match(sid):
            return None
        loading = self._loading.get(sid)
        if loading is not None:
            return await asyncio.shield(loading)
        future: asyncio.Future[Session | None] = asyncio.get_running_loop().create_future()
        self._loading[sid] = future
        try:
            session = await self._load(sid)
        except BaseException as err:
            future.set_exception(err)
            future.exception()  # retrieved: waiters re-raise it; nobody else must be told it was lost
            raise
        else:
            future.set_result(session)
        finally:
            del self._loading[sid]
        return session

    async def _load(self, sid: str) -> Session | None:
        record = await self._read(sid)
        return None if record is None else await self._adopt(record)

    async def _read(self, sid: str) -> SessionRecord | None:
        try:
            return await self.store.load(sid)
        except ValueError:  # the parts stored do not add up (SessionRecord.check), or not JSON
            log.exception("session %s is in the store but cannot be read; answered as unknown", sid)
            self.unloadable += 1
            return None

    async def _adopt(self, record: SessionRecord) -> Session | None:
        """The stored session in memory; None (and a log entry) if what is stored cannot be restored."""
        t0 = time.perf_counter()
        self.make_room("", 0)
        try:
            if record.length > BIG_RESTORE:
                session = await asyncio.to_thread(restore_session, record, self.settings)
            else:
                session = restore_session(record, self.settings)
        except Exception:
            # A store written by a bug, edited by hand, or by a newer model: answered as unknown (a page
            # that controlled it recreates it from the history it kept), never as a crash.
            log.exception("session %s is in the store but cannot be restored; answered as unknown", record.sid)
            self.unloadable += 1
            return None
        existing = self.sessions.get(record.sid)
        if existing is not None:  # loaded meanwhile by another path
            return existing
        self.make_room("", session_bytes(session))
        self.sessions[session.id] = session
        self._attach(session, journal_for(session, record))
        self.loaded += 1
        self.sync(session)  # touches it in the store
        if session.running:
            session.settle()
        log.info("session %s loaded from the store: %d steps in %.2f s", session.id, record.length,
                 time.perf_counter() - t0)
        return session

    # --- memory -------------------------------------------------------------------------

    def memory_in_use(self) -> int:
        return sum(session_bytes(s) for s in self.sessions.values())

    def _evictable(self) -> list[Session]:
        """Sessions someone used that nobody watches now and nothing runs in, least recently active first.

        A session nobody has opened yet stays: its creator is about to (the flood limits of
        app/sessions.py decide when such sessions are reclaimed).
        """
        return sorted((s for s in self.sessions.values() if s.used and not s.subscribers and not s.running and
                       s.id not in self._loading), key=lambda s: s.last_active)

    def make_room(self, address: str, need: int) -> None:
        """Unload idle sessions until one more (of `need` bytes) fits; refuse it if it cannot."""
        used = self.memory_in_use()
        victims = self._evictable()
        while victims and (len(self.sessions) >= self.settings.max_sessions or used + need > self.budget):
            victim = victims.pop(0)
            freed = session_bytes(victim)
            self.unload(victim, f"to make room (memory budget {mib(self.budget)}, in use {mib(used)}, "
                                f"{len(self.sessions)} sessions in memory)")
            used -= freed
        if used + need > self.budget:
            raise LimitError("memory_budget", f"this server's memory budget ({mib(self.budget)}) is taken by "
                             f"sessions being watched or running ({mib(used)} in use); try again later")

    def enforce_budget(self) -> None:
        """Unload idle sessions while memory is over budget; say so once a minute if that is not enough."""
        used = self.memory_in_use()
        if used <= self.budget:
            return
        for victim in self._evictable():
            if used <= self.budget:
                return
            used -= session_bytes(victim)
            self.unload(victim, f"memory over budget ({mib(used)} in use, budget {mib(self.budget)})")
        now = time.monotonic()
        if used > self.budget and now - self._last_full_warning > 60:
            self._last_full_warning = now
            log.warning("sessions being watched or running take %s, over the memory budget of %s; new sessions "
                        "are refused until some are left", mib(used), mib(self.budget))

    def unload(self, session: Session, why: str) -> None:
        """Take a session out of memory; the store keeps it and the next access loads it again."""
        log.info("session %s unloaded %s; it stays in the store and comes back when opened", session.id, why)
        self.evicted += 1
        self._drop(session)
        self.collector.soon()  # its machines are cycles: only a full collection frees them

    def _drop(self, session: Session) -> None:
        self.sync(session)
        self.journals.pop(session, None)
        self._machines.pop(session, None)
        self._was_running.discard(session)
        self._pending.pop(session, None)
        super()._drop(session)
        if not session.used:
            # Nobody ever opened it (reclaimed by the flood limits): not worth keeping.
            if isinstance(self.store, SQLiteStore):
                self.store.delete_now(session.id)
            else:
                self._spawn(self.store.delete(session.id))

    def _spawn(self, work: Awaitable[Any]) -> None:
        async def run() -> None:
            try:
                await work
            except Exception:
                log.exception("a store task failed")

        task = asyncio.get_running_loop().create_task(run())
        self._tasks.append(task)
        task.add_done_callback(lambda t: self._tasks.remove(t) if t in self._tasks else None)

    def check_room(self, address: str = "") -> None:
        if len(self.sessions) >= self.settings.max_sessions:
            # Unload idle sessions before the flood limits refuse anyone: they stay stored.
            self.make_room(address, 0)
        super().check_room(address)

    def report(self) -> dict[str, Any]:
        return {"store": self.store.kind, "where": self.store.where, "sessions_in_memory": len(self.sessions),
                "memory_in_use_mb": round(self.memory_in_use() / (1 << 20), 1),
                "memory_budget_mb": self.settings.memory_budget_mb, "unloaded": self.evicted, "loaded": self.loaded,
                "unrestorable": self.unloadable}

    # --- sessions run by another process (app/cluster.py) ----------------------------------------

    async def relay(self, ws: Any, sid: str, address: str) -> bool:
        """Serve a websocket for a session another process runs; False: no process runs it."""
        return False

    async def forward(self, scope: Any, receive: Any, send: Any, sid: str) -> bool:
        """Answer an HTTP request about a session another process runs; False: no process runs it."""
        return False

    # --- running --------------------------------------------------------------------------

    async def open(self) -> None:
        """Check the store can be reached (a clear message at start, not errors later)."""

    async def _budget_forever(self) -> None:
        next_purge = 0.0
        while True:
            await asyncio.sleep(1.0)
            try:
                self.enforce_budget()
                if time.monotonic() >= next_purge:
                    next_purge = time.monotonic() + PURGE_EVERY_S
                    gone = await self.store.purge(time.time() - self.settings.store_days * 86400,
                                                  self.settings.max_stored_sessions, set(self.sessions))
                    if gone:
                        log.info("deleted %d stored sessions nobody opened for %g days (or past %d stored)",
                                 len(gone), self.settings.store_days, self.settings.max_stored_sessions)
            except Exception:
                log.exception("the memory and store housekeeping failed")

    def start(self) -> None:
        super().start()
        self.collector.start()
        loop = asyncio.get_running_loop()
        self._tasks.append(loop.create_task(self._flush_forever()))
        self._tasks.append(loop.create_task(self._budget_forever()))

    async def stop(self) -> None:
        for s in list(self.sessions.values()):
            self.sync(s)
        for task in list(self._tasks):
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        for pending in list(self._pending.values()):
            with contextlib.suppress(Exception):
                await pending
        await super().stop()
        await self.store.close()
        await self.collector.stop()


def _new_id() -> str:
    import secrets

    return secrets.token_urlsafe(6)
