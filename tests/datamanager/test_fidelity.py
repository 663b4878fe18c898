"""Brian 1 fidelity: DataManager and sessions in Pool workers under every start method; acquire/release; shelf()."""

from __future__ import annotations

import multiprocessing
import pickle
from pathlib import Path

import pytest
from neurofiles import DataManager
from neurofiles._errors import InvalidNameError
from neurofiles._errors import SessionBusyError

from . import _pool_tasks

START_METHODS = [m for m in ("spawn", "forkserver") if m in multiprocessing.get_all_start_methods()]


@pytest.mark.parametrize("method", START_METHODS)
def test_datamanager_in_pool_workers(tmp_path: Path, backend: str, method: str) -> None:
    dm = DataManager("store", tmp_path, backend=backend)
    try:
        ctx = multiprocessing.get_context(method)
        with ctx.Pool(2) as pool:
            done = pool.map(_pool_tasks.brian_task, [(dm, i) for i in range(6)])
            assert sorted(i for i, _pid in done) == list(range(6))
            assert sorted(dm.get_merged("rate")) == [float(i) for i in range(6)]
            assert len(dm.session_names()) == 6
            assert pool.apply(_pool_tasks.collate, (dm,)) == [float(i) for i in range(6)]
    finally:
        dm.close()


@pytest.mark.parametrize("method", START_METHODS)
def test_locking_session_shared_by_pool_workers(tmp_path: Path, backend: str, method: str) -> None:
    dm = DataManager("store", tmp_path, backend=backend)
    try:
        shared = dm.locking_session("shared")
        shared["n"] = 0
        ctx = multiprocessing.get_context(method)
        with ctx.Pool(2) as pool:
            pids = pool.map(_pool_tasks.shared_increment, [(shared, 20) for _ in range(4)])
        assert len(pids) == 4
        assert shared["n"] == 80
        shared.close()
    finally:
        dm.close()


def test_pickle_round_trip_keeps_the_store_and_options(tmp_path: Path) -> None:
    dm = DataManager("a/b", tmp_path, backend="sqlite", codec="safe", lock_timeout=5.0, commit_every=7)
    with dm.session("s1") as s:
        s["x"] = [1]
    clone = pickle.loads(pickle.dumps(dm))
    assert clone is not dm
    assert (clone.name, clone.backend_name, clone.codec, clone.lock_timeout) == ("a/b", "sqlite", "safe", 5.0)
    assert Path(clone.basepath).resolve() == Path(dm.basepath).resolve()
    assert clone.backend.options["commit_every"] == 7
    assert clone.get("x") == {"s1": [1]}
    view = dm.partitions(1)[0].open()
    view_clone = pickle.loads(pickle.dumps(view))
    assert view_clone.session_names() == ["s1"]
    for m in (clone, view, view_clone, dm):
        m.close()


def test_pickled_session_flushes_and_a_held_one_is_busy(tmp_path: Path, backend: str) -> None:
    dm = DataManager("store", tmp_path, backend=backend)
    s = dm.session("named")
    s["x"] = 1
    data = pickle.dumps(s)  # flushed: another process would see x
    other = DataManager("store", tmp_path)
    assert other.get("x") == {"named": 1}
    with pytest.raises(SessionBusyError):
        pickle.loads(data)  # still held here
    s.close()
    again = pickle.loads(data)
    assert again.name == "named" and again["x"] == 1 and not again.closed
    again.close()
    other.close()
    dm.close()


def test_acquire_release_like_brians_locking_session(tmp_path: Path, backend: str) -> None:
    dm = DataManager("store", tmp_path, backend=backend)
    a = dm.locking_session("shared")
    b = DataManager("store", tmp_path).locking_session("shared")
    a.acquire()
    assert a._lock.held
    a["n"] = 1
    with pytest.raises(Exception) as busy:
        b.acquire(timeout=0.2)
    assert type(busy.value).__name__ == "LockTimeoutError"
    a.acquire()  # nests
    a.release()
    assert a._lock.held
    a.release()  # flushed, then released: b sees the write
    assert not a._lock.held
    b.acquire(timeout=1)
    assert b["n"] == 1
    b["n"] = 2
    b.release()
    assert a["n"] == 2
    with pytest.raises(RuntimeError):
        a.release()
    a.acquire()
    a.close()  # closing releases what acquire() held
    b.acquire(timeout=1)
    b.release()
    b.close()
    dm.close()


def test_shelf_opens_a_session_by_its_file(tmp_path: Path, backend: str) -> None:
    dm = DataManager("store", tmp_path, backend=backend)
    fname = dm.session_filename("run1")
    with dm.shelf(fname) as s:
        assert s.name == "run1"
        s["x"] = 3
    assert dm.get("x") == {"run1": 3}
    with dm.shelf("run2") as s:
        s["x"] = 4
    assert dm.get("x") == {"run1": 3, "run2": 4}
    with dm.shelf(dm.computer_session_filename) as s:
        assert s.name == dm.computer_name
    with pytest.raises(InvalidNameError):
        dm.shelf(str(tmp_path / "elsewhere.sqlite"))
    dm.close()
