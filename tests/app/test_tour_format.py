"""Bad teaching fields in a tour are refused, and the error names the field at fault (app/tour_format.py)."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest
from fastapi.testclient import TestClient

from app.presets import PRESET_DIR, check_tour
from core.errors import InvalidInput

BASE = json.loads((PRESET_DIR / "tour-review-6-nr-free-pages.json").read_text(encoding="utf-8"))
ASK = next(i for i, s in enumerate(BASE["steps"]) if "choices" in s.get("predict", {}))
SETUP = 0


def with_change(path: list[Any], value: Any) -> dict[str, Any]:
    doc = copy.deepcopy(BASE)
    target: Any = doc
    for key in path[:-1]:
        target = target[key]
    if value is KeyError:
        del target[path[-1]]
    else:
        target[path[-1]] = value
    return doc


P = ["steps", ASK, "predict"]
BAD = [
    ([*P, "answer"], 3, f"steps[{ASK}].predict.answer"),
    ([*P, "answer"], True, f"steps[{ASK}].predict.answer"),
    ([*P, "choices"], ["only one"], f"steps[{ASK}].predict.choices"),
    ([*P, "choices"], ["same", "same", "other"], f"steps[{ASK}].predict.choices"),
    ([*P, "choices", 1], "", f"steps[{ASK}].predict.choices[1]"),
    ([*P, "question"], "  ", f"steps[{ASK}].predict.question"),
    ([*P, "reveal"], KeyError, f"steps[{ASK}].predict.reveal"),
    ([*P, "check", "figure"], "nope", f"steps[{ASK}].predict.check.figure"),
    ([*P, "check", "when"], ["seed == 1"], f"steps[{ASK}].predict.check.when"),
    ([*P, "check", "when", 0], "seed ~ 1", f"steps[{ASK}].predict.check.when[0]"),
    (P, {"hello": 1}, f"steps[{ASK}].predict"),
    (["steps", SETUP, "predict"], {"question": "q", "choices": ["a", "b"], "answer": 0, "reveal": "r"},
     f"steps[{SETUP}].predict"),
    (["claim", "says"], "", "claim.says"),
    (["claim", "checks"], [], "claim.checks"),
    (["claim", "checks", 0, "at"], 99, "claim.checks[0].at"),
    (["claim", "checks", 0, "holds", 0], "1 == 1", "claim.checks[0].holds[0]"),
    (["claim", "checks", 0, "figure"], "entries", "claim.checks[0].figure"),
    (["compare"], "yes", "compare"),
]


@pytest.mark.parametrize(("path", "value", "field"), BAD, ids=[b[2] + "=" + repr(b[1])[:20] for b in BAD])
def test_bad_teaching_field_names_the_field(path: list[Any], value: Any, field: str) -> None:
    with pytest.raises(InvalidInput) as err:
        check_tour(with_change(path, value), "tour-x.json")
    assert err.value.field == field, str(err.value)
    assert "tour-x.json" in err.value.message


def test_the_shipped_tour_is_valid() -> None:
    check_tour(copy.deepcopy(BASE))


def test_a_boundary_prediction_is_still_a_prediction() -> None:
    doc = with_change(P, {"prompt": "where?", "boundary": {"order": 2, "migratetype": "Movable", "zone": "Normal"}})
    check_tour(doc)
    bad = with_change(P, {"prompt": "where?", "boundary": {"order": 2, "migratetype": "Movable", "zone": "DMA"}})
    with pytest.raises(InvalidInput) as err:
        check_tour(bad)
    assert err.value.field == f"steps[{ASK}].predict.boundary.zone"


def test_the_claim_api_computes_the_claim_under_both_designs(client: TestClient) -> None:
    r = client.get("/api/presets/tour-review-6-nr-free-pages/claim")
    assert r.status_code == 200
    body = r.json()
    assert body["claim"]["ok"] is True and body["claim"]["says"] == BASE["claim"]["says"]
    gap = next(c for c in body["claim"]["checks"] if c["figure"] == "counter_gap" and c["at"] == 5)
    assert gap["values"] == {"seed": 4, "reporting": 0}
    assert [p["true"] == [p["answer"]] for p in body["predicts"]] == [True, True]
    summary = next(p for p in client.get("/api/presets").json() if p["name"] == "tour-review-6-nr-free-pages")
    assert summary["group"] == "review" and summary["compare"] is True


def test_the_claim_api_refuses_what_has_no_claim(client: TestClient) -> None:
    r = client.get("/api/presets/nope/claim")
    assert r.status_code == 404 and r.json()["error"]["field"] == "name"
    r = client.get("/api/presets/tour-boundary-climbs/claim")
    assert r.status_code == 404 and r.json()["error"]["code"] == "no_claim"
