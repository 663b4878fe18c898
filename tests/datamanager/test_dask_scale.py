"""Dask at scale: coarse partitions, a graph that does not grow with the store, bounded open files.

Runs on a real ``LocalCluster`` with worker processes.
"""

from __future__ import annotations

import pickle
from pathlib import Path

import pytest
from neurofiles import DataManager
from neurofiles._storage import datamanager as _collate

from . import _dask_tasks
from .conftest import need

SESSIONS = 240


@pytest.fixture(scope="module")
def cluster_client():  # type: ignore[no-untyped-def]
    need("distributed")
    from distributed import Client, LocalCluster

    cluster = LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None)
    client = Client(cluster)
    yield client
    client.close()
    cluster.close()


def make_store(root: Path, backend: str, n: int) -> DataManager:
    dm = DataManager("big", root, backend=backend)
    for i in range(n):
        with dm.session(f"run{i:05d}") as s:
            s["rate"] = [float(i)]
            s["n"] = i
    return dm


@pytest.mark.parametrize("backend", ["log", "sqlite"])
def test_bag_and_map_sessions_on_a_process_cluster(
    tmp_path: Path, backend: str, cluster_client, monkeypatch: pytest.MonkeyPatch  # type: ignore[no-untyped-def]
) -> None:
    monkeypatch.setattr(_collate, "NAMES_MAX", 50)  # partitions of 80 sessions travel as bounds
    dm = make_store(tmp_path, backend, SESSIONS)
    specs = dm.partitions(3)
    assert [s.bounds is not None and s.sessions == () for s in specs] == [True] * 3
    assert max(len(pickle.dumps(s)) for s in specs) < 1000  # independent of the sessions per partition
    bag = dm.to_bag("rate", npartitions=3)
    graph = dict(bag.__dask_graph__())
    assert bag.npartitions == 3 and len(graph) <= 3 * 3  # a few tasks per partition, never one per session
    records = bag.compute(scheduler=cluster_client)
    assert sorted(records) == sorted((f"run{i:05d}", [float(i)]) for i in range(SESSIONS))
    results = dm.map_sessions(_dask_tasks.read_all_counting_fds, cluster_client, npartitions=3)
    assert sum(r[0] for r in results) == 2 * SESSIONS and [r[2] for r in results] == [80, 80, 80]
    limit = 2 if backend == "log" else 256  # log: one file at a time; sqlite: its read-handle budget
    assert max(r[1] for r in results) <= limit, results
    dm.close()


def test_bounds_pick_up_exactly_the_sessions_between(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(_collate, "NAMES_MAX", 5)
    dm = make_store(tmp_path, "log", 30)
    specs = dm.partitions(partition_size=10)
    assert [s.bounds for s in specs] == [("run00000", "run00009"), ("run00010", "run00019"), ("run00020", "run00029")]
    views = [s.open() for s in specs]
    assert [v.session_names() for v in views] == [[f"run{i:05d}" for i in range(j, j + 10)] for j in (0, 10, 20)]
    assert sum(len(v.get("n")) for v in views) == 30
    small = DataManager("small", tmp_path)
    with small.session("a") as s:
        s["n"] = 1
    assert small.partitions(1)[0].sessions == ("a",) and small.partitions(1)[0].bounds is None
