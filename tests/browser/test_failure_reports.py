"""A browser fixture that cannot start is reported as errors a person can read, never as INTERNALERROR.

On a minimal Debian without libatomic1, Playwright's driver dies at once, and
on Python 3.11.2 pytest used to crash while reporting that (see
tests/readable_reports.py).  This runs our real `browser` fixture in a pytest
of its own, with a driver that fails the same way, while garbage that logs a
traceback when collected is always pending (as asyncio's never-retrieved
future is there, now and then): without readable_reports.install() the
inner run stops with INTERNALERROR on Python 3.11 before 3.11.8.  Needs no
Chromium; about two seconds.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from tests.conftest import ROOT

FAKE_DRIVER = """#!/bin/sh
echo "node: error while loading shared libraries: libatomic.so.1: cannot open shared object file" >&2
exit 127
"""

CONFTEST = """
import tests.conftest  # what the project's tests run with, readable_reports included
from tests.browser.conftest import browser  # the fixture under test
"""

TESTS = '''
import gc
import logging

import pytest


class LogsWhenCollected:
    """Stands for asyncio's never-retrieved future: freed by the cyclic collector, it logs an error with its
    traceback, and leaves another like it, so that one is pending whenever the collector runs."""

    left = 400

    def __init__(self):
        self.cycle = self

    def __del__(self):
        try:
            raise BrokenPipeError(32, "Broken pipe")
        except BrokenPipeError:
            logging.getLogger("asyncio").error("Future exception was never retrieved", exc_info=True)
        if LogsWhenCollected.left > 0:
            LogsWhenCollected.left -= 1
            LogsWhenCollected()


@pytest.fixture(scope="module", autouse=True)
def garbage_that_logs():
    gc.set_threshold(50)
    LogsWhenCollected()
    yield


@pytest.mark.parametrize("n", range(4))
def test_uses_the_browser(browser, n):
    assert browser.is_connected()
'''


def test_a_browser_that_cannot_start_is_reported_readably(tmp_path: Path) -> None:
    driver = tmp_path / "node"
    driver.write_text(FAKE_DRIVER)
    driver.chmod(0o755)
    (tmp_path / "conftest.py").write_text(CONFTEST)
    (tmp_path / "test_inner.py").write_text(TESTS)
    env = {**os.environ, "PLAYWRIGHT_NODEJS_PATH": str(driver), "PYTHONPATH": str(ROOT),
           "PYTHONDONTWRITEBYTECODE": "1"}
    run = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "--rootdir", str(tmp_path), str(tmp_path)],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120,
    )
    out = run.stdout + run.stderr
    assert "INTERNALERROR" not in out, out[-3000:]
    assert run.returncode == 1, out[-3000:]  # tests failed (3 would be an internal error)
    assert "4 errors" in run.stdout.strip().splitlines()[-1]
    assert "ERROR at setup of test_uses_the_browser[0]" in out
    assert "libatomic.so.1" in out  # the driver's own words reach the reader
