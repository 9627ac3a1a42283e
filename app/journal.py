"""What of a session the store already has, and the write that brings it up to date.

One `Journal` per loaded session.  `changes()` compares the session with
what was last written and returns a `SessionWrite` holding only the
difference: new or rewritten steps (the packed history says from which
index it changed), the meta if any of it changed, branches added or gone.
Cheap when nothing changed (a tuple comparison), so it can run after every
request and every 50 ms for running sessions.
"""

from __future__ import annotations

import json
import zlib
from typing import TYPE_CHECKING, Any

from core.pair import given_hinting
from core.scenario import SCENARIO_FORMAT

from .packed import CHUNK, PackedList, pack_json
from .store import SessionWrite

if TYPE_CHECKING:
    from core.timeline import Branch

    from .sessions import Session

_ENCODE = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False).encode


def header_of(session: Session) -> dict[str, Any]:
    """The scenario's header: with the history's steps, a hinting-scenario/1 document."""
    doc: dict[str, Any] = {"format": SCENARIO_FORMAT}
    if session.title is not None:
        doc["title"] = session.title
    if session.preset:
        doc["preset"] = session.preset
    doc["machine"] = session.machine.machine_config.to_json()
    doc["hinting"] = session.machine.hinting_config.to_json()
    if session.compare:  # seed and reporting in lockstep (core/pair.py): restored as a pair
        doc["hinting"] = given_hinting(session.scenario)  # as given: each side fills in its own defaults
        doc["compare"] = True
    return doc


def meta_of(session: Session, next_branch: int) -> dict[str, Any]:
    wl = session.workload_params
    return {
        "cursor": session.timeline.cursor,
        "floor": getattr(session.timeline, "floor", 0),  # undo never goes below (the scenario's own steps)
        "clock": {"running": session.clock_running, "speed": session.speed},
        "workload": {
            "running": session.workload is not None,
            "params": wl.model_dump(mode="json", exclude={"id", "v", "type", "action"}) if wl else None,
            "steps": session.workload_steps,
        },
        "view": session.view,
        "view_by": session.view_by,
        "used": session.used,
        "next_branch": next_branch,
    }


def _meta_key(session: Session) -> tuple[Any, ...]:
    """Everything meta_of reads, by identity where it is a value object: compared after every request."""
    tl = session.timeline
    return (tl.cursor, getattr(tl, "floor", 0), session.clock_running, session.speed, session.workload is not None,
            id(session.workload_params), session.workload_steps, id(session.view), session.view_by, session.used,
            tuple(id(b) for b in tl.branches))


def branch_blob(branch: Branch) -> bytes:
    return zlib.compress(_ENCODE({"steps": list(branch.steps), "results": list(branch.results)}).encode(), 6)


def compact_branches(session: Session) -> None:
    """A long branch is a slice of the history as a plain list: pack it like the history."""
    for b in session.timeline.branches:
        if type(b.steps) is list and len(b.steps) > CHUNK:
            b.steps = PackedList(b.steps)  # type: ignore[assignment]
            b.results = PackedList(b.results)  # type: ignore[assignment]


class Journal:
    def __init__(self) -> None:
        self.history: PackedList | None = None  # the history object last written (a reset makes a new one)
        self.length = 0
        self.sealed = 0
        self.key: tuple[Any, ...] | None = None
        self.meta_text = ""
        self.branches: dict[int, Branch] = {}
        self.next_branch = 1
        self.stored = False  # the session exists in the store

    def forget(self) -> None:
        """A write failed: write everything next time."""
        self.history = None
        self.key = None

    def changes(self, session: Session, create: bool = False) -> SessionWrite | None:
        """The write that makes the store hold `session` as it is now; None if it already does."""
        tl = session.timeline
        hist = tl.history
        assert isinstance(hist, PackedList), "sessions keep their history packed"
        full = hist is not self.history
        low = hist.take_changed_from()
        n = len(hist)
        key = _meta_key(session)
        if not full and low is None and n == self.length and key == self.key:
            return None
        compact_branches(session)
        ids = [b.id for b in tl.branches]
        if ids:
            self.next_branch = max(self.next_branch, max(ids) + 1)
        meta = None
        if full or key != self.key:
            text = _ENCODE(meta_of(session, self.next_branch))
            if full or text != self.meta_text:
                meta = text
            self.meta_text = text
            self.key = key
        new_sealed = n // CHUNK
        if full:
            start = chunk_from = 0
        else:
            start = min(self.length if low is None else low, self.length)
            if start < self.sealed * CHUNK:
                start = start // CHUNK * CHUNK
            chunk_from = min(self.sealed, start // CHUNK)
        chunks = [pack_json(hist[k * CHUNK:(k + 1) * CHUNK]) for k in range(chunk_from, new_sealed)]
        rows_from = max(start, new_sealed * CHUNK)
        rows = [_ENCODE(step) for step in hist[rows_from:n]]
        current = {b.id: b for b in tl.branches}
        previous = {} if full else self.branches
        put = [(b.id, b.fork_at, branch_blob(b)) for bid, b in current.items() if previous.get(bid) is not b]
        gone = [bid for bid in previous if bid not in current]
        write = SessionWrite(
            sid=session.id, length=n, sealed=new_sealed, chunk_from=chunk_from, chunks=chunks, rows_from=rows_from,
            rows=rows, create=create, full=full, token_hash=session.token_hash if full else None,
            header=_ENCODE(header_of(session)) if full else None, meta=meta, branches_put=put, branches_del=gone,
        )
        self.history = hist
        self.length = n
        self.sealed = new_sealed
        self.branches = current
        self.stored = True
        return write
