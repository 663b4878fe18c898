"""A DataManager dropped without close() (Brian 1 code never closes one) leaves no database open."""

from __future__ import annotations

import gc
import sys
import warnings
from pathlib import Path
from typing import Any

import pytest
from neurofiles import DataManager

from tests.datamanager.conftest import BUILTIN_BACKENDS


@pytest.mark.parametrize("backend", BUILTIN_BACKENDS)
def test_collation_without_close_leaves_nothing_open(tmp_path: Path, backend: str) -> None:
    writer = DataManager("store", tmp_path, backend=backend)
    for i in range(5):
        with writer.session(f"s{i}") as s:
            s["rate"] = [float(i)]
    writer.close()
    unraisable: list[Any] = []
    hook, sys.unraisablehook = sys.unraisablehook, unraisable.append
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", ResourceWarning)
            reader = DataManager("store", tmp_path)
            assert reader.get_merged("rate") == [0.0, 1.0, 2.0, 3.0, 4.0]
            del reader  # never closed: its cached read handles go with it
            gc.collect()
    finally:
        sys.unraisablehook = hook
    leaks = [str(w.message) for w in caught if issubclass(w.category, ResourceWarning)]
    leaks += [repr(u.exc_value) for u in unraisable if isinstance(u.exc_value, ResourceWarning)]
    assert not leaks, leaks  # e.g. "unclosed database" of dbm.sqlite3 on Python 3.13
