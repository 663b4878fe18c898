"""The DataManager: many processes write their own sessions; collate across all of them afterwards."""

from __future__ import annotations

import gc
import getpass
from operator import itemgetter
import os
import platform
import stat
import time
import warnings
import weakref
from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import Executor
from contextlib import contextmanager
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
    check_session_name,
)
from .codec import Codec, CorruptValueError, get_codec
from .._framework.discovery import get_registry
from .._errors import OptionError, StorageError, StorageWarning, UnsafeStoreFileError
from .._errors import MergeTypeError, UnknownBackendError  # re-exported
from .._errors import RepeatedRunsWarning, SessionExistsError
from .locking import FileLock
from .._framework.lookup import backend_by_name, detect_backend
from .manifest import MANIFEST, read_manifest, write_manifest
from .runs import ON_EXISTING, RUN_KEY, group_digest, hidden_sessions, iso_time, latest_only, param_group
from .runs import repeated_groups
from .session import PARAMS_KEY, Session, check_params, check_user_key, is_reserved

__all__ = [
    "DEFAULT_BACKEND",
    "NAMES_MAX",
    "DataManager",
    "MergeTypeError",
    "PartitionSpec",
    "UnknownBackendError",
    "make_partitions",
]

DEFAULT_BACKEND = "log"
Match = Union[str, Callable[[str], bool]]
#: ``where=``: ``{param: value or predicate}`` (all must hold) or ``predicate(params) -> bool``.
Where = Union[Mapping[str, Any], Callable[[dict[str, Any]], bool], None]
#: Created in the data folder when a ``replace`` run first starts there: until then no session can be
#: hidden, and collation skips reading the run records.
REPLACE_MARKER = "_replace_runs"
#: A partition of more sessions than this travels as its first and last name, not as a name list,
#: so a task's size (and the scheduler graph) does not grow with the store.
NAMES_MAX = 1000


@dataclass(frozen=True)
class PartitionSpec:
    """Everything a worker needs to open some sessions of a store, and nothing else.

    A partition of more than :data:`NAMES_MAX` sessions travels as its first
    and last session name (:attr:`bounds`; the worker lists the store and keeps
    the names between them), so tasks and the scheduler graph stay small at
    10^5 sessions.
    """

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
    #: with :attr:`bounds`: sessions between them that collation does not see (retired or unfinished
    #: ``replace`` runs, see ``DataManager.session(on_existing=...)``).
    hidden: tuple[str, ...] = ()

    def open(self) -> DataManager:
        """A read-only DataManager view restricted to :attr:`sessions` (or to :attr:`bounds`)."""
        return DataManager.partition_view(self)

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
        hidden = tuple(sorted(h for h in dm._hidden if chunk[0] <= h <= chunk[-1])) if large else ()
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
                hidden=hidden,
            )
        )
    return specs


def _reopen_manager(
    name: str,
    datapath: str,
    backend: str,
    codec: str,
    lock_timeout: float | None,
    options: dict[str, Any],
    only: tuple[str, ...] | None,
) -> DataManager:
    """Unpickle a :class:`DataManager`: open the same store again in this process."""
    if only is not None:
        return PartitionSpec(
            name=name,
            datapath=datapath,
            basepath=os.path.abspath(os.path.join(datapath, name + ".data")),
            backend=backend,
            codec=codec,
            sessions=only,
            options=options,
        ).open()
    return DataManager(name, datapath, backend, codec=codec, lock_timeout=lock_timeout, **options)


#: The built-in backends, imported directly: opening a store of theirs needs no entry-point scan.
BUILTIN_BACKENDS = {
    "log": ("neurofiles.plugins.log_store._backend", "LogBackend"),
    "sqlite": ("neurofiles.plugins.sqlite_store._backend", "SqliteBackend"),
    "dbm": ("neurofiles.plugins.dbm_store._backend", "DbmBackend"),
    "shelve": ("neurofiles.plugins.shelve_store._backend", "ShelveBackend"),
}


def _lookup_backend(name: str) -> type[StorageBackend]:
    """:func:`backend_by_name`, with the built-in backends imported directly (no entry-point scan)."""
    builtin = BUILTIN_BACKENDS.get(name)
    if builtin is not None:
        import importlib

        try:
            cls = getattr(importlib.import_module(builtin[0]), builtin[1])
        except (ImportError, AttributeError):  # a trimmed install: ask the registry
            cls = None
        if isinstance(cls, type) and issubclass(cls, StorageBackend):
            return cls
    return backend_by_name(get_registry(), name)


def check_store_folder(basepath: str | os.PathLike[str]) -> None:
    """Refuse a data folder that is a symbolic link or not a folder (a missing one passes).

    Raises
    ------
    UnsafeStoreFileError
        ``basepath`` is a symbolic link (never followed: open its target by
        its own path instead), or a file, FIFO or device.
    """
    try:
        st = os.lstat(basepath)
    except FileNotFoundError:
        return
    if stat.S_ISLNK(st.st_mode):
        raise UnsafeStoreFileError(
            f"{os.fspath(basepath)}: the store folder is a symbolic link; a store is never opened through one"
            " (open the folder it points to by its own path)"
        )
    if not stat.S_ISDIR(st.st_mode):
        raise UnsafeStoreFileError(f"{os.fspath(basepath)}: not a folder; refused as a store")


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


def _matches(params: dict[str, Any], where: Where) -> bool:
    """True if ``params`` satisfies ``where`` (see :meth:`DataManager.get`)."""
    if callable(where):
        return bool(where(params))
    if not isinstance(where, Mapping):
        raise OptionError(f"where must be a mapping or a callable, got {type(where).__name__}")
    for name, wanted in where.items():
        if name not in params:
            return False
        have = params[name]
        if callable(wanted):
            if not wanted(have):
                return False
        elif type(have) is not type(wanted) and not (_number(have) and _number(wanted)):
            return False
        else:
            try:
                if not bool(have == wanted):
                    return False
            except (TypeError, ValueError):  # an array compared with a scalar has no single truth
                return False
    return True


@contextmanager
def _gc_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector for one collation.

    A collation allocates an object or more per session while the parse cache
    holds millions: each automatic full collection would walk all of them (at
    10^5 sessions that was 60 % of a warm ``get_merged``). Nothing a
    collation makes is kept in a cycle by us; collection resumes after it.
    """
    if not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


def _number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


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
        ``"log"``; an existing store uses the backend its manifest
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
        #: sessions the last collation did not see (see :meth:`_visible`)
        self._hidden: frozenset[str] = frozenset()

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
        check_store_folder(spec.basepath)
        backend = _lookup_backend(spec.backend)(Path(spec.basepath), spec.options)
        if spec.bounds is not None:
            first, last = spec.bounds
            hidden = frozenset(spec.hidden)
            view._only = tuple(n for n in backend.list_sessions() if first <= n <= last and n not in hidden)
        view._bind(spec.backend, backend, get_codec(spec.codec), {"backend": spec.backend, "codec": spec.codec})
        return view

    # -- pickling (multiprocessing under spawn / forkserver) ---------------------------------------

    def __reduce__(self) -> tuple[Any, ...]:
        """Pickle by location: the child reopens the store (its manifest decides backend and codec).

        Only the store's name, folder, backend name and options, codec name,
        lock timeout and (for a partition view) its session names travel; open
        sessions of this process are flushed first so the child sees their
        writes. A codec given as an instance travels by its registered name.
        """
        for session in list(self._writers):
            if not session.closed:
                session.flush()
        state = (
            self.name,
            os.path.abspath(self.datapath),
            self.backend_name,
            self._codec.name,
            self.lock_timeout,
            dict(self._backend.options),
            self._only,
        )
        return (_reopen_manager, state)

    # -- opening the store -----------------------------------------------------------------------

    def _attach(self, backend: str | None, codec: str | Codec | None, options: dict[str, Any]) -> None:
        base = Path(self.basepath)
        check_store_folder(base)
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
            cls = _lookup_backend(self.backend_name)
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
            cls = _lookup_backend(backend)
            cls.check_options(options)
            codec_obj = codec_obj or get_codec(None)
            store_options = {**options, **cls.manifest_options(options)} if new else dict(options)
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

    def _open(
        self,
        session_name: str | None,
        *,
        locking: bool,
        exclusive: bool,
        params: Mapping[str, Any] | None = None,
        on_existing: str = "add",
    ) -> Session:
        if self._only is not None:
            raise StorageError("a partition view is read-only")
        if on_existing not in ON_EXISTING:
            raise OptionError(f"on_existing must be one of {', '.join(map(repr, ON_EXISTING))}, got {on_existing!r}")
        if on_existing != "add" and params is None:
            raise OptionError(f"on_existing={on_existing!r} needs params=: runs are matched by their parameters")
        name = check_session_name(self.session_name() if session_name is None else session_name)
        checked = check_params(params) if params is not None else None
        if checked is not None:
            self._codec.encode(checked)  # refuse unstorable params before anything is created
        self._write_manifest()
        if checked is None or on_existing != "error":
            return self._create(name, locking, exclusive, checked, on_existing)
        with self._group_lock(checked):  # check and create as one step against other "error" runs
            same = [n for n, p in self.params().items() if p and param_group(p) == param_group(checked)]
            if same:
                raise SessionExistsError(
                    f"{self.basepath}: session(s) {', '.join(same[:5])}{' ...' if len(same) > 5 else ''} already"
                    f" hold params {checked!r} (on_existing='error'); use 'replace' to supersede them"
                )
            return self._create(name, locking, exclusive, checked, on_existing)

    def _mark_replace_runs(self) -> None:
        """Create :data:`REPLACE_MARKER`: collations of this store look for hidden runs from now on."""
        path = os.path.join(self.basepath, REPLACE_MARKER)
        flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0)
        try:
            os.close(os.open(path, flags, 0o666))
        except FileExistsError:
            pass  # made before (or planted: then collations only do one more read pass)
        except OSError as exc:
            raise StorageError(f"{path}: cannot mark the store as holding replace runs ({exc})") from exc

    def _group_lock(self, params: Mapping[str, Any]) -> FileLock:
        """The store-wide lock of one parameter set (checks and retirements of its runs take turns)."""
        path = Path(self.basepath) / "_locks" / f"params-{group_digest(params)}.lock"
        return FileLock(path, timeout=self.lock_timeout)

    def _create(
        self, name: str, locking: bool, exclusive: bool, checked: dict[str, Any] | None, on_existing: str
    ) -> Session:
        if on_existing == "replace":
            self._mark_replace_runs()
        lock = FileLock(self._lock_path(name), timeout=self.lock_timeout)
        session = Session(
            self._backend,
            name,
            self._codec,
            lock,
            locking=locking,
            exclusive=exclusive,
            on_close=self._forget_session,
        )
        session._manager = self  # lets the session pickle (it reopens through this store)
        self._writers.add(session)
        if checked is not None:
            run = {
                "created": time.time(),
                "mode": on_existing,
                "done": on_existing != "replace",
                "host": platform.node(),
                "pid": os.getpid(),
            }
            try:  # a replace run is committed (hidden, unfinished) at once, never seen as an empty session
                session._write_reserved({PARAMS_KEY: checked, RUN_KEY: run}, flush=on_existing != "add")
            except BaseException:
                session._aborted = True
                session.close()
                raise
            session._run = run
            if on_existing == "replace":
                session._on_commit = self._retire
        return session

    def _retire(self, session: Session) -> None:
        """After ``session``'s replace run completed: delete the older runs of its parameters it hides.

        Best effort (the runs are hidden whatever happens here): unfinished
        replace runs of other processes and sessions open in this process are
        left alone; a file that cannot be deleted is warned about.
        """
        run_params = self._raw_params([session.name]).get(session.name, {})
        mine = param_group(run_params)
        open_here = {s.name for s in self._writers if not s.closed}
        with self._group_lock(run_params):
            names = self.session_names()
            runs = self._runs(names)
            everyone = self._raw_params(names)
            for name in sorted(hidden_sessions(names, runs, everyone)):
                run = runs.get(name, {})
                unfinished = run.get("mode") == "replace" and run.get("done") is not True
                if unfinished or name in open_here or param_group(everyone.get(name, {})) != mine:
                    continue
                try:
                    self._backend.delete_session(name)
                except FileNotFoundError:
                    continue
                except (OSError, StorageError) as exc:
                    warnings.warn(
                        f"{self.basepath}: retired session {name!r} not deleted ({exc}); it stays hidden",
                        StorageWarning,
                        stacklevel=3,
                    )

    def session(
        self,
        session_name: str | None = None,
        *,
        params: Mapping[str, Any] | None = None,
        on_existing: str = "add",
    ) -> Session:
        """Open a session for writing: a new unique one, or ``session_name``.

        A named session is held exclusively for its lifetime: a second writer
        of the same name fails fast with :class:`SessionBusyError`.

        Parameters
        ----------
        params
            The run's parameters (``{"g": 0.1, "seed": 3}``): stored with the
            session (replacing earlier ones), readable as ``session.params``,
            filtered on by ``where=`` and listed by :meth:`table`. Not a key:
            ``keys()``, ``items()`` and ``len()`` do not show them. The time
            the run started is recorded too (``table(created=True)``).
        on_existing
            What a re-run with the same ``params`` does to earlier runs:
            ``"add"`` (default, Brian 1's behaviour: one more session),
            ``"replace"`` (this run is hidden until its session closes without
            an exception; that commit hides every earlier run of the same
            params at once, and their files are then deleted) or ``"error"``
            (:class:`SessionExistsError` if a run of the same params exists).

        Raises
        ------
        SessionExistsError
            ``on_existing="error"`` and a visible session holds equal params.
        """
        return self._open(
            session_name, locking=False, exclusive=session_name is not None, params=params, on_existing=on_existing
        )

    def computer_session(self, *, params: Mapping[str, Any] | None = None) -> Session:
        """The session named ``<user>.<host>``, held exclusively while open.

        Raises
        ------
        SessionBusyError
            Another process (or session object) has it open; the message
            names its pid and host.
        """
        return self._open(self.computer_name, locking=False, exclusive=True, params=params)

    def locking_session(
        self, session_name: str | None = None, *, params: Mapping[str, Any] | None = None
    ) -> Session:
        """A session shared by several processes: every operation holds its lock.

        Use ``with s.lock():`` around a read-modify-write.
        """
        return self._open(session_name, locking=True, exclusive=False, params=params)

    def locking_computer_session(self, *, params: Mapping[str, Any] | None = None) -> Session:
        """:meth:`locking_session` on the ``<user>.<host>`` session."""
        return self._open(self.computer_name, locking=True, exclusive=False, params=params)

    def shelf(self, fname: str | os.PathLike[str]) -> Session:
        """Brian 1's ``DataManager.shelf(fname)``: open the session stored at ``fname`` for writing.

        ``fname`` is a session's file as :meth:`session_filename` returns it
        (with or without the backend's suffix), or a session name. In Brian 1
        this was a static method opening any file as a ``shelve``; here it is
        bound to the store, and a path outside the data folder is refused with
        :class:`InvalidNameError`. The session is held like :meth:`session` with
        a name: exclusively, until closed.
        """
        return self.session(self._name_of(fname))

    def _name_of(self, fname: str | os.PathLike[str]) -> str:
        """The session name of a session file path (or a name, returned as is)."""
        text = os.fspath(fname)
        if not isinstance(text, str):
            raise InvalidKeyError(f"a session file name must be a str path, got {type(text).__name__}")
        base = os.path.abspath(self.basepath)
        full = os.path.abspath(text) if os.path.isabs(text) or text.startswith(self.basepath) else None
        if full is None:
            return check_session_name(text)
        rel = os.path.relpath(full, base)
        if rel.startswith(os.pardir) or os.path.isabs(rel):
            raise InvalidNameError(f"{text}: not a session file of the store at {self.basepath}")
        rel = rel.replace(os.sep, "/")
        stem, _ext = os.path.splitext(rel)
        for candidate in (stem, rel):
            try:
                check_session_name(candidate)
            except StorageError:
                continue
            if os.path.abspath(self._backend.session_path(candidate)) == full:
                return candidate
        return check_session_name(rel)

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
        """The sessions a collation sees: every one but retired and unfinished ``replace`` runs."""
        for session in list(self._writers):  # our own pending writes become visible first
            if not session.closed:
                session.flush()
        names = self.session_names()
        if self._only is not None:
            return names  # a partition view was cut from the visible sessions
        return self._visible(names)

    def _visible(self, names: list[str]) -> list[str]:
        try:  # no replace run was ever started here: every session is visible, no extra read pass
            os.lstat(os.path.join(self.basepath, REPLACE_MARKER))
        except OSError:
            self._hidden = frozenset()
            return names
        runs = self._runs(names)
        if not any(run.get("mode") == "replace" for run in runs.values()):
            self._hidden = frozenset()
            return names
        hidden = hidden_sessions(names, runs, self._raw_params(names))
        self._hidden = frozenset(hidden)
        return [n for n in names if n not in hidden] if hidden else names

    def _reserved(self, key: str, names: list[str]) -> dict[str, dict[str, Any]]:
        """``{session: record}`` of a reserved key holding dicts (an undecodable one is warned about)."""
        found: dict[str, dict[str, Any]] = {}
        decode, checked = self._decoder()
        for session, data in self._backend.get_across(key, names):
            try:
                value = decode(data)
            except Exception as exc:  # noqa: BLE001 - the checked way warns naming the files
                name = "params" if key == PARAMS_KEY else "run record"
                ok, value = self._after_failure(checked, session, name, data, exc)
                if not ok:
                    continue
            if isinstance(value, dict):
                found[session] = value
        return found

    def _runs(self, names: list[str]) -> dict[str, dict[str, Any]]:
        return self._reserved(RUN_KEY, names)

    def _raw_params(self, names: list[str]) -> dict[str, dict[str, Any]]:
        return self._reserved(PARAMS_KEY, names)

    def _decode(self, session: str, key: str, data: bytes) -> tuple[bool, Any]:
        try:
            return True, self._codec.decode(data)
        except CorruptValueError as exc:
            self._warn_undecodable(session, key, exc)
            return False, None

    def _warn_undecodable(self, session: str, key: str, exc: Exception) -> None:
        files = ", ".join(str(p) for p in self._backend.session_files(session)) or session
        warnings.warn(f"{files}: key {key!r} of session {session!r} skipped: {exc}", StorageWarning, stacklevel=5)

    def _decoder(self) -> tuple[Callable[[bytes], Any], bool]:
        """The codec's fast decoder, and whether it is the checked :meth:`Codec.decode` itself."""
        raw = self._codec.raw_decoder()
        return raw, raw == self._codec.decode

    def _after_failure(self, checked: bool, session: str, key: str, data: bytes, exc: Exception) -> tuple[bool, Any]:
        """A value the fast decoder refused: warn (decoding once more only if it was not the checked one)."""
        if not checked:
            return self._decode(session, key, data)
        if not isinstance(exc, CorruptValueError):
            raise exc
        self._warn_undecodable(session, key, exc)
        return False, None

    def params(self, where: Where = None, *, latest: bool = False) -> dict[str, dict[str, Any]]:
        """``{session name: parameters}`` of every session (``{}`` for one without), filtered by ``where``.

        ``latest=True`` keeps, of several sessions with equal non-empty
        parameters (re-runs), only the newest (by run start time).
        """
        names = self._names()
        found = self._raw_params(names)
        if latest:
            names = latest_only(names, self._runs(names), found)
        everyone = {name: found.get(name, {}) for name in names}
        if where is None:
            return everyone
        return {name: p for name, p in everyone.items() if _matches(p, where)}

    def _selected(self, where: Where, latest: bool = False) -> list[str]:
        if where is None and not latest:
            return self._names()
        return list(self.params(where, latest=latest))

    def get(self, key: str, where: Where = None, *, latest: bool = False) -> dict[str, Any]:
        """``{session name: value}`` for every session holding ``key``.

        ``where`` keeps only sessions whose parameters match: a mapping
        ``{"g": 0.1}`` (every named parameter present and ``==``, or a callable
        value used as a predicate: ``{"g": lambda g: g > 0.05}``), or a
        callable taking the whole ``params`` dict. ``latest=True``: only the
        newest of several runs with equal parameters (see :meth:`params`).
        """
        self._backend.check_key(check_user_key(key))
        with _gc_paused():
            return self._get(key, self._selected(where, latest))

    def _get(self, key: str, names: list[str]) -> dict[str, Any]:
        result = {}
        decode, checked = self._decoder()
        for session, data in sorted(self._backend.get_across(key, names), key=itemgetter(0)):
            try:
                result[session] = decode(data)
            except Exception as exc:  # noqa: BLE001 - the checked way: a typed warning, or the value
                ok, value = self._after_failure(checked, session, key, data, exc)
                if ok:
                    result[session] = value
        return result

    def table(
        self,
        keys: Sequence[str] | None = None,
        where: Where = None,
        *,
        latest: bool = False,
        created: bool = False,
    ) -> tuple[list[str], list[list[Any]]]:
        """Columns and rows: one row per session, its parameters and the values of ``keys``.

        Columns are ``session``, ``created`` if asked, every parameter name
        (sorted), then each of ``keys`` (all keys if ``None``) that is not only
        a parameter name; a key that is also a parameter name gets the column
        ``<key>.value``. Missing entries are ``None``. Sessions are in name order.

        ``created``: when the run started (ISO 8601 UTC; for a session without
        a run record, its file's last modification). ``latest``: of several
        sessions with equal non-empty parameters, only the newest; without it,
        such re-runs raise a :class:`RepeatedRunsWarning`.
        """
        params = self.params(where, latest=latest)
        names = list(params)
        runs = self._runs(names) if created else {}
        if not latest:
            self._warn_repeats(names, params)
        pnames = sorted({p for values in params.values() for p in values})
        wanted = sorted(k for k in self._backend.keys_across(names) if not is_reserved(k)) if keys is None else list(keys)
        values: dict[str, dict[str, Any]] = {}
        for key in wanted:
            check_user_key(key)
            got = {}
            for session, data in self._backend.get_across(key, names):
                ok, value = self._decode(session, key, data)
                if ok:
                    got[session] = value
            if got or key not in pnames:
                values[key] = got
        columns = ["session", *(["created"] if created else []), *pnames]
        key_columns = [(f"{k}.value" if k in pnames else k, k) for k in values]
        columns += [c for c, _k in key_columns]
        stamps = [self._created(name, runs.get(name)) for name in names] if created else []
        rows = [
            [
                name,
                *(stamps[i : i + 1] if created else []),
                *(params[name].get(p) for p in pnames),
                *(values[k].get(name) for _c, k in key_columns),
            ]
            for i, name in enumerate(names)
        ]
        return columns, rows

    def _created(self, name: str, run: Mapping[str, Any] | None) -> str | None:
        """When session ``name``'s run started (its run record), else its main file's mtime (no link followed)."""
        stamp = run.get("created") if run else None
        if isinstance(stamp, (int, float)) and not isinstance(stamp, bool):
            return iso_time(float(stamp))
        try:
            return iso_time(os.lstat(self._backend.session_path(name)).st_mtime)
        except (OSError, ValueError, OverflowError):
            return None

    def _warn_repeats(self, names: list[str], params: Mapping[str, Mapping[str, Any]]) -> None:
        repeats = repeated_groups(names, params)
        if not repeats:
            return
        example = next(iter(repeats.values()))
        warnings.warn(
            f"{self.basepath}: {sum(map(len, repeats.values()))} sessions are re-runs of {len(repeats)} parameter"
            f" set(s) (e.g. {len(example)} sessions with params {dict(params[example[0]])!r}); table(latest=True)"
            " keeps the newest of each, session(params=..., on_existing='replace') replaces on re-run",
            RepeatedRunsWarning,
            stacklevel=3,
        )

    def to_dataframe(
        self, keys: Sequence[str] | None = None, where: Where = None, *, latest: bool = False, created: bool = False
    ) -> Any:
        """:meth:`table` as a ``pandas.DataFrame`` (one row per session). Needs ``pip install 'neurofiles[pandas]'``."""
        from .._framework.specs import import_object

        pd = import_object("pandas", needed_for="to_dataframe()", install_hint="pip install 'neurofiles[pandas]'")
        columns, rows = self.table(keys, where, latest=latest, created=created)
        return pd.DataFrame(rows, columns=columns)

    def get_merged(self, key: str, where: Where = None, *, latest: bool = False) -> list[Any]:
        """Concatenate the values of ``key`` across sessions (in session-name order).

        Every value must be a ``list`` or ``tuple``; anything else (a numpy
        array, a scalar) raises :class:`MergeTypeError` (a ``TypeError``) naming
        the session: use :meth:`get` and merge by hand.
        """
        merged: list[Any] = []
        with _gc_paused():
            extend = merged.extend
            for session, value in self.get(key, where, latest=latest).items():
                if value.__class__ is list or value.__class__ is tuple:
                    extend(value)
                    continue
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
        return sorted(k for k in self._backend.keys_across(self._names()) if not is_reserved(k))

    def itemcount(self) -> int:
        """The number of items across all sessions (parameters are not items)."""
        names = self._names()
        reserved = sum(1 for key in (PARAMS_KEY, RUN_KEY) for _ in self._backend.get_across(key, names))
        return self._backend.count_across(names) - reserved

    def iteritems(self) -> Iterator[tuple[str, Any]]:
        """Yield ``(key, value)`` of every item of every session, one value in memory at a time."""
        for session, key, data in self._backend.items_across(self._names()):
            if is_reserved(key):
                continue
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
            if is_reserved(key):
                continue
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
