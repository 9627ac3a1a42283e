"""Seeded fuzzing against a real server (tests/fuzzing.py), and schemathesis against the OpenAPI document.

bench/fuzz_bench.py runs the same fuzzers longer and prints the figures.
"""

from __future__ import annotations

import asyncio
import atexit
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import negative_data_rejection

from app.main import create_app
from app.settings import Settings
from tests.fuzzing import fuzz_http, fuzz_websocket, log_problems
from tests.kernel_tree import write_tree
from tests.support import LabServer


@pytest.fixture(scope="module")
def lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[LabServer, Path]]:
    log = tmp_path_factory.mktemp("fuzz") / "server.log"
    server = LabServer(args=["--actions-per-second", "100000", "--action-burst", "100000"], log=log).start()
    yield server, log
    server.stop()


@pytest.mark.parametrize("seed", [1, 2])
def test_websocket_fuzz_breaks_no_connection_and_no_session(lab: tuple[LabServer, Path], seed: int) -> None:
    server, log = lab
    report = asyncio.run(fuzz_websocket(server.url, seed, controller_messages=1500, viewer_messages=500))
    assert report.problems == []
    assert report.sent >= 1900 and report.answered + len(report.closes) * 16 >= report.sent
    # The mutations reach every kind of answer, not just one refusal.
    assert {"ok", "invalid", "bad_json", "too_deep", "bad_text", "read_only"} <= set(report.codes)
    assert log_problems(log.read_text()) == []


def test_http_fuzz_answers_every_request_in_the_error_shape(lab: tuple[LabServer, Path]) -> None:
    server, log = lab
    report = asyncio.run(fuzz_http(server.url, seed=7, count=800))
    assert report.problems == []
    assert {"201", "400", "404", "422"} <= set(report.codes)
    assert log_problems(log.read_text()) == []


# The host routes read a fixture tree, not this machine: /api/host on a real 24 GiB host is a
# full /proc/kpageflags read by a worker at the lowest CPU priority, slow when the machine is busy.
_PROC_ROOT = Path(tempfile.mkdtemp(prefix="fuzz-proc-"))
write_tree(_PROC_ROOT, 0)
atexit.register(shutil.rmtree, _PROC_ROOT, True)
schema = schemathesis.openapi.from_asgi("/openapi.json", create_app(Settings.from_env(env={}, db=":memory:",
                                                                                     proc_root=str(_PROC_ROOT))))
schema.config.generation.update(modes=[schemathesis.GenerationMode.POSITIVE, schemathesis.GenerationMode.NEGATIVE])


@schema.parametrize()
@settings(max_examples=25, deadline=None, derandomize=True, suppress_health_check=list(HealthCheck))
def test_openapi_operations_never_fail_and_refuse_what_the_schema_refuses(case: Any) -> None:
    response = case.call()
    case.validate_response(response, checks=[not_a_server_error, negative_data_rejection])
