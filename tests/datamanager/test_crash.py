"""What survives ``kill -9`` of a real writer process, on every backend (spec/backends.md, section 5)."""

from __future__ import annotations

import signal
import warnings
from pathlib import Path

import pytest
from neurofiles import DataManager, StorageWarning

from .conftest import new_store, run_worker


def survivors(tmp_path: Path) -> tuple[set[int], list[str]]:
    dm = DataManager("store", tmp_path)
    with warnings.catch_warnings(record=True) as record:
        warnings.simplefilter("always")
        items = list(dm.iter_session_items())
    messages = [str(w.message) for w in record]
    assert all(issubclass(w.category, StorageWarning) for w in record), messages
    seen = set()
    for session, key, value in items:
        assert session == "victim" and value == [int(key[1:]), "victim"], (session, key, value)
        seen.add(int(key[1:]))
    return seen, messages


def test_kill_after_setitem_keeps_the_flushed_state(tmp_path: Path, backend: str) -> None:
    """After ``flush()`` returned: all 100 records survive; the 50 set later (no flush) are lost whole."""
    new_store(tmp_path, backend)
    proc = run_worker("crash", str(tmp_path), backend, "setitem", check=False)
    assert proc.returncode == -signal.SIGKILL, proc.stderr
    seen, messages = survivors(tmp_path)
    assert not [m for m in messages if "skipped" in m], messages
    # sqlite: the 50 are in the open transaction (commit_every=1000, commit_seconds=1), rolled back;
    # dbm/shelve (dumb): they were never in the committed index
    assert seen == set(range(100))


@pytest.mark.parametrize("backend", ["dbm", "shelve"])
def test_kill_inside_a_dumb_index_rewrite_keeps_the_previous_flush(tmp_path: Path, backend: str) -> None:
    """A writer killed while dbm.dumb writes its index: the stdlib rewrite lost the whole session."""
    new_store(tmp_path, backend)
    assert DataManager("store", tmp_path).backend.options["flavour"] == "dumb"
    proc = run_worker("crash", str(tmp_path), backend, "commit", check=False)
    assert proc.returncode == -signal.SIGKILL, proc.stderr
    seen, messages = survivors(tmp_path)
    assert not [m for m in messages if "skipped" in m or "covers 0" in m], messages
    assert seen == set(range(100))


def test_kill_before_the_first_flush_leaves_a_valid_empty_session(tmp_path: Path, backend: str) -> None:
    """Nothing was flushed: the records are lost, but the session opens (sqlite skipped it as corrupt)."""
    new_store(tmp_path, backend)
    proc = run_worker("crash", str(tmp_path), backend, "first", check=False)
    assert proc.returncode == -signal.SIGKILL, proc.stderr
    seen, messages = survivors(tmp_path)
    assert not [m for m in messages if "skipped" in m], messages
    assert seen == set()
    assert DataManager("store", tmp_path).session_names() == ["victim"]
