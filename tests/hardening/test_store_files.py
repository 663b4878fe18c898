"""Planted files in a store: lock files, manifests, FIFOs and rubbish never hang, never escape, never go untyped."""

from __future__ import annotations

import contextlib
import gc
import json
import os
import shutil
import signal
import sqlite3
import warnings
from collections.abc import Iterator
from pathlib import Path
from types import FrameType
from urllib.parse import quote

import pytest
from neurofiles import DataManager, NeurofilesError, OptionError, StorageError, StorageWarning
from neurofiles._framework.backend import CorruptSessionError, StoreManifestError, UnsafeStoreFileError

BACKENDS = ["sqlite", "dbm", "shelve"]
SUFFIX = {"sqlite": ".sqlite", "dbm": ".dbm.dat", "shelve": ".dat"}


class Hang(BaseException):
    """Raised by :func:`no_hang` when a call blocks."""


@contextlib.contextmanager
def no_hang(seconds: int = 10) -> Iterator[None]:
    """Fail (instead of blocking the suite) if the block takes longer than ``seconds``."""

    def alarm(signum: int, frame: FrameType | None) -> None:
        raise Hang(f"blocked for {seconds} s")  # a BaseException: no ``except Exception`` swallows it

    old = signal.signal(signal.SIGALRM, alarm)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, old)


def store(tmp_path: Path, backend: str) -> DataManager:
    dm = DataManager("store", tmp_path, backend=backend)
    with dm.session("good") as s:
        s["k"] = [1]
    return dm


def lock_path(dm: DataManager, name: str) -> Path:
    return Path(dm.basepath) / "_locks" / (quote(name, safe="") + ".lock")


# -- lock files --------------------------------------------------------------------------------


def test_lock_file_symlink_is_refused_and_its_target_untouched(tmp_path: Path) -> None:
    dm = store(tmp_path, "sqlite")
    victim = tmp_path / "victim.txt"
    victim.write_text("precious\n")
    path = lock_path(dm, "s")
    path.parent.mkdir(exist_ok=True)
    path.symlink_to(victim)
    for opener in (lambda: dm.session("s"), lambda: dm.locking_session("s")["x"]):
        with pytest.raises(UnsafeStoreFileError, match="symbolic link") as info:
            opener()
        assert isinstance(info.value, StorageError) and str(path) in str(info.value)
    assert victim.read_text() == "precious\n"


def test_lock_folder_symlink_is_refused(tmp_path: Path) -> None:
    dm = store(tmp_path, "sqlite")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    shutil.rmtree(Path(dm.basepath) / "_locks")
    (Path(dm.basepath) / "_locks").symlink_to(elsewhere)
    with pytest.raises(UnsafeStoreFileError):
        dm.session("s")
    assert list(elsewhere.iterdir()) == []


@pytest.mark.parametrize("kind", ["fifo", "hardlink", "foreign"])
def test_planted_lock_files_are_refused_untouched(tmp_path: Path, kind: str) -> None:
    dm = store(tmp_path, "sqlite")
    path = lock_path(dm, "s")
    path.parent.mkdir(exist_ok=True)
    victim = tmp_path / "victim.txt"
    victim.write_text("precious\n")
    if kind == "fifo":
        os.mkfifo(path)
    elif kind == "hardlink":
        os.link(victim, path)
    else:
        path.write_text("precious\n")
        os.chown(path, os.geteuid() + 4242, -1)
    with no_hang(), pytest.raises(UnsafeStoreFileError, match="lock file refused"):
        dm.session("s")
    assert victim.read_text() == "precious\n"
    if kind == "foreign":
        assert path.read_text() == "precious\n"


def test_own_lock_file_holds_the_holder_record_only_while_held(tmp_path: Path) -> None:
    dm = store(tmp_path, "sqlite")
    s = dm.session("s")
    record = json.loads(lock_path(dm, "s").read_text())
    assert record["pid"] == os.getpid()
    s.close()
    assert lock_path(dm, "s").read_bytes() == b""


# -- FIFOs and links planted as store files ----------------------------------------------------


@pytest.mark.parametrize("backend", BACKENDS)
def test_fifo_session_file_is_skipped_without_blocking(tmp_path: Path, backend: str) -> None:
    dm = store(tmp_path, backend)
    os.mkfifo(Path(dm.basepath) / ("jam" + SUFFIX[backend]))
    if backend != "sqlite":
        os.mkfifo(Path(dm.basepath) / ("jam" + SUFFIX[backend].replace(".dat", ".dir")))
    with no_hang(), pytest.warns(StorageWarning, match="jam"):
        assert DataManager("store", tmp_path).get("k") == {"good": [1]}


@pytest.mark.parametrize("name", ["jam.dbm", "jam"])
def test_fifo_in_a_manifestless_store_does_not_block_detection(tmp_path: Path, name: str) -> None:
    base = tmp_path / "store.data"
    base.mkdir()
    os.mkfifo(base / name)  # whichdb would open it to read its magic
    with no_hang(), warnings.catch_warnings():
        warnings.simplefilter("ignore", StorageWarning)
        with pytest.raises(StoreManifestError, match="no installed backend recognises"):
            DataManager("store", tmp_path)


def test_fifo_index_is_bypassed(tmp_path: Path) -> None:
    dm = store(tmp_path, "sqlite")
    index = Path(dm.basepath) / "_index.sqlite"
    if index.exists():
        index.unlink()
    os.mkfifo(index)
    with no_hang(), pytest.warns(StorageWarning, match="index unusable"):
        assert DataManager("store", tmp_path).get("k") == {"good": [1]}


@pytest.mark.parametrize(
    "plant",
    ["fifo", "devzero", "deep", "huge", "synchronous", "options"],
)
def test_hostile_manifest_is_a_typed_error(tmp_path: Path, plant: str) -> None:
    dm = store(tmp_path, "sqlite")
    manifest = Path(dm.basepath) / "_store.json"
    data = json.loads(manifest.read_text())
    manifest.unlink()
    if plant == "fifo":
        os.mkfifo(manifest)
    elif plant == "devzero":
        manifest.symlink_to("/dev/zero")
    elif plant == "deep":
        manifest.write_text("[" * 100_000 + "]" * 100_000)
    elif plant == "huge":
        manifest.write_text(json.dumps({**data, "pad": "x" * 10_000_000}))
    elif plant == "synchronous":
        manifest.write_text(json.dumps({**data, "options": {"synchronous": "OFF; DROP TABLE kv; --"}}))
    else:
        manifest.write_text(json.dumps({**data, "options": {"synchronus": "FULL"}}))
    with no_hang(), pytest.raises(StoreManifestError) as info:
        DataManager("store", tmp_path)
    assert "_store.json" in str(info.value)


def test_sql_never_sees_an_unlisted_synchronous_value(tmp_path: Path) -> None:
    from neurofiles.plugins.sqlite_store._session import connect

    with pytest.raises(ValueError):
        connect(tmp_path / "x.sqlite", "rwc", "OFF; DROP TABLE kv")
    with pytest.raises(OptionError):
        DataManager("store", tmp_path, synchronous="OFF; DROP TABLE kv")
    assert not (tmp_path / "x.sqlite").exists()


# -- options -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("backend", "options", "accepted"),
    [
        ("sqlite", {"synchronus": "FULL"}, "synchronous"),
        ("sqlite", {"commit_every": 0}, "commit_every"),
        ("dbm", {"flavor": "dumb"}, "flavour"),
        ("dbm", {"flavour": "bogus"}, "flavour"),
        ("shelve", {"index": False}, "flavour"),
    ],
)
def test_bad_options_are_refused_and_create_nothing(
    tmp_path: Path, backend: str, options: dict[str, object], accepted: str
) -> None:
    with pytest.raises(OptionError, match=accepted):
        DataManager("t", tmp_path / "new" / "deeper", backend=backend, **options)
    assert not (tmp_path / "new").exists()
    with pytest.raises(OptionError, match=accepted):
        DataManager("t", tmp_path, backend=backend, **options)
    assert list(tmp_path.iterdir()) == []
    good = DataManager("t", tmp_path, backend=backend)
    assert good.backend_name == backend


def test_unknown_option_on_an_existing_store_names_the_accepted_ones(tmp_path: Path) -> None:
    store(tmp_path, "sqlite")
    with pytest.raises(OptionError, match="commit_every, commit_seconds, index, synchronous"):
        DataManager("store", tmp_path, synchronus="FULL")


def test_backend_refusing_its_options_leaves_no_folder(tmp_path: Path) -> None:
    from neurofiles._framework.backend import BackendUnavailableError

    with pytest.raises(BackendUnavailableError):
        DataManager("t", tmp_path, backend="dbm", flavour="sqlite3")  # not in Python 3.11
    assert not (tmp_path / "t.data").exists()
    assert DataManager("t", tmp_path).backend_name == "sqlite"


def test_manifestless_store_leaves_no_open_scandir(tmp_path: Path) -> None:
    dm = store(tmp_path, "sqlite")
    with dm.session("other") as s:
        s["k"] = [2]
    os.unlink(Path(dm.basepath) / "_store.json")
    with warnings.catch_warnings(record=True) as record:
        warnings.simplefilter("always")
        DataManager("store", tmp_path).close()
        gc.collect()
    assert not [w for w in record if issubclass(w.category, ResourceWarning)], [str(w.message) for w in record]


# -- rubbish inside sessions -------------------------------------------------------------------


def plant_rows(dm: DataManager, rows: list[tuple[object, object]]) -> None:
    with dm.session("planted") as s:
        s["fine"] = [0]
    conn = sqlite3.connect(Path(dm.basepath) / "planted.sqlite")
    conn.executemany("INSERT INTO kv VALUES (?, ?)", rows)
    conn.commit()
    conn.close()


@pytest.mark.parametrize(
    "rows",
    [[(b"blobkey", b"x")], [("big", 10**12)], [("t", "text value")]],
    ids=["blob-key", "huge-int-value", "text-value"],
)
def test_planted_rows_skip_the_session_with_a_warning(tmp_path: Path, rows: list[tuple[object, object]]) -> None:
    dm = store(tmp_path, "sqlite")
    plant_rows(dm, rows)
    fresh = DataManager("store", tmp_path)
    calls = {
        "keys": fresh.keys,
        "items": fresh.items,
        "get": lambda: fresh.get("k"),
        "itemcount": fresh.itemcount,
        "matching": lambda: fresh.get_matching("k"),
        "merged": lambda: fresh.get_merged("k"),
        "map": lambda: fresh.map_sessions(lambda v: v.items()),
    }
    for name, call in calls.items():
        for use_index in (True, False):
            fresh.backend.use_index = use_index
            with warnings.catch_warnings(record=True) as record:
                warnings.simplefilter("always")
                result = call()
            planted = [str(w.message) for w in record if "planted" in str(w.message)]
            assert planted, (name, use_index, result)
            if name == "keys":
                assert result == ["k"]
            if name == "items":
                assert result == [("k", [1])]
    with fresh.session("planted") as s, pytest.raises(CorruptSessionError, match="planted"):
        list(s)


# -- full disk, read-only store ----------------------------------------------------------------

FULL_SCRIPT = r"""
import resource, signal, sys
from neurofiles import DataManager
from neurofiles._framework.backend import SessionWriteError
signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
dm = DataManager("store", sys.argv[1], backend=sys.argv[2])
s = dm.session("big")
s["kept"] = [1]
s.flush()
resource.setrlimit(resource.RLIMIT_FSIZE, (200_000, 200_000))
try:
    for i in range(1000):
        s[f"v{i}"] = b"x" * 20_000
        if i % 5 == 0:
            s.flush()
    s.flush()
except SessionWriteError as exc:
    assert isinstance(exc, OSError), type(exc).__mro__
    assert "'big'" in str(exc), str(exc)
    print("typed", type(exc).__name__, i)
else:
    print("no error")
try:
    s.close()
except SessionWriteError:
    pass
"""


@pytest.mark.parametrize("backend", BACKENDS)
def test_file_size_limit_is_a_typed_write_error(tmp_path: Path, backend: str) -> None:
    import subprocess
    import sys

    DataManager("store", tmp_path, backend=backend).close()
    proc = subprocess.run(
        [sys.executable, "-c", FULL_SCRIPT, str(tmp_path), backend], capture_output=True, text=True, timeout=120
    )
    assert proc.returncode == 0 and proc.stdout.startswith("typed"), proc.stdout + proc.stderr
    assert DataManager("store", tmp_path).get("kept") == {"big": [1]}


@contextlib.contextmanager
def tmpfs(path: Path, size: str) -> Iterator[Path]:
    import subprocess

    path.mkdir()
    subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(path)], check=True)
    try:
        yield path
    finally:
        subprocess.run(["umount", "-l", str(path)], check=False)


needs_root = pytest.mark.skipif(os.geteuid() != 0, reason="mounting a tmpfs needs root (CI runs as root)")


@needs_root
@pytest.mark.parametrize("backend", BACKENDS)
def test_full_disk_is_a_typed_error_and_keeps_flushed_data(tmp_path: Path, backend: str) -> None:
    from neurofiles._framework.backend import SessionWriteError, StoreFullError

    with tmpfs(tmp_path / "fs", "512k") as fs:
        dm = DataManager("store", fs, backend=backend)
        s = dm.session("full")
        s["kept"] = [1]
        s.flush()
        with pytest.raises(SessionWriteError) as info:
            for i in range(1000):
                s[f"v{i}"] = os.urandom(16_000)
                if i % 4 == 0:
                    s.flush()
        assert isinstance(info.value, OSError) and "'full'" in str(info.value)
        assert isinstance(info.value, StoreFullError), info.value
        with contextlib.suppress(SessionWriteError):
            s.close()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", StorageWarning)
            assert DataManager("store", fs).get("kept") == {"full": [1]}


@needs_root
@pytest.mark.parametrize("backend", BACKENDS)
def test_read_only_store_is_a_typed_error(tmp_path: Path, backend: str) -> None:
    import subprocess

    from neurofiles._framework.backend import StoreReadOnlyError

    with tmpfs(tmp_path / "fs", "4m") as fs:
        store(fs, backend).close()
        subprocess.run(["mount", "-o", "remount,ro", str(fs)], check=True)
        dm = DataManager("store", fs)
        assert dm.get("k") == {"good": [1]}
        for opener in (lambda: dm.session("new"), lambda: dm.session()):
            with pytest.raises(NeurofilesError) as info:
                opener()["x"] = 1
            assert isinstance(info.value, StoreReadOnlyError), repr(info.value)
            assert isinstance(info.value, PermissionError) and str(fs) in str(info.value)


@pytest.mark.parametrize("entry", ["'k', (0, 10**12)", "'k', 'not a pair'", "'k', (-5, 3)"])
def test_dumb_index_entries_outside_the_data_are_skipped(tmp_path: Path, entry: str) -> None:
    dm = store(tmp_path, "dbm")
    with dm.session("bad") as s:
        s["k"] = [2]
    (Path(dm.basepath) / "bad.dbm.dir").write_text(entry.replace("10**12", str(10**12)) + "\n")
    with pytest.warns(StorageWarning, match="session 'bad' skipped.*not a place inside"):
        assert DataManager("store", tmp_path).get("k") == {"good": [1]}
