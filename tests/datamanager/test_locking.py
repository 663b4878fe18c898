"""FileLock and the manifest's create-if-absent, in one process (multi-process cases: test_processes)."""

from __future__ import annotations

import json
import os
import socket
from pathlib import Path

import pytest
from neurofiles import LockTimeoutError, SessionBusyError
from neurofiles._storage.locking import FileLock
from neurofiles._storage.manifest import read_manifest, write_manifest


def test_filelock_is_reentrant_and_records_its_holder(tmp_path: Path) -> None:
    lock = FileLock(tmp_path / "sub" / "x.lock")
    assert not lock.held and "free" in repr(lock)
    with lock:
        with lock:
            assert lock.held
        info = json.loads((tmp_path / "sub" / "x.lock").read_text())
        assert info["pid"] == os.getpid() and info["host"] == socket.gethostname()
        assert lock.holder().startswith(f"pid {os.getpid()} on host ")
        other = FileLock(tmp_path / "sub" / "x.lock")  # a second holder, even in this process, is refused
        with pytest.raises(SessionBusyError):
            other.acquire(blocking=False)
        with pytest.raises(LockTimeoutError):
            other.acquire(timeout=0.05)
    assert not lock.held
    assert (tmp_path / "sub" / "x.lock").read_text() == ""  # holder record cleared on release
    other.acquire(timeout=1)
    other.release()
    with pytest.raises(RuntimeError, match="not held"):
        other.release()


def test_manifest_is_created_once(tmp_path: Path) -> None:
    first = write_manifest(tmp_path, "sqlite", "pickle", {"synchronous": "NORMAL"})
    second = write_manifest(tmp_path, "dbm", "safe", {"flavour": "dumb"})
    assert second["backend"] == first["backend"] == "sqlite"  # the first creator won
    assert read_manifest(tmp_path) == first
    assert [p.name for p in tmp_path.iterdir()] == ["_store.json"]  # no temporary files left
