"""The storage backend contract: a byte store of sessions behind capability flags.

A :class:`StorageBackend` is bound to one data folder (``<name>.data``) and
knows which files make up which session. A :class:`SessionStore` is one open
session: string keys, ``bytes`` values. Encoding values is the codec's job
(:mod:`neurofiles._storage.codec`), never a backend's. The DataManager talks to these
two classes only, so any third-party backend works unchanged.

Backends override the required methods; the cross-session methods
(``get_across``, ``keys_across``, ``count_across``, ``items_across``) have
loop implementations here that a backend with a faster query path (an index,
a server) may replace.
"""

from __future__ import annotations

import errno
import os
import stat
import warnings
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

from .._errors import OptionError, StorageError, StorageWarning
from .._errors import (  # re-exported: the classes live in _errors
    BackendUnavailableError,
    CorruptSessionError,
    InvalidKeyError,
    InvalidNameError,
    SessionWriteError,
    StoreFullError,
    StoreManifestError,
    StoreReadOnlyError,
    UnsafeStoreFileError,
    UnstorableKeyError,
)
from .options import check_options

__all__ = [
    "BackendUnavailableError",
    "Capabilities",
    "CorruptSessionError",
    "InvalidKeyError",
    "InvalidNameError",
    "SessionStore",
    "SessionWriteError",
    "StorageBackend",
    "StoreFullError",
    "StoreManifestError",
    "StoreReadOnlyError",
    "UnsafeStoreFileError",
    "UnstorableKeyError",
    "check_key",
    "check_path_key",
    "check_regular",
    "open_regular",
    "write_error",
    "fd_budget",
    "check_session_name",
    "walk_files",
]


_FULL_ERRNOS = {errno.ENOSPC, errno.EFBIG, getattr(errno, "EDQUOT", errno.ENOSPC)}
_READONLY_ERRNOS = {errno.EROFS, errno.EACCES, errno.EPERM}


def write_error(
    exc: BaseException, where: str | os.PathLike[str], session: str, action: str = "write"
) -> SessionWriteError:
    """A typed error for a failed write of ``session`` (files at ``where``), from an ``OSError`` or a message.

    ``exc`` may be an ``OSError`` (classified by ``errno``) or a database error
    whose message says the disk is full or the database is read-only.
    """
    code = getattr(exc, "errno", None)
    text = str(exc).lower()
    cls: type[SessionWriteError] = SessionWriteError
    if code in _FULL_ERRNOS or "disk is full" in text or "file too large" in text:
        cls = StoreFullError
    elif code in _READONLY_ERRNOS or "readonly" in text or "read-only" in text or "unable to open" in text:
        cls = StoreReadOnlyError
    err = cls(f"{os.fspath(where)}: cannot {action} session {session!r}: {type(exc).__name__}: {exc}")
    err.errno = code if isinstance(code, int) else None
    return err


# -- names --------------------------------------------------------------------------------------


def _escapes(name: str) -> bool:
    parts = name.replace("\\", "/").split("/")
    return (
        name.startswith(("/", "\\"))
        or os.path.isabs(name)
        or (os.name == "nt" and len(name) > 1 and name[1] == ":")  # a drive letter means something only there
        or any(p in ("..", ".") for p in parts)
    )


def check_key(key: object) -> str:
    """Return ``key`` if it is a ``str`` that every backend can store, else raise.

    A key is opaque: any ``str`` with a UTF-8 form is accepted here. A backend
    that maps keys to files refuses path-unsafe keys in its own
    :meth:`StorageBackend.check_key` (see :func:`check_path_key`).

    Raises
    ------
    InvalidKeyError
        ``key`` is not a ``str`` (a ``TypeError``).
    UnstorableKeyError
        ``key`` holds a lone surrogate (both a ``TypeError`` and a ``ValueError``).
    """
    if not isinstance(key, str):
        raise InvalidKeyError(f"session keys must be str, got {type(key).__name__} {key!r}")
    try:
        key.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise UnstorableKeyError(
            f"refused key {key!r}: it has no UTF-8 form (a lone surrogate at index {exc.start})"
        ) from None
    return key


def check_path_key(key: str) -> str:
    """Refuse keys that would be unsafe as file names: empty, NUL, absolute, or with a ``.``/``..`` part.

    For backends that store one file per key; the built-in backends store keys
    inside a database and accept any key :func:`check_key` accepts.
    """
    if not key or "\0" in key or _escapes(key):
        raise InvalidNameError(
            f"refused key {key!r}: keys must be non-empty, without NUL, not absolute and without '..'"
        )
    return key


def check_session_name(name: object) -> str:
    """Return ``name`` if it is a valid session name (``'a'``, ``'group/a'``), else raise."""
    if not isinstance(name, str):
        raise InvalidKeyError(f"session names must be str, got {type(name).__name__} {name!r}")
    check_key(name)
    parts = name.split("/")
    if (
        not name
        or "\0" in name
        or "\\" in name
        or _escapes(name)
        or any(not p for p in parts)
        or parts[0].startswith("_")
    ):
        raise InvalidNameError(
            f"refused session name {name!r}: it must be a relative path inside the data folder"
            " (no '..', no absolute path, no NUL, no empty part, not starting with '_')"
        )
    return name


def walk_files(basepath: Path) -> Iterator[tuple[str, os.DirEntry[str]]]:
    """Yield ``(relative posix path, entry)`` for every file and leaf below ``basepath``.

    Top-level entries starting with ``_`` (manifest, index, locks) are store
    metadata and skipped. Directories are descended into; a directory is also
    yielded when its name ends like a session file would (the backend decides).
    Symbolic links are skipped with a :class:`StorageWarning`: a store never
    makes them, and following one could read files outside the data folder.
    """
    stack: list[tuple[str, str]] = [(os.fspath(basepath), "")]
    while stack:
        folder, prefix = stack.pop()
        try:
            entries = sorted(os.scandir(folder), key=lambda e: e.name)
        except OSError:
            continue
        for entry in entries:
            if not prefix and entry.name.startswith("_"):
                continue
            rel = prefix + entry.name
            if entry.is_symlink():
                warnings.warn(f"{entry.path}: skipped: a symbolic link in the data folder", StorageWarning, stacklevel=3)
                continue
            if entry.is_dir(follow_symlinks=False):
                stack.append((entry.path, rel + "/"))
                yield rel + "/", entry
            else:
                yield rel, entry


_OPEN_FLAGS = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0)


def _kind(mode: int) -> str:
    if stat.S_ISDIR(mode):
        return "a directory"
    if stat.S_ISFIFO(mode):
        return "a FIFO"
    if stat.S_ISSOCK(mode):
        return "a socket"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    return "not a regular file"


def open_regular(path: str | os.PathLike[str], *, missing_ok: bool = False) -> int | None:
    """Open ``path`` for reading without following a link or blocking on a FIFO; check it is a regular file.

    Returns the descriptor (the caller closes it), or ``None`` if the file is
    missing and ``missing_ok``.

    Raises
    ------
    UnsafeStoreFileError
        ``path`` is a symbolic link, a FIFO, a device, a socket or a directory.
    FileNotFoundError
        ``path`` is missing (and not ``missing_ok``).
    """
    try:
        fd = os.open(path, _OPEN_FLAGS)
    except FileNotFoundError:
        if missing_ok:
            return None
        raise
    except OSError as exc:
        if exc.errno in (errno.ELOOP, errno.EMLINK):
            raise UnsafeStoreFileError(f"{os.fspath(path)}: a symbolic link; a store never makes one") from None
        raise
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            raise UnsafeStoreFileError(f"{os.fspath(path)}: {_kind(st.st_mode)}, not a store file")
    except BaseException:
        os.close(fd)
        raise
    return fd


def check_regular(*paths: str | os.PathLike[str]) -> None:
    """Raise :class:`UnsafeStoreFileError` unless each existing path is a regular file (missing ones pass).

    Used before a path is handed to a library that opens it by name (sqlite,
    dbm): a FIFO would block that open forever. The path could be swapped
    between this check and the library's open (documented in ``spec/backends.md``).
    """
    for path in paths:
        fd = open_regular(path, missing_ok=True)
        if fd is not None:
            os.close(fd)


def fd_budget() -> int:
    """Read handles worth keeping open: a quarter of the file-descriptor limit, at most 4096."""
    try:
        import resource

        soft = resource.getrlimit(resource.RLIMIT_NOFILE)[0]
    except (ImportError, OSError, ValueError):
        return 256
    if soft == resource.RLIM_INFINITY:
        return 4096
    return max(16, min(4096, soft // 4))


# -- capabilities -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Capabilities:
    """What a backend promises; documented in ``spec/backends.md``.

    Attributes
    ----------
    concurrent_writers
        ``"none"``: one writer per store; ``"per-session"``: any number of
        processes, each writing its own session; ``"shared"``: several
        writers may share one session safely without an external lock.
    crash_safe
        ``"none"``: a crash may corrupt a session; ``"process"``: committed
        data survive ``kill -9``; ``"power"``: they also survive power loss.
    partial_sessions_visible
        A crash can leave a session that readers see with part of its data.
    network_fs
        Writers on different hosts may share the data folder (one writer per
        session, readers anywhere).
    locking
        What ``Session.lock()`` promises: ``"host"`` (processes of one host),
        ``"network"`` (also across hosts sharing the folder).
    fast_queries
        ``get_across``/``keys_across`` use an index instead of a session loop.
    codecs
        Codec names the on-disk format can hold (``None``: any).
    """

    concurrent_writers: str = "per-session"
    crash_safe: str = "none"
    partial_sessions_visible: bool = True
    network_fs: bool = False
    locking: str = "host"
    fast_queries: bool = False
    codecs: tuple[str, ...] | None = None


# -- one session --------------------------------------------------------------------------------


class SessionStore:
    """One open session: ``str`` keys, ``bytes`` values.

    Subclasses implement ``get``, ``set``, ``delete``, ``keys``, ``items`` and
    ``close``; ``flush`` (make my writes durable and visible) and ``refresh``
    (see other processes' committed writes) default to no-ops.
    """

    def __init__(self, backend: StorageBackend, name: str, *, writable: bool) -> None:
        self.backend = backend
        self.name = name
        self.writable = writable

    def get(self, key: str) -> bytes | None:
        """The value of ``key``, or ``None`` if absent."""
        raise NotImplementedError

    def set(self, key: str, value: bytes) -> None:
        """Store ``value`` under ``key``."""
        raise NotImplementedError

    def set_many(self, items: Iterable[tuple[str, bytes]]) -> None:
        """Store several values (one transaction where the backend has them)."""
        for key, value in items:
            self.set(key, value)

    def delete(self, key: str) -> bool:
        """Remove ``key``; ``True`` if it existed."""
        raise NotImplementedError

    def keys(self) -> Iterator[str]:
        """Every key, streaming."""
        raise NotImplementedError

    def items(self) -> Iterator[tuple[str, bytes]]:
        """Every ``(key, value)``, streaming: one value in memory at a time."""
        raise NotImplementedError

    def contains(self, key: str) -> bool:
        """True if ``key`` is present."""
        return self.get(key) is not None

    def __len__(self) -> int:
        return sum(1 for _ in self.keys())

    def flush(self) -> None:
        """Make this handle's writes durable and visible to other processes."""

    def refresh(self) -> None:
        """Make other processes' committed writes visible to this handle."""

    def close(self) -> None:
        """Flush and release OS resources."""


# -- the backend --------------------------------------------------------------------------------


class StorageBackend:
    """A family of session files in one data folder.

    Parameters
    ----------
    basepath
        The data folder (``<name>.data``); it exists.
    options
        Backend options recorded in the store manifest (see
        :meth:`manifest_options`).
    """

    name: ClassVar[str] = ""
    capabilities: Capabilities = Capabilities()  # a backend may refine it per store (dbm.dumb)
    #: Maximum read handles kept open (the rest are opened per use).
    max_open_readers: int = 256

    def __init__(self, basepath: Path, options: Mapping[str, Any]) -> None:
        self.basepath = Path(basepath)
        self.options = dict(options)
        self._readers: dict[str, SessionStore] = {}

    # -- store level -------------------------------------------------------------------------

    #: Option names the backend understands (``None``: it checks them itself, or takes any).
    option_names: ClassVar[frozenset[str] | None] = None

    @classmethod
    def check_options(cls, options: Mapping[str, Any]) -> None:
        """Raise :class:`OptionError` for an unknown option name or a bad value.

        The default refuses names outside :attr:`option_names` (when set);
        backends extend it to check values. It runs before anything is
        created on disk.
        """
        check_options(f"backend {cls.name!r}", cls.option_names, options)

    @classmethod
    def check_group_commit(cls, options: Mapping[str, Any]) -> None:
        """Check the group-commit options ``commit_every`` (an int >= 1, default 1000) and
        ``commit_seconds`` (a finite number >= 0, default 1.0), for backends that take them."""
        every = options.get("commit_every", 1000)
        if isinstance(every, bool) or not isinstance(every, int) or every < 1:
            raise OptionError(f"{cls.name} option commit_every must be an int >= 1, got {every!r}")
        seconds = options.get("commit_seconds", 1.0)
        if isinstance(seconds, bool) or not isinstance(seconds, (int, float)) or not 0 <= seconds < float("inf"):
            raise OptionError(f"{cls.name} option commit_seconds must be a number >= 0, got {seconds!r}")

    def check_key(self, key: str) -> None:
        """Refuse keys this backend cannot store safely (already a ``str`` with a UTF-8 form).

        The default is for backends that make one file per key: it refuses
        path-unsafe keys (:func:`check_path_key`). A backend that keeps keys
        inside a database overrides it to accept every key.
        """
        check_path_key(key)

    @classmethod
    def manifest_options(cls, options: Mapping[str, Any]) -> dict[str, Any]:
        """Options to record in a new store's manifest (e.g. the dbm flavour chosen)."""
        return dict(options)

    @classmethod
    def detect(cls, basepath: Path) -> bool:
        """True if a manifest-less folder looks like this backend's store (Brian stores)."""
        return False

    # -- required ----------------------------------------------------------------------------

    def list_sessions(self) -> Iterator[str]:
        """Yield every session name, sorted; warn about foreign files."""
        raise NotImplementedError

    def session_path(self, name: str) -> Path:
        """The main file (or folder) of session ``name``."""
        raise NotImplementedError

    def session_files(self, name: str) -> list[Path]:
        """Every existing file of session ``name``."""
        path = self.session_path(name)
        return [path] if path.exists() else []

    def open_session(self, name: str, *, writable: bool) -> SessionStore:
        """Open session ``name``; create it if ``writable``.

        Raises :class:`CorruptSessionError` if the files cannot be read.
        """
        raise NotImplementedError

    def delete_session(self, name: str) -> None:
        """Remove every file of session ``name`` (never through a linked folder; a link is removed, not followed)."""
        self.forget(name)
        self.session_folders(self.session_path(name), create=False)
        for path in self.session_files(name):
            self.session_folders(path, create=False)
            try:
                st = os.lstat(path)
            except FileNotFoundError:
                continue
            if stat.S_ISDIR(st.st_mode):
                import shutil

                shutil.rmtree(path)
            else:
                os.unlink(path)

    def session_folders(self, path: str | os.PathLike[str], *, create: bool) -> None:
        """Check (and with ``create``, make) the folders between the data folder and ``path``.

        Session names with ``/`` live in sub-folders. Each folder is made with
        ``mkdir`` one at a time and checked with ``lstat``: a symbolic link or
        a file where a folder is expected is refused, so nothing is created,
        written or deleted through a link. (A folder swapped for a link after
        the check is not detected.)

        Raises
        ------
        UnsafeStoreFileError
            A component is a symbolic link or not a folder.
        InvalidNameError
            ``path`` is not below the data folder.
        """
        base = os.path.abspath(self.basepath)
        rel = os.path.relpath(os.path.dirname(os.path.abspath(path)), base)
        if rel == os.curdir:
            return
        if rel == os.pardir or rel.startswith(os.pardir + os.sep) or os.path.isabs(rel):
            raise InvalidNameError(f"{os.fspath(path)}: not below the data folder {base}")
        current = base
        for part in rel.split(os.sep):
            current = os.path.join(current, part)
            if create:
                try:
                    os.mkdir(current)
                except FileExistsError:
                    pass
            try:
                st = os.lstat(current)
            except FileNotFoundError:
                if create:
                    raise
                return  # nothing below a missing folder
            if not stat.S_ISDIR(st.st_mode):
                what = "a symbolic link" if stat.S_ISLNK(st.st_mode) else "not a folder"
                raise UnsafeStoreFileError(
                    f"{current}: {what} where a session folder is expected; refused, nothing written or removed"
                )

    # -- shared read handles -----------------------------------------------------------------

    def reader(self, name: str) -> SessionStore:
        """A read handle for ``name``, cached while fewer than ``max_open_readers`` are open."""
        store = self._readers.get(name)
        if store is not None:
            store.refresh()
            return store
        store = self.open_session(name, writable=False)
        if len(self._readers) < self.max_open_readers:
            self._readers[name] = store
        return store

    def release(self, name: str, store: SessionStore) -> None:
        """Close ``store`` if it is not a cached handle."""
        if self._readers.get(name) is not store:
            store.close()

    def forget(self, name: str) -> None:
        """Close and drop the cached handle of ``name`` (after an error or a delete)."""
        store = self._readers.pop(name, None)
        if store is not None:
            try:
                store.close()
            except Exception:  # noqa: BLE001, S110 - a broken handle must not hide the original problem
                pass

    def close(self) -> None:
        """Close every cached handle."""
        for name in list(self._readers):
            self.forget(name)

    def skip(self, name: str, exc: BaseException, *, stacklevel: int = 3) -> None:
        """Warn that session ``name`` was skipped, naming its files, and drop its handle."""
        self.forget(name)
        files = self.session_files(name) or [self.session_path(name)]
        where = ", ".join(os.fspath(p) for p in files)
        warnings.warn(
            f"{where}: session {name!r} skipped: {type(exc).__name__}: {exc}",
            StorageWarning,
            stacklevel=stacklevel,
        )

    def warn_foreign(
        self, path: Path | str, why: str = "not a session file of this store", *, stacklevel: int = 4
    ) -> None:
        """Warn about a file in the data folder that is not one of this backend's sessions."""
        warnings.warn(
            f"{os.fspath(path)}: skipped: {why} (backend {self.name!r})", StorageWarning, stacklevel=stacklevel
        )

    def names_by_suffix(self, suffix: str, companions: tuple[str, ...] = ()) -> list[str]:
        """Sorted names of the ``<name><suffix>`` files below the data folder (one file per session).

        Files ending in one of ``companions`` (a database's journal, a writer's temporary) are
        passed over silently; any other file, and a folder named like a session file, is
        warned about with :meth:`warn_foreign`.
        """
        names = []
        for rel, entry in walk_files(self.basepath):
            if rel.endswith("/"):
                if rel[:-1].endswith(suffix):
                    self.warn_foreign(entry.path, "a folder named like a session file", stacklevel=5)
                continue
            if rel.endswith(suffix):
                names.append(rel[: -len(suffix)])
            elif not rel.endswith(companions):
                self.warn_foreign(entry.path, stacklevel=5)
        return sorted(names)

    # -- cross-session queries (loops; backends may override) --------------------------------

    def _each(self, names: Iterable[str]) -> Iterator[tuple[str, SessionStore]]:
        for name in names:
            try:
                store = self.reader(name)
            except Exception as exc:  # noqa: BLE001 - collation skips any failing session
                self.skip(name, exc, stacklevel=5)
                continue
            yield name, store

    def get_across(self, key: str, names: Iterable[str]) -> Iterator[tuple[str, bytes]]:
        """Yield ``(session, value)`` for every session in ``names`` holding ``key``."""
        for name, store in self._each(names):
            try:
                value = store.get(key)
            except Exception as exc:  # noqa: BLE001 - collation skips any failing session
                self.skip(name, exc)
                continue
            finally:
                self.release(name, store)
            if value is not None:
                yield name, value

    def keys_across(self, names: Iterable[str]) -> set[str]:
        """The union of the keys of every session in ``names``."""
        found: set[str] = set()
        for name, store in self._each(names):
            try:
                found.update(store.keys())
            except Exception as exc:  # noqa: BLE001 - collation skips any failing session
                self.skip(name, exc)
            finally:
                self.release(name, store)
        return found

    def count_across(self, names: Iterable[str]) -> int:
        """The number of items in every session in ``names``."""
        total = 0
        for name, store in self._each(names):
            try:
                total += len(store)
            except Exception as exc:  # noqa: BLE001 - collation skips any failing session
                self.skip(name, exc)
            finally:
                self.release(name, store)
        return total

    def items_across(self, names: Iterable[str]) -> Iterator[tuple[str, str, bytes]]:
        """Yield ``(session, key, value)`` for every item, streaming."""
        for name, store in self._each(names):
            try:
                for key, value in store.items():
                    yield name, key, value
            except Exception as exc:  # noqa: BLE001 - collation skips any failing session
                self.skip(name, exc)
            finally:
                self.release(name, store)

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.name!r} at {os.fspath(self.basepath)!r}>"

for _cls in (Capabilities, SessionStore, StorageBackend):
    _cls.__module__ = "neurofiles.plugin"  # their public name
del _cls
