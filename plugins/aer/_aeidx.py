"""jAER ``.aeidx`` index files: one data-file name per line, relative to the index's folder."""

from __future__ import annotations

import os
from pathlib import Path
from typing import IO, Any

from neurofiles.plugin import CorruptFileError, FormatMismatch, LimitExceededError, Reader, Source

__all__ = ["MAX_ENTRIES", "AeidxReader", "write_aeidx"]

MAX_ENTRIES = 10_000
_MAX_LINE = 4096


class AeidxReader(Reader):
    """Reads an ``.aeidx`` index and loads every listed file, in order.

    Parameters
    ----------
    allow_outside
        Accept absolute entries and entries that leave the index's folder
        (``..``, symlinks pointing elsewhere). Refused by default.
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
        self.allow_outside = bool(allow_outside)
        self.max_entries = int(max_entries)
        options = {"version": version, "tick": tick, "strict": strict, "t_start": t_start,
                   "t_stop": t_stop, "decode": decode}
        self.options = {k: v for k, v in options.items() if v is not None}
        if source.size is not None and source.size > self.max_entries * _MAX_LINE:
            raise LimitExceededError(
                f"index of {source.size} bytes is larger than {self.max_entries} entries can be",
                path=source.name)
        with source.open() as handle:
            self.names = self._parse(handle)
        self.entries = [self._resolve(name, line) for line, name in self.names]

    def _parse(self, handle: IO[bytes]) -> list[tuple[int, str]]:
        """Read entries line by line, stopping at the first one past ``max_entries``."""
        names = []
        for number, raw in enumerate(iter(lambda: handle.readline(_MAX_LINE + 1), b""), start=1):
            if len(raw) > _MAX_LINE:
                raise CorruptFileError(f"line longer than {_MAX_LINE} bytes", path=self.source.name, line=number)
            if b"\x00" in raw:
                raise FormatMismatch("binary content, not a list of file names")
            try:
                name = raw.decode("utf-8").rstrip("\r\n").strip()
            except UnicodeDecodeError as exc:
                raise CorruptFileError("entry is not valid UTF-8 text", path=self.source.name, line=number) from exc
            if not name:
                continue
            if any(ord(c) < 0x20 for c in name):
                raise CorruptFileError("entry contains control characters", path=self.source.name, line=number)
            names.append((number, name))
            if len(names) > self.max_entries:
                raise LimitExceededError(f"index lists more than {self.max_entries} files",
                                         path=self.source.name, line=number)
        return names

    def _resolve(self, name: str, line: int) -> Path:
        if self.source.path is None:
            raise CorruptFileError("an index read from a file object has no folder to resolve its"
                                   " entries against; open it by path", path=self.source.name)
        folder = self.source.path.resolve().parent
        entry = Path(name)
        candidate = (folder / entry).resolve()
        if not self.allow_outside:
            if entry.is_absolute() or os.path.splitdrive(name)[0]:
                raise CorruptFileError(f"absolute entry {name!r} refused (pass allow_outside=True to accept)",
                                       path=self.source.name, line=line)
            try:
                candidate.relative_to(folder)
            except ValueError:
                raise CorruptFileError(
                    f"entry {name!r} resolves outside the index's folder to {str(candidate)!r}"
                    " (pass allow_outside=True to accept)", path=self.source.name, line=line) from None
        if candidate == self.source.path.resolve() or candidate.suffix.lower() == ".aeidx":
            raise CorruptFileError(f"entry {name!r} is an index file; nested indexes are refused",
                                   path=self.source.name, line=line)
        return candidate

    def summary(self) -> dict[str, Any]:
        return {"entries": len(self.entries), "files": [str(p) for p in self.entries]}

    def read(self) -> list[Any]:
        """Load each listed file with :func:`neurofiles.load`; a list, in index order."""
        from neurofiles._api import load

        return [load(path, **self.options) for path in self.entries]


def write_aeidx(stream: IO[bytes], data: Any, *, path: str | os.PathLike[str] | None) -> None:
    """Write an index listing ``data`` (file names or paths), one per line, LF-terminated.

    Paths inside the index's folder are written relative to it; anything else
    (absolute elsewhere, ``..``) is refused so that the index reads back by default.
    """
    if isinstance(data, (str, bytes, os.PathLike)) or not hasattr(data, "__iter__"):
        raise TypeError("an .aeidx index is written from a list of file names or paths")
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
