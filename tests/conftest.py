"""Shared fixtures. ``testdata`` finds the real files in ``../shared/testdata``."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
SAMPLES = REPO / "tests" / "samples"
SPEC = REPO / "spec"
ENV_TESTDATA = "NEUROFILES_TESTDATA"


def _find_testdata() -> Path | None:
    configured = os.environ.get(ENV_TESTDATA)
    candidate = Path(configured) if configured else REPO.parent / "shared" / "testdata"
    return candidate if candidate.is_dir() else None


def _in_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() in ("1", "true", "yes")


@pytest.fixture(scope="session")
def testdata() -> Path:
    """Root of the real sample files (``aer/``, ``atf/``, ``neuron/``), read in place.

    Skips where the folder is absent, but fails under ``CI=true`` so CI
    always runs the tests that need it.
    """
    root = _find_testdata()
    if root is None:
        where = os.environ.get(ENV_TESTDATA) or str(REPO.parent / "shared" / "testdata")
        message = f"real test data not found at {where}; set {ENV_TESTDATA} to its folder"
        if _in_ci():
            pytest.fail(message + " (CI=true: these tests must run)")
        pytest.skip(message)
    return root
