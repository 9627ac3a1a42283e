"""`python -m app`: flags, environment, and the generated protocol document."""

from __future__ import annotations

import subprocess
import sys

import pytest

from app.__main__ import build_parser
from app.protocol_doc import render
from app.settings import Settings
from tests.conftest import ROOT


def test_help_lists_every_setting() -> None:
    out = subprocess.run([sys.executable, "-m", "app", "--help"], capture_output=True, text=True, cwd=ROOT,
                         check=True).stdout
    for flag in ("--host", "--port", "--max-message-bytes", "--actions-per-second", "--max-sessions",
                 "--max-viewers", "--max-pages", "--idle-expiry-s", "HINTING_LAB_"):
        assert flag in out


def test_flags_win_over_the_environment() -> None:
    args = build_parser().parse_args(["--host", "127.0.0.1", "--port", "9000"])
    settings = Settings.from_env(env={"HINTING_LAB_PORT": "7000", "HINTING_LAB_MAX_SESSIONS": "3"},
                                 host=args.host, port=args.port)
    assert settings.port == 9000 and settings.max_sessions == 3
    with pytest.raises(SystemExit, match="HINTING_LAB_MAX_PAGES"):
        Settings.from_env(env={"HINTING_LAB_MAX_PAGES": "lots"})


def test_protocol_doc_is_current() -> None:
    """docs/protocol.md is generated; regenerate with `python -m app --protocol-doc > docs/protocol.md`."""
    assert (ROOT / "docs" / "protocol.md").read_text() == render()


def test_protocol_doc_covers_every_message() -> None:
    doc = render()
    for tag in ("auth", "do", "clock", "reset", "workload", "resync", "ping",
                "hello", "snapshot", "delta", "result", "error", "pong"):
        assert f"#### `{tag}`" in doc
