"""``neurofiles dm summary`` / ``dm get`` on real stores written by the DataManager, as subprocesses."""

from __future__ import annotations

import json

import neurofiles
import numpy as np
import pytest

from .conftest import assert_clean_failure, run_cli


def make_store(folder, backend: str, sessions: int = 4) -> None:
    """``sessions`` sessions: every one holds ``rate`` and ``trace``, the last also ``extra``."""
    dm = neurofiles.DataManager("sim", str(folder), backend)
    try:
        for k in range(sessions):
            with dm.session(f"run{k}") as session:
                session["rate"] = [float(k), float(k) + 0.5]
                session["trace"] = np.arange(6) * k
                if k == sessions - 1:
                    session["extra"] = {"k": k}
    finally:
        dm.close()


@pytest.mark.parametrize(
    "backend", [b.name for b in neurofiles.backends() if b.name in ("sqlite", "shelve", "dbm")]
)
def test_summary_and_get_on_each_backend(tmp_path, backend):
    make_store(tmp_path, backend)
    proc = run_cli("dm", "summary", str(tmp_path), "--json")
    assert proc.returncode == 0, proc.stderr
    summary = json.loads(proc.stdout)
    assert summary["backend"] == backend and summary["sessions"] == 4
    assert summary["keys"] == {"extra": 1, "rate": 4, "trace": 4}
    assert summary["items"] == 9 and summary["broken_sessions"] == []
    assert summary["bytes"] > 0 and all(s["bytes"] > 0 for s in summary["per_session"])
    text = run_cli("dm", "summary", str(tmp_path / "sim.data"), "--sessions")
    assert (
        text.returncode == 0
        and "sessions: 4, items: 9" in text.stdout
        and "session run3: 3 items" in text.stdout
    )

    got = run_cli("dm", "get", str(tmp_path), "rate", "--json")
    assert got.returncode == 0, got.stderr
    assert json.loads(got.stdout) == {f"run{k}": [k, k + 0.5] for k in range(4)}
    arrays = run_cli("dm", "get", str(tmp_path), "trace")
    assert arrays.returncode == 0
    assert "run2: ndarray shape (6,): array([ 0, 2, 4, 6, 8, 10])" in arrays.stdout


def test_broken_session_is_reported_not_fatal(tmp_path):
    make_store(tmp_path, "sqlite")
    victim = next((tmp_path / "sim.data").glob("run1*"))
    victim.write_bytes(b"not a database at all" * 50)
    proc = run_cli("dm", "summary", str(tmp_path), "--json")
    assert proc.returncode == 0, proc.stderr
    summary = json.loads(proc.stdout)
    assert summary["sessions"] == 3
    assert [b["session"] for b in summary["broken_sessions"]] == ["run1"]
    assert str(victim) in summary["broken_sessions"][0]["files"][0]
    text = run_cli("dm", "summary", str(tmp_path))
    assert "broken sessions: 1" in text.stdout and "run1:" in text.stdout
    got = run_cli("dm", "get", str(tmp_path), "rate", "--json")
    assert got.returncode == 0
    assert sorted(json.loads(got.stdout)) == ["run0", "run2", "run3"]
    assert "warning:" in got.stderr and "run1" in got.stderr and "Traceback" not in got.stderr


def test_missing_key_folder_and_ambiguous_folder_fail_cleanly(tmp_path):
    make_store(tmp_path, "sqlite", sessions=1)
    proc = run_cli("dm", "get", str(tmp_path), "nokey")
    assert_clean_failure(proc, "dm get")
    assert "no session holds key 'nokey'" in proc.stderr
    absent = tmp_path / "absent"
    proc = run_cli("dm", "summary", str(absent))
    assert_clean_failure(proc, "dm summary")
    assert not absent.exists()  # a typo never creates a store
    neurofiles.DataManager("other", str(tmp_path)).close()
    proc = run_cli("dm", "summary", str(tmp_path))
    assert_clean_failure(proc, "dm summary")
    assert "several stores" in proc.stderr
    empty = tmp_path / "empty"
    empty.mkdir()
    assert "holds none" in run_cli("dm", "summary", str(empty)).stderr
