"""Session parameters, ``where=`` filters and the table / DataFrame, on every built-in backend."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from neurofiles import DataManager
from neurofiles._errors import InvalidNameError
from neurofiles._errors import MissingDependencyError, OptionError
from neurofiles._storage.session import PARAMS_KEY


def fill(dm: DataManager) -> None:
    for i, g in enumerate((0.1, 0.2, 0.1)):
        with dm.session(f"run{i}", params={"g": g, "seed": i}) as s:
            s["rate"] = [float(i)]
            s["n"] = i
    with dm.session("plain") as s:  # a session without params
        s["rate"] = [9.0]


def test_params_are_stored_hidden_and_filtered(dm: DataManager) -> None:
    fill(dm)
    assert dm.params()["run1"] == {"g": 0.2, "seed": 1} and dm.params()["plain"] == {}
    assert dm.keys() == ["n", "rate"]
    assert dm.itemcount() == 7
    assert sorted(k for k, _v in dm.iteritems()) == ["n", "n", "n", "rate", "rate", "rate", "rate"]
    assert all(k != PARAMS_KEY for _s, k, _v in dm.iter_session_items())
    assert dm.get("rate", where={"g": 0.1}) == {"run0": [0.0], "run2": [2.0]}
    assert dm.get_merged("rate", where={"g": 0.1}) == [0.0, 2.0]
    assert dm.get("n", where={"g": 0.1, "seed": 2}) == {"run2": 2}
    assert dm.get("n", where={"seed": lambda s: s >= 1}) == {"run1": 1, "run2": 2}
    assert dm.get("n", where=lambda p: p.get("g") == 0.2) == {"run1": 1}
    assert dm.get("rate", where={"missing": 1}) == {}
    assert dm.get("n", where={"seed": True}) == {}  # a bool is not the number 1
    with pytest.raises(OptionError):
        dm.get("n", where=3)  # type: ignore[arg-type]
    with dm.session("run1") as s:  # reopened: params persist, not a key
        assert s.params == {"g": 0.2, "seed": 1}
        assert sorted(s) == ["n", "rate"] and len(s) == 2
        s.params = {"g": 0.3}
    assert dm.params()["run1"] == {"g": 0.3}


def test_reserved_key_and_bad_params_are_refused(dm: DataManager) -> None:
    with dm.session("a") as s:
        with pytest.raises(InvalidNameError):
            s[PARAMS_KEY] = 1
        with pytest.raises(OptionError):
            s.params = [("g", 1)]
    with pytest.raises(InvalidNameError):
        dm.get(PARAMS_KEY)
    with pytest.raises(OptionError):
        dm.session(params={1: 2})  # type: ignore[dict-item]
    assert dm.session_names() == ["a"]  # a refused params= creates nothing


def test_locking_and_computer_sessions_take_params(dm: DataManager) -> None:
    with dm.locking_session("shared", params={"g": 1}) as s:
        s["x"] = 1
    with dm.computer_session(params={"g": 2}) as s:
        s["x"] = 2
    assert dm.get("x", where={"g": 2}) == {dm.computer_name: 2}


def test_table_and_dataframe(dm: DataManager) -> None:
    import pandas as pd  # the test extra has it
    fill(dm)
    columns, rows = dm.table(["rate", "g"])
    assert columns == ["session", "g", "seed", "rate"]
    assert rows[0] == ["plain", None, None, [9.0]]
    assert rows[1] == ["run0", 0.1, 0, [0.0]]
    df = dm.to_dataframe(keys=["rate", "n"], where={"g": 0.1})
    assert isinstance(df, pd.DataFrame)
    assert list(df.columns) == ["session", "g", "seed", "rate", "n"]
    assert list(df["session"]) == ["run0", "run2"] and list(df["n"]) == [0, 2]
    assert list(df["g"]) == [0.1, 0.1]
    with dm.session("clash", params={"n": 5}) as s:
        s["n"] = 6
    columns, rows = dm.table(["n"], where={"n": 5})
    assert columns == ["session", "n", "n.value"] and rows == [["clash", 5, 6]]
    everything = dm.to_dataframe()
    assert len(everything) == 5 and {"n", "rate"} <= set(everything.columns)


def test_to_dataframe_without_pandas_names_the_extra(dm: DataManager, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "pandas", None)
    with pytest.raises(MissingDependencyError, match=r"neurofiles\[pandas\]"):
        dm.to_dataframe(["x"])


def test_params_survive_reopening_the_store(tmp_path: Path, backend: str) -> None:
    dm = DataManager("store", tmp_path, backend=backend)
    fill(dm)
    dm.close()
    again = DataManager("store", tmp_path)
    assert again.get("n", where={"g": 0.2}) == {"run1": 1}
    again.close()
