"""A normalised input: a path or a seekable binary file object, plus its header.

A path is opened **once**, without blocking (``O_NONBLOCK``, so a FIFO put
in its place cannot hang the open), and the descriptor, not the name, is
checked with ``fstat``: only a regular file is accepted. Every later
:meth:`Source.open` reaches that same file again (through
``/proc/self/fd`` on Linux, else by name with a check that the name still
points to the same file), so swapping the path for a FIFO, a symlink or
another file while a reader works on it cannot make it block or read
something else.
"""

from __future__ import annotations

import errno
import io
import os
import stat
import sys
import weakref
from pathlib import Path
from typing import IO, BinaryIO, Union

from .._errors import (
    FileChangedError,
    InvalidPathError,
    NotARegularFileError,
    ReadError,
    SourceNotFoundError,
    SourcePermissionError,
)

__all__ = ["Source", "SourceLike", "open_regular", "path_error", "suffixes_of"]

SourceLike = Union[str, "os.PathLike[str]", IO[bytes]]

#: flags of every open of a user path for reading: never block, never leak into children,
#: never make a terminal ours
OPEN_FLAGS = (
    os.O_RDONLY
    | getattr(os, "O_NONBLOCK", 0)
    | getattr(os, "O_CLOEXEC", 0)
    | getattr(os, "O_NOCTTY", 0)
    | getattr(os, "O_BINARY", 0)
)
_PROC_FD = Path("/proc/self/fd")
_NOT_REGULAR = "not a regular file (FIFO, socket or device)"

#: errno -> (error class, message) for a path that cannot be opened or read
_ERRNO_MESSAGES: dict[int, tuple[type[ReadError], str]] = {
    errno.ENOENT: (SourceNotFoundError, "no such file"),
    errno.EACCES: (SourcePermissionError, "permission denied"),
    errno.EPERM: (SourcePermissionError, "operation not permitted"),
    errno.EISDIR: (NotARegularFileError, "is a directory"),
    errno.ENXIO: (NotARegularFileError, f"is {_NOT_REGULAR}"),
    errno.ELOOP: (ReadError, "too many levels of symbolic links (a symlink loop?)"),
    errno.ENAMETOOLONG: (ReadError, "file name too long"),
    errno.ENOTDIR: (ReadError, "a component of the path is not a folder"),
}


def path_error(exc: OSError, path: object, doing: str = "cannot open") -> ReadError:
    """The typed error for ``exc`` raised on ``path``: the class follows its errno.

    ``ENOENT`` is a :class:`SourceNotFoundError`, ``EACCES``/``EPERM`` a
    :class:`SourcePermissionError`, a directory or device a
    :class:`NotARegularFileError`, anything else (symlink loop, name too
    long, a file used as a folder...) a :class:`ReadError`. The errno is kept.
    """
    if isinstance(exc, ReadError):
        return exc
    cls, message = _ERRNO_MESSAGES.get(exc.errno or 0, (ReadError, ""))
    if not message:
        message = f"{doing}: {exc.strerror or exc}"
    error = cls(message, path=path)
    error.errno = exc.errno
    return error


def _bad_path(path: object, exc: ValueError) -> InvalidPathError:
    return InvalidPathError(f"not a valid path: {exc}", path=repr(os.fspath(path)) if isinstance(path, (str, os.PathLike)) else path)


def open_regular(path: str | os.PathLike[str]) -> tuple[int, os.stat_result]:
    """Open ``path`` for reading and return the descriptor and its ``fstat``; only regular files.

    The open never blocks (``O_NONBLOCK``; a FIFO opens at once and is then
    refused), and the check is made on the descriptor, so nothing swapped in
    between a check and the open can be read. ``O_NONBLOCK`` is cleared on
    the returned descriptor.

    Raises
    ------
    SourceNotFoundError, SourcePermissionError, NotARegularFileError, ReadError
        As :func:`path_error` maps the system's error.
    InvalidPathError
        The name holds a NUL character.
    """
    try:
        info = os.stat(path)  # a cheap first refusal: a device need not even be opened
        if not stat.S_ISREG(info.st_mode):
            raise _not_regular(info, path)
        fd = os.open(path, OPEN_FLAGS)
    except OSError as exc:
        raise path_error(exc, path) from exc
    except ValueError as exc:  # an embedded NUL
        raise _bad_path(path, exc) from exc
    try:
        info = os.fstat(fd)  # what counts: the file actually opened
        if not stat.S_ISREG(info.st_mode):
            raise _not_regular(info, path)
        if hasattr(os, "set_blocking"):
            os.set_blocking(fd, True)
    except BaseException as exc:
        os.close(fd)
        if isinstance(exc, OSError):
            raise path_error(exc, path) from exc
        raise
    return fd, info


def _not_regular(info: os.stat_result, path: object) -> NotARegularFileError:
    kind = "a directory" if stat.S_ISDIR(info.st_mode) else _NOT_REGULAR
    return NotARegularFileError(f"is {kind}", path=path)


class _Borrowed(io.BufferedIOBase):
    """A view of a caller's file object that does not close it."""

    def __init__(self, raw: IO[bytes], start: int) -> None:
        self._raw = raw
        self._start = start
        raw.seek(start)

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def read(self, size: int | None = -1) -> bytes:
        return self._raw.read(-1 if size is None else size)

    def readinto(self, buffer: bytearray | memoryview) -> int:  # type: ignore[override]
        data = self._raw.read(len(buffer))
        buffer[: len(data)] = data
        return len(data)

    def seek(self, offset: int, whence: int = 0) -> int:
        if whence == os.SEEK_SET:
            return self._raw.seek(self._start + offset) - self._start
        return self._raw.seek(offset, whence) - self._start

    def tell(self) -> int:
        return self._raw.tell() - self._start

    def close(self) -> None:  # leave the caller's object open
        super().close()


class Source:
    """One file to read: where it is, its size, and its first bytes.

    Readers call :meth:`open` for a fresh binary handle positioned at the
    start. Path sources expose :attr:`path` (for names and folders; read
    through :meth:`open`, never by opening ``path`` again); file objects have
    ``path`` None. A path source holds one descriptor until :meth:`close`
    (or garbage collection).
    """

    def __init__(self, source: SourceLike, header_size: int = 4096) -> None:
        self.path: Path | None = None
        self._fileobj: IO[bytes] | None = None
        self._start = 0
        self._fd = -1
        self._identity = (0, 0)
        self._stamp: tuple[int, int] | None = None
        if isinstance(source, (str, os.PathLike)):
            try:
                self.path = Path(os.fspath(source)).expanduser()
            except RuntimeError as exc:  # "~user" of no such user
                raise SourceNotFoundError(f"cannot expand the home folder: {exc}", path=source) from exc
            self.name = str(self.path)
            self._fd, info = open_regular(self.path)
            self._identity = (info.st_dev, info.st_ino)
            self._stamp = _stamp_of(info)
            self._closer = weakref.finalize(self, os.close, self._fd)
            self.size: int | None = info.st_size
            header = self._read_header(header_size)
        elif hasattr(source, "read") and hasattr(source, "seek"):
            self._fileobj = source
            self.name = str(getattr(source, "name", "<file object>"))
            self.size = _fileobj_size(source)
            self._start = source.tell()
            self._stamp = _fileobj_stamp(source)
            with self.open() as handle:
                header = handle.read(header_size)
        else:
            raise TypeError(
                f"expected a path (str or os.PathLike) or a binary file object, got {type(source).__name__}"
            )
        if not isinstance(header, bytes):
            raise TypeError(f"{self.name}: file object must be opened in binary mode")
        self.header: bytes = header

    def _read_header(self, size: int) -> bytes:
        parts, got = [], 0
        try:
            while got < size:
                part = os.pread(self._fd, size - got, got) if hasattr(os, "pread") else b""
                if not part:
                    break
                parts.append(part)
                got += len(part)
        except OSError as exc:
            raise path_error(exc, self.name, "cannot read") from exc
        if not hasattr(os, "pread"):  # Windows: read from a handle of our own
            with self.open() as handle:
                return handle.read(size)
        return b"".join(parts)

    @property
    def suffixes(self) -> tuple[str, ...]:
        """All candidate suffixes of the name, longest first: ``('.tar.gz', '.gz')``."""
        return suffixes_of(self.name)

    def open(self, buffered: bool = True) -> BinaryIO:
        """Return a fresh binary handle on the same file, positioned at the start of the data.

        ``buffered=False`` gives an unbuffered ``io.FileIO`` for a path
        source (for positioned reads by descriptor). The handle reads the
        file checked when the source was made: if its name now points
        elsewhere (replaced, or swapped for a FIFO) and the system cannot
        reach the original by descriptor, :class:`ReadError` says so.
        """
        if self._fileobj is not None:
            return _Borrowed(self._fileobj, self._start)  # type: ignore[return-value]
        assert self.path is not None
        fd = self._reopen()
        raw = io.FileIO(fd, "rb", closefd=True)
        raw.name = self.name
        return raw if not buffered else io.BufferedReader(raw)

    def _reopen(self) -> int:
        """A new descriptor (own file position) on the file opened in ``__init__``."""
        alive = self._fd >= 0 and self._closer.alive
        if alive and sys.platform.startswith("linux") and _PROC_FD.is_dir():
            target: str | Path = _PROC_FD / str(self._fd)
        else:
            assert self.path is not None
            target = self.path
        try:
            fd, info = open_regular(target)
        except ReadError as exc:
            if target is self.path:
                raise
            raise type(exc)(exc.reason, path=self.name) from exc
        if (info.st_dev, info.st_ino) != self._identity:
            os.close(fd)
            raise ReadError("the file was replaced while it was read", path=self.name)
        return fd

    def check_unchanged(self) -> None:
        """Raise :class:`FileChangedError` if the file's size or modification time
        differ from when the source was made (call it after a read).

        A rewrite in place, a truncation or an append while a reader worked
        may have given it bytes of two versions; the times are as fine as the
        file system's clock (a few milliseconds on Linux), so a change inside
        one tick cannot be seen. File objects without a descriptor are not checked.
        """
        if self._stamp is None:
            return
        if self._fileobj is not None:
            now = _fileobj_stamp(self._fileobj)
        elif self._fd >= 0 and self._closer.alive:
            now = _stamp_of(os.fstat(self._fd))
        else:
            return
        if now is not None and now != self._stamp:
            before, after = self._stamp[0], now[0]
            change = "rewritten" if before == after else f"resized from {before} to {after} bytes"
            raise FileChangedError(
                f"the file was {change} while it was read; read it again once nothing writes to it",
                path=self.name,
            )

    def close(self) -> None:
        """Release the descriptor of a path source (later :meth:`open` calls reopen it by name)."""
        if self._fd >= 0:
            self._closer()

    def __repr__(self) -> str:
        return f"Source({self.name!r}, size={self.size})"


def suffixes_of(name: str) -> tuple[str, ...]:
    """Lower-case suffixes of a file name, longest first: ``('.tar.gz', '.gz')``."""
    parts = os.path.basename(name).lower().split(".")[1:]
    return tuple("." + ".".join(parts[i:]) for i in range(len(parts)) if parts[i:] != [""])


def _stamp_of(info: os.stat_result) -> tuple[int, int]:
    """Size and modification time: what a write or truncation changes (not the change time,
    which a new hard link or a ``chmod`` also moves)."""
    return info.st_size, info.st_mtime_ns


def _fileobj_stamp(fileobj: IO[bytes]) -> tuple[int, int] | None:
    """The stamp of a file object's descriptor, or None when it has none (``io.BytesIO``)."""
    try:
        return _stamp_of(os.fstat(fileobj.fileno()))
    except (OSError, AttributeError, ValueError):  # io.UnsupportedOperation is both
        return None


def _fileobj_size(fileobj: IO[bytes]) -> int | None:
    if hasattr(fileobj, "seekable") and not fileobj.seekable():
        raise TypeError(
            f"{getattr(fileobj, 'name', '<file object>')}: file object must be seekable;"
            " read it into io.BytesIO first"
        )
    here = fileobj.tell()
    end = fileobj.seek(0, os.SEEK_END)
    fileobj.seek(here)
    return end - here

Source.__module__ = "neurofiles.plugin"  # its public name
