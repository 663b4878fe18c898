"""Random access to a file's bytes: a read-only mmap for paths, seek+read for file objects."""

from __future__ import annotations

import mmap
from typing import BinaryIO, Union

from neurofiles._source import Source

__all__ = ["FileBody"]

Buffer = Union[bytes, bytearray, memoryview]


class FileBody:
    """Slices of a file; call :meth:`close` when done (releases the mmap)."""

    def __init__(self, source: Source, fh: BinaryIO, size: int) -> None:
        self._fh = fh
        self._map: mmap.mmap | None = None
        self._view: memoryview | None = None
        if source.path is not None and size > 0:
            try:
                self._map = mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ)
                self._view = memoryview(self._map)
            except (OSError, ValueError):
                self._map = None

    def read(self, offset: int, n: int) -> Buffer:
        if self._view is not None:
            return self._view[offset : offset + n]
        self._fh.seek(offset)
        return self._fh.read(n)

    def close(self) -> None:
        """Release the map; if a slice is still referenced (an error in flight), leave it to the GC."""
        try:
            if self._view is not None:
                self._view.release()
            if self._map is not None:
                self._map.close()
        except BufferError:
            pass
        self._view = None
        self._map = None
