"""`python -m core compare`: one scenario under both designs, the costs side by side."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from core.compare import compare_document
from tests.conftest import ROOT

# 32 pages, order-4 blocks [16, 0] at boot, min_order 2, capacity 1, auto; the scenario names the
# seed, which compare ignores; it leaves delay_ms out, so each design waits its own default.
SMALL: dict[str, Any] = {
    "format": "hinting-scenario/1",
    "title": "two blocks, reported once",
    "machine": {"max_order": 5, "pageblock_order": 2, "zones": [{"name": "Normal", "pages": 32}]},
    "hinting": {"design": "seed", "min_order": 2, "capacity": 1, "hwm": 1},
    "steps": [{"do": "hinting_start"}, {"do": "advance", "ms": 2000}, {"do": "step"}],
}


def run(args: list[str], stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "core", "compare", *args], capture_output=True, text=True,
                          cwd=ROOT, input=stdin)


def test_both_designs_run_with_their_own_defaults() -> None:
    doc = compare_document(SMALL)
    assert doc["format"] == "hinting-compare/1" and doc["ignored_design"] == "seed" and doc["steps"] == 3
    seed, rep = doc["designs"]["seed"], doc["designs"]["reporting"]
    assert seed["config"] == {"min_order": 2, "hwm": 1, "capacity": 1, "delay_ms": 100, "stepping": False}
    assert rep["config"] == {"min_order": 2, "capacity": 1, "delay_ms": 2000, "stepping": False}
    assert seed["defaults"] == ["delay_ms", "stepping"] and rep["defaults"] == ["delay_ms", "stepping"]
    # The final step has nothing to do under either design.
    assert seed["failed_steps"] == rep["failed_steps"] == 1
    # The seed (test_costs.py has the walk): 5 entries, 3 holds.  Reporting's pass at 2000 reads
    # 16 (pulled) and 0 (full: report, drain), then 16 (Reported, skipped) and 0 (pulled), then
    # reports the leftover: 4 entries in 3 holds (the cycle's two and the leftover's drain).
    assert (seed["costs"]["entries_read"], seed["costs"]["lock"]["holds"]) == (5, 3)
    assert (rep["costs"]["entries_read"], rep["costs"]["lock"]["holds"]) == (4, 3)
    assert seed["costs"]["full"]["took_ms"] == 100 and rep["costs"]["full"]["took_ms"] == 2000
    assert seed["marked_share"] == rep["marked_share"] == [32, 32]


def test_the_table_sets_the_designs_side_by_side(tmp_path: Path) -> None:
    path = tmp_path / "s.json"
    path.write_text(json.dumps(SMALL))
    out = run([str(path)])
    assert out.returncode == 0 and out.stderr == ""
    lines = out.stdout.splitlines()
    assert lines[0] == "compare: two blocks, reported once (3 steps)"
    assert "the scenario's own design (seed) is ignored" in lines[1]
    header = lines[2].split()
    assert header == ["seed", "reporting"]
    rows = {line[:40].strip(): line[40:].split() for line in lines[3:]}
    assert rows["list entries read"] == ["5", "4"]
    assert rows["delay_ms"] == ["100", "(default)", "2,000", "(default)"]
    assert rows["hwm"] == ["1", "-"]
    assert rows["time to report all free memory, ms"] == ["100", "2,000"]


def test_json_output_is_the_document(tmp_path: Path) -> None:
    out = run(["--json", "-"], stdin=json.dumps(SMALL))
    assert out.returncode == 0
    assert json.loads(out.stdout) == json.loads(json.dumps(compare_document(SMALL)))


@pytest.mark.parametrize(
    ("mutate", "field"),
    [
        (lambda d: d.update(format="hinting-scenario/2"), "format"),
        (lambda d: d["hinting"].update(hwm=-1), "hinting.hwm"),  # the seed's field: an error under it
        (lambda d: d["hinting"].update(capacity=0), "hinting.capacity"),
        (lambda d: d["machine"].update(pageblock_order=9), "machine.pageblock_order"),
        (lambda d: d["steps"].append({"do": "jump"}), "steps[3].do"),
        (lambda d: d.update(hinting=[]), "hinting"),
    ],
)
def test_bad_input_exits_2_naming_the_field(tmp_path: Path, mutate, field: str) -> None:  # type: ignore[no-untyped-def]
    doc = json.loads(json.dumps(SMALL))
    mutate(doc)
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(doc))
    out = run([str(path)])
    assert out.returncode == 2 and out.stdout == ""
    assert f": {field}: " in out.stderr


def test_an_unknown_design_is_ignored_like_any_other(tmp_path: Path) -> None:
    doc = json.loads(json.dumps(SMALL))
    doc["hinting"]["design"] = "something-else"
    assert compare_document(doc)["ignored_design"] == "something-else"


def test_unreadable_files_exit_2(tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text("{not json")
    out = run([str(bad)])
    assert out.returncode == 2 and "file: not JSON" in out.stderr
    out = run([str(tmp_path / "missing.json")])
    assert out.returncode == 2 and "file: cannot read" in out.stderr
