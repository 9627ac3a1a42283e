"""GET /api/presets/{name}/claim: a review tour's claim and predictions, computed by the model under both designs.

The tour player shows these figures beside the narrative (the seed's and
reporting's value of each figure the claim rests on, and whether it holds),
so a claim on screen is the model's result, not the tour's prose.  The same
computation is what tests/core/test_review_tours.py asserts (core/claims.py).
Presets do not change while the server runs: each is computed once.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from fastapi import FastAPI

from core.claims import evaluate

from .http_errors import error_response
from .presets import get_preset


@lru_cache(maxsize=16)
def _claim(name: str) -> dict[str, Any]:
    preset = get_preset(name)
    assert preset is not None
    return evaluate(preset.document)


def register(app: FastAPI) -> None:
    @app.get("/api/presets/{name}/claim")
    def preset_claim(name: str) -> Any:
        preset = get_preset(name)
        if preset is None:
            return error_response(404, "no_preset", f"unknown preset {name[:40]!r}", "name")
        if "claim" not in preset.document:
            return error_response(404, "no_claim", f"{name[:40]!r} makes no claim: only review tours do", "name")
        return {"name": name, **_claim(name)}
