"""Real processes: concurrent writers with a live reader, kill -9, locks, computer_session."""

from __future__ import annotations

import gc
import json
import os
import signal
import socket
import subprocess
import time
import warnings
from pathlib import Path

import pytest
from neurofiles import DataManager, SessionBusyError, StorageWarning

from .conftest import new_store, run_worker, start_worker

WRITERS = 4
RECORDS = 10_000


def check_records(dm_items: list[tuple[str, str, object]]) -> dict[str, set[int]]:
    """Every record must be ``r<i> -> [i, session]``; return the indices seen per session."""
    seen: dict[str, set[int]] = {}
    for session, key, value in dm_items:
        assert key.startswith("r"), key
        i = int(key[1:])
        assert value == [i, session], (session, key, value)  # nothing torn or misplaced
        seen.setdefault(session, set()).add(i)
    return seen


@pytest.mark.slow
def test_four_writers_and_a_live_reader(tmp_path: Path, backend: str) -> None:
    new_store(tmp_path, backend)
    reader = DataManager("store", tmp_path)  # opened first: writers on a fast backend finish in well under 1 s
    polls, live_polls, last_count = 0, 0, 0
    gc.collect()  # garbage of earlier tests must not warn inside the block below
    procs = [
        start_worker("writer", str(tmp_path), backend, f"w{k}", str(RECORDS), stdout=subprocess.PIPE)
        for k in range(WRITERS)
    ]
    with warnings.catch_warnings(record=True) as record:
        warnings.simplefilter("always")
        while any(p.poll() is None for p in procs) or polls == 0:
            live_polls += any(p.poll() is None for p in procs)
            count = reader.itemcount()
            seen = check_records(list(reader.iter_session_items()))
            assert set(seen) <= {f"w{k}" for k in range(WRITERS)}
            if backend == "sqlite":  # committed data never disappear
                assert count >= last_count
                for session, idx in seen.items():
                    assert idx == set(range(len(idx))), f"{session}: a gap in committed records"
            last_count = count
            polls += 1
            time.sleep(1.0 if backend in ("dbm", "shelve") else 0.05)  # a dbm.dumb poll opens .dat per value
    for p in procs:
        assert p.wait(timeout=300) == 0
        if p.stdout is not None:
            p.stdout.close()
    # mid-run warnings (a session not yet created, an index being rewritten) are StorageWarnings only
    assert all(issubclass(w.category, StorageWarning) for w in record), [str(w.message) for w in record]
    final = DataManager("store", tmp_path)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        seen = check_records(list(final.iter_session_items()))
        assert final.itemcount() == WRITERS * RECORDS
        assert len(final.get("r009999")) == WRITERS
    assert seen == {f"w{k}": set(range(RECORDS)) for k in range(WRITERS)}
    assert live_polls >= 1  # the reader really ran while the writers wrote (fast writers may need only one)


def last_committed(progress: Path) -> int:
    lines = [ln for ln in progress.read_text().split("\n") if ln.strip().isdigit()]
    return int(lines[-1]) if lines else -1


@pytest.mark.slow
def test_kill_9_keeps_every_committed_record(tmp_path: Path, backend: str) -> None:
    new_store(tmp_path, backend)
    procs = {}
    for k in range(WRITERS):
        progress = tmp_path / f"w{k}.progress"
        progress.touch()
        procs[f"w{k}"] = (start_worker("writer", str(tmp_path), backend, f"w{k}", "10000000", str(progress)), progress)
    deadline = time.monotonic() + 120
    while min(last_committed(p) for _, p in procs.values()) < 1000:
        assert time.monotonic() < deadline, "writers made no progress"
        time.sleep(0.05)
    for proc, _ in procs.values():
        os.kill(proc.pid, signal.SIGKILL)
    for proc, _ in procs.values():
        proc.wait(timeout=30)
        assert proc.returncode == -signal.SIGKILL
    committed = {name: last_committed(p) for name, (_, p) in procs.items()}
    dm = DataManager("store", tmp_path)
    gc.collect()  # garbage of earlier tests must not warn inside the block below
    with warnings.catch_warnings(record=True) as record:
        warnings.simplefilter("always")
        seen = check_records(list(dm.iter_session_items()))
        count = dm.itemcount()
    skipped = [str(w.message) for w in record if "skipped" in str(w.message)]
    assert all(issubclass(w.category, StorageWarning) for w in record)
    assert not skipped, skipped  # no session is lost on any backend
    assert count == sum(len(v) for v in seen.values())
    assert dm.backend.capabilities.crash_safe == "process"  # sqlite, and dbm/shelve on the dumb flavour
    assert set(seen) == set(committed)
    for name, last in committed.items():
        # after flush() returned: every earlier record survives
        assert seen[name] >= set(range(last + 1)), f"{name}: lost flushed records (up to {last})"
        # after __setitem__ returned: a record survives only with its whole commit group, in order
        assert seen[name] == set(range(len(seen[name]))), f"{name}: records survived out of order"
        if backend != "sqlite":
            # dbm.dumb: exactly the state of a flush (the worker flushes every 100 records)
            assert len(seen[name]) % 100 == 0, f"{name}: {len(seen[name])} records is not a flushed state"


def test_counter_under_lock_is_exact(tmp_path: Path, backend: str) -> None:
    new_store(tmp_path, backend)
    procs = [start_worker("increment", str(tmp_path), backend, "150") for _ in range(4)]
    for p in procs:
        assert p.wait(timeout=300) == 0
    assert DataManager("store", tmp_path).get("n") == {"shared": 600}


def test_locking_session_loses_no_write(tmp_path: Path, backend: str) -> None:
    new_store(tmp_path, backend)
    procs = [start_worker("setkeys", str(tmp_path), backend, f"p{k}_", "100") for k in range(4)]
    for p in procs:
        assert p.wait(timeout=300) == 0
    dm = DataManager("store", tmp_path)
    assert dm.itemcount() == 400
    assert dm.get("p3_99") == {"shared": 99}


def test_computer_session_fails_fast_naming_the_holder(tmp_path: Path, backend: str) -> None:
    new_store(tmp_path, backend)
    holder = start_worker("hold", str(tmp_path), backend, "60", stdout=subprocess.PIPE)
    try:
        line = holder.stdout.readline()  # type: ignore[union-attr]
        assert line.startswith("holding"), line
        pid = int(line.split()[1])
        out = json.loads(run_worker("try", str(tmp_path), backend).stdout)
        assert out["busy"] is not None and out["seconds"] < 2.0
        assert f"pid {pid} on host {socket.gethostname()}" in out["busy"]
        # in this process too
        dm = DataManager("store", tmp_path)
        with pytest.raises(SessionBusyError, match=f"pid {pid}") as info:
            dm.computer_session()
        assert isinstance(info.value, BlockingIOError)
    finally:
        os.kill(holder.pid, signal.SIGKILL)  # the OS drops the lock of a killed holder
        holder.wait(timeout=30)
    assert json.loads(run_worker("try", str(tmp_path), backend).stdout)["busy"] is None
    with DataManager("store", tmp_path).computer_session() as s:
        assert s["who"] == pid


def test_same_process_second_writer_is_refused(tmp_path: Path) -> None:
    dm = DataManager("store", tmp_path)
    first = dm.computer_session()
    with pytest.raises(SessionBusyError, match=f"pid {os.getpid()}"):
        dm.computer_session()
    named = dm.session("named")
    with pytest.raises(SessionBusyError):
        dm.session("named")
    named.close()
    first.close()
    with dm.computer_session() as again:
        again["ok"] = True
