"""GET /api/seed: lines of the seed patch, when the server was given it (`--seed-file PATH`).

The project does not ship the patch text; the event log cites it by line
(`seed L2308–2354`), and with the file at hand a click shows those lines.
Without it the answer says where the patch can be found.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Any

from fastapi import FastAPI
from fastapi.responses import JSONResponse

from .settings import Settings

MAX_LINES = 400
WHERE = ("This server was not given the seed patch. Start it with --seed-file PATH (or HINTING_LAB_SEED_FILE): "
         "the file is \"[v2,4/5] mm: Introduce Hinted pages\" by Alexander Duyck (July 2019) with its review "
         "thread, as saved from the linux-mm list archive (lore.kernel.org); line numbers refer to that file.")


@lru_cache(maxsize=4)
def _lines(path: str, mtime: float) -> list[str]:
    return Path(path).read_text(encoding="utf-8", errors="replace").splitlines()


def _error(status: int, code: str, message: str, field: str | None) -> JSONResponse:
    return JSONResponse({"error": {"code": code, "message": message, "field": field}}, status_code=status)


def register(app: FastAPI) -> None:
    settings: Settings = app.state.settings

    @app.get("/api/seed")
    def seed_lines(start: int = 1, stop: int | None = None) -> Any:
        """Lines start..stop (1-based, inclusive) of the seed file, at most MAX_LINES."""
        path = settings.seed_file
        if not path:
            return _error(404, "no_seed_file", WHERE, None)
        try:
            lines = _lines(path, Path(path).stat().st_mtime)
        except OSError as err:
            return _error(404, "no_seed_file", f"the seed file {path} cannot be read ({err.strerror}). {WHERE}", None)
        stop = start if stop is None else stop
        if not 1 <= start <= len(lines):
            return _error(422, "invalid", f"must be in 1..{len(lines)} (the file's lines)", "start")
        if not start <= stop:
            return _error(422, "invalid", f"must be >= start ({start})", "stop")
        if stop - start + 1 > MAX_LINES:
            return _error(422, "too_large", f"at most {MAX_LINES} lines at once", "stop")
        stop = min(stop, len(lines))
        return {"name": Path(path).name, "total": len(lines), "start": start, "stop": stop,
                "lines": lines[start - 1:stop]}
