"""Fixtures for the DataManager tests: every built-in backend, real files in tmp folders."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from neurofiles import DataManager

from tests.conftest import need as need_extra

REPO = Path(__file__).resolve().parents[2]
BUILTIN_BACKENDS = ("sqlite", "dbm", "shelve")


def need(module: str) -> None:
    """Dask (extra ``dask``): skip locally, fail under CI=true."""
    need_extra(module, "dask")


@pytest.fixture(params=BUILTIN_BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def dm(tmp_path: Path, backend: str):  # type: ignore[no-untyped-def]
    from neurofiles import DataManager

    manager = DataManager("store", tmp_path, backend=backend)
    yield manager
    manager.close()


def run_worker(*args: str, timeout: float = 300, check: bool = True) -> subprocess.CompletedProcess[str]:
    """Run ``python -m tests.datamanager._workers <args>`` from the repository root."""
    proc = subprocess.run(
        [sys.executable, "-m", "tests.datamanager._workers", *args],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    if check and proc.returncode != 0:
        raise AssertionError(f"worker {args} failed ({proc.returncode}):\n{proc.stdout}\n{proc.stderr}")
    return proc


def start_worker(*args: str, **kwargs: object) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "tests.datamanager._workers", *args],
        cwd=REPO,
        text=True,
        **kwargs,  # type: ignore[call-overload]
    )


def new_store(tmp_path: Path, backend: str) -> None:
    """Create ``store`` with ``backend``; dbm and shelve on dbm.dumb, which every Python has.

    The crash and multi-process expectations are the dumb flavour's (Python
    3.13 would otherwise pick dbm.sqlite3, which commits every write).
    """
    options = {"flavour": "dumb"} if backend in ("dbm", "shelve") else {}
    DataManager("store", tmp_path, backend=backend, **options).close()
