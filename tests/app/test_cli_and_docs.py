"""`python -m app`: flags, environment, and the generated protocol document."""

from __future__ import annotations

import os
import subprocess
import sys
import typing
from dataclasses import Field, fields
from typing import Any

import pytest
from pydantic import BaseModel

from app import protocol
from app.__main__ import build_parser
from app.protocol_doc import render
from app.settings import ENV_PREFIX, Settings
from tests.conftest import ROOT

SETTINGS = fields(Settings)


def _other_value(f: Field[Any]) -> Any:
    """A value of the setting's type that is not its default, so taking it proves the setting was read."""
    default = getattr(Settings(), f.name)
    kind = f.type if isinstance(f.type, str) else f.type.__name__
    if kind == "int":
        return default + 7
    if kind == "float":
        return default + 0.5
    return f"{f.name}-{default}"


def test_every_setting_has_a_described_flag_in_the_help() -> None:
    env = {**os.environ, "COLUMNS": "200"}
    out = subprocess.run([sys.executable, "-m", "app", "--help"], capture_output=True, text=True, cwd=ROOT,
                         check=True, env=env).stdout
    flat = " ".join(out.split())
    assert ENV_PREFIX in out
    assert len(SETTINGS) >= 20
    for f in SETTINGS:
        help_text = f.metadata.get("help", "")
        assert help_text, f"setting {f.name} has no help text"
        flag = "--" + f.name.replace("_", "-")
        assert f"{flag} {f.name.upper()}" in flat, f"{flag} is not in --help"
        assert " ".join(help_text.split()) in flat, f"{flag}'s help text is not in --help"


@pytest.mark.parametrize("f", SETTINGS, ids=[f.name for f in SETTINGS])
def test_every_setting_is_read_from_its_flag_and_its_variable(f: Field[Any]) -> None:
    value = _other_value(f)
    args = build_parser().parse_args(["--" + f.name.replace("_", "-"), str(value)])
    assert getattr(args, f.name) == value
    from_env = Settings.from_env(env={ENV_PREFIX + f.name.upper(): str(value)})
    assert getattr(from_env, f.name) == value
    # Nothing else moved.
    for other in SETTINGS:
        if other.name != f.name:
            assert getattr(from_env, other.name) == getattr(Settings(), other.name)


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


def _messages(union: Any) -> list[type[BaseModel]]:
    """The models of a discriminated union `Annotated[A | B | ..., Field(discriminator="type")]`."""
    members = typing.get_args(typing.get_args(union)[0])
    assert members and all(issubclass(m, BaseModel) for m in members)
    return list(members)


def _tag(model: type[BaseModel]) -> str:
    (tag,) = typing.get_args(model.model_fields["type"].annotation)
    return str(tag)


def _sections(doc: str, part: str) -> dict[str, str]:
    """The `#### tag` sections of one part of the document ("Client to server" or "Server to client")."""
    body = doc.split(f"\n## {part}\n", 1)[1].split("\n## ", 1)[0]
    out: dict[str, str] = {}
    for chunk in body.split("\n#### `")[1:]:
        tag, rest = chunk.split("`", 1)
        out[tag] = rest
    return out


@pytest.mark.parametrize(("union", "part"), [(protocol.ClientMessage, "Client to server"),
                                             (protocol.ServerMessage, "Server to client")])
def test_protocol_doc_covers_every_message(union: Any, part: str) -> None:
    """Every message the protocol's union accepts has its section, with its description and every field."""
    sections = _sections(render(), part)
    models = _messages(union)
    assert sorted(sections) == sorted(_tag(m) for m in models), f"{part}: documented messages differ from the union"
    for model in models:
        text = sections[_tag(model)]
        first_line = (model.__doc__ or "").strip().splitlines()[0]
        assert first_line and first_line in text, f"{_tag(model)}: no description"
        for name, field in model.model_fields.items():
            key = field.alias or name
            assert f'"{key}":' in text, f"{_tag(model)}: field {key} is not documented"
