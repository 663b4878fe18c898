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
#: Reads of at least this many records are converted by two threads (spans of TASK_RECORDS) when a
#: second core is idle (:func:`_cores`).
PARALLEL_RECORDS = 1 << 22
TASK_RECORDS = 1 << 20
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


def _cores() -> int:
    """Idle usable cores: usable cores minus the other tasks running right now, at least 1.

    The two-thread conversion measured 1.7x faster than one thread on the idle 2-core VM,
    but 0.9x at a load of ~5 (both threads then wait for the same busy cores). "Running
    right now" is the kernel's count of runnable tasks (``/proc/loadavg``) less this one;
    the 1-minute load average, where that count is missing, counts this process too (a
    benchmark that ran for a minute saw its own load and never used the second core).
    """
    try:
        cores = len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        cores = os.cpu_count() or 1
    busy = _other_runnable()
    return max(1, cores - busy)


def _other_runnable() -> int:
    """Tasks of other processes runnable now (``/proc/loadavg`` less this process's running
    threads, e.g. numpy's BLAS workers), else the load average less one."""
    try:
        with open("/proc/loadavg", "rb") as handle:  # "0.52 0.58 0.59 2/345 12345": 2 runnable now
            runnable = int(handle.read().split()[3].split(b"/")[0])
        return max(0, runnable - _own_running())
    except (OSError, IndexError, ValueError):
        pass
    try:
        return max(0, int(round(os.getloadavg()[0])) - 1)
    except (AttributeError, OSError):
        return 0


def _own_running() -> int:
    """Threads of this process in the running state (at least this one)."""
    running = 0
    for task in os.listdir("/proc/self/task"):
        try:
            with open(f"/proc/self/task/{task}/stat", "rb") as handle:
                running += handle.read().rsplit(b")", 1)[1].split()[0] == b"R"
        except (OSError, IndexError):
            continue
    return max(1, running)


def _stamp(handle: BinaryIO) -> tuple[int, int]:
    """Size and modification time of an open file, to notice a write or truncation during a read
    (not the change time: a new hard link or a ``chmod`` moves it without touching the bytes)."""
    try:
        st = os.fstat(handle.fileno())
    except (OSError, AttributeError, ValueError):  # an in-memory stream (io.UnsupportedOperation)
        return (0, 0)
    return st.st_size, st.st_mtime_ns


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
        Large reads from a path are converted by two threads when a second core is idle
        (:meth:`_convert_parallel`).
        """
        stop = min(stop, self.count)
        n = max(0, stop - start)
        addresses = np.empty(n, dtype=np.uint32)
        timestamps = np.empty(n, dtype=np.int64)
        unwrap = Unwrapper() if unwrap is None else unwrap
        name = os.path.basename(self.source.name)
        with Progress(n, f"reading {name}", " ev") as bar:
            if n >= PARALLEL_RECORDS and _cores() > 1 and self._convert_parallel(start, stop, addresses,
                                                                                 timestamps, unwrap, bar):
                return addresses, timestamps, unwrap.wraps
            for first, part in self.chunks(start, stop):
                a, b = first - start, first - start + len(part)
                addresses[a:b] = part["addr"]
                timestamps[a:b] = part["ts"]
                unwrap(timestamps[a:b])
                bar.update(len(part))
        return addresses, timestamps, unwrap.wraps

    def _convert_parallel(self, start: int, stop: int, addresses: np.ndarray[Any, Any],
                          timestamps: np.ndarray[Any, Any], unwrap: Unwrapper, bar: Progress) -> bool:
        """Convert records ``[start, stop)`` with two threads; False (nothing done) without a descriptor.

        Each task reads its span of :data:`TASK_RECORDS` records by ``os.preadv`` into its own
        buffer, chunk by chunk, and converts it into the outputs (reads and numpy's byte-swapping
        copies release the GIL), noting each chunk's smallest raw timestamp and checking the file
        did not change (size, mtime). Wraps need a negative raw timestamp: when there is
        one, the unwrapping runs afterwards over the outputs, chunk by chunk, in order.
        """
        if self.source.path is None or not hasattr(os, "preadv"):
            return False
        with self.source.open() as handle:  # the source's own checks (regular file, no FIFO...)
            try:
                fd = handle.fileno()
            except (AttributeError, OSError, ValueError, io.UnsupportedOperation):
                return False
            before = _stamp(handle)
            if before[0] < self.offset + stop * self.dtype.itemsize:
                return False  # let the serial read report the short file

            def task(lo: int, hi: int) -> int:
                buffer = np.empty(min(CHUNK, hi - lo), dtype=self.dtype)
                view = memoryview(buffer).cast("B")  # type: ignore[arg-type]  # numpy arrays are buffers
                smallest = 0
                for first in range(lo, hi, len(buffer)):
                    k = min(len(buffer), hi - first)
                    where = self.offset + first * self.dtype.itemsize
                    got = os.preadv(fd, [view[: k * self.dtype.itemsize]], where)
                    if got != k * self.dtype.itemsize or _stamp(handle) != before:
                        raise TruncatedFileError(
                            "the file was changed while being read (truncated or rewritten)",
                            path=self.source.name, offset=where + max(got, 0))
                    part = buffer[:k]
                    a, b = first - start, first - start + k
                    addresses[a:b] = part["addr"]
                    ts = timestamps[a:b]
                    ts[...] = part["ts"]
                    smallest = min(smallest, int(ts.min()))
                return smallest

            from concurrent.futures import ThreadPoolExecutor

            spans = [(lo, min(lo + TASK_RECORDS, stop)) for lo in range(start, stop, TASK_RECORDS)]
            negative = False
            with ThreadPoolExecutor(max_workers=2) as pool:
                futures = [pool.submit(task, lo, hi) for lo, hi in spans]
                try:
                    for (lo, hi), fut in zip(spans, futures):
                        negative |= fut.result() < 0
                        bar.update(hi - lo)
                finally:
                    for fut in futures:
                        fut.cancel()
        n = stop - start
        if negative or unwrap.prev is not None:
            for a in range(0, n, CHUNK):
                unwrap(timestamps[a : a + CHUNK])
        elif n:
            unwrap.prev = int(timestamps[-1])  # no negative value: no wrap, nothing to add
        return True

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
