"""Stored links: the fallback for permalinks too long for a URL.

A permalink normally carries its scenario in the URL itself (compressed by
the dashboard) and needs nothing from any server.  A very long scenario is
stored here instead, under a content hash, and the link names the hash.
Links live in the durable store with the sessions (app/store.py: SQLite by
default, Redis with --redis), so they survive restarts and are shared by
every process.  `--links-dir`, where older versions kept them as files, is
imported into the store at start.
"""

from __future__ import annotations

import base64
import hashlib
import json
import logging
import re
from pathlib import Path
from typing import Any

from core import InvalidInput, parse_scenario

from .store import Store

LINK_ID = re.compile(r"^[a-z2-7]{12}$")
log = logging.getLogger("hinting_lab.links")


class LinkStore:
    def __init__(self, store: Store, max_links: int, max_pages: int) -> None:
        self.store = store
        self.max_links = max_links
        self.max_pages = max_pages

    def check(self, body: Any) -> tuple[str, str]:
        """Check a link body {scenario, step?, view?}; returns (its id, the text to store)."""
        if not isinstance(body, dict):
            raise InvalidInput(f"the body must be a JSON object, not {type(body).__name__}", "body")
        unknown = set(body) - {"scenario", "step", "view"}
        if unknown:
            first = sorted(str(k) for k in unknown)[0][:100]
            raise InvalidInput(f"unknown field {first[:40]!r}; a link has scenario, step and view", first)
        try:
            scenario = parse_scenario(body.get("scenario"), max_pages=self.max_pages)
        except InvalidInput as err:
            err.field = "scenario" if err.field in (None, "scenario") else f"scenario.{err.field}"
            raise
        step = body.get("step", len(scenario.steps))
        if isinstance(step, bool) or not isinstance(step, int) or not 0 <= step <= len(scenario.steps):
            raise InvalidInput(f"must be a position in 0..{len(scenario.steps)}", "step")
        view = body.get("view")
        if view is not None and (not isinstance(view, dict) or len(json.dumps(view)) > 4096):
            raise InvalidInput("must be an object of at most 4096 bytes of JSON", "view")
        text = json.dumps({"scenario": body["scenario"], "step": step, "view": view}, sort_keys=True,
                          separators=(",", ":"))
        digest = hashlib.sha256(text.encode()).digest()
        link_id = base64.b32encode(digest).decode().lower()[:12]
        return link_id, text

    async def save(self, link_id: str, text: str) -> None:
        await self.store.put_link(link_id, text, self.max_links)

    async def get(self, link_id: str) -> dict[str, Any] | None:
        if not LINK_ID.match(link_id):
            return None
        text = await self.store.get_link(link_id)
        return json.loads(text) if text is not None else None

    async def import_dir(self, directory: str) -> int:
        """Links an older version kept as files in `directory`: into the store (the files are left alone)."""
        path = Path(directory).expanduser()
        if not path.is_dir():
            return 0
        count = 0
        for file in sorted(path.glob("*.json")):
            if not LINK_ID.match(file.stem):
                continue
            try:
                text = file.read_text(encoding="utf-8")
                json.loads(text)
            except (OSError, ValueError) as err:
                log.warning("stored link %s not imported: %s", file, err)
                continue
            if await self.store.get_link(file.stem) is None:
                await self.store.put_link(file.stem, text, self.max_links)
                count += 1
        log.warning("--links-dir %s: %d stored links imported into the %s store (%s); links are kept there now, "
                    "so --links-dir can be dropped", path, count, self.store.kind, self.store.where)
        return count
