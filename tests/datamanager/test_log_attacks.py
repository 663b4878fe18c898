"""The ``.nflog`` backend under attack: damaged, truncated and oversized files, links, FIFOs, folders, co-writers.

Every case ends in a typed error naming the file (and the byte offset for
damage), or in the documented recovery (a torn tail is dropped and the file
replaced by its committed state); nothing is followed, allocated past the
file's size, or written into a file the store did not create.
"""

from __future__ import annotations

import os
import pickle
import signal
import struct
import tracemalloc
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from neurofiles import CorruptSessionError, DataManager, StorageWarning
from neurofiles._errors import SessionBusyError, SessionWriteError, UnsafeStoreFileError
from neurofiles.plugins.log_store._format import HEADER, SET, commit_record, parse, record

from .conftest import run_worker

V = pickle.dumps(5)


def segment(key: str, value: bytes = V) -> bytes:
    body = record(SET, key.encode(), value)
    return body + commit_record(body)


@pytest.fixture
def store(tmp_path: Path) -> Path:
    dm = DataManager("s", tmp_path)
    with dm.session("good") as s:
        s["a"] = 1
    dm.close()
    return tmp_path / "s.data"


def collate(base: Path) -> tuple[dict[str, object], list[str]]:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        dm = DataManager("s", base.parent)
        got = dm.get("a")
        dm.close()
    return got, [str(w.message) for w in caught if issubclass(w.category, StorageWarning)]


def write_victim(base: Path) -> None:
    dm = DataManager("s", base.parent)
    try:
        with dm.session("victim") as s:
            s["z"] = 2
    finally:
        dm.close()


@contextmanager
def alarm(seconds: int) -> Iterator[None]:
    """Fail instead of hanging."""

    def boom(*_: object) -> None:
        raise TimeoutError("hung")

    old = signal.signal(signal.SIGALRM, boom)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, old)


@pytest.mark.parametrize(
    "tail, offset",
    [
        pytest.param("crc", 8 + 24 + 15, id="commit-crc-mismatch-then-valid-segments"),
        pytest.param("garbage", 8 + 24, id="non-zero-garbage-after-a-segment"),
        pytest.param("badkey", 8 + 24 + 9, id="key-not-utf8"),
    ],
)
def test_damage_is_refused_with_its_offset_never_repaired(store: Path, tail: str, offset: int) -> None:
    victim = store / "victim.nflog"
    if tail == "crc":
        bad = bytearray(segment("b"))
        bad[-1] ^= 1
        data = HEADER + segment("a") + bytes(bad) + segment("c")  # "c" is committed after the damage
    elif tail == "garbage":
        data = HEADER + segment("a") + b"\xff" * 20
    else:
        body = record(SET, b"\xff", V)
        data = HEADER + segment("a") + body + commit_record(body)
    victim.write_bytes(data)
    got, warned = collate(store)
    assert got == {"good": 1}  # skipped whole: never a silent half session
    assert any("victim.nflog" in w and f"damaged at byte {offset}" in w for w in warned), warned
    with pytest.raises(CorruptSessionError, match=f"damaged at byte {offset}.*nothing written"):
        write_victim(store)
    assert victim.read_bytes() == data  # not rewritten, not truncated, nothing appended
    assert parse(data).damage is not None and parse(data).damage[0] == offset  # type: ignore[index]


def test_torn_tails_are_dropped_and_replaced_by_the_committed_state(store: Path) -> None:
    victim = store / "victim.nflog"
    cut = segment("b")[:-4]  # a commit record cut by the end of the file: kill -9 inside write()
    for tail in (cut, b"\0" * 4096):  # zeros to the end: a power cut
        victim.write_bytes(HEADER + segment("a") + tail)
        got, warned = collate(store)
        assert got == {"good": 1, "victim": 5} and warned == []
        write_victim(store)
        fresh = DataManager("s", store.parent)
        assert fresh.get("z") == {"victim": 2} and fresh.get("a")["victim"] == 5
        fresh.close()


def test_length_fields_never_allocate_past_the_file(store: Path) -> None:
    victim = store / "victim.nflog"
    huge = struct.pack("<BII", SET, 0xFFFFFFFF, 0xFFFFFFFF) + b"x" * 1000  # 8 GiB claimed by 1 kB
    claim = struct.pack("<BII", SET, 1, 0xFFFFFFF0) + b"a" + b"y" * 1000  # a 4 GiB value, then a commit
    for tail in (huge, claim + commit_record(claim)):
        victim.write_bytes(HEADER + segment("a") + tail)
        tracemalloc.start()
        try:
            got, warned = collate(store)
            peak = tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()
        assert got == {"good": 1, "victim": 5} and warned == []  # cut by the end: a torn tail
        assert peak < 4_000_000, peak


def test_a_large_value_of_a_file_shrunk_since_parsing_is_refused_without_allocating(
    store: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from neurofiles.plugins.log_store import _backend

    monkeypatch.setattr(_backend, "SETTLE_NS", 0)  # trust the folder at once: cached entries, no stat
    dm = DataManager("s", store.parent)
    with dm.session("big") as s:
        s["blob"] = b"\1" * 30_000_000  # read on demand (beyond the 32 kB kept in memory)
    assert len(dm.get("blob")["big"]) == 30_000_000
    assert len(dm.get("blob")["big"]) == 30_000_000  # validated: answered from the cache from now on
    with open(store / "big.nflog", "r+b") as f:
        f.truncate(2000)  # behind the store's back: the folder does not move
    tracemalloc.start()
    try:
        with pytest.warns(StorageWarning, match=r"big\.nflog.*value of \d+ bytes at byte \d+ is past the end"):
            assert dm.get("blob") == {}
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 10_000_000, peak
    dm.close()


def test_a_hard_link_is_never_written_through(store: Path, tmp_path: Path) -> None:
    victim = store / "victim.nflog"
    for content in (b"", HEADER + segment("a")):  # an empty outside file, and another store's session
        outside = tmp_path / f"outside{len(content)}"
        outside.write_bytes(content)
        if victim.exists():
            victim.unlink()
        os.link(outside, victim)
        with pytest.raises(UnsafeStoreFileError, match="hard links.*nothing written"):
            write_victim(store)
        assert outside.read_bytes() == content


def test_symlink_fifo_and_folder_in_place_of_a_session_file(store: Path, tmp_path: Path) -> None:
    victim = store / "victim.nflog"
    target = tmp_path / "target.nflog"
    target.write_bytes(HEADER + segment("a"))
    os.symlink(target, victim)
    got, warned = collate(store)
    assert got == {"good": 1} and any("victim.nflog" in w and "symbolic link" in w for w in warned)
    with pytest.raises(SessionWriteError, match="victim.nflog"):
        write_victim(store)
    assert target.read_bytes() == HEADER + segment("a")
    victim.unlink()
    os.mkfifo(victim)
    with alarm(20):
        got, warned = collate(store)
        assert got == {"good": 1} and any("victim.nflog" in w for w in warned)
        with pytest.raises(CorruptSessionError, match="victim.nflog.*not a regular file"):
            write_victim(store)
    victim.unlink()
    victim.mkdir()
    got, warned = collate(store)
    assert got == {"good": 1} and any("victim.nflog" in w and "folder" in w for w in warned)
    with pytest.raises(SessionWriteError, match="victim.nflog"):
        write_victim(store)
    assert victim.is_dir() and list(victim.iterdir()) == []


def test_a_store_folder_that_is_a_symlink_is_refused(tmp_path: Path) -> None:
    real = tmp_path / "real"
    dm = DataManager("x", real)
    with dm.session("a") as s:
        s["a"] = 1
    dm.close()
    before = sorted(p.name for p in (real / "x.data").iterdir())
    os.symlink(real / "x.data", tmp_path / "s.data")
    with pytest.raises(UnsafeStoreFileError, match=r"s\.data.*symbolic link"):
        DataManager("s", tmp_path)
    (tmp_path / "plain.data").write_bytes(b"")
    with pytest.raises(UnsafeStoreFileError, match="not a folder"):
        DataManager("plain", tmp_path)
    assert sorted(p.name for p in (real / "x.data").iterdir()) == before
    spec = DataManager("x", real).partitions(1)[0]
    os.rename(real / "x.data", real / "moved.data")
    os.symlink(real / "moved.data", real / "x.data")
    with pytest.raises(UnsafeStoreFileError):
        spec.open()


def test_two_writers_of_one_session(tmp_path: Path) -> None:
    dm = DataManager("store", tmp_path, lock_timeout=0.5)
    first = dm.session("one")
    with pytest.raises(SessionBusyError):
        dm.session("one")
    first["x"] = 1
    first.close()
    shared = dm.locking_session("shared")  # opened before its co-writer dies inside a commit
    shared["mine"] = 0
    proc = run_worker("lockcrash", str(tmp_path), check=False)
    assert proc.returncode == -signal.SIGKILL, proc.stderr
    path = tmp_path / "store.data" / "shared.nflog"
    assert parse(path.read_bytes()).torn > 0  # the co-writer left half a commit
    shared["after"] = 2  # under the lock: the torn tail is replaced first, never appended after
    shared.close()
    fresh = DataManager("store", tmp_path)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert fresh.get("after") == {"shared": 2}
        assert fresh.get("w1") == {"shared": 1} and fresh.get("mine") == {"shared": 0}
        assert fresh.get("w2") == {}
    assert parse(path.read_bytes()).torn == 0


@pytest.mark.parametrize("backend", ["log", "sqlite", "dbm", "shelve"])
def test_a_linked_sub_folder_is_never_written_or_deleted_through(tmp_path: Path, backend: str) -> None:
    options = {"flavour": "dumb"} if backend in ("dbm", "shelve") else {}
    dm = DataManager("s", tmp_path / "store", backend=backend, **options)
    with dm.session("real/x") as s:  # a session name with "/" lives in a real sub-folder
        s["a"] = 1
    outside = tmp_path / "outside"
    outside.mkdir()
    os.symlink(outside, Path(dm.basepath) / "sub")
    with pytest.raises(UnsafeStoreFileError, match="sub: a symbolic link"):
        dm.session("sub/x")
    assert list(outside.iterdir()) == []
    planted = outside / Path(dm.session_filename("sub/y")).name
    planted.write_bytes(b"keep me")
    with pytest.raises(UnsafeStoreFileError):
        dm.delete_session("sub/y")
    assert planted.read_bytes() == b"keep me"
    (Path(dm.basepath) / "afile").write_bytes(b"")
    with pytest.raises(UnsafeStoreFileError, match="afile: not a folder"):
        dm.session("afile/x")
    with pytest.warns(StorageWarning, match="(sub|afile): skipped"):  # the planted entries, named
        assert dm.get("a") == {"real/x": 1}
    dm.delete_session("real/x")
    with pytest.warns(StorageWarning, match="(sub|afile): skipped"):
        assert dm.get("a") == {}
    dm.close()
