"""The ``dbm`` backend: one dbm database per session, with a recorded flavour."""

from __future__ import annotations

import dataclasses
import os
import threading
import warnings
import weakref
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from neurofiles import UnsafeStoreFileError
from neurofiles.plugin.storage import check_regular, fd_budget
from neurofiles.plugin import (
    Capabilities,
    CorruptSessionError,
    OptionError,
    SessionStore,
    StorageBackend,
    StorageWarning,
    StoreManifestError,
    walk_files,
)

from . import flavours as _flavours
from ._dumb import open_dumb

__all__ = ["DbmBackend", "DbmSession"]

#: dbm.dumb parses its index with ast.literal_eval, and CPython (seen on 3.11.7) can fail
#: spuriously when two threads build ASTs at once ("SystemError: AST constructor
#: recursion depth mismatch", python/cpython#106905): its opens go one at a time.
_DUMB_OPEN = threading.Lock()


class DbmSession(SessionStore):
    """A session held in one dbm database (``bytes`` keys are the UTF-8 of the ``str`` keys).

    What survives ``kill -9`` of the writer, flavour ``dumb`` (written through
    :class:`~neurofiles.plugins.dbm_store._dumb.DurableDumb`): everything
    written before ``flush()`` (or ``close()``) returned, exactly; a write whose
    ``__setitem__`` returned but that no ``flush()`` followed is lost (readers
    see the session as of its last flush). Other flavours: ``flush()`` closes
    the database so its library writes it out, but a writer killed during a
    later write can leave a file that no longer opens (crash_safe ``"none"``).
    """

    def __init__(self, backend: DbmBackend, name: str, path: Path, *, writable: bool) -> None:
        super().__init__(backend, name, writable=writable)
        self.path = path
        self._module = backend.module
        self._flavour = backend.flavour
        self._handle: list[Any] = [None]  # the open database, shared with the finalizer
        self._sig: tuple[Any, ...] | None = None
        if writable:
            backend.session_folders(path, create=True)
        else:
            # a read handle dropped unclosed (a DataManager never closed, as in Brian 1) closes its
            # database when collected: dbm.sqlite3 (3.13) warns about connections left open
            weakref.finalize(self, _close_quietly, self._handle)
        self._open()

    @property
    def _db(self) -> Any:
        return self._handle[0]

    @_db.setter
    def _db(self, db: Any) -> None:
        self._handle[0] = db

    def _files(self) -> list[Path]:
        return [Path(f"{self.path}{s}") for s in _flavours.suffixes(self._flavour)]

    def _signature(self) -> tuple[Any, ...]:
        sig: list[tuple[int, int, int] | None] = []
        for p in self._files():
            try:
                st = os.stat(p)
            except OSError:
                sig.append(None)
                continue
            sig.append((st.st_size, st.st_mtime_ns, st.st_ino))
        return tuple(sig)

    def _open(self) -> Any:
        if self._db is None:
            flag = "c" if self.writable else ("ru" if self._flavour == "gnu" else "r")
            sig = self._signature()
            try:
                # dbm opens by name: a FIFO there would block it forever, a link lead elsewhere
                check_regular(*self._files())
            except UnsafeStoreFileError as exc:
                raise CorruptSessionError(f"not opened: {exc}", path=self.path) from None
            try:
                if self._flavour == "dumb":
                    with _DUMB_OPEN:
                        self._db = open_dumb(os.fspath(self.path), "c" if self.writable else "r")
                else:
                    self._db = self._module.open(os.fspath(self.path), flag)
            except OSError as exc:
                if self.writable and not isinstance(exc, FileNotFoundError):
                    raise  # a write problem (read-only, disk full): the session turns it into a typed error
                raise CorruptSessionError(
                    f"cannot open as dbm.{self._flavour} ({type(exc).__name__}: {exc})", path=self.path
                ) from exc
            except Exception as exc:  # each flavour fails in its own way on a bad file
                raise CorruptSessionError(
                    f"cannot open as dbm.{self._flavour} ({type(exc).__name__}: {exc})", path=self.path
                ) from exc
            self._sig = sig
            if self._flavour == "dumb":
                self._check_dumb_index()
        return self._db

    def _check_dumb_index(self) -> None:
        """Warn if dbm.dumb's data file runs past its index: a writer died mid-write.

        Values start on 512-byte blocks and each new key's index line is
        appended right after its value, so a complete session's ``.dat`` ends
        within one block of its last indexed value. An index rewrite cut short
        (``.dir`` truncated, the previous one left in ``.bak``) shows as data
        past the end. What the index holds is still read.
        """
        index = getattr(self._db, "_index", None)
        if not isinstance(index, dict):
            return
        try:
            size = os.path.getsize(f"{self.path}.dat")
        except OSError:
            return
        bad = next((k for k, v in index.items() if not _is_extent(v, size)), None)
        if bad is not None:
            db, self._db = self._db, None
            db._index = None  # never let close() rewrite an index it could not trust
            raise CorruptSessionError(
                f"{self.path}.dir: the index entry of key {bad!r:.60} ({index[bad]!r:.60}) is not a place"
                f" inside the {size} bytes of {self.path}.dat",
                path=self.path,
            )
        if self.writable:
            return
        end = max((pos + siz for pos, siz in index.values()), default=0)
        if size > end + 512:
            warnings.warn(
                f"{self.path}.dir: session {self.name!r} may be torn: its index covers {end} of the {size}"
                f" bytes in {self.path}.dat ({len(index)} keys readable); writes made after its last flush"
                f" were lost when a writer died, the index was cut short by a writer that is not neurofiles"
                f" (the previous index may be in {self.path}.bak), or the last values were deleted",
                StorageWarning,
                stacklevel=2,
            )

    @property
    def db(self) -> Any:
        return self._open()

    def get(self, key: str) -> bytes | None:
        value = self.db.get(key.encode("utf-8"))
        return None if value is None else bytes(value)

    def _key(self, raw: object) -> str:
        try:
            return raw.decode("utf-8")  # type: ignore[attr-defined, no-any-return]
        except (AttributeError, UnicodeDecodeError) as exc:
            raise CorruptSessionError(
                f"session {self.name!r} holds key {raw!r:.60}, which is not UTF-8 text ({exc})", path=self.path
            ) from None

    def contains(self, key: str) -> bool:
        return key.encode("utf-8") in self.db

    def set(self, key: str, value: bytes) -> None:
        self.db[key.encode("utf-8")] = value

    def delete(self, key: str) -> bool:
        try:
            del self.db[key.encode("utf-8")]
        except KeyError:
            return False
        return True

    def keys(self) -> Iterator[str]:
        for raw in sorted(self.db.keys()):
            yield self._key(raw)

    def items(self) -> Iterator[tuple[str, bytes]]:
        for key in list(self.keys()):
            value = self.get(key)
            if value is not None:
                yield key, value

    def __len__(self) -> int:
        return len(self.db)

    def flush(self) -> None:
        """Write the database out and close it; the next operation reopens it.

        Closing is what makes a dbm write visible and durable for every flavour:
        dbm.dumb rewrites its index, gdbm drops its writer lock. (dbm.dumb's
        ``sync`` is not enough: it never clears its "modified" flag, so a later
        close would write a stale index over another process's writes.)
        """
        self._close()

    def _close(self) -> None:
        if self._db is not None:
            db, self._db = self._db, None
            db.close()

    def refresh(self) -> None:
        if self._db is None:
            return
        if self.writable or self._signature() != self._sig:
            self._close()  # reopened (and its index re-read) on the next operation

    def close(self) -> None:
        self._close()


def _close_quietly(handle: list[Any]) -> None:
    """Close the database in ``handle`` (a read handle being collected); errors are moot by then."""
    db, handle[0] = handle[0], None
    if db is not None:
        try:
            db.close()
        except Exception:  # noqa: BLE001, S110 - nobody is left to report it to
            pass


def _is_extent(value: object, size: int) -> bool:
    """True if ``value`` is a dbm.dumb ``(pos, siz)`` pair inside a file of ``size`` bytes."""
    return (
        isinstance(value, tuple)
        and len(value) == 2
        and all(type(v) is int and v >= 0 for v in value)
        and value[0] + value[1] <= size
    )


class DbmBackend(StorageBackend):
    """Sessions as dbm databases named ``<session>.dbm`` (plus the flavour's suffixes).

    Options
    -------
    flavour : ``"gnu"``, ``"sqlite3"``, ``"ndbm"`` or ``"dumb"``
        The implementation; a new store takes the best available one
        (gnu > sqlite3 > dumb) and records it in the manifest.

    Keys are stored inside the database: any ``str`` key with a UTF-8 form is
    accepted. With flavour ``dumb`` the backend is crash-safe against
    ``kill -9`` at ``flush()`` (``capabilities.crash_safe == "process"``; see
    :class:`DbmSession`); the other flavours claim ``"none"``.
    """


    name = "dbm"
    option_names = frozenset({"flavour"})
    extension = ".dbm"
    capabilities = Capabilities(
        concurrent_writers="per-session",
        crash_safe="none",
        partial_sessions_visible=True,
        network_fs=False,
        locking="host",
        fast_queries=False,
    )

    def __init__(self, basepath: Path, options: Mapping[str, Any]) -> None:
        super().__init__(basepath, options)
        flavour = self.options.get("flavour")
        if flavour is None:
            flavour = self.guess_flavour(self.basepath)
        if flavour is None:
            raise StoreManifestError(
                f"{self.basepath}: no dbm flavour recorded and none recognisable; pass flavour=..."
            )
        self.check_options({"flavour": flavour})
        self.flavour = str(flavour)
        self.options["flavour"] = self.flavour
        if self.flavour == "dumb":
            self.capabilities = dataclasses.replace(type(self).capabilities, crash_safe="process")
        self.module = _flavours.load(self.flavour, store=self.basepath)
        self._suffixes = sorted(_flavours.suffixes(self.flavour), key=len, reverse=True)
        # dbm.dumb keeps no file open per handle; the others hold one descriptor each
        self.max_open_readers = 4096 if self.flavour == "dumb" else fd_budget()

    @classmethod
    def check_options(cls, options: Mapping[str, Any]) -> None:
        super().check_options(options)
        flavour = options.get("flavour")
        if flavour is not None and flavour not in _flavours.FLAVOURS:
            raise OptionError(
                f"{cls.name} option flavour must be one of {', '.join(_flavours.FLAVOURS)}, got {flavour!r}"
            )

    def check_key(self, key: str) -> None:
        """Keys are the UTF-8 bytes of the ``str`` inside the database: nothing more to refuse."""

    @classmethod
    def default_flavour(cls) -> str:
        return _flavours.best_available()

    @classmethod
    def manifest_options(cls, options: Mapping[str, Any]) -> dict[str, Any]:
        cls.check_options(options)
        flavour = options.get("flavour") or cls.default_flavour()
        _flavours.load(str(flavour))
        return {"flavour": str(flavour)}

    @classmethod
    def guess_flavour(cls, basepath: Path) -> str | None:
        """The flavour of a manifest-less store, decided once for the store (never per file)."""
        # regular files only: whichdb opens files by name, and a FIFO would block it
        files = [e for _, e in walk_files(basepath) if e.is_file(follow_symlinks=False)]
        names = {e.name for e in files}
        for entry in files:
            stem, ext = os.path.splitext(entry.name)
            if not stem.endswith(cls.extension):
                continue
            if ext == ".dir" and stem + ".dat" in names:
                return "dumb"
            if ext == ".db":
                return "ndbm"
        for entry in files:
            if entry.name.endswith(cls.extension) or not cls.extension:
                try:
                    check_regular(entry.path)
                except OSError:
                    continue
                found = _flavours.whichdb_flavour(Path(entry.path))
                if found:
                    return found
        return None

    @classmethod
    def detect(cls, basepath: Path) -> bool:
        try:
            return cls.guess_flavour(basepath) is not None
        except OSError:
            return False

    def session_path(self, name: str) -> Path:
        return self.basepath / (name + self.extension)

    def session_files(self, name: str) -> list[Path]:
        base = self.session_path(name)
        return [p for p in (Path(f"{base}{s}") for s in _flavours.suffixes(self.flavour)) if p.is_file()]

    def _session_of(self, rel: str) -> str | None:
        for suffix in self._suffixes:
            if suffix and not rel.endswith(suffix):
                continue
            base = rel[: len(rel) - len(suffix)] if suffix else rel
            if base.endswith(self.extension) and len(base) > len(self.extension):
                return base[: len(base) - len(self.extension)] if self.extension else base
        return None

    def list_sessions(self) -> Iterator[str]:
        names: set[str] = set()
        for rel, entry in walk_files(self.basepath):
            if rel.endswith("/"):
                folder = rel[:-1]
                # a folder is told from a group of sessions by a session extension or a flavour suffix
                named_like = self.extension or any(s and folder.endswith(s) for s in self._suffixes)
                if named_like and self._session_of(folder):
                    self.warn_foreign(entry.path, "a folder named like a session file")
                continue
            name = self._session_of(rel)
            if name is None:
                self.warn_foreign(entry.path)
            else:
                names.add(name)
        return iter(sorted(names))

    def open_session(self, name: str, *, writable: bool) -> SessionStore:
        return DbmSession(self, name, self.session_path(name), writable=writable)
