"""Stored links: the fallback for permalinks too long for a URL.

A permalink normally carries its scenario in the URL itself (compressed by
the dashboard) and needs nothing from any server.  A very long scenario is
stored here instead, under a content hash, and the link names the hash.
Links live in memory, and in `links_dir` when one is configured, so they
survive a restart.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
from collections import OrderedDict
from pathlib import Path
from typing import Any

from core import InvalidInput, parse_scenario

LINK_ID = re.compile(r"^[a-z2-7]{12}$")


class LinkStore:
    def __init__(self, directory: str, max_links: int, max_pages: int) -> None:
        self.max_links = max_links
        self.max_pages = max_pages
        self.memory: OrderedDict[str, str] = OrderedDict()
        self.directory: Path | None = None
        if directory:
            path = Path(directory).expanduser()
            path.mkdir(parents=True, exist_ok=True)
            self.directory = path

    def put(self, body: Any) -> str:
        """Check and store a link body {scenario, step?, view?}; returns its id."""
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
        self.memory[link_id] = text
        self.memory.move_to_end(link_id)
        while len(self.memory) > self.max_links:
            self.memory.popitem(last=False)
        if self.directory is not None:
            (self.directory / f"{link_id}.json").write_text(text, encoding="utf-8")
        return link_id

    def get(self, link_id: str) -> dict[str, Any] | None:
        if not LINK_ID.match(link_id):
            return None
        text = self.memory.get(link_id)
        if text is None and self.directory is not None:
            path = self.directory / f"{link_id}.json"
            if path.exists():
                text = path.read_text(encoding="utf-8")
        return json.loads(text) if text is not None else None
