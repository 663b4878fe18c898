"""Run every example script as a user would, so the examples never rot."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import neurofiles
import pytest

from tests.conftest import need

HERE = Path(__file__).resolve().parent
EXTRAS = {"brian2_retina.py": ("brian2", "brian2")}


def run_example(name: str, out: Path) -> str:
    module, extra = EXTRAS.get(name, (None, None))
    if module:
        need(module, extra)
    proc = subprocess.run(
        [sys.executable, str(HERE / name), str(out)],
        check=False,
        capture_output=True,
        text=True,
        timeout=600,
        cwd=out,
        env={**os.environ, "NEUROFILES_PROGRESS": "0"},
    )
    assert proc.returncode == 0, proc.stderr
    return proc.stdout


def test_every_example_is_tested():
    scripts = {p.name for p in HERE.glob("*.py") if not p.name.startswith(("test_", "__"))}
    tested = set(re.findall(r'run_example\("([\w.]+)"', Path(__file__).read_text()))
    assert scripts == tested


def test_events_quicklook(tmp_path):
    out = run_example("events_quicklook.py", tmp_path)
    assert "loaded: <Events 8000 events" in out
    window = neurofiles.load(tmp_path / "first_100ms.npz")
    assert 0 < len(window) < 8000 and window.duration < 0.1
    assert neurofiles.load(tmp_path / "first_100ms.csv").shape[0] == len(window)
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        assert "no plot:" in out
    else:
        assert (tmp_path / "events.png").stat().st_size > 10000


def test_traces_sweeps(tmp_path):
    out = run_example("traces_sweeps.py", tmp_path)
    assert "sweep 0:" in out and "sweep 1:" in out
    assert "500 rows x 2 sweeps in mV" in out


def test_collate_processes(tmp_path):
    out = run_example("collate_processes.py", tmp_path)
    assert "workers finished: [0, 1, 2, 3, 4, 5, 6, 7]" in out
    assert "8 sessions, 16 items" in out and "sessions: 8, items: 16" in out


@pytest.mark.filterwarnings("ignore::DeprecationWarning")  # brian2 2.9 vs pyparsing 3.3
def test_brian2_retina(tmp_path):
    out = run_example("brian2_retina.py", tmp_path)
    pooled = neurofiles.load(tmp_path / "pooled.aedat")
    assert len(pooled) > 100 and int(pooled.addresses.max()) < 256
    assert f"-> {len(pooled)} pooled spikes" in out
