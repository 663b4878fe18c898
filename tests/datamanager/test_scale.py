"""map_sessions over executors (process pool, dask.distributed), partitions, to_bag."""

from __future__ import annotations

import pickle
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pytest
from neurofiles import DataManager, PartitionSpec

from .conftest import need

SESSIONS = 24


def spikes_sum(view: DataManager) -> tuple[int, int, float]:
    """Runs on a worker: sessions seen, items counted, sum of the 'spikes' values."""
    merged = view.get_merged("spikes")
    return len(view.session_names()), view.itemcount(), float(np.sum(merged))


@pytest.fixture
def store(tmp_path: Path, backend: str) -> DataManager:
    dm = DataManager("big", tmp_path, backend=backend)
    for i in range(SESSIONS):
        with dm.session(f"run{i:03d}") as s:
            s["spikes"] = list(range(i, i + 3))
            s["arr"] = np.full(1000, i, dtype=np.float32)
    return dm


def expected(store: DataManager) -> tuple[int, int, float]:
    return SESSIONS, 2 * SESSIONS, float(sum(store.get_merged("spikes")))


def combine(results: list[tuple[int, int, float]]) -> tuple[int, int, float]:
    return sum(r[0] for r in results), sum(r[1] for r in results), sum(r[2] for r in results)


def test_partitions_are_small_picklable_specs(store: DataManager) -> None:
    parts = store.partitions(5)
    assert len(parts) == 5 and all(isinstance(p, PartitionSpec) for p in parts)
    assert [n for p in parts for n in p.sessions] == store.session_names()
    for p in parts:
        raw = pickle.dumps(p)
        assert len(raw) < 2000  # names and options only: no data travels
        assert pickle.loads(raw) == p
    assert [len(p.sessions) for p in store.partitions(partition_size=10)] == [10, 10, 4]
    assert len(store.partitions(1000)) == SESSIONS
    assert "PartitionSpec" in repr(parts[0])
    with pytest.raises(ValueError):
        store.partitions(0)


def test_map_sessions_in_process(store: DataManager) -> None:
    results = store.map_sessions(spikes_sum, npartitions=4)
    assert len(results) == 4
    assert combine(results) == expected(store)


def test_map_sessions_on_a_process_pool(store: DataManager) -> None:
    with ProcessPoolExecutor(2) as pool:
        results = store.map_sessions(spikes_sum, pool, npartitions=3)
    assert combine(results) == expected(store)


def test_map_sessions_on_threads(store: DataManager) -> None:
    import warnings

    with warnings.catch_warnings(record=True) as record:
        warnings.simplefilter("always")
        with ThreadPoolExecutor(2) as pool:
            got = combine(store.map_sessions(spikes_sum, pool, partition_size=7))
    assert got == expected(store), [str(w.message) for w in record]


def test_partition_view_is_read_only(store: DataManager) -> None:
    view = store.partitions(2)[0].open()
    assert len(view.session_names()) == SESSIONS // 2
    with pytest.raises(Exception, match="read-only"):
        view.session("new")
    assert "partition of 12 sessions" in repr(view)


def test_empty_store(tmp_path: Path) -> None:
    dm = DataManager("empty", tmp_path)
    assert dm.partitions() == [] and dm.map_sessions(spikes_sum) == []


@pytest.fixture(scope="module")
def dask_client():  # type: ignore[no-untyped-def]
    need("dask.bag")
    need("distributed")
    from distributed import Client, LocalCluster

    cluster = LocalCluster(n_workers=1, threads_per_worker=2, processes=False, dashboard_address=None)
    client = Client(cluster)
    yield client
    client.close()
    cluster.close()


@pytest.mark.parametrize("backend", ["sqlite", "dbm"])
def test_map_sessions_on_dask_distributed(store: DataManager, dask_client) -> None:  # type: ignore[no-untyped-def]
    results = store.map_sessions(spikes_sum, dask_client, npartitions=4)
    assert len(results) == 4 and combine(results) == expected(store)
    # the Executor facade of the client works too
    results = store.map_sessions(spikes_sum, dask_client.get_executor(), npartitions=2)
    assert combine(results) == expected(store)


def test_to_bag_on_dask_distributed(store: DataManager, dask_client) -> None:  # type: ignore[no-untyped-def]
    bag = store.to_bag(npartitions=3)
    assert bag.npartitions == 3
    records = bag.compute(scheduler=dask_client)
    assert len(records) == 2 * SESSIONS
    assert {(s, k) for s, k, _ in records} == {(f"run{i:03d}", k) for i in range(SESSIONS) for k in ("spikes", "arr")}
    spikes = store.to_bag("spikes").map(lambda rec: sum(rec[1])).sum().compute(scheduler=dask_client)
    assert spikes == sum(store.get_merged("spikes"))
