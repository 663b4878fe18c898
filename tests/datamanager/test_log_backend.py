"""The ``log`` backend (the default): torn commits after ``kill -9``, CRC checks, warm-cache freshness."""

from __future__ import annotations

import os
import signal
import time
import warnings
from pathlib import Path

import pytest
from neurofiles import DataManager, StorageWarning
from neurofiles.plugins.log_store import _backend as log_backend
from neurofiles.plugins.log_store._format import HEADER, SET, commit_record, parse, record

from .conftest import run_worker


def test_default_backend_is_log(tmp_path: Path) -> None:
    dm = DataManager("s", tmp_path)
    assert dm.backend_name == "log"
    with dm.session() as s:
        s["x"] = 1
    (path,) = Path(dm.basepath).glob("*.nflog")
    assert path.read_bytes().startswith(HEADER)
    assert path.stat().st_size < 100  # a tiny session is one small file


def test_kill_9_in_the_middle_of_a_commit_keeps_the_previous_one(tmp_path: Path) -> None:
    DataManager("store", tmp_path, backend="log").close()
    proc = run_worker("crashmid", str(tmp_path), check=False)
    assert proc.returncode == -signal.SIGKILL, proc.stderr
    path = Path(tmp_path) / "store.data" / "victim.nflog"
    size = path.stat().st_size
    dm = DataManager("store", tmp_path)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert sorted(dm.get_matching("r")) == [f"r{i:06d}" for i in range(100)]
    ino = path.stat().st_ino
    with dm.session("victim") as s:  # reopened: the torn tail is replaced, never truncated in place
        assert len(s) == 100
        s["after"] = 1
    assert path.stat().st_ino != ino and path.stat().st_size != size
    again = DataManager("store", tmp_path)
    assert again.itemcount() == 101 and again.get("after") == {"victim": 1}


def test_corrupt_segment_is_not_applied_and_garbage_is_skipped(tmp_path: Path) -> None:
    seg = record(SET, b"a", b"\x80\x04K\x01.")
    good = HEADER + seg + commit_record(seg)
    seg2 = record(SET, b"b", b"\x80\x04K\x02.")
    bad_crc = bytearray(commit_record(seg2))
    bad_crc[-1] ^= 0xFF
    parsed = parse(good + seg2 + bytes(bad_crc))
    assert set(parsed.items) == {"a"} and parsed.end == len(good) and parsed.torn == len(seg2) + 9
    huge = HEADER + bytes([SET]) + (2**31).to_bytes(4, "little") + (0).to_bytes(4, "little")
    assert parse(huge).items == {}  # a length past the end is a torn tail, never an allocation
    dm = DataManager("store", tmp_path, backend="log")
    with dm.session("good") as s:
        s["a"] = 1
    (Path(dm.basepath) / "bad.nflog").write_bytes(b"not a session" * 10)
    with pytest.warns(StorageWarning, match="bad.nflog"):
        assert dm.get("a") == {"good": 1}


def test_warm_reader_sees_a_later_commit_of_another_process(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(log_backend, "SETTLE_NS", 0)  # trust the folder mtime at once
    writer = DataManager("store", tmp_path)
    reader = DataManager("store", tmp_path)
    with writer.session("a") as s:
        s["x"] = 1
    assert reader.get("x") == {"a": 1}
    assert reader.get("x") == {"a": 1}  # warm: no per-file stat
    assert reader.backend._trust
    run_worker("writer", str(tmp_path), "log", "a2", "100")
    assert len(reader.get_matching("r")) == 100  # a new file changed the folder
    assert reader.get("x") == {"a": 1}
    s = writer.session("a")  # an append in place: only the writer's bump tells the folder
    s["x"] = 2
    s.flush()
    assert reader.get("x") == {"a": 2}
    assert len(reader.get_matching("r")) == 100
    s.close()


def test_large_values_are_read_on_demand(tmp_path: Path) -> None:
    dm = DataManager("store", tmp_path)
    blob = os.urandom(100_000)
    with dm.session("big") as s:
        s["blob"] = blob
        s["small"] = 1
    fresh = DataManager("store", tmp_path)
    assert fresh.get("blob") == {"big": blob}
    assert dict(fresh.iteritems()) == {"blob": blob, "small": 1}


def test_durable_option_fsyncs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[int] = []
    real = os.fsync
    monkeypatch.setattr(os, "fsync", lambda fd: calls.append(fd) or real(fd))
    dm = DataManager("store", tmp_path, backend="log", durable=True)
    with dm.session() as s:
        s["x"] = 1
    assert calls
    assert DataManager("store", tmp_path).backend.durable  # recorded in the manifest


def test_warm_answers_are_per_name_set_and_follow_every_change(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(log_backend, "SETTLE_NS", 0)
    dm = DataManager("store", tmp_path)
    for name, g in (("a", 0.1), ("b", 0.2), ("c", 0.1)):
        with dm.session(name, params={"g": g}) as s:
            s["x"] = [name]
    for _ in range(3):  # the second and third calls are answered from the memo
        assert dm.get("x") == {"a": ["a"], "b": ["b"], "c": ["c"]}
        assert dm.get("x", where={"g": 0.1}) == {"a": ["a"], "c": ["c"]}
    assert dm.backend._answers  # the memo is in use
    got = dm.get("x")
    got["a"].append("mutated")  # values are decoded afresh each call
    assert dm.get("x")["a"] == ["a"]
    dm.delete_session("a")
    assert dm.get("x") == {"b": ["b"], "c": ["c"]}
    time.sleep(0.05)  # SETTLE_NS is 0 here: let the coarse folder clock tick between the two bumps
    other = DataManager("store", tmp_path)
    with other.session("b") as s:
        s["x"] = ["b2"]
    assert dm.get_merged("x") == ["b2", "c"]


def test_collation_runs_without_cyclic_gc_passes_and_restores_the_collector(tmp_path: Path) -> None:
    import gc

    dm = DataManager("store", tmp_path)
    for i in range(300):
        with dm.session(f"s{i:04d}") as s:
            s["rate"] = [float(i), [i]]
    passes: list[str] = []

    def count(phase: str, info: dict[str, int]) -> None:
        if phase == "start":
            passes.append(phase)

    old = gc.get_threshold()
    gc.callbacks.append(count)
    gc.set_threshold(5)  # a collection every few container allocations, unless paused
    try:
        for call in (lambda: dm.get_merged("rate"), lambda: dm.get("rate")):
            before = len(passes)
            call()
            assert len(passes) - before <= 2, len(passes) - before  # unpaused: one per ~5 of 300 values
        assert gc.isenabled()
        gc.disable()
        dm.get("rate")
        assert not gc.isenabled()  # left as the caller had it
        gc.enable()
    finally:
        gc.set_threshold(*old)
        gc.callbacks.remove(count)
    dm.close()
