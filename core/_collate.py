"""Scale-out collation: picklable partitions of sessions, any Executor, a Dask bag adapter.

Only a :class:`PartitionSpec` (store location, backend name and options,
codec, session names) travels to a worker; the worker opens the sessions
itself and returns only what ``fn`` returns. Per-task overhead is 0.2-1 ms in
Dask and far more for a process pool start, so the default is a few coarse
partitions per core rather than one task per session. A partition of more
than :data:`NAMES_MAX` sessions travels as its first and last session name
(the worker lists the store and keeps the names between them), so tasks and
the scheduler graph stay small at 10^5 sessions.
"""

from __future__ import annotations

import getpass
import os
import platform
import weakref
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ._codec import get_codec
from ._specs import import_object

if TYPE_CHECKING:
    from ._datamanager import DataManager

__all__ = ["NAMES_MAX", "PartitionSpec", "make_partitions", "map_partitions", "to_bag"]

DASK_HINT = "pip install 'neurofiles[dask]'"
#: A partition of more sessions than this travels as its first and last name, not as a name list,
#: so a task's size (and the scheduler graph) does not grow with the store.
NAMES_MAX = 1000


@dataclass(frozen=True)
class PartitionSpec:
    """Everything a worker needs to open some sessions of a store, and nothing else."""

    name: str
    datapath: str
    basepath: str
    backend: str
    codec: str
    sessions: tuple[str, ...]
    options: dict[str, Any] = field(default_factory=dict, hash=False)
    #: ``(first, last)`` session names: the partition is every session listed between them (inclusive)
    #: when the worker opens it; :attr:`sessions` is then empty.
    bounds: tuple[str, str] | None = None

    def open(self) -> DataManager:
        """A read-only DataManager view restricted to :attr:`sessions` (or to :attr:`bounds`)."""
        from ._datamanager import DataManager, _lookup_backend

        view = DataManager.__new__(DataManager)
        view.name = self.name
        view.datapath = self.datapath
        view.basepath = self.basepath
        view.lock_timeout = 60.0
        view.computer_name = getpass.getuser() + "." + platform.node()
        view._only = self.sessions
        view._writers = weakref.WeakSet()
        view.backend_name = self.backend
        view._codec = get_codec(self.codec)
        view._backend = _lookup_backend(self.backend)(Path(self.basepath), self.options)
        if self.bounds is not None:
            first, last = self.bounds
            view._only = tuple(n for n in view._backend.list_sessions() if first <= n <= last)
        view._manifest = {"backend": self.backend, "codec": self.codec}
        view.computer_session_filename = str(view._backend.session_path(view.computer_name))
        return view

    def __repr__(self) -> str:
        if self.bounds is not None:
            return f"<PartitionSpec sessions {self.bounds[0]!r}..{self.bounds[1]!r} of {self.basepath!r} ({self.backend})>"
        first = self.sessions[0] if self.sessions else ""
        return f"<PartitionSpec {len(self.sessions)} sessions from {first!r} of {self.basepath!r} ({self.backend})>"


def make_partitions(
    dm: DataManager, names: Sequence[str], *, npartitions: int | None = None, partition_size: int | None = None
) -> list[PartitionSpec]:
    """Split ``names`` into contiguous, picklable partitions."""
    names = list(names)
    if not names:
        return []
    if partition_size is not None:
        if partition_size < 1:
            raise ValueError(f"partition_size must be >= 1, got {partition_size}")
        size = partition_size
    else:
        n = npartitions if npartitions is not None else 4 * (os.cpu_count() or 1)
        if n < 1:
            raise ValueError(f"npartitions must be >= 1, got {n}")
        n = min(n, len(names))
        size = -(-len(names) // n)
    options = dict(dm.backend.options)
    specs = []
    for i in range(0, len(names), size):
        chunk = names[i : i + size]
        large = len(chunk) > NAMES_MAX and dm._only is None  # a view keeps its exact names
        specs.append(
            PartitionSpec(
                name=dm.name,
                datapath=dm.datapath,
                basepath=os.path.abspath(dm.basepath),
                backend=dm.backend_name,
                codec=dm.codec,
                sessions=() if large else tuple(chunk),
                options=options,
                bounds=(chunk[0], chunk[-1]) if large else None,
            )
        )
    return specs


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
        return db.from_sequence([], npartitions=1)  # type: ignore[no-untyped-call]
    bag = db.from_sequence(specs, npartitions=len(specs))  # type: ignore[no-untyped-call]
    return bag.map_partitions(_bag_records, key)
