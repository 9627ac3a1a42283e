"""GET /api/sessions/{id}/page/{pfn} and /api/sessions/{id}/pages: struct page and what tools make of it.

The page view (core/page_repr.py, docs/page-representation.md) of one pfn of
the session's machine at its current position, under one encoding of the
design's mark, and the per-zone totals.  Anyone who may watch the session
may ask, as for its state (the session id is the right to read).  Both run
on the event loop, where all of a session's work runs, so a view never sees
a step half done; each costs O(max_order) (a page's block is found by
walking up its aligned heads, the totals from counts the zones keep).
Errors name the field: `encoding` (unknown), `pfn` (not an integer, or
outside the machine), `id` (no such session), `side` (not left or right, or
right outside compare mode).  In compare mode (core/pair.py) `side=right`
reads the right machine (free page reporting); `left`, the default, the
session's own (the seed).
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI

from core.page_repr import page_view, pages_view

from .http_errors import error_response
from .sessions import SessionManager


def register(app: FastAPI) -> None:
    manager: SessionManager = app.state.manager

    def no_session(sid: str) -> Any:
        return error_response(404, "no_session", f"there is no session {sid[:40]!r} here (it may have expired)", "id")

    @app.get("/api/sessions/{sid}/page/{pfn}")
    async def session_page(sid: str, pfn: int, encoding: str | None = None, side: str | None = None) -> Any:
        """One page under `encoding` (offline-alias, dirty-unhinted, uptodate-reported; default: the
        design's own): its struct page fields, PageBuddy/PageOffline, /proc/kpageflags, makedumpfile's
        verdict and whether crash/drgn list walkers see it (a hinting-page/1 document)."""
        session = manager.get(sid)
        if session is None:
            return no_session(sid)
        machine, why = session.side_machine(side)
        return why or page_view(machine, pfn, encoding)  # InvalidInput: 422 naming the field

    @app.get("/api/sessions/{sid}/pages")
    async def session_pages(sid: str, encoding: str | None = None, side: str | None = None) -> Any:
        """Every zone's totals under `encoding`: free pages makedumpfile excludes or writes out, free pages
        reading as PageOffline, page flag writes so far, /proc/kpageflags by bit combination (hinting-pages/1)."""
        session = manager.get(sid)
        if session is None:
            return no_session(sid)
        machine, why = session.side_machine(side)
        return why or pages_view(machine, encoding)
