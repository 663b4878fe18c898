"""Hostile data folders: links planted in a store never make collation leave the folder."""

from __future__ import annotations

import os
import warnings

import pytest

from neurofiles import DataManager, StorageWarning


@pytest.mark.parametrize("backend", ["sqlite", "dbm", "shelve"])
def test_symlinks_in_the_data_folder_are_skipped_with_a_warning(tmp_path, backend):
    outside = DataManager("outside", tmp_path / "elsewhere", backend=backend)
    with outside.session("foreign") as s:
        s["k"] = "from outside"
    store = DataManager("store", tmp_path / "data", backend=backend)
    with store.session("own") as s:
        s["k"] = "own"
    base = store.basepath
    for path in sorted(os.listdir(outside.basepath)):
        if not path.startswith("_"):
            os.symlink(os.path.join(outside.basepath, path), os.path.join(base, "linked" + path[len("foreign"):]))
    os.symlink(base, os.path.join(base, "loop"))
    os.symlink(os.path.join(base, "missing-target"), os.path.join(base, "dangling"))
    with warnings.catch_warnings(record=True) as record:
        warnings.simplefilter("always")
        fresh = DataManager("store", tmp_path / "data")
        values = fresh.get("k")
    assert list(values.values()) == ["own"]
    messages = [str(w.message) for w in record if issubclass(w.category, StorageWarning)]
    assert any("loop" in m and "symbolic link" in m for m in messages)
    assert any("dangling" in m for m in messages)
