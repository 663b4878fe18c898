"""Shared fixtures. ``testdata`` finds the real files in ``../shared/testdata``."""

from __future__ import annotations

import importlib
import os
from pathlib import Path
from types import ModuleType
from typing import NoReturn

import pytest

REPO = Path(__file__).resolve().parent.parent
SAMPLES = REPO / "tests" / "samples"
SPEC = REPO / "spec"
ENV_TESTDATA = "NEUROFILES_TESTDATA"


def find_testdata() -> Path | None:
    """The real test-data folder (``$NEUROFILES_TESTDATA`` or ``../shared/testdata``), or None."""
    configured = os.environ.get(ENV_TESTDATA)
    candidate = Path(configured) if configured else REPO.parent / "shared" / "testdata"
    return candidate if candidate.is_dir() else None


def in_ci() -> bool:
    """True under ``CI=true``, where nothing that CI installs may be skipped."""
    return os.environ.get("CI", "").strip().lower() in ("1", "true", "yes")


def skip_or_fail(message: str) -> NoReturn:
    """Skip locally; fail under CI=true, where everything a test needs is installed."""
    if in_ci():
        pytest.fail(message + " (CI=true: it must be available)")
    pytest.skip(message)


def need(module: str, extra: str) -> ModuleType:
    """Import an optional dependency, or skip (locally) / fail (CI) naming its extra."""
    try:
        return importlib.import_module(module)
    except ImportError:
        skip_or_fail(f"{module} is not installed (pip install 'neurofiles[{extra}]')")


@pytest.fixture(scope="session")
def testdata() -> Path:
    """Root of the real sample files (``aer/``, ``atf/``, ``neuron/``), read in place.

    Skips where the folder is absent, but fails under ``CI=true`` so CI
    always runs the tests that need it.
    """
    root = find_testdata()
    if root is None:
        where = os.environ.get(ENV_TESTDATA) or str(REPO.parent / "shared" / "testdata")
        skip_or_fail(f"real test data not found at {where}; set {ENV_TESTDATA} to its folder")
    return root


def require_example_plugin() -> None:
    """The example third-party distribution must be installed (``pip install ./tests/example_plugin``)."""
    from importlib.metadata import PackageNotFoundError, distribution

    try:
        distribution("neurofiles-example")
    except PackageNotFoundError:
        skip_or_fail("example plugin not installed: pip install ./tests/example_plugin")
