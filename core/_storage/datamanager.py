"""The DataManager: many processes write their own sessions; collate across all of them afterwards."""

from __future__ import annotations

import getpass
import os
import platform
import warnings
import weakref
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Executor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Union
from urllib.parse import quote
from uuid import uuid4

from .._framework.backend import (
    InvalidKeyError,
    InvalidNameError,
    StorageBackend,
    StoreManifestError,
    check_key,
    check_session_name,
)
from .codec import Codec, CorruptValueError, get_codec
from .._framework.discovery import get_registry
from .._errors import OptionError, StorageError, StorageWarning
from .._errors import MergeTypeError, UnknownBackendError  # re-exported
from .locking import FileLock
from .._framework.lookup import backend_by_name, detect_backend
from .manifest import MANIFEST, read_manifest, write_manifest
from .session import Session

__all__ = ["DEFAULT_BACKEND", "DataManager", "MergeTypeError", "PartitionSpec", "UnknownBackendError", "make_partitions"]

DEFAULT_BACKEND = "sqlite"
Match = Union[str, Callable[[str], bool]]


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

    def open(self) -> DataManager:
        """A read-only DataManager view restricted to :attr:`sessions`."""
        return DataManager.partition_view(self)

    def __repr__(self) -> str:
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
    return [
        PartitionSpec(
            name=dm.name,
            datapath=dm.datapath,
            basepath=os.path.abspath(dm.basepath),
            backend=dm.backend_name,
            codec=dm.codec,
            sessions=tuple(names[i : i + size]),
            options=options,
        )
        for i in range(0, len(names), size)
    ]


def _has_sessions(basepath: Path) -> bool:
    try:
        with os.scandir(basepath) as entries:
            return any(not e.name.startswith("_") for e in entries)
    except FileNotFoundError:
        return False


def _make_folder(path: str) -> list[str]:
    """Create ``path`` and its missing parents; return the folders created, deepest first."""
    created: list[str] = []
    head = os.path.abspath(path)
    while head and not os.path.isdir(head):
        created.append(head)
        parent = os.path.dirname(head)
        if parent == head:
            break
        head = parent
    os.makedirs(path, exist_ok=True)
    return created


def _remove_folders(created: list[str]) -> None:
    """Remove the folders :func:`_make_folder` created, if they are still empty."""
    for folder in created:
        try:
            os.rmdir(folder)
        except OSError:
            return


class DataManager:
    """Collate results written by many processes, each into its own session.

    Parameters
    ----------
    name
        Store name; data live in ``<datapath>/<name>.data`` (``'a/b'`` makes
        nested folders).
    datapath
        Folder holding the store.
    backend
        Storage backend name (``neurofiles.backends()``). A new store uses
        ``"sqlite"``; an existing store uses the backend its manifest
        (``_store.json``) records, and naming another one is an error. A
        store without a manifest (written by Brian 1) is detected once for
        the whole store, or named here (``backend="shelve"``).
    codec
        ``"pickle"`` (default, highest protocol) or ``"safe"`` (no pickle; for
        untrusted stores). Recorded in the manifest.
    lock_timeout
        Seconds a locking operation waits for the session lock (``None``: forever).
    **options
        Backend options (``synchronous="FULL"`` for sqlite, ``flavour="gnu"`` for dbm...).
        An unknown name or a bad value raises :class:`OptionError` naming the
        accepted ones, before anything is created on disk.

    Attributes
    ----------
    basepath
        The data folder, ``<datapath>/<name>.data``.
    computer_name
        ``<user>.<host>``: the name of :meth:`computer_session`.
    computer_session_filename
        The file of that session.

    Notes
    -----
    One DataManager (and its sessions) belongs to one thread; processes and
    threads each open their own. Collation skips sessions that cannot be read
    with a :class:`StorageWarning` naming their files. See ``spec/backends.md``.
    """

    def __init__(
        self,
        name: str,
        datapath: str | os.PathLike[str] = "",
        backend: str | None = None,
        *,
        codec: str | Codec | None = None,
        lock_timeout: float | None = 60.0,
        **options: Any,
    ) -> None:
        if not isinstance(name, str):
            raise InvalidKeyError(f"store name must be a str, got {type(name).__name__}")
        if not name or "\0" in name:
            raise InvalidNameError(f"store name must be non-empty and without NUL, got {name!r}")
        self._setup(name, os.fspath(datapath), lock_timeout, only=None)
        self._attach(backend, codec, options)  # creates the folder only once everything is accepted

    def _setup(self, name: str, datapath: str, lock_timeout: float | None, *, only: tuple[str, ...] | None) -> None:
        """The state every DataManager has, full store or partition view."""
        self.name = name
        self.datapath = datapath
        self.basepath = os.path.join(self.datapath, name + ".data")
        self.lock_timeout = lock_timeout
        self.computer_name = getpass.getuser() + "." + platform.node()
        self._only = only
        self._writers: weakref.WeakSet[Session] = weakref.WeakSet()

    def _bind(self, backend_name: str, backend: StorageBackend, codec: Codec, manifest: dict[str, Any] | None) -> None:
        """Attach the opened backend and codec (the second half of construction)."""
        self.backend_name = backend_name
        self._backend = backend
        self._codec = codec
        self._manifest = manifest
        self.computer_session_filename = str(backend.session_path(self.computer_name))

    @classmethod
    def partition_view(cls, spec: PartitionSpec) -> DataManager:
        """The read-only view of the sessions of ``spec``: how a worker opens its partition."""
        view = cls.__new__(cls)
        view._setup(spec.name, spec.datapath, 60.0, only=spec.sessions)
        view.basepath = spec.basepath
        backend = backend_by_name(get_registry(), spec.backend)(Path(spec.basepath), spec.options)
        view._bind(spec.backend, backend, get_codec(spec.codec), {"backend": spec.backend, "codec": spec.codec})
        return view

    # -- opening the store -----------------------------------------------------------------------

    def _attach(self, backend: str | None, codec: str | Codec | None, options: dict[str, Any]) -> None:
        base = Path(self.basepath)
        manifest = read_manifest(base)
        codec_obj = get_codec(codec) if codec is not None else None
        if manifest is not None:
            if backend is not None and backend != manifest["backend"]:
                raise StoreManifestError(
                    f"{base}: this store was written with backend {manifest['backend']!r}, not {backend!r};"
                    " open it without backend= (or with the recorded one)"
                )
            if codec_obj is not None and codec_obj.name != manifest["codec"]:
                raise StoreManifestError(
                    f"{base}: this store uses codec {manifest['codec']!r}, not {codec_obj.name!r}"
                )
            self.backend_name = manifest["backend"]
            codec_obj = codec_obj or get_codec(manifest["codec"])
            cls = backend_by_name(get_registry(), self.backend_name)
            try:
                cls.check_options(manifest["options"])
            except OptionError as exc:
                raise StoreManifestError(f"{base / MANIFEST}: recorded options refused: {exc}") from None
            cls.check_options(options)
            store_options = {**manifest["options"], **options}
            new = False
        else:
            new = not _has_sessions(base)
            if backend is None:
                backend = DEFAULT_BACKEND if new else detect_backend(get_registry(), base)
                if backend is None:
                    raise StoreManifestError(
                        f"{base}: holds files but no store manifest, and no installed backend recognises"
                        " them; pass backend=... to say which backend wrote it"
                    )
            self.backend_name = backend
            cls = backend_by_name(get_registry(), backend)
            cls.check_options(options)
            codec_obj = codec_obj or get_codec(None)
            store_options = cls.manifest_options(options) if new else dict(options)
        allowed = cls.capabilities.codecs
        if allowed is not None and codec_obj.name not in allowed:
            raise StoreManifestError(
                f"backend {self.backend_name!r} stores only codec(s) {', '.join(allowed)}, not {codec_obj.name!r}"
            )
        self._bind(self.backend_name, cls(base, store_options), codec_obj, manifest)
        created = _make_folder(self.basepath)  # only now: nothing is left behind by refused options
        try:
            if new:
                self._write_manifest()
        except BaseException:
            if created:
                try:
                    os.unlink(base / MANIFEST)
                except OSError:
                    pass
            _remove_folders(created)
            raise

    def _write_manifest(self) -> None:
        if self._manifest is not None:
            return
        cls = type(self._backend)
        recorded = write_manifest(
            Path(self.basepath), self.backend_name, self._codec.name, cls.manifest_options(self._backend.options)
        )
        if recorded["backend"] != self.backend_name or recorded["codec"] != self._codec.name:
            raise StoreManifestError(
                f"{self.basepath}: another process created this store with backend {recorded['backend']!r}"
                f" and codec {recorded['codec']!r} at the same time"
            )
        self._manifest = recorded

    @property
    def backend(self) -> StorageBackend:
        """The backend instance (for its ``capabilities``; the DataManager API is backend-agnostic)."""
        return self._backend

    @property
    def codec(self) -> str:
        """Name of the store's codec."""
        return self._codec.name

    # -- sessions --------------------------------------------------------------------------------

    def make_unique_key(self) -> str:
        """A fresh ``uuid4`` string."""
        return str(uuid4())

    def session_name(self) -> str:
        """A new unique session name, ``<user>.<uuid4>``."""
        return getpass.getuser() + "." + self.make_unique_key()

    def session_filename(self, session_name: str | None = None) -> str:
        """The main file of a session (a new unique one if no name is given)."""
        name = check_session_name(self.session_name() if session_name is None else session_name)
        return str(self._backend.session_path(name))

    def _lock_path(self, name: str) -> Path:
        return Path(self.basepath) / "_locks" / (quote(name, safe="") + ".lock")

    def _open(self, session_name: str | None, *, locking: bool, exclusive: bool) -> Session:
        if self._only is not None:
            raise StorageError("a partition view is read-only")
        name = check_session_name(self.session_name() if session_name is None else session_name)
        self._write_manifest()
        lock = FileLock(self._lock_path(name), timeout=self.lock_timeout)
        session = Session(
            self._backend, name, self._codec, lock, locking=locking, exclusive=exclusive, on_close=self._forget_session
        )
        self._writers.add(session)
        return session

    def session(self, session_name: str | None = None) -> Session:
        """Open a session for writing: a new unique one, or ``session_name``.

        A named session is held exclusively for its lifetime: a second writer
        of the same name fails fast with :class:`SessionBusyError`.
        """
        return self._open(session_name, locking=False, exclusive=session_name is not None)

    def computer_session(self) -> Session:
        """The session named ``<user>.<host>``, held exclusively while open.

        Raises
        ------
        SessionBusyError
            Another process (or session object) has it open; the message
            names its pid and host.
        """
        return self._open(self.computer_name, locking=False, exclusive=True)

    def locking_session(self, session_name: str | None = None) -> Session:
        """A session shared by several processes: every operation holds its lock.

        Use ``with s.lock():`` around a read-modify-write.
        """
        return self._open(session_name, locking=True, exclusive=False)

    def locking_computer_session(self) -> Session:
        """:meth:`locking_session` on the ``<user>.<host>`` session."""
        return self._open(self.computer_name, locking=True, exclusive=False)

    def _forget_session(self, session: Session) -> None:
        self._writers.discard(session)

    def session_names(self) -> list[str]:
        """Every readable-looking session name, sorted (foreign files are warned about)."""
        if self._only is not None:
            return list(self._only)
        return list(self._backend.list_sessions())

    def session_filenames(self) -> list[str]:
        """The main file of every session, sorted by session name."""
        return [str(self._backend.session_path(n)) for n in self.session_names()]

    def delete_session(self, session_name: str) -> None:
        """Remove a session's files."""
        self._backend.delete_session(check_session_name(session_name))

    # -- collation -------------------------------------------------------------------------------

    def _names(self) -> list[str]:
        for session in list(self._writers):  # our own pending writes become visible first
            if not session.closed:
                session.flush()
        return self.session_names()

    def _decode(self, session: str, key: str, data: bytes) -> tuple[bool, Any]:
        try:
            return True, self._codec.decode(data)
        except CorruptValueError as exc:
            files = ", ".join(str(p) for p in self._backend.session_files(session)) or session
            warnings.warn(f"{files}: key {key!r} of session {session!r} skipped: {exc}", StorageWarning, stacklevel=4)
            return False, None

    def get(self, key: str) -> dict[str, Any]:
        """``{session name: value}`` for every session holding ``key``."""
        self._backend.check_key(check_key(key))
        result = {}
        for session, data in sorted(self._backend.get_across(key, self._names()), key=lambda item: item[0]):
            ok, value = self._decode(session, key, data)
            if ok:
                result[session] = value
        return result

    def get_merged(self, key: str) -> list[Any]:
        """Concatenate the values of ``key`` across sessions (in session-name order).

        Every value must be a ``list`` or ``tuple``; anything else (a numpy
        array, a scalar) raises :class:`MergeTypeError` (a ``TypeError``) naming
        the session: use :meth:`get` and merge by hand.
        """
        merged: list[Any] = []
        for session, value in self.get(key).items():
            if not isinstance(value, (list, tuple)):
                raise MergeTypeError(
                    f"get_merged({key!r}): session {session!r} holds a {type(value).__name__}, not a list or"
                    " tuple; use get() and merge by hand"
                )
            merged.extend(value)
        return merged

    def get_matching_keys(self, match: Match) -> list[str]:
        """Sorted keys that start with ``match`` (a str) or for which ``match(key)`` is true."""
        if isinstance(match, str):
            return sorted(k for k in self.keys() if k.startswith(match))
        if callable(match):
            return sorted(k for k in self.keys() if match(k))
        raise TypeError(f"match must be a str prefix or a callable, got {type(match).__name__}")

    def get_matching(self, match: Match) -> dict[str, dict[str, Any]]:
        """``{key: get(key)}`` for every matching key."""
        return {key: self.get(key) for key in self.get_matching_keys(match)}

    def get_merged_matching(self, match: Match) -> list[Any]:
        """``get_merged(key)`` of every matching key, concatenated."""
        merged: list[Any] = []
        for key in self.get_matching_keys(match):
            merged.extend(self.get_merged(key))
        return merged

    def get_flat_matching(self, match: Match) -> list[Any]:
        """Every value of every matching key in every session, as one flat list."""
        return [value for per_key in self.get_matching(match).values() for value in per_key.values()]

    def keys(self) -> list[str]:
        """Every key of every session, sorted, without repeats."""
        return sorted(self._backend.keys_across(self._names()))

    def itemcount(self) -> int:
        """The number of items across all sessions."""
        return self._backend.count_across(self._names())

    def iteritems(self) -> Iterator[tuple[str, Any]]:
        """Yield ``(key, value)`` of every item of every session, one value in memory at a time."""
        for session, key, data in self._backend.items_across(self._names()):
            ok, value = self._decode(session, key, data)
            if ok:
                yield key, value

    def itervalues(self) -> Iterator[Any]:
        """Yield every value of every session, streaming."""
        for _key, value in self.iteritems():
            yield value

    def iter_session_items(self) -> Iterator[tuple[str, str, Any]]:
        """Yield ``(session, key, value)`` for every item, streaming."""
        for session, key, data in self._backend.items_across(self._names()):
            ok, value = self._decode(session, key, data)
            if ok:
                yield session, key, value

    def items(self) -> list[tuple[str, Any]]:
        """``list(iteritems())``."""
        return list(self.iteritems())

    def values(self) -> list[Any]:
        """``list(itervalues())``."""
        return list(self.itervalues())

    # -- scale out -------------------------------------------------------------------------------

    def partitions(self, npartitions: int | None = None, *, partition_size: int | None = None) -> list[Any]:
        """Picklable :class:`PartitionSpec` objects covering every session (see ``map_sessions``)."""
        return make_partitions(self, self._names(), npartitions=npartitions, partition_size=partition_size)

    def map_sessions(
        self,
        fn: Callable[[DataManager], Any],
        executor: Executor | Any = None,
        *,
        npartitions: int | None = None,
        partition_size: int | None = None,
    ) -> list[Any]:
        """Run ``fn(view)`` once per partition of sessions; return the results in partition order.

        ``view`` is a read-only DataManager restricted to the partition's
        sessions, opened where ``fn`` runs: only the small picklable spec
        travels to the worker and only ``fn``'s result travels back.
        ``executor`` is any ``concurrent.futures.Executor`` (or object with a
        compatible ``submit``, such as a ``dask.distributed.Client``);
        ``None`` runs in this process.
        """
        from .collate import map_partitions

        return map_partitions(fn, self.partitions(npartitions, partition_size=partition_size), executor)

    def to_bag(self, key: str | None = None, *, npartitions: int | None = None) -> Any:
        """A ``dask.bag.Bag`` of ``(session, key, value)`` records (or ``(session, value)`` for ``key``).

        Needs ``pip install 'neurofiles[dask]'``.
        """
        from .collate import to_bag

        return to_bag(self, key, npartitions=npartitions)

    # -- life cycle ------------------------------------------------------------------------------

    def close(self) -> None:
        """Close open sessions and cached read handles."""
        for session in list(self._writers):
            session.close()
        self._backend.close()

    def __enter__(self) -> DataManager:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        view = f", partition of {len(self._only)} sessions" if self._only is not None else ""
        return (
            f"<DataManager {self.name!r} at {self.basepath!r} (backend {self.backend_name!r},"
            f" codec {self._codec.name!r}{view})>"
        )

for _cls in (DataManager, PartitionSpec):
    _cls.__module__ = "neurofiles"  # their public name
del _cls
