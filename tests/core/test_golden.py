"""The golden examples: the seed's own code's output, reproduced field for field.

FORMATS.md/golden README: results (`ok`, and `pfn` of allocs) and the state
must match; error texts, extra fields, `host` and `anomalies` are ours.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from core import load_scenario, replay
from tests.conftest import GOLDEN, ROOT

NAMES = sorted(p.name[: -len(".json")] for p in GOLDEN.glob("*.json") if not p.name.endswith(".replay.json"))
IGNORED = {"host", "anomalies"}
CASES = NAMES

pytestmark = pytest.mark.skipif(not NAMES, reason=f"no golden files at {GOLDEN}")


def first_difference(expected: Any, got: Any, path: str = "") -> str | None:
    """The first path where `got` differs from `expected` (extra keys in got allowed)."""
    if isinstance(expected, dict):
        if not isinstance(got, dict):
            return path or "."
        for key, value in expected.items():
            if key in IGNORED or (key == "error" and path.startswith("results")):
                continue
            if key not in got:
                return f"{path}.{key} (missing)"
            d = first_difference(value, got[key], f"{path}.{key}" if path else key)
            if d:
                return d
        return None
    if isinstance(expected, list):
        if not isinstance(got, list) or len(got) != len(expected):
            return f"{path} (length {len(expected)} expected, got {len(got) if isinstance(got, list) else got!r})"
        for i, (a, b) in enumerate(zip(expected, got, strict=True)):
            d = first_difference(a, b, f"{path}.{i}")
            if d:
                return d
        return None
    if type(expected) is not type(got) or expected != got:
        return f"{path}: expected {expected!r}, got {got!r}"
    return None


@pytest.mark.parametrize("name", CASES)
def test_golden_through_the_api(name: str) -> None:
    expected = json.loads((GOLDEN / f"{name}.replay.json").read_text())
    got = replay(load_scenario(GOLDEN / f"{name}.json"), check_invariants=True)
    assert first_difference(expected, got) is None


@pytest.mark.parametrize("name", CASES)
def test_golden_through_the_cli(name: str) -> None:
    out = subprocess.run(
        [sys.executable, "-m", "core", "replay", str(GOLDEN / f"{name}.json")],
        capture_output=True, text=True, cwd=ROOT, check=True,
    )
    expected = json.loads((GOLDEN / f"{name}.replay.json").read_text())
    assert first_difference(expected, json.loads(out.stdout)) is None


def test_failed_steps_carry_an_error_text() -> None:
    got = replay(load_scenario(GOLDEN / "14-bad-frees-fail-cleanly.json"))
    failed = [r for r in got["results"] if not r["ok"]]
    assert len(failed) == 10
    assert all(isinstance(r["error"], str) and r["error"] for r in failed)
    texts = " | ".join(r["error"] for r in failed)
    assert "hinting batch" in texts and "Hinted" in texts and "order 2, not order 3" in texts


def test_comparison_helper_detects_differences() -> None:
    assert first_difference({"a": [1, 2]}, {"a": [1, 2], "extra": 1}) is None
    assert first_difference({"a": [1, 2]}, {"a": [2, 1]}) == "a.0: expected 1, got 2"
    assert first_difference({"a": None}, {"a": 0}) is not None
    assert first_difference({"a": 1}, {}) == ".a (missing)"


def test_golden_files_are_where_the_test_looks() -> None:
    assert Path(GOLDEN).is_dir() and len(NAMES) >= 5
