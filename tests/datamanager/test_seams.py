"""Issue 12 in the DataManager: option checks, no leftovers, a Session given what it needs, a real partition constructor."""

from __future__ import annotations

import gc
import inspect
import os
import pickle
import warnings
from pathlib import Path

import pytest
from neurofiles import DataManager, OptionError, PartitionSpec, Session, UnknownBackendError


def test_unknown_backend_option_is_an_error_naming_the_accepted_ones(tmp_path: Path) -> None:
    with pytest.raises(OptionError, match=r"backend 'sqlite' does not take option\(s\) synchronus; it takes: .*synchronous"):
        DataManager("t", tmp_path, synchronus="FULL")
    with pytest.raises(OptionError, match="flavour"):
        DataManager("d", tmp_path, backend="dbm", flavor="dumb")


def test_a_refused_store_leaves_no_folder_behind(tmp_path: Path) -> None:
    with pytest.raises(OptionError):
        DataManager("t", tmp_path, synchronus="FULL")
    assert list(tmp_path.iterdir()) == []
    dm = DataManager("t", tmp_path, backend="dbm")  # nothing left that a later open would adopt as sqlite
    assert dm.backend_name == "dbm"


def test_existing_store_is_not_removed_when_an_option_is_refused(tmp_path: Path) -> None:
    dm = DataManager("t", tmp_path)
    with dm.session("a") as s:
        s["x"] = [1]
    dm.close()
    with pytest.raises(OptionError):
        DataManager("t", tmp_path, synchronus="FULL")
    assert DataManager("t", tmp_path).get_merged("x") == [1]


def test_unknown_backend_suggests(tmp_path: Path) -> None:
    with pytest.raises(UnknownBackendError, match="did you mean 'sqlite'"):
        DataManager("t", tmp_path, backend="sqlit")


def test_opening_a_store_without_manifest_leaves_no_scandir_open(tmp_path: Path) -> None:
    folder = tmp_path / "old.data"
    folder.mkdir()
    for i in range(3):
        (folder / f"s{i}.sqlite").write_bytes(b"")
    with warnings.catch_warnings():
        warnings.simplefilter("error", ResourceWarning)
        try:
            DataManager("old", tmp_path, backend="sqlite").close()
        except Exception:  # noqa: BLE001 - empty files may be refused; the iterator is what is checked
            pass
        gc.collect()


def test_session_is_given_store_codec_and_lock() -> None:
    params = list(inspect.signature(Session.__init__).parameters)
    assert params[1:5] == ["backend", "name", "codec", "lock"]
    assert "manager" not in params


def test_partitions_come_from_a_real_constructor(tmp_path: Path) -> None:
    dm = DataManager("t", tmp_path)
    for name in ("a", "b"):
        with dm.session(name) as s:
            s["x"] = [name]
    spec = dm.partitions(1)[0]
    assert isinstance(spec, PartitionSpec)
    view = DataManager.partition_view(pickle.loads(pickle.dumps(spec)))
    assert view.get_merged("x") == ["a", "b"] and view.computer_name == dm.computer_name
    # built by the same initialisers as a full DataManager: the same state, nothing hand-set on the side
    assert set(vars(view)) == set(vars(dm))
    assert spec.open().get_merged("x") == ["a", "b"]
