"""Manifest, backend choice, codecs, dbm flavours and Brian 1 stores."""

from __future__ import annotations

import json
import pickle
import shelve
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from neurofiles import (
    BackendUnavailableError,
    DataManager,
    StoreManifestError,
    UnknownBackendError,
    UnsupportedValueError,
)

from .conftest import REPO


def importable(module: str) -> bool:
    try:
        __import__(module)
    except ImportError:
        return False
    return True


def manifest(dm: DataManager) -> dict:  # type: ignore[type-arg]
    return json.loads((Path(dm.basepath) / "_store.json").read_text())


def test_new_store_defaults_to_log_and_records_it(tmp_path: Path) -> None:
    dm = DataManager("fresh", tmp_path)
    m = manifest(dm)
    assert (m["backend"], m["codec"], m["options"]) == ("log", "pickle", {"durable": False})
    with dm.session("a") as s:
        s["x"] = 1
    assert (Path(dm.basepath) / "a.nflog").is_file()


def test_sqlite_store_records_it(tmp_path: Path) -> None:
    dm = DataManager("fresh", tmp_path, backend="sqlite")
    m = manifest(dm)
    assert (m["format"], m["version"], m["backend"], m["codec"]) == ("neurofiles-store", 1, "sqlite", "pickle")
    assert m["options"] == {"synchronous": "NORMAL"}
    with dm.session("a") as s:
        s["x"] = 1
    assert (Path(dm.basepath) / "a.sqlite").is_file()


def test_dbm_records_the_flavour_that_wrote_it(tmp_path: Path) -> None:
    from neurofiles.plugins.dbm_store import flavours as _flavours

    dm = DataManager("d", tmp_path, backend="dbm")
    assert manifest(dm)["options"]["flavour"] == _flavours.best_available()
    with dm.session("s") as s:
        s["x"] = 1
    assert DataManager("d", tmp_path).get("x") == {"s": 1}


def test_store_written_by_a_missing_dbm_flavour_names_the_fix(tmp_path: Path) -> None:
    missing = next((f for f in ("gnu", "ndbm", "sqlite3") if not importable(f"dbm.{f}")), None)
    if missing is None:
        pytest.skip("every dbm flavour is installed here")  # not on the project's Python (3.11, no gdbm)
    folder = tmp_path / "old.data"
    folder.mkdir()
    (folder / "_store.json").write_text(
        json.dumps({"format": "neurofiles-store", "version": 1, "backend": "dbm", "codec": "pickle",
                    "options": {"flavour": missing}})
    )
    with pytest.raises(BackendUnavailableError, match=f"written with dbm.{missing}") as info:
        DataManager("old", tmp_path)
    assert "Fix:" in str(info.value) and info.value.install_hint
    assert isinstance(info.value, ImportError)


def test_explicit_backend_must_match_the_manifest(tmp_path: Path) -> None:
    DataManager("m", tmp_path, backend="dbm")
    with pytest.raises(StoreManifestError, match="written with backend 'dbm', not 'sqlite'"):
        DataManager("m", tmp_path, backend="sqlite")
    with pytest.raises(StoreManifestError, match="codec 'pickle', not 'safe'"):
        DataManager("m", tmp_path, codec="safe")


def test_unknown_backend(tmp_path: Path) -> None:
    with pytest.raises(UnknownBackendError, match="no storage backend 'nope'.*installed: .*sqlite"):
        DataManager("u", tmp_path, backend="nope")


@pytest.mark.parametrize("content", [b"{not json", b'{"format": "other"}', b'{"format": "neurofiles-store", "version": 99}'])
def test_bad_manifest_is_a_typed_error(tmp_path: Path, content: bytes) -> None:
    folder = tmp_path / "bad.data"
    folder.mkdir()
    (folder / "_store.json").write_bytes(content)
    with pytest.raises(StoreManifestError):
        DataManager("bad", tmp_path)


def test_folder_with_unknown_files_and_no_manifest(tmp_path: Path) -> None:
    folder = tmp_path / "odd.data"
    folder.mkdir()
    (folder / "readme.txt").write_text("hello")
    with pytest.raises(StoreManifestError, match="no installed backend recognises"):
        DataManager("odd", tmp_path)


# -- codecs --------------------------------------------------------------------------------------


def test_pickle_codec_uses_the_highest_protocol_for_arrays(tmp_path: Path) -> None:
    dm = DataManager("p", tmp_path, backend="sqlite")
    arr = np.arange(100_000, dtype=np.float64)
    with dm.session("s") as s:
        s["arr"] = arr
    import sqlite3

    conn = sqlite3.connect(Path(dm.basepath) / "s.sqlite")
    try:
        raw = conn.execute("SELECT value FROM kv").fetchone()[0]
    finally:
        conn.close()
    assert raw[:2] == b"\x80" + bytes([pickle.HIGHEST_PROTOCOL])
    assert len(raw) < arr.nbytes + 1000  # protocol 2 would need ~1.2 MB
    np.testing.assert_array_equal(dm.get("arr")["s"], arr)


def test_safe_codec_roundtrip_without_pickle(tmp_path: Path, backend: str) -> None:
    if backend == "shelve":
        with pytest.raises(StoreManifestError, match="only codec"):
            DataManager("safe", tmp_path, backend=backend, codec="safe")
        return
    dm = DataManager("safe", tmp_path, backend=backend, codec="safe")
    value = {"a": [1, 2.5, "x", None, True, b"raw", (1, 2)], "big": 2**80, "c": 1 + 2j,
             "arr": np.arange(6, dtype=np.int32).reshape(2, 3), "s": np.array(["ab", "c"])}
    with dm.session("s") as s:
        s["v"] = value
        with pytest.raises(UnsupportedValueError, match="cannot store"):
            s["obj"] = object()
        with pytest.raises(UnsupportedValueError):
            s["objarr"] = np.array([object()])
    got = DataManager("safe", tmp_path).get("v")["s"]
    np.testing.assert_array_equal(got.pop("arr"), value.pop("arr"))
    np.testing.assert_array_equal(got.pop("s"), value.pop("s"))
    assert got == value


def test_safe_codec_rejects_bad_bytes() -> None:
    from neurofiles._storage.codec import CorruptValueError, SafeCodec

    codec = SafeCodec()
    good = codec.encode([1, "two", np.zeros(3)])
    for bad in (b"", b"NFv1", good[:-3], good + b"x", b"NFv1l" + b"\xff" * 8, b"NFv1Z", pickle.dumps(1)):
        with pytest.raises(CorruptValueError):
            codec.decode(bad)
    deep = b"NFv1" + b"l\x01\x00\x00\x00\x00\x00\x00\x00" * 100 + b"N"
    with pytest.raises(CorruptValueError, match="deeper"):
        codec.decode(deep)


# -- Brian 1 stores ------------------------------------------------------------------------------


BRIAN_WRITER = r"""
import getpass, os, shelve, sys, uuid
basepath = os.path.join(sys.argv[1], 'sim.data')
os.makedirs(basepath)
for i in range(3):
    # exactly what brian.tools.datamanager did: shelve.open(<basepath>/<user>.<uuid4>, protocol=2)
    name = getpass.getuser() + '.' + str(uuid.uuid4())
    shelf = shelve.open(os.path.normpath(os.path.join(basepath, name)), protocol=2)
    shelf['spikes'] = [i, i + 10]
    shelf['rate'] = float(i)
    shelf.close()
"""


def test_reads_a_brian1_shelve_store(tmp_path: Path) -> None:
    subprocess.run([sys.executable, "-c", BRIAN_WRITER, str(tmp_path)], check=True, cwd=REPO)
    from neurofiles.plugins.dbm_store.flavours import default_shelve_flavour

    files = sorted(p.name for p in (tmp_path / "sim.data").iterdir())
    if default_shelve_flavour() == "dumb":  # the project's Python 3.11: Brian's files are .dat/.dir/.bak
        assert len(files) == 9 and {Path(f).suffix for f in files} == {".dat", ".dir", ".bak"}
    for backend in ("shelve", None):  # named, or detected once for the store
        dm = DataManager("sim", tmp_path, backend=backend)
        assert dm.backend_name == "shelve"
        assert len(dm.session_names()) == 3
        assert sorted(dm.get_merged("spikes")) == [0, 1, 2, 10, 11, 12]
        assert sorted(dm.get("rate").values()) == [0.0, 1.0, 2.0]
        assert dm.itemcount() == 6 and dm.keys() == ["rate", "spikes"]
    assert not (tmp_path / "sim.data" / "_store.json").exists()  # reading leaves a Brian store untouched


def test_shelve_sessions_open_with_plain_shelve(tmp_path: Path) -> None:
    dm = DataManager("w", tmp_path, backend="shelve")
    with dm.session("run") as s:
        s["x"] = [1, 2, 3]
    with shelve.open(str(Path(dm.basepath) / "run"), flag="r") as shelf:
        assert shelf["x"] == [1, 2, 3]


def test_manifestless_store_from_a_missing_flavour_names_the_fix(tmp_path: Path) -> None:
    import struct

    if importable("dbm.gnu"):
        pytest.skip("dbm.gnu is installed here")  # the project's Python 3.11 has no _gdbm
    folder = tmp_path / "gdbm.data"
    folder.mkdir()
    # the first bytes of a GNU dbm file, as Brian 1 on a gdbm-enabled Python would have left it
    (folder / "user.0f6b5a1c-3c1e-4a39-9d4e-1b2f7a9c0d11").write_bytes(struct.pack("=l", 0x13579ACE) + bytes(60))
    for backend in ("shelve", None):
        with pytest.raises(BackendUnavailableError, match=r"written with dbm\.gnu.*python3-gdbm"):
            DataManager("gdbm", tmp_path, backend=backend)
