"""Re-running a script: Brian 1's "one more session" by default, ``on_existing="replace"|"error"``,
the ``created`` column, ``latest=True`` and the repeated-runs warning, on every built-in backend."""

from __future__ import annotations

import signal
import subprocess
import time
import warnings
from pathlib import Path

import pytest
from neurofiles import DataManager, RepeatedRunsWarning, SessionExistsError
from neurofiles._errors import InvalidNameError, OptionError
from neurofiles._storage import datamanager as dm_module
from neurofiles._storage.runs import RUN_KEY

from .conftest import new_store, run_worker, start_worker

P = {"g": 0.1, "seed": 1}


def open_store(tmp_path: Path, backend: str) -> DataManager:
    new_store(tmp_path, backend)
    return DataManager("store", tmp_path)


def run(dm: DataManager, tag: str, params: dict[str, object] = P, on_existing: str = "add") -> str:
    with dm.session(params=params, on_existing=on_existing) as s:
        s["tag"] = tag
        s["rate"] = [tag]
        return s.name


def test_default_adds_a_session_per_run_and_the_table_says_so(tmp_path: Path, backend: str) -> None:
    dm = open_store(tmp_path, backend)
    first = run(dm, "a")
    time.sleep(0.01)
    second = run(dm, "b")
    other = run(dm, "c", {"g": 0.2, "seed": 1})
    assert sorted(dm.get("tag").values()) == ["a", "b", "c"]  # Brian 1: every run stays
    with pytest.warns(RepeatedRunsWarning, match=r"2 sessions.*latest=True"):
        columns, rows = dm.table(["tag"], created=True)
    assert columns == ["session", "created", "g", "seed", "tag"]
    stamps = {row[0]: row[1] for row in rows}
    assert all(isinstance(v, str) and v.endswith("Z") for v in stamps.values())
    assert stamps[first] < stamps[second]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        columns, rows = dm.table(["tag"], latest=True)
        assert sorted(r[-1] for r in rows) == ["b", "c"]
        assert dm.get("tag", latest=True) == {second: "b", other: "c"}
        assert sorted(dm.get_merged("rate", latest=True)) == ["b", "c"]
        assert list(dm.params(latest=True)) == sorted([second, other])
    assert RUN_KEY not in dm.keys() and dm.itemcount() == 6
    with dm.session(second) as s:
        assert sorted(s) == ["rate", "tag"] and len(s) == 2
        with pytest.raises(InvalidNameError):
            s[RUN_KEY] = 1
    dm.close()


def test_replace_is_hidden_until_it_commits_then_retires_the_older_runs(tmp_path: Path, backend: str) -> None:
    dm = open_store(tmp_path, backend)
    old = [run(dm, "a"), run(dm, "b")]
    other = run(dm, "other", {"g": 0.2})
    s = dm.session(params=P, on_existing="replace")
    s["tag"] = "new"
    s.flush()
    reader = DataManager("store", tmp_path)
    assert sorted(reader.get("tag").values()) == ["a", "b", "other"]  # the running replacement is unseen
    s.close()
    assert reader.get("tag") == {s.name: "new", other: "other"}
    assert sorted(dm.session_names()) == sorted([s.name, other])  # older runs' files are gone
    for name in old:
        assert not any(Path(dm.basepath).glob(name + "*"))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert len(reader.table(["tag"])[1]) == 2  # no re-runs left: no warning
    with pytest.raises(RuntimeError):  # a failed re-run is never seen; the last complete one stays
        with dm.session(params=P, on_existing="replace") as failed:
            failed["tag"] = "failed"
            raise RuntimeError("simulation blew up")
    assert reader.get("tag") == {s.name: "new", other: "other"}
    assert failed.name in dm.session_names()  # kept on disk (hidden), never deleted by us
    run(dm, "again", on_existing="replace")
    assert sorted(reader.get("tag").values()) == ["again", "other"]
    assert failed.name in dm.session_names()  # an unfinished run is not retired
    dm.close()
    reader.close()


def test_error_refuses_a_second_run_before_writing_anything(tmp_path: Path, backend: str) -> None:
    dm = open_store(tmp_path, backend)
    first = run(dm, "a", on_existing="error")
    before = dm.session_names()
    with pytest.raises(SessionExistsError, match=first):
        dm.session(params={"seed": 1, "g": 0.1}, on_existing="error")  # same params, other order
    with pytest.raises(SessionExistsError):
        dm.session(params={"g": 0.1, "seed": 1.0}, on_existing="error")  # 1.0 == 1, as in where=
    assert dm.session_names() == before
    run(dm, "b", {"g": 0.1, "seed": 2}, on_existing="error")  # other params: fine
    with pytest.raises(OptionError):
        dm.session(params=P, on_existing="overwrite")
    with pytest.raises(OptionError):
        dm.session(on_existing="replace")  # runs are matched by params
    assert len(dm.session_names()) == 2
    dm.close()


def test_partitions_of_bounds_skip_hidden_sessions(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(dm_module, "NAMES_MAX", 2)
    dm = DataManager("store", tmp_path)
    for i in range(6):
        with dm.session(f"s{i}", params={"i": i}) as s:
            s["x"] = i
    pending = dm.session("s3b", params={"i": 3}, on_existing="replace")
    pending["x"] = 99
    pending.flush()
    (spec,) = dm.partitions(1)
    assert spec.bounds == ("s0", "s5") and spec.hidden == ("s3b",)
    view = spec.open()
    assert sorted(view.get("x").values()) == [0, 1, 2, 3, 4, 5]
    pending.close()
    assert sorted(dm.get("x").values()) == [0, 1, 2, 4, 5, 99]
    dm.close()


def test_two_processes_rerunning_the_same_script_leave_exactly_one_complete_run(
    tmp_path: Path, backend: str
) -> None:
    dm = open_store(tmp_path, backend)
    run(dm, "old")
    other = run(dm, "other", {"g": 0.2})
    go = tmp_path / "go"
    procs = [
        start_worker("rerun", str(tmp_path), backend, tag, "300", "-1", str(go), stdout=subprocess.PIPE)
        for tag in ("p1", "p2")
    ]
    for proc in procs:  # both sessions are open before either writes
        assert proc.stdout is not None and proc.stdout.readline().startswith("open")
    go.touch()
    outs = [proc.communicate(timeout=300) for proc in procs]
    assert [p.returncode for p in procs] == [0, 0], outs
    fresh = DataManager("store", tmp_path)
    tags = fresh.get("tag")
    assert sorted(tags.values()) in (["other", "p1"], ["other", "p2"])  # one re-run wins, the other is retired
    winner = next(n for n, t in tags.items() if t != "other")
    values = fresh.get("k0299")
    assert values == {winner: [299, tags[winner]]}
    assert len(fresh.get_merged("rate")) == 1 and fresh.itemcount() == 2 + 301 + 0
    assert sorted(fresh.session_names()) == sorted([winner, other])
    fresh.close()


def test_kill_9_during_a_replace_run_leaves_the_previous_run_as_it_was(tmp_path: Path, backend: str) -> None:
    dm = open_store(tmp_path, backend)
    old = run(dm, "old")
    proc = run_worker("rerun", str(tmp_path), backend, "victim", "300", "120", check=False)
    assert proc.returncode == -signal.SIGKILL, proc.stderr
    fresh = DataManager("store", tmp_path)
    assert len(fresh.session_names()) == 2  # the killed run's file is there ...
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert fresh.get("tag") == {old: "old"}  # ... but nothing of it is seen
        assert fresh.get("k0000") == {} and fresh.itemcount() == 2
        columns, rows = fresh.table()
    assert [r[0] for r in rows] == [old]
    later = run(fresh, "later", on_existing="replace")
    assert fresh.get("tag") == {later: "later"}
    fresh.close()


def test_dm_table_command_has_latest_and_created(tmp_path: Path) -> None:
    import csv
    import io
    import sys

    dm = DataManager("store", tmp_path, codec="safe")
    first = run(dm, "a")
    time.sleep(0.01)
    second = run(dm, "b")
    dm.close()
    base = [sys.executable, "-m", "neurofiles", "dm", "table", str(tmp_path), "--keys", "tag", "--csv"]
    plain = subprocess.run(base, capture_output=True, text=True, timeout=120)
    assert plain.returncode == 0, plain.stderr
    assert "re-runs" in plain.stderr and "latest=True" in plain.stderr
    assert [r[0] for r in csv.reader(io.StringIO(plain.stdout))][1:] == sorted([first, second])
    newest = subprocess.run([*base, "--latest", "--created"], capture_output=True, text=True, timeout=120)
    assert newest.returncode == 0 and "re-runs" not in newest.stderr, newest.stderr
    rows = list(csv.reader(io.StringIO(newest.stdout)))
    assert rows[0] == ["session", "created", "g", "seed", "tag"]
    assert len(rows) == 2 and rows[1][0] == second and rows[1][1].endswith("Z") and rows[1][-1] == "b"


def test_no_extra_read_pass_until_a_replace_run_starts(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    dm = DataManager("store", tmp_path)
    run(dm, "a")
    run(dm, "b")
    calls: list[int] = []
    real = dm._runs
    monkeypatch.setattr(dm, "_runs", lambda names: calls.append(len(names)) or real(names))
    assert len(dm.get("tag")) == 2 and dm.keys() == ["rate", "tag"] and calls == []
    marker = Path(dm.basepath) / dm_module.REPLACE_MARKER
    assert not marker.exists()
    run(dm, "c", on_existing="replace")
    assert marker.exists()
    assert dm.get("tag") == {n: "c" for n in dm.session_names()} and calls
    dm.close()


def test_of_concurrent_error_runs_exactly_one_starts(tmp_path: Path, backend: str) -> None:
    new_store(tmp_path, backend)
    go = tmp_path / "go"
    procs = [
        start_worker("errorrun", str(tmp_path), backend, str(go), stdout=subprocess.PIPE) for _ in range(3)
    ]
    for proc in procs:
        assert proc.stdout is not None and proc.stdout.readline().strip() == "ready"
    go.touch()
    outs = sorted(proc.communicate(timeout=300)[0].strip() for proc in procs)
    assert [p.returncode for p in procs] == [0, 0, 0]
    assert outs == ["exists", "exists", "started"], outs
    dm = DataManager("store", tmp_path)
    assert len(dm.get("x")) == 1 and len(dm.session_names()) == 1
    dm.close()
