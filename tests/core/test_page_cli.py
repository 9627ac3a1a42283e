"""`python -m core page` and `python -m core pages` (core/page_cli.py): words, JSON, errors naming the field."""

from __future__ import annotations

import json
from pathlib import Path

from tests.app.test_page_api import SCENARIO
from tests.core.test_cli import run, write


def test_page_in_words_and_json(tmp_path: Path) -> None:
    path = write(tmp_path, SCENARIO)
    out = run(["page", path, "0"])
    assert out.returncode == 0, out.stderr
    text = out.stdout
    assert "under offline-alias" in text and "the seed design's own encoding" in text
    assert "0xfffffe7f = -385: buddy, offline" in text and "BUDDY|OFFLINE" in text
    assert "dumped as ordinary memory" in text and "lru.prev              pfn 8" in text
    doc = json.loads(run(["page", path, "0", "--encoding", "uptodate-reported", "--json"]).stdout)
    assert doc["format"] == "hinting-page/1" and doc["kpageflags"]["text"] == "BUDDY|UPTODATE"
    assert doc["makedumpfile"]["verdict"] == "excluded_free" and doc["encoding"]["own"] is False


def test_page_under_every_encoding(tmp_path: Path) -> None:
    path = write(tmp_path, SCENARIO)
    out = run(["page", path, "0", "--encoding", "all"])
    assert out.returncode == 0, out.stderr
    kpf = next(line for line in out.stdout.splitlines() if line.strip().startswith("/proc/kpageflags"))
    assert kpf.split()[1:] == ["BUDDY|OFFLINE", "BUDDY", "BUDDY|UPTODATE"]
    views = json.loads(run(["page", path, "0", "--encoding", "all", "--json"]).stdout)
    assert [v["encoding"]["name"] for v in views] == ["offline-alias", "dirty-unhinted", "uptodate-reported"]


def test_pages_prints_the_zone_totals(tmp_path: Path) -> None:
    path = write(tmp_path, SCENARIO)
    out = run(["pages", path, "--encoding", "offline-alias"])
    assert out.returncode == 0, out.stderr
    assert "writes out 16 free pages (16 on the lists, 0 in the batch)" in out.stdout
    assert "0x0000000000800400\t         2        0  __________B____________o___________________\tbuddy,offline" \
        in out.stdout
    doc = json.loads(run(["pages", path, "--json"]).stdout)
    assert doc["zones"][0]["pageoffline"] == {"pages": 2, "block_pages": 16}


def test_bad_input_exits_2_naming_the_field(tmp_path: Path) -> None:
    path = write(tmp_path, SCENARIO)
    for args, field in ((["page", path, "16"], "pfn"), (["page", path, "x"], "pfn"),
                        (["page", path, "0", "--encoding", "dirty"], "--encoding"),
                        (["pages", path, "--encoding", "all"], "--encoding"),
                        (["page", str(tmp_path / "missing.json"), "0"], "missing.json")):
        out = run(args)
        assert out.returncode == 2, args
        assert field in out.stderr and out.stdout == "", (args, out.stderr)
    bad = write(tmp_path, {**SCENARIO, "steps": [{"do": "alloc", "zone": "Nope", "order": 0}]})
    out = run(["page", bad, "0"])
    assert out.returncode == 2 and "steps[0].zone" in out.stderr


def test_a_failed_step_is_noted_and_the_replay_goes_on(tmp_path: Path) -> None:
    path = write(tmp_path, {**SCENARIO, "steps": [{"do": "free", "pfn": 3}, *SCENARIO["steps"]]})
    out = run(["page", path, "0", "--json"])
    assert out.returncode == 0 and "step 0 failed" in out.stderr
    assert json.loads(out.stdout)["block"]["marked"] is True
