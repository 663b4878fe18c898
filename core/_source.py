"""A normalised input: a path or a seekable binary file object, plus its header."""

from __future__ import annotations

import io
import os
import stat
from pathlib import Path
from typing import IO, BinaryIO, Union

from ._errors import (
    NotARegularFileError,
    ReadError,
    SourceNotFoundError,
    SourcePermissionError,
)

__all__ = ["Source", "SourceLike", "suffixes_of"]

SourceLike = Union[str, "os.PathLike[str]", IO[bytes]]


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
    start. Path sources expose :attr:`path` (for memory mapping); file
    objects have ``path`` None.
    """

    def __init__(self, source: SourceLike, header_size: int = 4096) -> None:
        self.path: Path | None = None
        self._fileobj: IO[bytes] | None = None
        self._start = 0
        if isinstance(source, (str, os.PathLike)):
            self.path = Path(os.fspath(source)).expanduser()
            self.name = str(self.path)
            self.size: int | None = _regular_file_size(self.path)
        elif hasattr(source, "read") and hasattr(source, "seek"):
            self._fileobj = source
            self.name = str(getattr(source, "name", "<file object>"))
            self.size = _fileobj_size(source)
            self._start = source.tell()
        else:
            raise TypeError(
                f"expected a path (str or os.PathLike) or a binary file object, got {type(source).__name__}"
            )
        with self.open() as handle:
            header = handle.read(header_size)
        if not isinstance(header, bytes):
            raise TypeError(f"{self.name}: file object must be opened in binary mode")
        self.header: bytes = header

    @property
    def suffixes(self) -> tuple[str, ...]:
        """All candidate suffixes of the name, longest first: ``('.tar.gz', '.gz')``."""
        return suffixes_of(self.name)

    def open(self) -> BinaryIO:
        """Return a fresh binary handle positioned at the start of the data."""
        if self._fileobj is not None:
            return _Borrowed(self._fileobj, self._start)  # type: ignore[return-value]
        assert self.path is not None
        try:
            return open(self.path, "rb")
        except PermissionError as exc:
            raise SourcePermissionError("permission denied", path=self.path) from exc
        except OSError as exc:
            raise ReadError(f"cannot open: {exc.strerror or exc}", path=self.path) from exc

    def __repr__(self) -> str:
        return f"Source({self.name!r}, size={self.size})"


def suffixes_of(name: str) -> tuple[str, ...]:
    """Lower-case suffixes of a file name, longest first: ``('.tar.gz', '.gz')``."""
    parts = os.path.basename(name).lower().split(".")[1:]
    return tuple("." + ".".join(parts[i:]) for i in range(len(parts)) if parts[i:] != [""])


def _regular_file_size(path: Path) -> int:
    try:
        info = path.stat()
    except FileNotFoundError as exc:
        raise SourceNotFoundError("no such file", path=path) from exc
    except PermissionError as exc:
        raise SourcePermissionError("permission denied", path=path) from exc
    if not stat.S_ISREG(info.st_mode):
        kind = "a directory" if stat.S_ISDIR(info.st_mode) else "not a regular file (FIFO, socket or device)"
        raise NotARegularFileError(f"is {kind}", path=path)
    return info.st_size


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
