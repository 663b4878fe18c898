"""Helpers for the CLI tests: run ``neurofiles`` as a real subprocess; list every sample file."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from tests.conftest import need  # noqa: F401  (the CLI tests import it from here)

REPO = Path(__file__).resolve().parents[2]
SAMPLES = REPO / "tests" / "samples"
TESTDATA_DIRS = ("aer", "atf", "neuron")


def run_cli(
    *args: str, cwd: Path | None = None, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """``python -m neurofiles ARGS`` with progress bars off; returns the finished process."""
    full_env = {**os.environ, "NEUROFILES_PROGRESS": "0", **(env or {})}
    return subprocess.run(
        [sys.executable, "-m", "neurofiles", *args],
        check=False,
        capture_output=True,
        text=True,
        timeout=300,
        cwd=cwd,
        env=full_env,
    )


def shipped_samples() -> list[Path]:
    """Every file in tests/samples (the samples shipped with the repository)."""
    return sorted(p for p in SAMPLES.iterdir() if p.is_file() and not p.name.startswith("."))


def real_samples(root: Path) -> list[Path]:
    """Every data file under the real test-data folder (SOURCES.md excluded)."""
    return sorted(p for d in TESTDATA_DIRS for p in (root / d).iterdir() if p.is_file() and p.suffix != ".md")




def assert_clean_failure(proc: subprocess.CompletedProcess[str], command: str) -> None:
    """Exit 1 with ``neurofiles COMMAND: ...`` on stderr and no traceback."""
    assert proc.returncode == 1, (proc.returncode, proc.stdout, proc.stderr)
    assert proc.stderr.startswith(f"neurofiles {command}: "), proc.stderr
    assert "Traceback" not in proc.stderr
