"""Decode AEDAT 4.0 files (DV): events, triggers and IMU samples; frames are counted and skipped.

Layout (see ``spec/formats/aedat4.md``): ``#!AER-DAT4.0\\r\\n``, a uint32 IOHeader
size, the IOHeader flatbuffer, then packets ``int32 stream, int32 size, body``.
Each body is one LZ4/ZSTD frame (or raw bytes) holding a size-prefixed
flatbuffer. An optional FileDataTable sits at ``dataTablePosition`` and ends
the file; it is only used to size the output arrays, never trusted for
offsets: the packets are always walked.
"""

from __future__ import annotations

import struct
import warnings
from collections import deque
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any, Callable, Iterator, Union

import numpy as np

from neurofiles.plugin import CorruptFileError, FormatWarning, LimitExceededError, Source, TruncatedFileError

from ._aedat4_header import IOHeader, read_ioheader
from ._compression import COMPRESSION_NAMES, DEFAULT_MAX_PACKET_BYTES, DecompressionBudget, decompressor_for
from ._filebody import FileBody as _Body
from ._flatbuffers import FlatBuffer, TableColumns

__all__ = ["EVENT_DTYPE", "IMU_DTYPE", "TRIGGER_DTYPE", "decode_aedat4"]

#: One AEDAT 4 event as stored: int64 t, int16 x, int16 y, bool polarity, 3 pad bytes.
EVENT_DTYPE = np.dtype(
    {"names": ["t", "x", "y", "p"], "formats": ["<i8", "<i2", "<i2", "u1"], "offsets": [0, 8, 10, 12],
     "itemsize": 16}
)
# The same bytes read with the output types, so every field copy is a same-type strided copy:
# int16 -> uint16 keeps the bit pattern; the polarity byte is copied as uint8 and normalised once.
_COPY_DTYPE = np.dtype(
    {"names": ["t", "x", "y", "p"], "formats": ["<i8", "<u2", "<u2", "u1"], "offsets": [0, 8, 10, 12],
     "itemsize": 16}
)
#: ``streams["triggers"]``: timestamp (us) and DV TriggerType code.
TRIGGER_DTYPE = np.dtype([("timestamp", "i8"), ("type", "i1")])
_IMU_FIELDS = ("temperature", "accelerometer_x", "accelerometer_y", "accelerometer_z", "gyroscope_x",
               "gyroscope_y", "gyroscope_z", "magnetometer_x", "magnetometer_y", "magnetometer_z")
#: ``streams["imu"]``: timestamp (us), temperature (C), acceleration (g), rotation (deg/s), field (uT).
IMU_DTYPE = np.dtype([("timestamp", "i8")] + [(name, "f4") for name in _IMU_FIELDS])

_HEADER = struct.Struct("<ii")
_I64 = struct.Struct("<q")
Buffer = Union[bytes, bytearray, memoryview]


class _EventSink:
    """Growable native arrays for one events stream."""

    t: np.ndarray[Any, Any]
    x: np.ndarray[Any, Any]
    y: np.ndarray[Any, Any]
    p: np.ndarray[Any, Any]

    def __init__(self, capacity: int) -> None:
        self.n = 0
        self._alloc(max(capacity, 1024))

    def _alloc(self, capacity: int) -> None:
        old = getattr(self, "t", None)
        t = np.empty(capacity, np.int64)
        x = np.empty(capacity, np.uint16)
        y = np.empty(capacity, np.uint16)
        p = np.empty(capacity, np.bool_)
        if old is not None:
            t[: self.n] = self.t[: self.n]
            x[: self.n] = self.x[: self.n]
            y[: self.n] = self.y[: self.n]
            p[: self.n] = self.p[: self.n]
        self.t, self.x, self.y, self.p = t, x, y, p

    def add(self, rec: np.ndarray) -> None:
        k = len(rec)
        end = self.n + k
        if end > len(self.t):
            self._alloc(max(end, len(self.t) * 2))
        self.t[self.n : end] = rec["t"]
        self.x[self.n : end] = rec["x"]
        self.y[self.n : end] = rec["y"]
        self.p.view(np.uint8)[self.n : end] = rec["p"]
        self.n = end

    def arrays(self) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        n = self.n
        raw = self.p.view(np.uint8)[:n]
        if n and raw.max() > 1:  # a polarity byte other than 0/1: make it a proper bool
            np.minimum(raw, 1, out=raw)
        if n == len(self.t):
            return self.t, self.x, self.y, self.p
        return self.t[:n].copy(), self.x[:n].copy(), self.y[:n].copy(), self.p[:n].copy()


def _problem(strict: bool, error: Exception, message: str) -> None:
    """Raise ``error`` when strict, else emit a FormatWarning with ``message``."""
    if strict:
        raise error
    warnings.warn(message, FormatWarning, stacklevel=4)


def _data_table_counts(body: Buffer, decompress: Callable[..., Buffer], budget: DecompressionBudget, path: str,
                       offset: int) -> dict[int, int]:
    """Sum of NumElements per stream from the FileDataTable at ``offset``."""
    data = budget.run(decompress, body, budget.limit(), path, offset)
    budget.spend(len(data), path, offset)
    fb = FlatBuffer(data, path=path, where=offset, what="FileDataTable")
    root = fb.root(size_prefixed=True)
    pos, count = root.vector(0, 4)
    cols = TableColumns(fb, pos, count)
    info = cols.field_positions(1)
    present = info >= 0
    stream = np.full(count, -1, np.int64)
    if present.any():
        if (info[present] + 8 > fb.size).any():
            raise fb.fail("PacketInfo struct outside the buffer")
        u8 = np.frombuffer(fb.data, np.uint8)
        idx = info[present][:, None] + np.arange(4)
        stream[present] = np.ascontiguousarray(u8[idx]).view("<i4").reshape(-1)
    n = cols.column(2, "<i8", 0)
    counts: dict[int, int] = {}
    for sid in np.unique(stream):
        counts[int(sid)] = int(n[stream == sid].clip(min=0).sum())
    return counts


def _packet_kind(header: IOHeader, sid: int, fb: FlatBuffer) -> str:
    info = header.streams.get(sid)
    if info is not None and info.type:
        return info.type
    try:
        return fb.identifier(size_prefixed=True).decode("ascii", errors="replace")
    except CorruptFileError:
        return "?"


def _decode_table_rows(fb: FlatBuffer, kind: str) -> np.ndarray:
    root = fb.root(size_prefixed=True)
    pos, count = root.vector(0, 4)
    cols = TableColumns(fb, pos, count)
    if kind == "TRIG":
        out = np.empty(count, TRIGGER_DTYPE)
        out["timestamp"] = cols.column(0, "<i8")
        out["type"] = cols.column(1, "<i1")
        return out
    out = np.empty(count, IMU_DTYPE)
    out["timestamp"] = cols.column(0, "<i8")
    for slot, name in enumerate(_IMU_FIELDS, start=1):
        out[name] = cols.column(slot, "<f4", 0.0)
    return out


def decode_aedat4(source: Source, *, strict: bool = False, max_packet_bytes: int = DEFAULT_MAX_PACKET_BYTES,
                  max_decompressed_bytes: int | None = None, threads: int | None = None) -> dict[str, Any]:
    """Decode an AEDAT 4.0 file into keyword arguments for ``Events``.

    Parameters
    ----------
    source
        The file (a :class:`neurofiles.plugin.Source`).
    strict
        Raise instead of warning: a truncated file gives
        :class:`~neurofiles.TruncatedFileError`, an unreadable data table or
        infoNode gives :class:`~neurofiles.CorruptFileError`. Without it, the
        complete packets are returned with a :class:`~neurofiles.FormatWarning`
        and the problem is recorded in ``metadata``.
    max_packet_bytes
        Largest decompressed size of one packet (decompression-bomb guard);
        larger packets raise :class:`~neurofiles.LimitExceededError`.
    max_decompressed_bytes
        Largest decompressed size of all packets together (and the data
        table); default ``max(64 MiB, 64 x file size)``. Passing it raises
        :class:`~neurofiles.LimitExceededError` naming the packet where the
        budget ran out.
    threads
        Decompression threads (default 1: everything in the calling thread).
        LZ4/ZSTD release the GIL, so more threads can help on an idle
        multi-core machine; on the 2-core benchmark VM they gave no gain.
        Uncompressed files never use threads.

    Returns
    -------
    dict
        ``timestamps`` (int64 us, Unix time), ``x``, ``y`` (uint16),
        ``polarity`` (bool) of the first events stream; ``tick`` 1e-6;
        ``metadata``; ``streams`` with ``triggers`` (:data:`TRIGGER_DTYPE`),
        ``imu`` (:data:`IMU_DTYPE`) and any further events stream as
        ``events_<id>`` (structured ``t, x, y, p``).
    """
    path = source.name
    with source.open() as fh:
        size = source.size if source.size is not None else fh.seek(0, 2)
        fh.seek(0)
        header = read_ioheader(fh, path=path, file_size=size, strict=strict)
        decompress = decompressor_for(header.compression, path=path)
        body = _Body(source, fh, size)
        try:
            if threads is None:
                threads = 1
            if header.compression == 0:
                threads = 1
            budget = DecompressionBudget(size, max_packet_bytes, max_decompressed_bytes)
            return _walk(body, header, decompress, size, path, strict, budget, threads)
        finally:
            body.close()


def _packet_index(body: _Body, pos: int, end: int, path: str, strict: bool,
                  meta: dict[str, Any]) -> list[tuple[int, int, int]]:
    """``(offset, stream, size)`` of every complete packet in ``[pos, end)``; handles truncation."""
    packets = []
    while pos < end:
        if pos + 8 > end:
            _truncated(meta, strict, path, pos, end, "inside a packet header")
            break
        sid, length = _HEADER.unpack_from(body.read(pos, 8))
        if length < 0:
            raise CorruptFileError(f"packet header declares a negative size {length}", path=path, offset=pos)
        if pos + 8 + length > end:
            _truncated(meta, strict, path, pos, end, f"inside packet (stream {sid}, {length} bytes)")
            break
        packets.append((pos, sid, length))
        pos += 8 + length
    return packets


def _decompressed(body: _Body, packets: list[tuple[int, int, int]], decompress: Callable[..., Buffer],
                  budget: DecompressionBudget, path: str, threads: int) -> Iterator[tuple[int, int, Buffer]]:
    """Yield ``(offset, stream, decompressed body)`` in file order, within ``budget``.

    With ``threads > 1`` the bodies are decompressed by a thread pool (LZ4 and
    ZSTD release the GIL) at most ``2 * threads`` packets ahead of the consumer,
    each bounded by what was left of the budget when it was submitted, so memory
    stays bounded. Bodies are read in the calling thread.
    """
    if threads <= 1 or len(packets) < 4:
        for pos, sid, length in packets:
            data = budget.run(decompress, body.read(pos + 8, length), budget.limit(), path, pos)
            budget.spend(len(data), path, pos)
            yield pos, sid, (bytes(data) if isinstance(data, memoryview) else data)
        return
    window: deque[tuple[int, int, Future[Buffer]]] = deque()
    it = iter(packets)
    with ThreadPoolExecutor(max_workers=threads) as pool:
        try:
            for pos, sid, length in it:
                window.append((pos, sid, pool.submit(budget.run, decompress, body.read(pos + 8, length),
                                                     budget.limit(), path, pos)))
                if len(window) >= 2 * threads:
                    p, s, fut = window.popleft()
                    data = fut.result()
                    budget.spend(len(data), path, p)
                    yield p, s, data
            while window:
                p, s, fut = window.popleft()
                data = fut.result()
                budget.spend(len(data), path, p)
                yield p, s, data
        finally:
            for _, _, fut in window:
                fut.cancel()


def _walk(body: _Body, header: IOHeader, decompress: Callable[..., Buffer], size: int, path: str,
          strict: bool, budget: DecompressionBudget, threads: int) -> dict[str, Any]:
    meta: dict[str, Any] = {
        "version": "4.0",
        "compression": COMPRESSION_NAMES.get(header.compression, str(header.compression)),
        "streams": {sid: {"type": s.type, "name": s.name, **s.attrs} for sid, s in header.streams.items()},
        "data_table": False,
        "packets": {},
        "elements": {},
        "frames": 0,
        "skipped_packets": {},
    }
    end = size
    counts: dict[int, int] = {}
    dtp = header.data_table_position
    if dtp >= 0:
        if dtp < header.first_packet or dtp > size:
            _problem(strict,
                     TruncatedFileError(f"dataTablePosition {dtp} lies beyond the end of the file ({size} bytes)",
                                        path=path, offset=dtp),
                     f"{path}: dataTablePosition {dtp} is outside the file ({size} bytes): the file is truncated;"
                     " reading the complete packets")
            meta["data_table_error"] = f"position {dtp} outside the file"
        else:
            end = dtp
            try:
                counts = _data_table_counts(body.read(dtp, size - dtp), decompress, budget, path, dtp)
                meta["data_table"] = True
            except LimitExceededError:
                raise
            except CorruptFileError as exc:
                _problem(strict, exc, f"{path}: unreadable FileDataTable ({exc.reason}); walking the packets")
                meta["data_table_error"] = exc.reason
    sinks: dict[int, _EventSink] = {}
    rows: dict[str, list[np.ndarray]] = {"TRIG": [], "IMUS": []}
    main_stream: int | None = None
    evts = sorted(sid for sid, s in header.streams.items() if s.type == "EVTS")
    if evts:
        main_stream = evts[0]
    packets = _packet_index(body, header.first_packet, end, path, strict, meta)
    # The data table only sizes the arrays; never let it ask for more than the packets could
    # plausibly hold (2 compressed bytes per event; the arrays still grow if that is exceeded).
    plausible = max(0, end - header.first_packet) // 2
    counts = {sid: min(max(n, 0), plausible) for sid, n in counts.items()}
    for pos, sid, data in _decompressed(body, packets, decompress, budget, path, threads):
        fb = FlatBuffer(data, path=path, where=pos, what=f"packet (stream {sid})")
        kind = _packet_kind(header, sid, fb)
        meta["packets"][sid] = meta["packets"].get(sid, 0) + 1
        if kind == "EVTS":
            if main_stream is None:
                main_stream = sid
            root = fb.root(size_prefixed=True)
            vpos, n = root.vector(0, EVENT_DTYPE.itemsize)
            sink = sinks.get(sid)
            if sink is None:
                sink = sinks[sid] = _EventSink(counts.get(sid, 0))
            if n:
                sink.add(np.frombuffer(data, dtype=_COPY_DTYPE, count=n, offset=vpos))
            meta["elements"][sid] = meta["elements"].get(sid, 0) + n
        elif kind in rows:
            part = _decode_table_rows(fb, kind)
            rows[kind].append(part)
            meta["elements"][sid] = meta["elements"].get(sid, 0) + len(part)
        elif kind == "FRME":
            meta["frames"] += 1
        else:
            meta["skipped_packets"][kind] = meta["skipped_packets"].get(kind, 0) + 1
    return _result(meta, header, sinks, rows, main_stream)


def _truncated(meta: dict[str, Any], strict: bool, path: str, pos: int, end: int, where: str) -> None:
    meta["truncated"] = {"offset": pos, "ignored_bytes": end - pos}
    _problem(strict, TruncatedFileError(f"file ends {where}", path=path, offset=pos),
             f"{path}: truncated AEDAT 4 file: it ends {where} at byte {pos}; the {end - pos} bytes from there"
             " are ignored and the complete packets before them are returned")


def _result(meta: dict[str, Any], header: IOHeader, sinks: dict[int, _EventSink],
            rows: dict[str, list[np.ndarray]], main_stream: int | None) -> dict[str, Any]:
    streams: dict[str, Any] = {}
    if rows["TRIG"]:
        streams["triggers"] = np.concatenate(rows["TRIG"])
    if rows["IMUS"]:
        streams["imu"] = np.concatenate(rows["IMUS"])
    main = sinks.get(main_stream) if main_stream is not None else None
    if main is not None:
        t, x, y, p = main.arrays()
    else:
        t = np.empty(0, np.int64)
        x = np.empty(0, np.uint16)
        y = np.empty(0, np.uint16)
        p = np.empty(0, np.bool_)
    for sid, sink in sinks.items():
        if sid == main_stream:
            continue
        et, ex, ey, ep = sink.arrays()
        rec = np.empty(len(et), [("t", "i8"), ("x", "u2"), ("y", "u2"), ("p", "?")])
        rec["t"], rec["x"], rec["y"], rec["p"] = et, ex, ey, ep
        streams[f"events_{sid}"] = rec
    info = header.streams.get(main_stream) if main_stream is not None else None
    if info is not None:
        for key, name in (("sizeX", "width"), ("sizeY", "height"), ("source", "source")):
            if key in info.attrs:
                meta[name] = info.attrs[key]
    meta["events_stream"] = main_stream
    return {"timestamps": t, "x": x, "y": y, "polarity": p, "tick": 1e-6, "metadata": meta, "streams": streams}
