"""Where a design breaks its own claims: named anomalies, reported and never fixed.

Two kinds exist.  *Conditions* are states that contradict a design's commit
message or comments; `detect_anomalies` lists those present now, asking the
live design (design.py) for its own.  *Incidents* happen at one moment (a
hinted block merging, a stale boundary being used); the code that sees them
records them as events (the "anomaly" kind of kinds.py, or a design's own
kind that carries one), and the decoder describes them.

Every anomaly kind is declared once, by the design that can produce it, with
the function and seed lines that lead to it and the claim it breaks.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .mmzone import MIGRATETYPE_NAMES
from .seedref import seed_lines

if TYPE_CHECKING:  # pragma: no cover
    from .machine import Machine

# kind -> (function, seed line anchor, what the design claims)
ANOMALY_KINDS: dict[str, tuple[str, str, str]] = {}

# Kinds that are guards: by the design's own bookkeeping they cannot happen
# (the declaring module says why); the model still checks, so a future change
# that makes them possible is reported.
GUARD_KINDS: set[str] = set()


def declare_anomaly(kind: str, fn: str, anchor: str, claim: str, *, guard: bool = False) -> str:
    """Declare an anomaly kind (once); returns its name."""
    if kind in ANOMALY_KINDS:
        raise ValueError(f"anomaly kind {kind!r} is declared twice")
    ANOMALY_KINDS[kind] = (fn, anchor, claim)
    if guard:
        GUARD_KINDS.add(kind)
    return kind


def anomaly_extra(kind: str) -> dict[str, Any]:
    """The fields a decoded event carries when it reports an anomaly."""
    seed_fn, anchor, claim = ANOMALY_KINDS[kind]
    return {"anomaly": kind, "claim": claim, "anomaly_seed_fn": seed_fn, "anomaly_seed_lines": seed_lines(anchor)}


def anomaly(
    kind: str, zone: str | None, order: int | None, mt: int | None, pfn: int | None, message: str, **extra: Any
) -> dict[str, Any]:
    """One condition as the state lists it."""
    fn, anchor, claim = ANOMALY_KINDS[kind]
    out: dict[str, Any] = {
        "kind": kind,
        "zone": zone,
        "order": order,
        "migratetype": MIGRATETYPE_NAMES[mt] if mt is not None else None,
        "pfn": pfn,
        "message": message,
        "claim": claim,
        "seed_fn": fn,
        "seed_lines": seed_lines(anchor),
    }
    out.update(extra)
    return out


def detect_anomalies(m: Machine) -> list[dict[str, Any]]:
    """The anomaly conditions present in the machine now, in a stable order."""
    return m.design.anomalies()
