"""The sqlite backend's consolidated index: used, and never stale."""

from __future__ import annotations

import os
import sqlite3
import time
from pathlib import Path

import numpy as np
from neurofiles import DataManager


def age(path: Path, seconds: float = 10.0) -> None:
    """Make a file look as if it was last written ``seconds`` ago (a finished session)."""
    t = time.time() - seconds
    os.utime(path, (t, t))


def indexed_rows(dm: DataManager) -> list[tuple[str, str, int]]:
    conn = sqlite3.connect(Path(dm.basepath) / "_index.sqlite")
    try:
        return conn.execute("SELECT session, key, external FROM items ORDER BY session, key").fetchall()
    finally:
        conn.close()


def make(tmp_path: Path, n: int = 5) -> DataManager:
    dm = DataManager("i", tmp_path, backend="sqlite")
    for i in range(n):
        with dm.session(f"s{i}") as s:
            s["x"] = [i]
            s["big"] = np.full(10_000, float(i))  # 80 kB: kept out of the index
        age(Path(dm.basepath) / f"s{i}.sqlite")
    return dm


def test_queries_go_through_the_index(tmp_path: Path) -> None:
    dm = make(tmp_path)
    assert dm.get_merged("x") == [0, 1, 2, 3, 4]
    rows = indexed_rows(dm)
    assert ("s0", "x", 0) in rows and ("s0", "big", 1) in rows and len(rows) == 10
    assert dm.keys() == ["big", "x"] and dm.itemcount() == 10
    np.testing.assert_array_equal(dm.get("big")["s3"], np.full(10_000, 3.0))


def test_index_follows_every_change(tmp_path: Path) -> None:
    dm = make(tmp_path)
    assert dm.get_merged("x") == [0, 1, 2, 3, 4]
    with dm.session("s2") as s:  # rewritten just now: read directly until it settles
        s["x"] = [20]
        s["new"] = "n"
    assert dm.get_merged("x") == [0, 1, 20, 3, 4]
    assert dm.keys() == ["big", "new", "x"] and dm.itemcount() == 11
    age(Path(dm.basepath) / "s2.sqlite")
    assert dm.get_merged("x") == [0, 1, 20, 3, 4]
    assert ("s2", "new", 0) in indexed_rows(dm)
    dm.delete_session("s4")
    assert dm.get_merged("x") == [0, 1, 20, 3]
    assert not any(r[0] == "s4" for r in indexed_rows(dm))
    other = DataManager("i", tmp_path, backend="sqlite")  # another reader shares the index
    assert other.itemcount() == 9


def test_same_size_rewrite_is_seen(tmp_path: Path) -> None:
    dm = make(tmp_path, 2)
    assert dm.get("x") == {"s0": [0], "s1": [1]}
    path = Path(dm.basepath) / "s0.sqlite"
    size = path.stat().st_size
    with dm.session("s0") as s:
        s["x"] = [9]  # same length value: the file size does not change
    assert path.stat().st_size == size
    assert dm.get("x") == {"s0": [9], "s1": [1]}


def test_index_disabled_gives_the_same_answers(tmp_path: Path) -> None:
    make(tmp_path)
    plain = DataManager("i", tmp_path, index=False)
    assert plain.get_merged("x") == [0, 1, 2, 3, 4] and plain.itemcount() == 10
