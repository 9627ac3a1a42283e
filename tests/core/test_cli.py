"""`python -m core`: output format, exit codes, errors naming the field."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import ROOT

SMALL = {
    "format": "hinting-scenario/1",
    "machine": {"max_order": 4, "pageblock_order": 2, "zones": [{"name": "Normal", "pages": 16}]},
    "hinting": {"min_order": 2, "hwm": 1, "capacity": 2, "stepping": False},
    "steps": [
        {"do": "alloc", "zone": "Normal", "order": 1, "migratetype": "Movable", "as": "a"},
        {"do": "free", "ref": "a"},
        {"do": "step"},
    ],
}


def run(args: list[str], stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "core", *args], capture_output=True, text=True, cwd=ROOT,
                          input=stdin)


def write(tmp_path: Path, doc: object) -> str:
    path = tmp_path / "s.json"
    path.write_text(json.dumps(doc))
    return str(path)


def test_replay_prints_one_replay_document(tmp_path: Path) -> None:
    out = run(["replay", write(tmp_path, SMALL)])
    assert out.returncode == 0, out.stderr
    doc = json.loads(out.stdout)
    assert doc["format"] == "hinting-replay/1"
    assert doc["results"] == [{"ok": True, "pfn": 8}, {"ok": True},
                              {"ok": False, "error": "nothing to step: no hinting work is pending or running"}]
    assert doc["state"]["format"] == "hinting-state/1"


def test_replay_reads_stdin_and_is_byte_for_byte_deterministic(tmp_path: Path) -> None:
    a = run(["replay", "-"], stdin=json.dumps(SMALL))
    b = run(["replay", write(tmp_path, SMALL)])
    assert a.returncode == b.returncode == 0
    assert a.stdout == b.stdout
    assert a.stdout == json.dumps(json.loads(a.stdout)) + "\n"  # the fast writer equals json.dumps


@pytest.mark.parametrize(
    ("mutate", "field"),
    [
        (lambda d: d.update(format="hinting-scenario/2"), "format"),
        (lambda d: d["machine"].update(max_order=40), "machine.max_order"),
        (lambda d: d["machine"]["zones"][0].update(pages=12), "machine.zones[0].pages"),
        (lambda d: d["hinting"].update(capacity=0), "hinting.capacity"),
        (lambda d: d["hinting"].update(design="eager"), "hinting.design"),
        (lambda d: d["hinting"].update(design="reporting", capacity=0), "hinting.capacity"),
        (lambda d: d["steps"].append({"do": "alloc", "zone": "Normal", "order": 9}), "steps[3].order"),
        (lambda d: d["steps"].append({"do": "alloc", "zone": "DMA", "order": 0}), "steps[3].zone"),
        (lambda d: d["steps"].append({"do": "alloc", "order": 0, "migratetype": "Isolate"}), "steps[3].migratetype"),
        (lambda d: d["steps"].append({"do": "advance", "ms": 0}), "steps[3].ms"),
        (lambda d: d["steps"].append({"do": "advance", "ms": True}), "steps[3].ms"),
        (lambda d: d["steps"].append({"do": "jump"}), "steps[3].do"),
        (lambda d: d["steps"].append({"do": "free"}), "steps[3].ref"),
        (lambda d: d["steps"].append({"do": "stepping", "on": "yes"}), "steps[3].on"),
        (lambda d: d["steps"].append(7), "steps[3]"),
    ],
)
def test_invalid_scenarios_exit_2_naming_the_field(tmp_path: Path, mutate, field: str) -> None:  # type: ignore[no-untyped-def]
    doc = json.loads(json.dumps(SMALL))
    mutate(doc)
    out = run(["replay", write(tmp_path, doc)])
    assert out.returncode == 2
    assert out.stdout == ""
    assert f": {field}: " in out.stderr


def test_unreadable_files_exit_2(tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text("{not json")
    out = run(["replay", str(bad)])
    assert out.returncode == 2 and "not JSON" in out.stderr
    out = run(["replay", str(tmp_path / "missing.json")])
    assert out.returncode == 2 and "cannot read" in out.stderr


def test_explain_and_check(tmp_path: Path) -> None:
    path = write(tmp_path, SMALL)
    out = run(["explain", path])
    assert out.returncode == 0
    assert "__rmqueue_smallest: took 8 (order 3)" in out.stdout
    assert "step 2 failed" in out.stdout
    out = run(["check", path])
    assert out.returncode == 0 and "every invariant held" in out.stdout


def test_the_replay_parser_keeps_normal_steps_and_normalises_the_rest() -> None:
    from core.config import MachineConfig
    from core.steps import parse_one, step_parser

    cfg = MachineConfig(4, 2, (("Normal", 16),))
    parse = step_parser(cfg)
    cases = [
        {"do": "alloc", "zone": "Normal", "order": 1, "migratetype": "Movable"},
        {"do": "alloc", "zone": "Normal", "order": 1},
        {"do": "alloc", "zone": "Normal", "order": 1, "as": None},
        {"do": "alloc", "zone": "Normal", "order": 1, "as": "a", "migratetype": "Unmovable"},
        {"do": "alloc", "zone": "Normal", "order": 1, "migratetype": "Movable", "note": "extra"},
        {"do": "free", "pfn": 8, "order": 1},
        {"do": "free", "pfn": 8},
        {"do": "free", "pfn": -3, "order": 0},
        {"do": "free", "ref": "a"},
        {"do": "advance", "ms": 5},
        {"do": "step"},
    ]
    for step in cases:
        assert parse(step) == parse_one(step, cfg)
    for bad in ({"do": "free", "pfn": True, "order": 1}, {"do": "advance", "ms": 0}, {"do": "alloc", "zone": "X"}):
        with pytest.raises(Exception) as fast:
            parse(bad)
        with pytest.raises(Exception) as slow:
            parse_one(bad, cfg)
        assert str(fast.value) == str(slow.value)
