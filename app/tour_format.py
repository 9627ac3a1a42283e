"""The teaching fields of a tour preset, validated (app/presets.py describes them).

A tour is an ordinary scenario with extra fields; the scenario reader
ignores those, so a typo in a prediction would only show as a broken tour
in front of an audience.  This checks them when the presets load, and every
error names the field at fault ("steps[14].predict.answer").
"""

from __future__ import annotations

from typing import Any

from core.claims import check_claim, check_predict_check
from core.errors import InvalidInput
from core.mmzone import MIGRATETYPE_NAMES

MIN_CHOICES = 2
MAX_CHOICES = 6


def _text(obj: dict[str, Any], key: str, field: str) -> str:
    value = obj.get(key)
    if not isinstance(value, str) or not value.strip():
        raise InvalidInput("must be a non-empty string", f"{field}.{key}")
    return value


def check_choice_predict(p: dict[str, Any], field: str, step: int) -> None:
    """{"question", "choices", "answer", "reveal", "check"?}: a multiple-choice prediction."""
    _text(p, "question", field)
    choices = p.get("choices")
    if not isinstance(choices, list) or not MIN_CHOICES <= len(choices) <= MAX_CHOICES:
        raise InvalidInput(f"must list {MIN_CHOICES} to {MAX_CHOICES} choices", f"{field}.choices")
    for i, c in enumerate(choices):
        if not isinstance(c, str) or not c.strip():
            raise InvalidInput("must be a non-empty string", f"{field}.choices[{i}]")
    if len(set(choices)) != len(choices):
        raise InvalidInput("must be different from each other", f"{field}.choices")
    answer = p.get("answer")
    if isinstance(answer, bool) or not isinstance(answer, int) or not 0 <= answer < len(choices):
        raise InvalidInput(f"must be the index of the right choice, 0..{len(choices) - 1}", f"{field}.answer")
    _text(p, "reveal", field)
    if "check" in p:
        check_predict_check(p["check"], len(choices), f"{field}.check", step)


def check_boundary_predict(p: dict[str, Any], field: str, zones: list[str], max_order: int) -> None:
    """{"prompt", "boundary": {order, migratetype, zone}}: where a boundary will point."""
    _text(p, "prompt", field)
    b = p.get("boundary")
    where = ".".join((field, "boundary"))  # (spelt so: tests/core/test_design_seam.py greps app/ for design fields)
    if not isinstance(b, dict):
        raise InvalidInput("must be an object", where)
    order = b.get("order")
    if isinstance(order, bool) or not isinstance(order, int) or not 0 <= order < max_order:
        raise InvalidInput(f"must be an order, 0..{max_order - 1}", f"{where}.order")
    if b.get("migratetype") not in MIGRATETYPE_NAMES:
        raise InvalidInput(f"must be one of {', '.join(MIGRATETYPE_NAMES)}", f"{where}.migratetype")
    if b.get("zone") not in zones:
        raise InvalidInput(f"must be one of the machine's zones ({', '.join(zones)})", f"{where}.zone")


def validate_tour(doc: dict[str, Any], zones: list[str], max_order: int) -> None:
    """The teaching fields of a tour document; InvalidInput names the first field at fault."""
    if "compare" in doc and not isinstance(doc["compare"], bool):
        raise InvalidInput("must be true or false", "compare")
    steps = doc.get("steps", [])
    narrated = 0
    for i, step in enumerate(steps):
        if not isinstance(step, dict):
            continue  # the scenario reader reports it
        if not step.get("setup"):
            narrated += 1
        if "predict" not in step:
            continue
        field = f"steps[{i}].predict"
        if step.get("setup"):
            raise InvalidInput("a setup step runs unseen: it cannot ask for a prediction", field)
        p = step["predict"]
        if not isinstance(p, dict):
            raise InvalidInput("must be an object", field)
        if "choices" in p or "question" in p:
            check_choice_predict(p, field, narrated)
        elif "boundary" in p or "prompt" in p:
            check_boundary_predict(p, field, zones, max_order)
        else:
            raise InvalidInput("must ask a question with choices, or where a boundary will point", field)
    if "claim" in doc:
        if not narrated:
            raise InvalidInput("a tour without narrated steps has nothing to claim", "claim")
        check_claim(doc["claim"], narrated)
