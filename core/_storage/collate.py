"""Scale-out collation: picklable partitions of sessions, any Executor, a Dask bag adapter.

Partitions are made by ``DataManager.partitions``; only a
:class:`PartitionSpec` (store location, backend name and options,
codec, session names) travels to a worker; the worker opens the sessions
itself and returns only what ``fn`` returns. Per-task overhead is 0.2-1 ms in
Dask and far more for a process pool start, so the default is a few coarse
partitions per core rather than one task per session.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from .._framework.specs import import_object

if TYPE_CHECKING:
    from .datamanager import DataManager, PartitionSpec

__all__ = ["map_partitions", "run_partition", "to_bag"]

DASK_HINT = "pip install 'neurofiles[dask]'"


def run_partition(fn: Callable[[DataManager], Any], spec: PartitionSpec) -> Any:
    """Open ``spec`` and return ``fn(view)``; runs on the worker."""
    view = spec.open()
    try:
        return fn(view)
    finally:
        view.close()


def map_partitions(fn: Callable[[DataManager], Any], specs: Sequence[PartitionSpec], executor: Any) -> list[Any]:
    """``[fn(view of spec) for spec in specs]``, on ``executor`` if given."""
    if executor is None:
        return [run_partition(fn, spec) for spec in specs]
    futures = [executor.submit(run_partition, fn, spec) for spec in specs]
    return [future.result() for future in futures]


def _bag_records(specs: Sequence[PartitionSpec], key: str | None) -> list[Any]:
    records: list[Any] = []
    for spec in specs:
        view = spec.open()
        try:
            if key is None:
                records.extend(view.iter_session_items())
            else:
                records.extend(view.get(key).items())
        finally:
            view.close()
    return records


def to_bag(dm: DataManager, key: str | None = None, *, npartitions: int | None = None) -> Any:
    """A dask bag over the store, one bag partition per :class:`PartitionSpec`."""
    db = import_object("dask.bag", needed_for="to_bag()", install_hint=DASK_HINT)
    specs = dm.partitions(npartitions)
    if not specs:
        return db.from_sequence([], npartitions=1)
    bag = db.from_sequence(specs, npartitions=len(specs))
    return bag.map_partitions(_bag_records, key)
