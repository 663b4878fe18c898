"""jAER ``.aeidx`` index files: one data-file name per line, relative to the index's folder.

Entries are opened without following symbolic links, component by component,
relative to a descriptor of the index's folder held open from construction to
:meth:`AeidxReader.close`. Each entry is opened when the index is opened (to
report a bad entry early) and opened again the same way by :meth:`~AeidxReader.read`,
which refuses it if it is no longer the same file (device and inode): swapping
an entry for a symbolic link between the two can neither lead outside the
folder nor substitute another file. Only the descriptor is read, never the path.
"""

from __future__ import annotations

import errno
import io
import os
import posixpath
import re
import stat
from pathlib import Path
from typing import IO, Any, BinaryIO

from neurofiles import NotARegularFileError, ReadError, SourceNotFoundError, SourcePermissionError
from neurofiles.plugin import (
    CorruptFileError,
    FormatMismatch,
    LimitExceededError,
    NeurofilesError,
    Reader,
    Source,
    UnsupportedDataError,
)

from ._options import check_bool, check_positive_int

__all__ = ["MAX_ENTRIES", "AeidxReader", "write_aeidx"]

MAX_ENTRIES = 10_000
_MAX_LINE = 4096
_BLOCK = 1 << 20
_ENTRY = re.compile(rb"\S[^\r\n]*")  # a line's text from its first non-blank byte; blank lines never match
_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)
_NONBLOCK = getattr(os, "O_NONBLOCK", 0)
_CLOEXEC = getattr(os, "O_CLOEXEC", 0)
_DIRECTORY = getattr(os, "O_DIRECTORY", 0)


class AeidxReader(Reader):
    """Reads an ``.aeidx`` index and loads every listed file, in order.

    Parameters
    ----------
    allow_outside
        Accept absolute entries, entries that leave the index's folder
        (``..``) and entries through symbolic links. Refused by default.
    max_entries
        Refuse indexes listing more files than this.
    version, tick, strict, t_start, t_stop, decode
        Passed to the reader of each listed file (when given).
    """

    def __init__(
        self,
        source: Source,
        *,
        allow_outside: bool = False,
        max_entries: int = MAX_ENTRIES,
        version: str | float | None = None,
        tick: float | None = None,
        strict: bool | None = None,
        t_start: float | None = None,
        t_stop: float | None = None,
        decode: str | None = None,
    ) -> None:
        super().__init__(source)
        self.allow_outside = bool(check_bool("allow_outside", allow_outside))
        self.max_entries = check_positive_int("max_entries", max_entries) or MAX_ENTRIES
        options = {"version": version, "tick": tick, "strict": strict, "t_start": t_start,
                   "t_stop": t_stop, "decode": decode}
        self.options = {k: v for k, v in options.items() if v is not None}
        if source.size is not None and source.size > self.max_entries * _MAX_LINE:
            raise LimitExceededError(
                f"index of {source.size} bytes is larger than {self.max_entries} entries can be",
                path=source.name)
        with source.open() as handle:
            self.names = self._parse(handle)
            index_id = _identity(handle)
        self.entries: list[Path] = []
        self._ids: list[tuple[int, int] | None] = []
        self._dir_fd: int | None = None
        if not self.names:
            return
        if self.source.path is None:
            raise CorruptFileError("an index read from a file object has no folder to resolve its"
                                   " entries against; open it by path", path=self.source.name)
        try:
            self.folder = self.source.path.resolve().parent
            self._dir_fd = os.open(self.folder, os.O_RDONLY | _DIRECTORY | _CLOEXEC)
        except (OSError, RuntimeError, ValueError) as exc:
            raise ReadError(f"cannot open the index's folder: {exc}", path=self.source.name) from None
        try:
            for line, name in self.names:
                fd = self._open_entry(name, line)
                try:
                    ident = _identity(fd)
                finally:
                    os.close(fd)
                if index_id is not None and ident == index_id:
                    raise CorruptFileError(f"entry {name!r} is the index itself; nested indexes are refused",
                                           path=self.source.name, line=line)
                self.entries.append(self.folder / name)
                self._ids.append(ident)
        except BaseException:
            self.close()
            raise

    def _parse(self, handle: IO[bytes]) -> list[tuple[int, str]]:
        """Entries with their line numbers, read by blocks; blank lines cost no Python work."""
        names: list[tuple[int, str]] = []
        line, carry = 1, b""
        while True:
            block = handle.read(_BLOCK)
            data = carry + block
            if not data:
                return names
            cut = len(data) if not block else data.rfind(b"\n") + 1
            if b"\x00" in data:
                raise FormatMismatch("binary content, not a list of file names")
            if cut == 0:
                if len(data) > _MAX_LINE:
                    raise CorruptFileError(f"line longer than {_MAX_LINE} bytes", path=self.source.name,
                                           line=line)
                carry = data
                continue
            position = 0
            for match in _ENTRY.finditer(data, 0, cut):
                line += data.count(b"\n", position, match.start())
                position = match.start()
                begin = data.rfind(b"\n", 0, position) + 1
                if match.end() - begin > _MAX_LINE:
                    raise CorruptFileError(f"line longer than {_MAX_LINE} bytes", path=self.source.name,
                                           line=line)
                names.append((line, self._entry_text(match.group().rstrip(), line)))
                if len(names) > self.max_entries:
                    raise LimitExceededError(f"index lists more than {self.max_entries} files",
                                             path=self.source.name, line=line)
            line += data.count(b"\n", position, cut)
            carry = data[cut:]
            if len(carry) > _MAX_LINE:
                raise CorruptFileError(f"line longer than {_MAX_LINE} bytes", path=self.source.name, line=line)
            if not block:
                return names

    def _entry_text(self, raw: bytes, line: int) -> str:
        try:
            name = raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise CorruptFileError("entry is not valid UTF-8 text", path=self.source.name, line=line) from exc
        if any(ord(c) < 0x20 or ord(c) == 0x7F for c in name):
            raise CorruptFileError("entry contains control characters", path=self.source.name, line=line)
        return name

    # -- opening entries -----------------------------------------------------------------------
    def _refuse(self, message: str, line: int) -> CorruptFileError:
        return CorruptFileError(message, path=self.source.name, line=line)

    def _open_entry(self, name: str, line: int) -> int:
        """Descriptor of the regular file an entry names (see the module docstring)."""
        assert self._dir_fd is not None
        if name.lower().endswith(".aeidx"):
            raise self._refuse(f"entry {name!r} is an index file; nested indexes are refused", line)
        absolute = name.startswith("/") or bool(os.path.splitdrive(name)[0]) or os.path.isabs(name)
        try:
            if self.allow_outside:
                fd = os.open(os.path.normpath(name), os.O_RDONLY | _NONBLOCK | _CLOEXEC, dir_fd=None if absolute else self._dir_fd)
            else:
                if absolute:
                    raise self._refuse(f"absolute entry {name!r} refused (pass allow_outside=True to accept)", line)
                fd = self._open_inside(name, line)
        except NeurofilesError:
            raise
        except OSError as exc:
            raise self._os_error(exc, name, line) from None
        except ValueError as exc:  # e.g. an embedded NUL the parser could not see
            raise self._refuse(f"entry {name!r} is not a usable file name: {exc}", line) from None
        try:
            mode = os.fstat(fd).st_mode
        except OSError as exc:
            os.close(fd)
            raise self._os_error(exc, name, line) from None
        if not stat.S_ISREG(mode):
            os.close(fd)
            kind = "a directory" if stat.S_ISDIR(mode) else "not a regular file (FIFO, socket or device)"
            raise NotARegularFileError(f"entry {name!r} is {kind}", path=self.source.name, line=line)
        return fd

    def _open_inside(self, name: str, line: int) -> int:
        """Open ``name`` below the folder, one component at a time, never through a symbolic link."""
        assert self._dir_fd is not None
        normal = posixpath.normpath(name)
        parts = [p for p in normal.split("/") if p not in ("", ".")]
        if not parts or parts[0] == "..":
            raise self._refuse(f"entry {name!r} resolves outside the index's folder"
                               " (pass allow_outside=True to accept)", line)
        current = self._dir_fd
        part = parts[0]
        try:
            for part in parts[:-1]:
                nxt = os.open(part, os.O_RDONLY | _DIRECTORY | _NOFOLLOW | _CLOEXEC, dir_fd=current)
                if current != self._dir_fd:
                    os.close(current)
                current = nxt
            part = parts[-1]
            return os.open(part, os.O_RDONLY | _NOFOLLOW | _NONBLOCK | _CLOEXEC, dir_fd=current)
        except OSError as exc:
            if exc.errno in (errno.ELOOP, errno.EMLINK, errno.ENOTDIR) and _is_symlink(part, current):
                raise self._refuse(f"entry {name!r} goes through a symbolic link ({part!r}), which may lead"
                                   " outside the index's folder; refused (pass allow_outside=True to accept)",
                                   line) from None
            raise
        finally:
            if current != self._dir_fd:
                os.close(current)

    def _os_error(self, exc: OSError, name: str, line: int) -> Exception:
        path = self.source.name
        reason = exc.strerror or str(exc)
        if isinstance(exc, FileNotFoundError):
            return SourceNotFoundError(f"entry {name!r}: no such file", path=path, line=line)
        if isinstance(exc, PermissionError):
            return SourcePermissionError(f"entry {name!r}: permission denied", path=path, line=line)
        if exc.errno in (errno.ENAMETOOLONG, errno.ELOOP, errno.ENOTDIR, errno.EMLINK):
            return CorruptFileError(f"entry {name!r} cannot be opened: {reason}", path=path, line=line)
        return ReadError(f"entry {name!r} cannot be opened: {reason}", path=path, line=line)

    # -- public --------------------------------------------------------------------------------
    def summary(self) -> dict[str, Any]:
        return {"entries": len(self.entries), "files": [str(p) for p in self.entries]}

    def read(self) -> list[Any]:
        """Load each listed file with :func:`neurofiles.load`; a list, in index order.

        Each entry is opened again without following links and must still be
        the file found when the index was opened.
        """
        from neurofiles import load

        if self._dir_fd is None and self.names:
            raise ReadError("the index reader is closed", path=self.source.name)
        results = []
        options: dict[str, Any] = dict(self.options)
        for (line, name), path, ident in zip(self.names, self.entries, self._ids):
            fd = self._open_entry(name, line)
            if _identity(fd) != ident:
                os.close(fd)
                raise CorruptFileError(f"entry {name!r} was replaced by another file after the index was opened",
                                       path=self.source.name, line=line)
            with _as_file(fd, str(path)) as handle:
                results.append(load(handle, **options))
        return results

    def close(self) -> None:
        """Release the folder descriptor."""
        fd, self._dir_fd = getattr(self, "_dir_fd", None), None
        if fd is not None:
            os.close(fd)


def _is_symlink(name: str, dir_fd: int) -> bool:
    """True if ``name`` in the folder ``dir_fd`` is a symbolic link (only used to word an error)."""
    try:
        return stat.S_ISLNK(os.stat(name, dir_fd=dir_fd, follow_symlinks=False).st_mode)
    except (OSError, ValueError):
        return False


def _identity(handle: int | IO[bytes] | BinaryIO) -> tuple[int, int] | None:
    """``(device, inode)`` of an open descriptor or file object, or None when it has no descriptor."""
    try:
        fd = handle if isinstance(handle, int) else handle.fileno()
        info = os.fstat(fd)
    except (OSError, AttributeError, io.UnsupportedOperation):
        return None
    return info.st_dev, info.st_ino


def _as_file(fd: int, name: str) -> BinaryIO:
    """A buffered binary file object reading descriptor ``fd`` (which it closes), named ``name``."""
    raw = io.FileIO(fd, "rb", closefd=True)
    raw.name = name
    return io.BufferedReader(raw)


def write_aeidx(stream: IO[bytes], data: Any, *, path: str | os.PathLike[str] | None) -> None:
    """Write an index listing ``data`` (file names or paths), one per line, LF-terminated.

    Paths inside the index's folder are written relative to it; anything else
    (absolute elsewhere, ``..``) is refused so that the index reads back by default.
    """
    if isinstance(data, (str, bytes, os.PathLike)) or not hasattr(data, "__iter__"):
        raise UnsupportedDataError("an .aeidx index is written from a list of file names or paths")
    folder = Path(path).expanduser().resolve().parent if path is not None else None
    lines = []
    for item in data:
        entry = Path(os.fspath(item))
        if entry.is_absolute():
            if folder is None:
                raise ValueError(f"absolute entry {str(entry)!r} needs a destination path to be made relative")
            try:
                entry = entry.resolve().relative_to(folder)
            except ValueError:
                raise ValueError(f"entry {str(entry)!r} is outside the index's folder {str(folder)!r}") from None
        text = entry.as_posix()
        if ".." in entry.parts or not text or any(ord(c) < 0x20 for c in text):
            raise ValueError(f"entry {text!r} cannot be written to an index")
        lines.append(text + "\n")
    if len(lines) > MAX_ENTRIES:
        raise ValueError(f"more than {MAX_ENTRIES} entries")
    stream.write("".join(lines).encode("utf-8"))
