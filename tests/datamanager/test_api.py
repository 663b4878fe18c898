"""Every classic DataManager method and attribute, on every built-in backend."""

from __future__ import annotations

import getpass
import os
import platform
import uuid
from pathlib import Path

import numpy as np
import pytest
from neurofiles import (
    DataManager,
    InvalidKeyError,
    InvalidNameError,
    MergeTypeError,
    Session,
    SessionClosedError,
    StorageError,
)


def fill(dm: DataManager) -> dict[str, dict[str, object]]:
    """Three sessions with overlapping keys; returns what was written."""
    written = {
        "alice": {"spikes": [1, 2], "rate": 3.5, "v_trace": (0.1, 0.2)},
        "bob": {"spikes": [3], "v_trace": (0.3,), "arr": np.arange(4.0)},
        "carol": {"spikes": (4, 5), "rate": 1.0},
    }
    for name, items in written.items():
        with dm.session(name) as s:
            for key, value in items.items():
                s[key] = value
    return written


def test_attributes(dm: DataManager, tmp_path: Path) -> None:
    assert dm.basepath == os.path.join(str(tmp_path), "store.data")
    assert os.path.isdir(dm.basepath)
    assert dm.computer_name == getpass.getuser() + "." + platform.node()
    assert dm.computer_session_filename.startswith(os.path.join(dm.basepath, dm.computer_name))
    assert uuid.UUID(dm.make_unique_key()).version == 4
    assert dm.make_unique_key() != dm.make_unique_key()
    assert repr(dm).startswith("<DataManager 'store'") and dm.backend_name in repr(dm)


def test_get_and_merged(dm: DataManager) -> None:
    fill(dm)
    assert dm.get("spikes") == {"alice": [1, 2], "bob": [3], "carol": (4, 5)}
    assert dm.get("rate") == {"alice": 3.5, "carol": 1.0}
    assert dm.get("missing") == {}
    assert dm.get_merged("spikes") == [1, 2, 3, 4, 5]
    assert dm.get_merged("missing") == []
    with pytest.raises(MergeTypeError, match="session 'alice' holds a float") as info:
        dm.get_merged("rate")
    assert isinstance(info.value, TypeError)
    with pytest.raises(TypeError):
        dm.get_merged("arr")  # numpy arrays are not merged: documented
    np.testing.assert_array_equal(dm.get("arr")["bob"], np.arange(4.0))


def test_matching(dm: DataManager) -> None:
    fill(dm)
    assert dm.get_matching("v_") == {"v_trace": {"alice": (0.1, 0.2), "bob": (0.3,)}}
    assert set(dm.get_matching(lambda k: k.startswith("s") or k == "rate")) == {"spikes", "rate"}
    assert dm.get_merged_matching("sp") == [1, 2, 3, 4, 5]
    assert dm.get_merged_matching(lambda k: k in ("spikes", "v_trace")) == [1, 2, 3, 4, 5, 0.1, 0.2, 0.3]
    assert sorted(dm.get_flat_matching("rate")) == [1.0, 3.5]
    assert dm.get_flat_matching("nothing") == []
    with pytest.raises(TypeError):
        dm.get_matching(42)  # type: ignore[arg-type]


def test_keys_count_iteration(dm: DataManager) -> None:
    written = fill(dm)
    assert dm.keys() == ["arr", "rate", "spikes", "v_trace"]
    assert dm.itemcount() == sum(len(v) for v in written.values()) == 8
    items = dm.items()
    assert len(items) == 8
    assert sorted(k for k, _ in items) == sorted(k for v in written.values() for k in v)
    assert ("rate", 3.5) in items
    assert len(dm.values()) == 8
    it = dm.iteritems()
    assert iter(it) is it  # a generator, not a list
    assert next(it)[0] in {"arr", "rate", "spikes", "v_trace"}
    assert sum(1 for _ in dm.itervalues()) == 8
    triples = list(dm.iter_session_items())
    assert ("carol", "rate", 1.0) in triples


def test_session_names_and_filenames(dm: DataManager) -> None:
    fill(dm)
    assert dm.session_names() == ["alice", "bob", "carol"]
    files = dm.session_filenames()
    assert [os.path.dirname(f) for f in files] == [dm.basepath] * 3
    assert files[0] == dm.session_filename("alice")
    assert all(os.path.exists(f) or os.path.exists(f + ".dat") for f in files)


def test_random_session_names(dm: DataManager) -> None:
    with dm.session() as a, dm.session() as b:
        a["x"] = 1
        b["x"] = 2
        assert a.name != b.name
        user, _, rest = a.name.partition(".")
        assert user == getpass.getuser() and uuid.UUID(rest).version == 4
    assert sorted(dm.get("x").values()) == [1, 2]


def test_session_is_a_mapping(dm: DataManager) -> None:
    with dm.session("m") as s:
        assert isinstance(s, Session)
        s["a"] = 1
        s["b"] = {"nested": [1, 2]}
        s.update({"c": "three"})
        assert s["a"] == 1 and s.get("zz", "default") == "default"
        assert "a" in s and "zz" not in s
        assert sorted(s) == ["a", "b", "c"] and len(s) == 3
        assert dict(s.items())["b"] == {"nested": [1, 2]}
        del s["a"]
        with pytest.raises(KeyError):
            s["a"]
        with pytest.raises(KeyError):
            del s["a"]
        s["b"] = "replaced"
        assert s["b"] == "replaced"
        assert "Session 'm'" in repr(s)
    assert s.closed
    with pytest.raises(SessionClosedError):
        s["x"] = 1
    assert dm.get("b") == {"m": "replaced"}
    assert dm.itemcount() == 2


@pytest.mark.parametrize("key", [1, b"bytes", None, ("t",), 2.5])
def test_non_string_keys_are_refused(dm: DataManager, key: object) -> None:
    with dm.session() as s:
        with pytest.raises(InvalidKeyError, match="must be str") as info:
            s[key] = 1  # type: ignore[index]
        assert isinstance(info.value, TypeError) and isinstance(info.value, StorageError)
        with pytest.raises(TypeError):
            s[key]  # type: ignore[index]
        with pytest.raises(TypeError):
            key in s  # noqa: B015
    with pytest.raises(TypeError):
        dm.get(key)  # type: ignore[arg-type]


@pytest.mark.parametrize("bad", ["../x", "/abs", "a/../../b", "nul\0", "", "_reserved", "a//b", "./a"])
def test_escaping_session_names_are_refused(dm: DataManager, bad: str) -> None:
    with pytest.raises(InvalidNameError):
        dm.session(bad)
    with pytest.raises(InvalidNameError):
        dm.locking_session(bad)
    assert not any(p.name.startswith("x") for p in Path(dm.basepath).parent.iterdir())


OPAQUE_KEYS = ["x:1", "v:soma", "I:0.5", "C:\\x", "../x", "/etc/passwd", "a/../b", "nul\0here", "", "é✓"]


def test_keys_are_opaque_strings_on_builtin_backends(dm: DataManager) -> None:
    """Brian 1 keys are opaque: the built-in backends store them in a database, so nothing path-like is refused."""
    with dm.session("one") as s:
        for i, key in enumerate(OPAQUE_KEYS):
            s[key] = [i]
        assert all(s[key] == [i] for i, key in enumerate(OPAQUE_KEYS))
    assert dm.keys() == sorted(OPAQUE_KEYS)
    for i, key in enumerate(OPAQUE_KEYS):
        assert dm.get(key) == {"one": [i]}
    assert dm.get_matching("v:") == {"v:soma": {"one": [1]}}
    assert dm.get_matching_keys(lambda k: k[1:2] == ":") == ["C:\\x", "I:0.5", "v:soma", "x:1"]
    assert dm.get_flat_matching("x:") == [[0]]
    assert sorted(k for k, _ in dm.iteritems()) == sorted(OPAQUE_KEYS)


def test_path_unsafe_keys_are_refused_by_the_base_contract() -> None:
    from neurofiles._framework.backend import StorageBackend, check_path_key

    for bad in ["../x", "/etc/passwd", "a/../b", "nul\0here", ""]:
        with pytest.raises(InvalidNameError):
            check_path_key(bad)
        with pytest.raises(InvalidNameError):
            StorageBackend.check_key(None, bad)  # type: ignore[arg-type]
    for fine in ["x:1", "v:soma", "I:0.5"]:  # a drive letter means something on Windows only
        assert check_path_key(fine) == fine


def test_keys_without_utf8_form_are_refused(dm: DataManager) -> None:
    from neurofiles._framework.backend import UnstorableKeyError

    with dm.session("s") as s:
        for key in ["a\udcff", "\ud800"]:
            with pytest.raises(UnstorableKeyError) as info:
                s[key] = 1
            assert isinstance(info.value, InvalidKeyError) and isinstance(info.value, ValueError)
            with pytest.raises(UnstorableKeyError):
                s[key]
            with pytest.raises(UnstorableKeyError):
                dm.get(key)
        with pytest.raises(UnstorableKeyError):
            s.update_many({"ok": 1, "a\udcff": 2})
        s["ok"] = 1
    with pytest.raises(UnstorableKeyError):
        dm.session("name\udcff")


def test_nested_store_and_session_names(tmp_path: Path, backend: str) -> None:
    dm = DataManager("test/testing", tmp_path, backend=backend)
    assert Path(dm.basepath) == tmp_path / "test" / "testing.data"
    assert Path(dm.basepath).is_dir()
    with dm.session("group/run1") as s:
        s["x"] = [1]
    with dm.session("run2") as s:
        s["x"] = [2]
    assert (Path(dm.basepath) / "group").is_dir()
    assert dm.get("x") == {"group/run1": [1], "run2": [2]}
    assert DataManager("test/testing", tmp_path).get_merged("x") == [1, 2]


def test_reopen_uses_manifest_and_keeps_data(dm: DataManager, tmp_path: Path, backend: str) -> None:
    fill(dm)
    dm.close()
    again = DataManager("store", tmp_path)  # no backend given: read from the manifest
    assert again.backend_name == backend
    assert again.get_merged("spikes") == [1, 2, 3, 4, 5]


def test_own_unflushed_writes_are_collated(dm: DataManager) -> None:
    s = dm.session("live")
    s["k"] = [1]
    assert dm.get("k") == {"live": [1]}
    s["k"] = [2]
    assert dm.get_merged("k") == [2]
    s.close()


def test_delete_session(dm: DataManager) -> None:
    fill(dm)
    dm.delete_session("bob")
    assert dm.session_names() == ["alice", "carol"]
    assert dm.get_merged("spikes") == [1, 2, 4, 5]


def test_update_many(dm: DataManager) -> None:
    with dm.session("batch") as s:
        s.update_many({f"k{i}": i for i in range(50)})
    assert dm.itemcount() == 50 and dm.get("k49") == {"batch": 49}


def test_large_arrays_roundtrip(dm: DataManager) -> None:
    big = np.random.default_rng(0).random(100_000)
    with dm.session("big") as s:
        s["arr"] = big
    got = dm.get("arr")["big"]
    np.testing.assert_array_equal(got, big)
    assert got.dtype == big.dtype


def test_computer_and_locking_sessions(dm: DataManager) -> None:
    with dm.computer_session() as cs:
        assert cs.name == dm.computer_name
        assert cs.path == dm.computer_session_filename
        cs["where"] = "here"
        with cs.lock():  # already held for its lifetime: reentrant
            cs["n"] = cs.get("n", 0) + 1
    with dm.locking_computer_session() as lcs:
        assert lcs.locking and lcs["where"] == "here"
        with lcs.lock(timeout=5):
            lcs["n"] = lcs["n"] + 1
    with dm.locking_session() as ls:
        ls["a"] = [1]
        assert ls["a"] == [1] and len(ls) == 1 and list(ls) == ["a"]
        assert "locking Session" in repr(ls)
    assert dm.get("n") == {dm.computer_name: 2}
    assert dm.get_merged("a") == [1]
    assert (Path(dm.basepath) / "_locks").is_dir()


def test_lock_timeout_names_the_holder(dm: DataManager) -> None:
    from neurofiles import LockTimeoutError

    shared = dm.locking_session("shared")
    impatient = DataManager("store", dm.datapath, lock_timeout=0.2)
    with shared.lock():
        with pytest.raises(LockTimeoutError, match=f"pid {os.getpid()}") as info:
            impatient.locking_session("shared")  # creating it needs the lock
        assert isinstance(info.value, TimeoutError)
    other = impatient.locking_session("shared")
    with shared.lock(), pytest.raises(LockTimeoutError, match="not acquired within 0.1 s"):
        with other.lock(timeout=0.1):
            pass
    with other.lock(timeout=1):
        other["ok"] = 1
    assert shared["ok"] == 1
    shared.close()
    other.close()


def test_iteration_streams_one_value_at_a_time(dm: DataManager) -> None:
    import tracemalloc

    size = 2_000_000  # 16 MB of float64 per value, 10 values: 160 MB if materialised
    for i in range(10):
        with dm.session(f"s{i}") as s:
            s["arr"] = np.full(size, float(i))
    tracemalloc.start()
    try:
        total = 0.0
        for value in dm.itervalues():
            total += float(value[0])
            del value
        _current, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert total == sum(range(10))
    assert peak < 4 * size * 8, f"peak {peak / 1e6:.0f} MB: iteration is not streaming"


def test_sqlite_synchronous_option_is_recorded(tmp_path: Path) -> None:
    import json

    dm = DataManager("full", tmp_path, synchronous="FULL")
    with dm.session("a") as s:
        s["x"] = 1
    assert json.loads((Path(dm.basepath) / "_store.json").read_text())["options"] == {"synchronous": "FULL"}
    assert DataManager("full", tmp_path).backend.synchronous == "FULL"  # type: ignore[attr-defined]


def test_abandoned_computer_session_releases_its_lock(dm: DataManager) -> None:
    import gc

    s = dm.computer_session()
    s["x"] = 1
    del s
    gc.collect()
    with dm.computer_session() as again:  # not SessionBusyError
        assert again["x"] == 1
