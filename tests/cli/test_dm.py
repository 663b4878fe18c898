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

    got = run_cli("dm", "get", str(tmp_path), "rate", "--json", "--trust-pickle")
    assert got.returncode == 0, got.stderr
    assert json.loads(got.stdout) == {f"run{k}": [k, k + 0.5] for k in range(4)}
    arrays = run_cli("dm", "get", str(tmp_path), "trace", "--trust-pickle")
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
    got = run_cli("dm", "get", str(tmp_path), "rate", "--json", "--trust-pickle")
    assert got.returncode == 0
    assert sorted(json.loads(got.stdout)) == ["run0", "run2", "run3"]
    assert "warning:" in got.stderr and "run1" in got.stderr and "Traceback" not in got.stderr


def test_missing_key_folder_and_ambiguous_folder_fail_cleanly(tmp_path):
    make_store(tmp_path, "sqlite", sessions=1)
    proc = run_cli("dm", "get", str(tmp_path), "nokey", "--trust-pickle")
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


PLANT = """
import os, sys
import neurofiles

class Planted:
    def __reduce__(self):
        return (open, ({marker!r}, "w"))  # unpickling it creates the marker file

dm = neurofiles.DataManager("sim", {folder!r}, "sqlite")
with dm.session("run0") as session:
    session["rate"] = Planted()
    session["plain"] = [1.0, 2.0]
dm.close()
"""


def plant_store(tmp_path):
    """A pickle-codec store whose value ``rate`` creates ``marker`` when unpickled."""
    import subprocess
    import sys

    marker = tmp_path / "marker"
    folder = tmp_path / "store"
    folder.mkdir()
    code = PLANT.format(marker=str(marker), folder=str(folder))
    subprocess.run([sys.executable, "-c", code], check=True, timeout=120)
    assert not marker.exists()
    return folder, marker


def test_dm_get_never_unpickles_a_store_without_trust_pickle(tmp_path):
    folder, marker = plant_store(tmp_path)
    proc = run_cli("dm", "get", str(folder), "rate")
    assert_clean_failure(proc, "dm get")
    assert "'pickle' codec" in proc.stderr and "--trust-pickle" in proc.stderr
    assert not marker.exists()
    # the same store with its manifest claiming the safe codec, or without a manifest
    manifest = folder / "sim.data" / "_store.json"
    text = manifest.read_text()
    manifest.write_text(text.replace('"codec": "pickle"', '"codec": "safe"'))
    assert '"codec": "safe"' in manifest.read_text()
    for variant in ("manifest says safe", "no manifest"):
        proc = run_cli("dm", "get", str(folder), "rate")
        assert proc.returncode == 1, (variant, proc.stderr)
        assert "1 value(s) of 'rate' were not loaded" in proc.stderr and "--trust-pickle" in proc.stderr
        assert "Traceback" not in proc.stderr, proc.stderr
        assert not marker.exists(), variant
        assert manifest.exists() == (variant == "manifest says safe")
        manifest.unlink(missing_ok=True)
    help_text = run_cli("dm", "get", "--help").stdout
    assert "--trust-pickle" in help_text and "safe" in help_text


def test_dm_get_with_trust_pickle_unpickles(tmp_path):
    folder, marker = plant_store(tmp_path)
    proc = run_cli("dm", "get", str(folder), "plain", "--trust-pickle", "--json")
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout) == {"run0": [1.0, 2.0]}
    assert not marker.exists()
    run_cli("dm", "get", str(folder), "rate", "--trust-pickle")
    assert marker.exists()  # the flag does what it says


def test_dm_get_reads_a_safe_store_without_the_flag(tmp_path):
    dm = neurofiles.DataManager("sim", str(tmp_path), "sqlite", codec="safe")
    with dm.session("run0") as session:
        session["rate"] = [1.5, 2.5]
        session["trace"] = np.arange(3)
    dm.close()
    proc = run_cli("dm", "get", str(tmp_path), "rate", "--json")
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout) == {"run0": [1.5, 2.5]}


def test_dm_get_on_an_empty_store_writes_nothing(tmp_path):
    store = tmp_path / "sim.data"
    store.mkdir()
    proc = run_cli("dm", "get", str(store), "rate")
    assert_clean_failure(proc, "dm get")
    assert "no session holds key 'rate'" in proc.stderr
    assert list(store.iterdir()) == []  # no manifest recording the codec `dm get` forced


@pytest.mark.parametrize("backend", ["sqlite", "dbm", "shelve"])
def test_dm_table_csv_with_params_and_where(tmp_path, backend):
    import csv
    import io

    codec = "pickle" if backend == "shelve" else "safe"  # shelve stores only pickles
    trust = ["--trust-pickle"] if codec == "pickle" else []
    dm = neurofiles.DataManager("sim", str(tmp_path), backend, codec=codec)
    try:
        for k, g in enumerate((0.1, 0.2, 0.1)):
            with dm.session(f"run{k}", params={"g": g, "seed": k}) as session:
                session["rate"] = [float(k)]
    finally:
        dm.close()
    proc = run_cli("dm", "table", str(tmp_path), "--keys", "rate,g", "--csv", *trust)
    assert proc.returncode == 0, proc.stderr
    rows = list(csv.reader(io.StringIO(proc.stdout)))
    assert rows == [
        ["session", "g", "seed", "rate"],
        ["run0", "0.1", "0", "[0.0]"],
        ["run1", "0.2", "1", "[1.0]"],
        ["run2", "0.1", "2", "[2.0]"],
    ]
    filtered = run_cli("dm", "table", str(tmp_path / "sim.data"), "--keys", "rate", "--where", "g=0.1", "--json", *trust)
    assert filtered.returncode == 0, filtered.stderr
    assert json.loads(filtered.stdout) == [
        {"session": "run0", "g": 0.1, "seed": 0, "rate": [0.0]},
        {"session": "run2", "g": 0.1, "seed": 2, "rate": [2.0]},
    ]
    text = run_cli("dm", "table", str(tmp_path), "--keys", "rate", *trust)
    assert text.returncode == 0 and text.stdout.splitlines()[0].split() == ["session", "g", "seed", "rate"]
    bad = run_cli("dm", "table", str(tmp_path), "--where", "novalue")
    assert bad.returncode != 0 and "NAME=VALUE" in bad.stderr


def test_dm_table_refuses_pickles_without_trust(tmp_path):
    make_store(tmp_path, "sqlite")
    refused = run_cli("dm", "table", str(tmp_path), "--keys", "rate", "--csv")
    assert refused.returncode != 0 and "--trust-pickle" in refused.stderr
    trusted = run_cli("dm", "table", str(tmp_path), "--keys", "rate", "--csv", "--trust-pickle")
    assert trusted.returncode == 0, trusted.stderr
    assert trusted.stdout.splitlines()[1] == 'run0,"[0.0, 0.5]"'
