"""Corrupt, foreign, half-written and unreadable files: warnings naming the file, never a crash.

Tests run as root here, where ``chmod 000`` does not stop reads, so an
"unreadable" session is simulated two ways that fail for root too: a
*directory* named like a session file, and a session file full of garbage.
"""

from __future__ import annotations

import os
import sqlite3
import warnings
from pathlib import Path

import pytest
from neurofiles import CorruptSessionError, DataManager, StorageWarning


def good_store(dm: DataManager) -> None:
    for name in ("good1", "good2"):
        with dm.session(name) as s:
            s["x"] = [name]
            s["n"] = 1


def main_file(dm: DataManager, name: str) -> Path:
    path = Path(dm.session_filename(name))
    return path if dm.backend_name == "sqlite" else Path(dm.session_filename(name))


def collate_all(dm: DataManager) -> dict[str, object]:
    return {
        "get": dm.get("x"),
        "merged": sorted(dm.get_merged("x")),
        "keys": dm.keys(),
        "count": dm.itemcount(),
        "items": len(dm.items()),
    }


def assert_warned(record: list[warnings.WarningMessage], fragment: str) -> None:
    messages = [str(w.message) for w in record if issubclass(w.category, StorageWarning)]
    assert any(fragment in m for m in messages), messages


def expect_only_good(dm: DataManager, fragment: str) -> None:
    with pytest.warns(StorageWarning) as record:
        result = collate_all(dm)
    assert result == {"get": {"good1": ["good1"], "good2": ["good2"]}, "merged": ["good1", "good2"],
                      "keys": ["n", "x"], "count": 4, "items": 4}
    assert_warned(list(record), fragment)


def garbage_session(dm: DataManager, name: str) -> Path:
    """Write a file (or the files) of session ``name`` full of garbage."""
    backend = dm.backend_name
    base = Path(dm.basepath) / name
    if backend == "sqlite":
        paths = [base.with_name(name + ".sqlite")]
    elif dm.backend.options["flavour"] == "dumb":
        stem = name + (".dbm" if backend == "dbm" else "")
        paths = [base.with_name(stem + ".dat"), base.with_name(stem + ".dir")]
    else:
        paths = [base.with_name(name + (".dbm" if backend == "dbm" else ""))]
    for p in paths:
        p.write_bytes(b"\x00garbage(((\xff" * 50)
    return paths[-1]


def test_garbage_session_file_is_skipped(dm: DataManager) -> None:
    good_store(dm)
    bad = garbage_session(dm, "broken")
    expect_only_good(dm, str(bad))


def test_directory_named_like_a_session_is_skipped(dm: DataManager) -> None:
    good_store(dm)
    if dm.backend_name == "sqlite":
        name = "ghost.sqlite"
    else:  # named like one of the flavour's session files (a bare shelve name is a session group)
        suffix = {"dumb": ".dat", "gnu": "", "ndbm": ".db", "sqlite3": "-wal"}[dm.backend.options["flavour"]]
        if dm.backend_name == "shelve" and not suffix:
            pytest.skip("shelve on dbm.gnu: session files have no suffix, so every folder is a session group")
        name = "ghost" + (".dbm" if dm.backend_name == "dbm" else "") + suffix
    (Path(dm.basepath) / name).mkdir()
    expect_only_good(dm, name)


def test_foreign_file_is_skipped(dm: DataManager) -> None:
    good_store(dm)
    (Path(dm.basepath) / "notes.txt").write_text("a file someone dropped here")
    expect_only_good(dm, "notes.txt")


def test_corrupt_value_is_skipped_not_fatal(dm: DataManager) -> None:
    good_store(dm)
    with dm.session("badvalue") as s:
        s["x"] = ["ok"]
    store = dm.backend.open_session("badvalue", writable=True)
    store.set("x", b"\x80\x05this is not a pickle")
    store.close()
    with pytest.warns(StorageWarning, match="key 'x' of session 'badvalue' skipped"):
        assert dm.get("x") == {"good1": ["good1"], "good2": ["good2"]}
    with pytest.warns(StorageWarning):
        assert len(dm.items()) == 4


def test_sqlite_session_killed_before_first_commit(tmp_path: Path) -> None:
    dm = DataManager("s", tmp_path)
    good_store(dm)
    empty = Path(dm.basepath) / "starting.sqlite"
    empty.write_bytes(b"")  # what a writer killed right after creating the file leaves
    half = Path(dm.basepath) / "half.sqlite"
    sqlite3.connect(half).execute("CREATE TABLE unrelated (a)").connection.close()
    with pytest.warns(StorageWarning) as record:
        assert collate_all(dm)["count"] == 4
    assert_warned(list(record), "starting.sqlite")
    assert_warned(list(record), "half.sqlite")
    with pytest.raises(CorruptSessionError, match="not a complete session") as info:
        dm.backend.open_session("half", writable=False)
    assert isinstance(info.value, ValueError) and "half.sqlite" in str(info.value)


def test_truncated_sqlite_session(tmp_path: Path) -> None:
    dm = DataManager("s", tmp_path)
    good_store(dm)
    with dm.session("cut") as s:
        for i in range(200):
            s[f"k{i}"] = "x" * 500
    path = Path(dm.basepath) / "cut.sqlite"
    with open(path, "r+b") as f:
        f.truncate(os.path.getsize(path) // 3)
    with warnings.catch_warnings(record=True) as record:
        warnings.simplefilter("always")
        assert dm.get("x") == {"good1": ["good1"], "good2": ["good2"]}
        dm.itemcount()
        dm.items()
    # a truncated file is either refused or read partially, but never crashes collation
    assert all(issubclass(w.category, StorageWarning) for w in record)


def test_damage_after_indexing_is_noticed(tmp_path: Path) -> None:
    dm = DataManager("s", tmp_path)
    good_store(dm)
    with dm.session("later") as s:
        s["x"] = ["later"]
    assert len(dm.get("x")) == 3
    path = Path(dm.basepath) / "later.sqlite"
    path.write_bytes(b"garbage" * 100)
    with pytest.warns(StorageWarning, match="later.sqlite"):
        assert set(dm.get("x")) == {"good1", "good2"}


def test_corrupt_index_is_rebuilt(tmp_path: Path) -> None:
    dm = DataManager("s", tmp_path)
    good_store(dm)
    assert dm.itemcount() == 4
    dm.close()
    (Path(dm.basepath) / "_index.sqlite").write_bytes(b"not a database at all" * 100)
    again = DataManager("s", tmp_path)
    assert again.get_merged("x") == ["good1", "good2"]


@pytest.mark.parametrize("backend", ["dbm", "shelve"])
def test_dumb_index_cut_short_is_reported(dm: DataManager) -> None:
    if dm.backend.options["flavour"] != "dumb":
        pytest.skip("dbm.dumb layout only")
    good_store(dm)
    with dm.session("cut") as s:
        for i in range(50):
            s[f"k{i}"] = "v" * 600
    ext = ".dbm" if dm.backend_name == "dbm" else ""
    (Path(dm.basepath) / f"cut{ext}.dir").write_text("")  # killed inside dbm.dumb's index rewrite
    with pytest.warns(StorageWarning, match=r"session 'cut' may be torn: its index covers 0 of the"):
        assert dm.itemcount() == 4
    clean = DataManager("clean", dm.datapath, backend=dm.backend_name)
    good_store(clean)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert clean.itemcount() == 4 and len(clean.items()) == 4
