"""The ``log`` backend: one compact append-only ``<name>.nflog`` file per session (the default).

A session is a header and committed segments (:mod:`._format`). A writer
keeps its records in memory and appends them, closed by a commit record, in
one ``write`` at each commit; readers read the whole file once and cache what
they parsed per ``(size, mtime_ns, inode)``, so a warm collation costs one
``lstat`` per session and a cold one a single open and read per session.

Crash safety (``kill -9`` of a writer): everything written before ``flush()``
returned survives; a record whose ``__setitem__`` returned survives once its
group commits (after ``commit_every`` sets or ``commit_seconds``, checked at
each write, and at close, garbage collection and interpreter exit) and is
otherwise lost whole; readers never see part of a group. No ``fsync`` unless
``durable=True``: a power cut can lose flushed data (never earlier committed
segments on a filesystem that orders data writes, e.g. ext4 ``data=ordered``).
"""

from __future__ import annotations

import os
import stat
import time
import uuid
import weakref
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any

from neurofiles.plugin import Capabilities, CorruptSessionError, SessionStore, StorageBackend

from ._deps import OptionError, UnsafeStoreFileError, open_regular
from ._format import DELETE, HEADER, SET, FormatError, Parsed, Value, commit_record, parse, record

__all__ = ["LogBackend", "LogSession"]

SUFFIX = ".nflog"
_WRITE_FLAGS = (
    os.O_RDWR | os.O_CREAT | os.O_APPEND | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0)
    | getattr(os, "O_CLOEXEC", 0) | getattr(os, "O_BINARY", 0)
)
Signature = tuple[int, int, int]
#: A folder mtime is trusted once this many nanoseconds have passed since it (coarse timestamps).
SETTLE_NS = 1_000_000_000
#: Warm ``get_across`` answers kept (one per key; the bytes are shared with the parse cache).
ANSWERS_MAX = 8


def _signature(st: os.stat_result) -> Signature:
    return (st.st_size, st.st_mtime_ns, st.st_ino)


def _read_all(fd: int, size: int) -> bytes:
    chunks = []
    left = size
    while left > 0:
        chunk = os.read(fd, min(left, 1 << 24))
        if not chunk:
            break
        chunks.append(chunk)
        left -= len(chunk)
    return b"".join(chunks)


def read_session(path: str) -> tuple[Signature, Parsed]:
    """Open ``path`` safely (no link, no FIFO), read it whole and parse it.

    Raises
    ------
    CorruptSessionError
        Not a regular file, or not a session file.
    FileNotFoundError
        ``path`` is missing.
    """
    try:
        fd = open_regular(path)
    except UnsafeStoreFileError as exc:
        raise CorruptSessionError(f"not opened: {exc}", path=path) from None
    assert fd is not None
    try:
        st = os.fstat(fd)
        head = os.read(fd, len(HEADER))
        if head != HEADER:  # refuse a foreign file before reading more of it
            raise CorruptSessionError(
                f"not a neurofiles log session (byte 0: does not start with the session header {HEADER!r})",
                path=path,
            )
        os.lseek(fd, 0, os.SEEK_SET)  # read it whole again rather than concatenate (no second copy)
        data = _read_all(fd, st.st_size)
    finally:
        os.close(fd)
    try:
        parsed = parse(data)
    except FormatError as exc:
        raise CorruptSessionError(f"not a neurofiles log session ({exc})", path=path) from None
    check_damage(parsed, path)
    return _signature(st), parsed


def check_damage(parsed: Parsed, path: str, action: str = "not read") -> None:
    """Raise :class:`CorruptSessionError` naming the offset if ``parsed`` stopped at damage, not a torn tail."""
    if parsed.damage is not None:
        offset, what = parsed.damage
        raise CorruptSessionError(
            f"damaged at byte {offset}: {what}; {action} (committed data may follow the damage, so the session"
            " is neither read in part nor repaired)",
            path=path,
        )


def _finish(state: dict[str, Any]) -> None:
    """Commit pending records and close the descriptor (close, garbage collection, exit)."""
    fd = state.get("fd")
    state["fd"] = None
    if fd is None:
        return
    try:
        pending = state.get("pending")
        if pending:
            data = bytes(pending) + commit_record(pending)
            _touch(state.get("base"))
            written = os.write(fd, data)
            while written < len(data):  # a short write: finish it or raise
                written += os.write(fd, data[written:])
            pending.clear()
            _touch(state.get("base"))  # the folder moves after every commit: warm readers look again
    finally:
        os.close(fd)


def _touch(folder: str | None) -> None:
    """Set ``folder``'s mtime to now (the commit signal of :meth:`LogBackend.bump`)."""
    if folder is None:
        return
    try:
        os.utime(folder)
    except OSError:
        pass  # a reader that cannot see the bump still stats every session file


class LogSession(SessionStore):
    """One session file, open for reading (a parsed snapshot) or writing (appending)."""

    def __init__(self, backend: LogBackend, name: str, path: Path, *, writable: bool) -> None:
        super().__init__(backend, name, writable=writable)
        self.path = path
        self._path = os.fspath(path)
        self._items: dict[str, Value] = {}
        self._sig: Signature | None = None
        self._end = 0
        self._count = 0
        self._since = 0.0
        self._state: dict[str, Any] = {"fd": None, "pending": bytearray(), "base": backend._base}
        if writable:
            backend.session_folders(path, create=True)
            self._state["fd"] = self._open_writable()
        else:
            self._sig, parsed = backend.parsed(name, self._path)
            self._items, self._end = dict(parsed.items), parsed.end
        self._finalizer = weakref.finalize(self, _finish, self._state)

    # -- writing -------------------------------------------------------------------------------

    def _open_writable(self) -> int:
        fd = os.open(self._path, _WRITE_FLAGS, 0o666)
        try:
            st = os.fstat(fd)
            if not stat.S_ISREG(st.st_mode):
                raise CorruptSessionError("not a regular file; refused, nothing written", path=self._path)
            if st.st_nlink > 1:  # also a name elsewhere: appending would write into that file too
                raise UnsafeStoreFileError(
                    f"{self._path}: has {st.st_nlink} hard links (a store never makes one); refused, nothing written"
                )
            if st.st_size == 0:
                os.write(fd, HEADER)  # an empty, valid session from now on
                self.backend.bump()  # type: ignore[attr-defined]
                self._end = len(HEADER)
                self._sig = None
                return fd
            data = _read_all(fd, st.st_size)
            try:
                parsed = parse(data)
            except FormatError as exc:
                raise CorruptSessionError(
                    f"not a neurofiles log session ({exc}); refused, nothing written", path=self._path
                ) from None
            check_damage(parsed, self._path, "refused, nothing written")
            self._items, self._end = dict(parsed.items), parsed.end
            if parsed.torn:  # a killed writer's uncommitted tail: rewrite the committed state beside it
                os.close(fd)
                fd = -1
                self._rewrite()
                fd = os.open(self._path, _WRITE_FLAGS, 0o666)
            self._sig = _signature(os.fstat(fd))
            return fd
        except BaseException:
            if fd >= 0:
                os.close(fd)
            raise

    def _rewrite(self) -> None:
        """Replace the file by its committed state (temporary file + rename: readers see old or new)."""
        segment = bytearray()
        for key, value in self._items.items():
            segment += record(SET, key.encode("utf-8"), self._value(value))
        tmp = f"{self._path}.{os.getpid()}.{uuid.uuid4().hex[:12]}.tmp"  # O_EXCL: never an existing file or link
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_CLOEXEC", 0), 0o666)
        try:
            try:
                data = HEADER + bytes(segment) + (commit_record(segment) if segment else b"")
                written = os.write(fd, data)
                while written < len(data):
                    written += os.write(fd, data[written:])
            finally:
                os.close(fd)
            os.replace(tmp, self._path)
        except BaseException:
            try:
                os.unlink(tmp)
            except OSError:
                pass
            raise
        self.backend.bump()  # type: ignore[attr-defined]
        self._items = {k: self._value(v) for k, v in self._items.items()}
        self._end = len(HEADER) + (len(segment) + 9 if segment else 0)

    def _fd(self) -> int:
        fd = self._state["fd"]
        if fd is None:
            raise ValueError(f"{self._path}: session is closed")
        return int(fd)

    def _append(self, op: int, key: str, value: bytes = b"") -> None:
        pending: bytearray = self._state["pending"]
        if not pending:
            self._since = time.monotonic()
        pending += record(op, key.encode("utf-8"), value)
        self._count += 1
        backend: LogBackend = self.backend  # type: ignore[assignment]
        if self._count >= backend.commit_every or time.monotonic() - self._since >= backend.commit_seconds:
            self.flush()

    def set(self, key: str, value: bytes) -> None:
        self._fd()
        self._items[key] = bytes(value)
        self._append(SET, key, value)

    def set_many(self, items: Iterable[tuple[str, bytes]]) -> None:
        self._fd()
        for key, value in items:
            self._items[key] = bytes(value)
            self._state["pending"] += record(SET, key.encode("utf-8"), value)
        self.flush()

    def delete(self, key: str) -> bool:
        self._fd()
        if key not in self._items:
            return False
        del self._items[key]
        self._append(DELETE, key)
        return True

    def flush(self) -> None:
        pending: bytearray = self._state["pending"]
        fd = self._state["fd"]
        if fd is None or not pending:
            self._count = 0
            return
        data = bytes(pending) + commit_record(pending)
        backend: LogBackend = self.backend  # type: ignore[assignment]
        backend.bump()  # before and after: a reader rescans until a second after the last bump
        written = os.write(fd, data)
        while written < len(data):  # a short write (a signal, a full disk): finish it or raise
            written += os.write(fd, data[written:])
        pending.clear()
        self._count = 0
        self._end += len(data)
        if backend.durable:
            os.fsync(fd)
        backend.bump()
        self._sig = _signature(os.fstat(fd))

    def refresh(self) -> None:
        """See what other processes committed (a locking session's writers take turns under its lock)."""
        if self.writable:
            fd = self._fd()
            if self._state["pending"]:
                return
            try:
                st = os.lstat(self._path)  # a link put in its place is refused by the reopen, never followed
            except FileNotFoundError:
                return
            if st.st_ino != os.fstat(fd).st_ino:  # another writer rewrote the file: follow it
                os.close(fd)
                self._state["fd"] = None
                self._items, self._end = {}, 0
                self._state["fd"] = self._open_writable()
                return
            if _signature(st) == self._sig:
                return
            try:
                parsed = parse(_read_all_from(fd, 0, st.st_size))
            except FormatError as exc:
                raise CorruptSessionError(f"not a neurofiles log session ({exc})", path=self._path) from None
            check_damage(parsed, self._path, "refused, nothing written")
            self._items, self._end = dict(parsed.items), parsed.end
            if parsed.torn:  # a co-writer killed inside its commit: never append after its torn bytes
                os.close(fd)
                self._state["fd"] = None
                self._rewrite()
                self._state["fd"] = self._open_writable()
                return
            self._sig = _signature(st)
            return
        backend: LogBackend = self.backend  # type: ignore[assignment]
        self._sig, parsed = backend.parsed(self.name, self._path)
        self._items, self._end = dict(parsed.items), parsed.end

    def close(self) -> None:
        self._finalizer()

    # -- reading -------------------------------------------------------------------------------

    def _value(self, value: Value) -> bytes:
        if isinstance(value, bytes):
            return value
        offset, length = value
        fd = open_regular(self._path)
        assert fd is not None
        try:
            if offset + length > os.fstat(fd).st_size:  # shrunk since it was parsed: never allocate past the file
                raise CorruptSessionError(f"value of {length} bytes at byte {offset} is past the end", path=self._path)
            data = os.pread(fd, length, offset)
        finally:
            os.close(fd)
        if len(data) != length:
            raise CorruptSessionError(f"value at byte {offset} cut short", path=self._path)
        return data

    def get(self, key: str) -> bytes | None:
        value = self._items.get(key)
        return None if value is None else self._value(value)

    def contains(self, key: str) -> bool:
        return key in self._items

    def keys(self) -> Iterator[str]:
        return iter(sorted(self._items))

    def items(self) -> Iterator[tuple[str, bytes]]:
        for key in sorted(self._items):
            yield key, self._value(self._items[key])

    def __len__(self) -> int:
        return len(self._items)


def _read_all_from(fd: int, start: int, size: int) -> bytes:
    out = bytearray()
    pos = start
    while pos < size:
        chunk = os.pread(fd, min(size - pos, 1 << 24), pos)
        if not chunk:
            break
        out += chunk
        pos += len(chunk)
    return bytes(out)


def _first(item: tuple[str, bytes]) -> str:
    return item[0]


class LogBackend(StorageBackend):
    """Sessions as ``<name>.nflog`` files; cross-session reads from an in-memory cache per file state.

    Options
    -------
    durable : bool
        ``fsync`` the file at every commit (default False: ``kill -9`` safe, not power-loss safe).
    commit_every, commit_seconds
        Writers commit after this many sets or seconds (default 1000 and 1.0),
        and always on ``flush()``/``close()``.

    Keys are stored inside the file: any ``str`` key with a UTF-8 form is accepted.
    """

    name = "log"
    capabilities = Capabilities(
        concurrent_writers="per-session",
        crash_safe="process",
        partial_sessions_visible=False,
        network_fs=True,
        locking="host",
        fast_queries=True,
    )
    option_names = frozenset({"durable", "commit_every", "commit_seconds"})

    @classmethod
    def check_options(cls, options: Mapping[str, Any]) -> None:
        super().check_options(options)
        if not isinstance(options.get("durable", False), bool):
            raise OptionError(f"log option durable must be True or False, got {options['durable']!r}")
        cls.check_group_commit(options)

    @classmethod
    def manifest_options(cls, options: Mapping[str, Any]) -> dict[str, Any]:
        cls.check_options(options)
        return {"durable": bool(options.get("durable", False))}

    def __init__(self, basepath: Path, options: Mapping[str, Any]) -> None:
        super().__init__(basepath, options)
        self.check_options(self.options)
        self.durable = bool(self.options.get("durable", False))
        self.commit_every = int(self.options.get("commit_every", 1000))
        self.commit_seconds = float(self.options.get("commit_seconds", 1.0))
        self._base = os.fspath(self.basepath)
        self._cache: dict[str, tuple[Signature, Parsed]] = {}
        self._dir_mtime: int | None = None
        self._trust = False
        self._names: list[str] | None = None
        self._validated: set[str] = set()
        #: moves whenever the cache or the validated set changes: stamps the per-key answers below
        self._gen = 0
        #: ``{key: (generation, names, answer)}`` of the last warm ``get_across`` calls
        self._answers: dict[str, tuple[int, list[str], list[tuple[str, bytes]]]] = {}

    def bump(self) -> None:
        """Set the data folder's mtime to now: every commit does, so readers know something changed."""
        _touch(self._base)

    def _check_folder(self) -> None:
        """Forget what was validated if the folder's mtime moved; trust it once it is a second old."""
        try:
            mtime = os.lstat(self._base).st_mtime_ns
        except OSError:
            mtime = None
        if mtime != self._dir_mtime:
            self._dir_mtime = mtime
            self._validated = set()
            self._names = None
            self._gen += 1
        self._trust = mtime is not None and time.time_ns() - mtime >= SETTLE_NS

    def check_key(self, key: str) -> None:
        """Every ``str`` key is stored as UTF-8 inside the file: nothing more to refuse."""

    @classmethod
    def detect(cls, basepath: Path) -> bool:
        return any(True for _ in Path(basepath).glob("*" + SUFFIX))

    def session_path(self, name: str) -> Path:
        return self.basepath / (name + SUFFIX)

    def _path_str(self, name: str) -> str:
        return f"{self._base}{os.sep}{name}{SUFFIX}"

    def list_sessions(self) -> Iterator[str]:
        self._check_folder()
        if self._trust and self._names is not None:
            return iter(self._names)
        trusted = self._trust
        names = self._walk()
        if trusted:
            self._names = names
        return iter(names)

    def _walk(self) -> list[str]:
        return self.names_by_suffix(SUFFIX, (".tmp",))

    def open_session(self, name: str, *, writable: bool) -> SessionStore:
        return LogSession(self, name, self.session_path(name), writable=writable)

    def delete_session(self, name: str) -> None:
        self._cache.pop(name, None)
        self._gen += 1
        super().delete_session(name)
        self.bump()

    # -- the cache -----------------------------------------------------------------------------

    def parsed(self, name: str, path: str | None = None) -> tuple[Signature, Parsed]:
        """The parsed state of session ``name``, from the cache if its file is unchanged."""
        path = path or self._path_str(name)
        cached = self._cache.get(name)
        if cached is not None:
            try:
                st = os.lstat(path)
            except FileNotFoundError:
                self._cache.pop(name, None)
                raise
            if stat.S_ISREG(st.st_mode) and _signature(st) == cached[0]:
                return cached
        sig, parsed = read_session(path)
        self._cache[name] = (sig, parsed)
        self._gen += 1
        return sig, parsed

    def _states(self, names: Iterable[str]) -> Iterator[tuple[str, Parsed]]:
        """Each session's parsed state: from the cache without a syscall while the folder is unchanged."""
        cache = self._cache
        path_of = self._path_str
        lstat = os.lstat
        self._check_folder()
        trust = self._trust
        validated = self._validated
        for name in names:
            cached = cache.get(name)
            if trust and cached is not None and name in validated:
                yield name, cached[1]
                continue
            if trust:
                validated.add(name)
            if cached is not None:
                try:
                    st = lstat(path_of(name))
                    if (st.st_size, st.st_mtime_ns, st.st_ino) == cached[0] and stat.S_ISREG(st.st_mode):
                        yield name, cached[1]
                        continue
                except OSError:
                    pass
            try:
                yield name, self.parsed(name)[1]
            except FileNotFoundError:
                continue  # deleted since it was listed
            except Exception as exc:  # noqa: BLE001 - collation skips any failing session
                self._cache.pop(name, None)
                self.skip(name, exc, stacklevel=6)

    def _value(self, name: str, value: Value) -> bytes:
        if isinstance(value, bytes):
            return value
        store = LogSession.__new__(LogSession)
        store._path = self._path_str(name)
        return LogSession._value(store, value)

    def get_across(self, key: str, names: Iterable[str]) -> Iterator[tuple[str, bytes]]:
        names = list(names)
        self._check_folder()
        if self._trust:  # the warm path: no syscall for sessions validated since the folder last changed
            gen = self._gen
            answer = self._answers.get(key)
            if answer is not None and answer[0] == gen and answer[1] == names:
                yield from answer[2]  # nothing moved since the same question was answered from memory
                return
            validated, cache = self._validated, self._cache
            found: list[tuple[str, bytes]] = []
            rest: list[str] = []
            for name in names:
                entry = cache.get(name) if name in validated else None
                if entry is None:
                    rest.append(name)
                    continue
                value = entry[1].items.get(key)
                if value.__class__ is bytes:
                    found.append((name, value))
                elif value is not None:
                    rest.append(name)
            if rest:
                found.extend(self._get_slow(key, rest))
                found.sort(key=_first)
            elif self._gen == gen:
                if len(self._answers) >= ANSWERS_MAX and key not in self._answers:
                    del self._answers[next(iter(self._answers))]
                self._answers[key] = (gen, names, found)
            yield from found
            return
        yield from self._get_slow(key, names)

    def _get_slow(self, key: str, names: list[str]) -> Iterator[tuple[str, bytes]]:
        for name, parsed in self._states(names):
            value = parsed.items.get(key)
            if value is None:
                continue
            try:
                data = self._value(name, value)
            except Exception as exc:  # noqa: BLE001 - collation skips any failing session
                self.skip(name, exc)
                continue
            yield name, data

    def keys_across(self, names: Iterable[str]) -> set[str]:
        found: set[str] = set()
        for _name, parsed in self._states(list(names)):
            found.update(parsed.items)
        return found

    def count_across(self, names: Iterable[str]) -> int:
        return sum(len(parsed.items) for _name, parsed in self._states(list(names)))

    def items_across(self, names: Iterable[str]) -> Iterator[tuple[str, str, bytes]]:
        for name, parsed in self._states(list(names)):
            try:
                values = [(key, self._value(name, parsed.items[key])) for key in sorted(parsed.items)]
            except Exception as exc:  # noqa: BLE001 - collation skips any failing session
                self.skip(name, exc)
                continue
            for key, data in values:
                yield name, key, data

    def close(self) -> None:
        super().close()
        self._cache.clear()
        self._answers.clear()
        self._gen += 1
