"""The fixed-size record body of AEDAT 1.0/2.0 and headerless files.

Records are read with positioned reads into one small reusable buffer and
converted straight into the native output arrays, chunk by chunk: the raw
bytes are never held twice, a file that shrinks while it is read gives a
:class:`TruncatedFileError` (a memory map would kill the process with
SIGBUS), and file objects work the same way as paths.
"""

from __future__ import annotations

import io
import os
from collections.abc import Iterator
from typing import Any, BinaryIO

import numpy as np
from neurofiles.plugin import TruncatedFileError
from neurofiles.plugin.io import Progress

__all__ = ["RECORDS", "Body", "Unwrapper"]

#: Record dtype per major version (big-endian, as jAER writes).
RECORDS = {
    1: np.dtype([("addr", ">u2"), ("ts", ">i4")]),
    2: np.dtype([("addr", ">u4"), ("ts", ">i4")]),
}
CHUNK = 1 << 16
_WRAP = 1 << 32
_HALF = 1 << 31


class Unwrapper:
    """Unwraps int32 timestamps chunk by chunk: a step down of more than 2**31 adds 2**32."""

    def __init__(self) -> None:
        self.offset = 0
        self.prev: int | None = None
        self.wraps = 0

    def __call__(self, ts: np.ndarray[Any, Any]) -> None:
        """Unwrap raw int32 values held in the int64 array ``ts``, in place.

        A wrap is a step from a positive value to a negative one, so a chunk
        without negative values (one reduction) or without positive values
        cannot hold one; only chunks with both signs and a span over 2**31 are
        scanned with ``diff``.
        """
        if len(ts) == 0:
            return
        prev = self.prev
        boundary = prev is not None and int(ts[0]) - prev < -_HALF
        inside = False
        lo = int(ts.min())
        if lo < 0:
            hi = int(ts.max())
            inside = hi > 0 and hi - lo > _HALF
        self.prev = int(ts[-1])
        if inside:
            steps = np.flatnonzero(np.diff(ts) < -_HALF) + 1
            if boundary:
                steps = np.concatenate(([0], steps))
            self._apply(ts, steps)
        elif boundary:
            self._apply(ts, np.zeros(1, dtype=np.intp))
        elif self.offset:
            ts += self.offset

    def _apply(self, ts: np.ndarray[Any, Any], steps: np.ndarray[Any, Any]) -> None:
        base = self.offset
        if len(steps) > 8:
            corr = np.zeros(len(ts), dtype=np.int64)
            np.add.at(corr, steps, _WRAP)
            np.cumsum(corr, out=corr)
            corr += base
            ts += corr
        else:
            if base:
                ts += base
            for start in steps:
                ts[start:] += _WRAP
        self.wraps += len(steps)
        self.offset = base + _WRAP * len(steps)


def _stamp(handle: BinaryIO) -> tuple[int, int, int]:
    """Size, modification and change time of an open file, to notice a change during a read."""
    try:
        st = os.fstat(handle.fileno())
    except (OSError, AttributeError, ValueError):  # an in-memory stream (io.UnsupportedOperation)
        return (0, 0, 0)
    return st.st_size, st.st_mtime_ns, st.st_ctime_ns


class Body:
    """Records ``[0, count)`` of one dtype starting at byte ``offset`` of a source."""

    def __init__(self, source: Any, offset: int, dtype: np.dtype[Any], count: int) -> None:
        self.source = source
        self.offset = offset
        self.dtype = dtype
        self.count = count

    def _read_into(self, handle: BinaryIO, buffer: np.ndarray[Any, Any], first: int) -> None:
        want = buffer.nbytes
        view = memoryview(buffer).cast("B")  # type: ignore[arg-type]  # numpy arrays are buffers
        got = 0
        while got < want:
            n = handle.readinto(view[got:])  # type: ignore[attr-defined]  # every binary handle has it
            if not n:
                raise TruncatedFileError(
                    f"file ended while reading record {first + got // self.dtype.itemsize}"
                    " (did it shrink while being read?)",
                    path=self.source.name,
                    offset=self.offset + first * self.dtype.itemsize + got,
                )
            got += n

    def chunks(self, start: int, stop: int, size: int = CHUNK) -> Iterator[tuple[int, np.ndarray[Any, Any]]]:
        """Yield ``(first_index, records)`` for records ``[start, stop)``; the buffer is reused."""
        stop = min(stop, self.count)
        if stop <= start:
            return
        buffer = np.empty(min(size, stop - start), dtype=self.dtype)
        with self.source.open() as handle:
            before = _stamp(handle)
            handle.seek(self.offset + start * self.dtype.itemsize)
            for first in range(start, stop, len(buffer)):
                part = buffer[: min(len(buffer), stop - first)]
                self._read_into(handle, part, first)
                if _stamp(handle) != before:
                    # a concurrent truncate can zero bytes a read already counted on, and a
                    # rewrite can restore the size: the change time tells (to its clock's grain)
                    raise TruncatedFileError(
                        "the file was changed while being read (truncated or rewritten)",
                        path=self.source.name,
                        offset=self.offset + first * self.dtype.itemsize,
                    )
                yield first, part

    def convert(self, start: int, stop: int, unwrap: Unwrapper | None = None
                ) -> tuple[np.ndarray[Any, Any], np.ndarray[Any, Any], int]:
        """Native ``uint32`` addresses and unwrapped ``int64`` timestamps; and the wrap count.

        ``unwrap`` carries the unwrapping on to records read later (a fresh one by default).
        """
        stop = min(stop, self.count)
        n = max(0, stop - start)
        addresses = np.empty(n, dtype=np.uint32)
        timestamps = np.empty(n, dtype=np.int64)
        unwrap = Unwrapper() if unwrap is None else unwrap
        name = os.path.basename(self.source.name)
        with Progress(n, f"reading {name}", " ev") as bar:
            for first, part in self.chunks(start, stop):
                a, b = first - start, first - start + len(part)
                addresses[a:b] = part["addr"]
                timestamps[a:b] = part["ts"]
                unwrap(timestamps[a:b])
                bar.update(len(part))
        return addresses, timestamps, unwrap.wraps

    def raw_timestamp(self, handle: BinaryIO, index: int) -> int:
        """The raw int32 timestamp of record ``index`` (reads 4 bytes; unbuffered for paths)."""
        where = self.offset + index * self.dtype.itemsize + self.dtype.fields["ts"][1]  # type: ignore[index]
        if isinstance(handle, io.FileIO) and hasattr(os, "pread"):
            data = os.pread(handle.fileno(), 4, where)
        else:
            handle.seek(where)
            data = handle.read(4)
        if len(data) != 4:
            raise TruncatedFileError(f"file ended while reading record {index}", path=self.source.name,
                                     offset=self.offset + index * self.dtype.itemsize)
        return int.from_bytes(data, "big", signed=True)

    def open_for_probes(self) -> BinaryIO:
        """A handle for :meth:`raw_timestamp`: unbuffered positioned reads when the source is a path."""
        if self.source.path is not None and hasattr(os, "pread"):
            try:
                return open(self.source.path, "rb", buffering=0)
            except OSError:
                return self.source.open()  # type: ignore[no-any-return]
        return self.source.open()  # type: ignore[no-any-return]

    def memmap(self) -> np.ndarray[Any, Any]:
        """A read-only memory map of the records (zero copy; see the SIGBUS note in the spec)."""
        if self.source.path is None:
            raise TypeError("memory mapping needs a path source, not a file object")
        if self.count == 0:
            return np.empty(0, dtype=self.dtype)
        return np.memmap(self.source.path, dtype=self.dtype, mode="r", offset=self.offset, shape=(self.count,))
