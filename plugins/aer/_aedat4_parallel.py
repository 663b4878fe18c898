"""Parallel decoding of an AEDAT 4 file's main events stream, straight into the output arrays.

Used when the FileDataTable lists every packet to read (checked by ``_window_packets``): its
``NumElements`` give each events packet's place in the output, so worker threads decompress a
batch of packets *and* copy their events into the preallocated ``t, x, y, p`` arrays, all
without the GIL (LZ4/ZSTD and numpy's strided copies release it); the calling thread only reads
the compressed bodies and decodes the few other packets (IMU, triggers, frames). Each packet
is checked against the table (element count, first and last timestamp); any mismatch stops
the run (:class:`TableMismatch`) and the caller walks the file without the table.
"""

from __future__ import annotations

import threading
from collections import deque
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, Callable, Union

import numpy as np

from ._compression import DecompressionBudget
from ._flatbuffers import FlatBuffer

__all__ = ["COPY_DTYPE", "EVENT_DTYPE", "Job", "TableMismatch", "decode_parallel", "plan_events"]

Buffer = Union[bytes, bytearray, memoryview]
Arrays = tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]

#: One AEDAT 4 event as stored: int64 t, int16 x, int16 y, bool polarity, 3 pad bytes.
EVENT_DTYPE = np.dtype(
    {"names": ["t", "x", "y", "p"], "formats": ["<i8", "<i2", "<i2", "u1"], "offsets": [0, 8, 10, 12],
     "itemsize": 16}
)
#: The same bytes read with the output types, so every field copy is a same-type strided copy:
#: int16 -> uint16 keeps the bit pattern; the polarity byte is copied as uint8 and normalised once.
COPY_DTYPE = np.dtype(
    {"names": ["t", "x", "y", "p"], "formats": ["<i8", "<u2", "<u2", "u1"], "offsets": [0, 8, 10, 12],
     "itemsize": 16}
)
#: Compressed bytes per batch handed to a worker (bounds the raw bytes held per batch in flight).
BATCH_BYTES = 4 << 20


class TableMismatch(Exception):
    """A packet does not hold what the FileDataTable states (internal: the caller drops the table)."""

    def __init__(self, pos: int) -> None:
        super().__init__(pos)
        self.pos = pos


@dataclass
class Job:
    """One events packet: header offset, stream, compressed body, output index and the table's n, t0, t1."""

    pos: int
    sid: int
    raw: Buffer | int  # the body, or its length to read in the worker
    start: int
    n: int
    t0: int
    t1: int


def _decode_batch(jobs: list[Job], out: Arrays, decompress: Callable[..., Buffer], budget: DecompressionBudget,
                  lock: threading.Lock, path: str, pread: Callable[[int, int], Buffer] | None) -> None:
    """Decompress each packet of ``jobs`` and copy its events to ``out[start:start + n]`` (a worker thread).

    A job whose ``raw`` is a length is read here with ``pread(offset, n)``.
    """
    t, x, y, p = out
    p8 = p.view(np.uint8)
    for job in jobs:
        raw = job.raw
        if isinstance(raw, int):
            assert pread is not None
            raw = pread(job.pos + 8, raw)
        with lock:
            limit = budget.limit()
        data = budget.run(decompress, raw, limit, path, job.pos)
        with lock:
            budget.spend(len(data), path, job.pos)
        fb = FlatBuffer(data, path=path, where=job.pos, what=f"packet (stream {job.sid})")
        vpos, n = fb.root(size_prefixed=True).vector(0, EVENT_DTYPE.itemsize)
        if n != job.n:
            raise TableMismatch(job.pos)
        if not n:
            continue
        rec = np.frombuffer(data, dtype=COPY_DTYPE, count=n, offset=vpos)
        if int(rec["t"][0]) != job.t0 or int(rec["t"][-1]) != job.t1:
            raise TableMismatch(job.pos)
        stop = job.start + n
        t[job.start : stop] = rec["t"]
        x[job.start : stop] = rec["x"]
        y[job.start : stop] = rec["y"]
        p8[job.start : stop] = rec["p"]
        del rec, data, fb, raw


def decode_parallel(read: Callable[[int, int], Buffer], packets: list[tuple[int, int, int]],
                    plan: dict[int, tuple[int, int, int, int]], out: Arrays, decompress: Callable[..., Buffer],
                    budget: DecompressionBudget, path: str, threads: int,
                    other: Callable[[int, int, Buffer], None],
                    pread: Callable[[int, int], Buffer] | None = None) -> None:
    """Decode ``packets`` (file order): those in ``plan`` by ``threads`` workers into ``out``, the rest here.

    ``plan`` maps a packet's header offset to ``(output index, n, first t, last t)`` from the
    data table; ``other(pos, sid, decompressed body)`` handles every other packet, in file
    order, in the calling thread. At most ``2 * threads`` batches of about
    :data:`BATCH_BYTES` compressed bytes are in flight, and each worker holds one decompressed
    packet at a time (each within ``budget``, whose total is counted under a lock). With
    ``pread`` (a positioned read safe from any thread) the workers read the bodies themselves.

    Raises
    ------
    TableMismatch
        A packet's element count or first/last timestamp differs from the table (the
        output is then incomplete: the caller decodes again without the table).
    """
    lock = threading.Lock()
    inflight: deque[Future[None]] = deque()
    with ThreadPoolExecutor(max_workers=threads) as pool:
        try:
            batch: list[Job] = []
            held = 0
            for pos, sid, length in packets:
                target = plan.get(pos)
                if target is None:
                    with lock:
                        limit = budget.limit()
                    data = budget.run(decompress, read(pos + 8, length), limit, path, pos)
                    with lock:
                        budget.spend(len(data), path, pos)
                    other(pos, sid, bytes(data) if isinstance(data, memoryview) else data)
                    continue
                batch.append(Job(pos, sid, length if pread is not None else read(pos + 8, length), *target))
                held += length
                if held >= BATCH_BYTES:
                    inflight.append(pool.submit(_decode_batch, batch, out, decompress, budget, lock, path, pread))
                    batch, held = [], 0
                    while len(inflight) > 2 * threads:
                        inflight.popleft().result()
            if batch:
                inflight.append(pool.submit(_decode_batch, batch, out, decompress, budget, lock, path, pread))
            while inflight:
                inflight.popleft().result()
        finally:
            for fut in inflight:
                fut.cancel()


def plan_events(packets: list[tuple[int, int, int]], stream: int, table: dict[str, Any]
                ) -> tuple[dict[int, tuple[int, int, int, int]], int] | None:
    """Output index, n, t0, t1 of each packet of ``stream`` from the data table, and their total; None if unusable."""
    where = {int(o) - 8: i for i, o in enumerate(table["offset"])}
    plan: dict[int, tuple[int, int, int, int]] = {}
    total = 0
    for pos, sid, _ in packets:
        if sid != stream:
            continue
        i = where.get(pos)
        if i is None:
            return None
        n = int(table["n"][i])
        if n < 0:
            return None
        plan[pos] = (total, n, int(table["t0"][i]), int(table["t1"][i]))
        total += n
    return plan, total
