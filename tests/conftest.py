"""Shared test configuration: where the read-only project inputs live."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests import readable_reports

ROOT = Path(__file__).resolve().parent.parent
# ../shared next to the checkout holds the seed, the specs and the golden files.
SHARED = Path(os.environ.get("HINTING_LAB_SHARED", ROOT.parent / "shared"))
# The golden examples: ../shared's copy when it is there (it may be newer),
# else the copy kept with the tests so a bare checkout still checks them.
GOLDEN = SHARED / "spec" / "golden" if (SHARED / "spec" / "golden").is_dir() else ROOT / "tests" / "core" / "golden"
SEED_FILE = SHARED / "seed" / "000_4d67359d60dc2608.txt"
ARTIFACTS = ROOT / "test-artifacts"

# Failure reports that Python 3.11.2 can print (tests/readable_reports.py says why).
readable_reports.install()


@pytest.fixture(scope="session")
def artifacts() -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS
