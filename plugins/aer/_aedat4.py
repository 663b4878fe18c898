"""Decode AEDAT 4.0 files (DV): events, frames, triggers and IMU samples.

Layout (see ``spec/formats/aedat4.md``): ``#!AER-DAT4.0\\r\\n``, a uint32 IOHeader
size, the IOHeader flatbuffer, then packets ``int32 stream, int32 size, body``.
Each body is one LZ4/ZSTD frame (or raw bytes) holding a size-prefixed
flatbuffer. An optional FileDataTable sits at ``dataTablePosition`` and ends
the file; it is only used to size the output arrays, never trusted for
offsets: the packets are always walked.
"""

from __future__ import annotations

import os
import struct
import warnings
from collections import deque
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any, Callable, Iterator, Union

import numpy as np

from neurofiles.plugin import CorruptFileError, FormatWarning, LimitExceededError, Source, TruncatedFileError

from ._aedat4_header import IOHeader, read_ioheader
from ._deps import IMU_DTYPE, IMU_FIELDS, TRIGGER_DTYPE, stack_frames
from ._compression import COMPRESSION_NAMES, DEFAULT_MAX_PACKET_BYTES, DecompressionBudget, decompressor_for
from ._filebody import FileBody as _Body
from ._aedat4_parallel import COPY_DTYPE as _COPY_DTYPE
from ._aedat4_parallel import EVENT_DTYPE, TableMismatch, decode_parallel, plan_events
from ._flatbuffers import FlatBuffer, TableColumns

__all__ = ["EVENT_DTYPE", "IMU_DTYPE", "TRIGGER_DTYPE", "decode_aedat4"]

# ``streams["triggers"]`` / ``streams["imu"]`` share their dtypes with AEDAT 1.0-3.x (neurofiles.plugin.events):
# timestamp (us) and DV TriggerType code; timestamp (us), temperature (C), acceleration (g),
# rotation (deg/s), field (uT).
_IMU_FIELDS = IMU_FIELDS

_HEADER = struct.Struct("<ii")
_I8 = struct.Struct("<b")
_I16 = struct.Struct("<h")
#: DV FrameFormat codes (OpenCV CV_8UCx) -> channels.
_FRAME_CHANNELS = {0: 1, 16: 3, 24: 4}
_I64 = struct.Struct("<q")
Buffer = Union[bytes, bytearray, memoryview]
#: With the default threads, the data-table path runs in parallel from this many events on.
_PARALLEL_MIN_EVENTS = 1 << 20


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

    def add_columns(self, cols: tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]) -> None:
        t, x, y, p = cols
        k = len(t)
        end = self.n + k
        if end > len(self.t):
            self._alloc(max(end, len(self.t) * 2))
        self.t[self.n : end] = t
        self.x[self.n : end] = x
        self.y[self.n : end] = y
        self.p.view(np.uint8)[self.n : end] = p
        self.n = end

    def arrays(self) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        n = self.n
        raw = self.p.view(np.uint8)[:n]
        if n and raw.max() > 1:  # a polarity byte other than 0/1: make it a proper bool
            np.minimum(raw, 1, out=raw)
        if n == len(self.t):
            return self.t, self.x, self.y, self.p
        return self.t[:n].copy(), self.x[:n].copy(), self.y[:n].copy(), self.p[:n].copy()


def default_threads() -> int:
    """Worker threads when ``threads=`` is not given: the usable cores, 1 to 8.

    They are used only where they pay off: by the data-table path, whose workers decompress
    *and* copy the events into the output (:mod:`._aedat4_parallel`; on the loaded 2-core
    benchmark VM ``threads=2`` measured 1.48x faster than ``threads=1``). Without a usable
    data table the default decodes in the calling thread, since there the calling thread
    still copies every packet and extra threads only contend for the GIL (measured 2x slower).
    """
    try:
        cores = len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        cores = os.cpu_count() or 1
    return max(1, min(8, cores))


def _problem(strict: bool, error: Exception, message: str) -> None:
    """Raise ``error`` when strict, else emit a FormatWarning with ``message``."""
    if strict:
        raise error
    warnings.warn(message, FormatWarning, stacklevel=4)


def _data_table_counts(body: Buffer, decompress: Callable[..., Buffer], budget: DecompressionBudget, path: str,
                       offset: int) -> tuple[dict[int, int], dict[str, np.ndarray]]:
    """Sum of NumElements per stream from the FileDataTable at ``offset``, and the entries as columns.

    The columns are ``offset`` (packet body), ``stream``, ``size``, ``n``, ``t0``, ``t1`` (one per packet).
    """
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
    size = np.full(count, -1, np.int64)
    if present.any():
        idx = info[present][:, None] + 4 + np.arange(4)
        size[present] = np.ascontiguousarray(u8[idx]).view("<i4").reshape(-1)
    entries = {"offset": cols.column(0, "<i8", -1), "stream": stream, "size": size, "n": n,
               "t0": cols.column(3, "<i8", 0), "t1": cols.column(4, "<i8", 0)}
    counts: dict[int, int] = {}
    for sid in np.unique(stream):
        counts[int(sid)] = int(n[stream == sid].clip(min=0).sum())
    return counts, entries


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


def _decode_frame(fb: FlatBuffer) -> tuple[dict[str, Any] | None, str]:
    """One DV ``Frame`` table as a per-frame dict, or ``(None, reason)`` for a layout not supported.

    Slots (dv-processing ``frame.fbs``): 0 timestamp, 1 start of frame, 2 end of frame,
    3 start of exposure, 4 end of exposure, 5 format (int8), 6 sizeX, 7 sizeY,
    8 positionX, 9 positionY (int16), 10 pixels (``[uint8]``, row-major, OpenCV channel order).
    """
    root = fb.root(size_prefixed=True)
    stamps = [int(root.scalar(slot, _I64, 0)) for slot in range(5)]
    fmt = int(root.scalar(5, _I8, 0))
    w, h = int(root.scalar(6, _I16, 0)), int(root.scalar(7, _I16, 0))
    px, py = int(root.scalar(8, _I16, 0)), int(root.scalar(9, _I16, 0))
    channels = _FRAME_CHANNELS.get(fmt)
    if channels is None:
        return None, f"frame format {fmt}"
    if w < 0 or h < 0:
        return None, f"frame size {w}x{h}"
    pos, count = root.vector(10, 1)
    if count != w * h * channels:
        return None, f"{count} pixel bytes for a {w}x{h}x{channels} frame"
    pixels = np.frombuffer(fb.data, np.uint8, count=count, offset=pos) if count else np.empty(0, np.uint8)
    image = pixels.reshape((h, w, channels) if channels > 1 else (h, w)).copy()
    frame = {"image": image, "timestamps": stamps[0], "frame_start": stamps[1], "frame_end": stamps[2],
             "exposure_start": stamps[3], "exposure_end": stamps[4], "position_x": px, "position_y": py,
             "width": w, "height": h}
    return frame, ""


def decode_aedat4(source: Source, *, strict: bool = False, max_packet_bytes: int = DEFAULT_MAX_PACKET_BYTES,
                  max_decompressed_bytes: int | None = None, threads: int | None = None,
                  window: tuple[int | None, int | None, bool] | None = None) -> dict[str, Any]:
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
        Worker threads. With a FileDataTable that lists every packet, each worker
        decompresses a batch of events packets and copies their events straight into the
        output arrays (LZ4/ZSTD, ``os.pread`` and numpy's copies release the GIL); each packet
        is checked against the table. Without it, workers decompress and split packets that
        the calling thread then copies. Default: :func:`default_threads` (the usable cores)
        for the table path, 1 thread otherwise; 1 does everything in the calling thread.
        At most ``2 * threads`` packets (or batches) are in flight, within the decompression
        budget. Uncompressed files never use threads.
    window
        ``(lo, hi, relative)``: only packets whose FileDataTable time range meets
        ``[lo, hi)`` (ticks, µs; relative to the first event when ``relative``) are
        decompressed; every stream is limited to them. The caller still windows the
        events exactly. Without a usable data table the whole file is walked.

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
            auto = threads is None
            if threads is None:
                threads = default_threads()
            if header.compression == 0:
                threads = 1
            budget = DecompressionBudget(size, max_packet_bytes, max_decompressed_bytes)
            return _walk(body, header, decompress, size, path, strict, budget, threads, window,
                         serial_fallback=auto)
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


Columns = tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]


def _split_events(data: Buffer, sid: int, pos: int, path: str) -> Columns:
    """The events of one EVTS packet body as contiguous ``t, x, y, p`` arrays (run in a worker thread).

    The strided field copies release the GIL, so several packets are split at once.
    """
    fb = FlatBuffer(data, path=path, where=pos, what=f"packet (stream {sid})")
    vpos, n = fb.root(size_prefixed=True).vector(0, EVENT_DTYPE.itemsize)
    rec = np.frombuffer(data, dtype=_COPY_DTYPE, count=n, offset=vpos) if n else np.empty(0, _COPY_DTYPE)
    return (np.ascontiguousarray(rec["t"]), np.ascontiguousarray(rec["x"]), np.ascontiguousarray(rec["y"]),
            np.ascontiguousarray(rec["p"]))


def _decompressed(body: _Body, packets: list[tuple[int, int, int]], decompress: Callable[..., Buffer],
                  budget: DecompressionBudget, path: str, threads: int, split: set[int] | None = None
                  ) -> Iterator[tuple[int, int, Buffer, Columns | None]]:
    """Yield ``(offset, stream, decompressed body, event columns or None)`` in file order, within ``budget``.

    With ``threads > 1`` the bodies are decompressed by a thread pool (LZ4 and
    ZSTD release the GIL) at most ``2 * threads`` packets ahead of the consumer,
    each bounded by an equal share of half of what is left of the budget (a packet larger
    than its share is decompressed again in the calling thread, with the limit a
    serial read would have), so the packets in flight never exceed the budget.
    Threads are used only when the budget can hold ``4 * threads`` packets of
    ``max_packet_bytes`` (files of some 32 MiB and more with the defaults); packets of the streams in ``split`` (EVTS) are also split into
    columns by the workers. Bodies are read in the calling thread.
    """
    wanted = split or set()

    def task(raw: Buffer, limit: int, pos: int, sid: int) -> tuple[Buffer, int, Columns | None]:
        data = budget.run(decompress, raw, limit, path, pos)
        if isinstance(data, memoryview):
            data = bytes(data)
        if sid not in wanted:
            return data, len(data), None
        return b"", len(data), _split_events(data, sid, pos, path)  # the body is not needed any more

    depth = 2 * threads
    # threads only when the budget holds 2 x depth packets of the largest allowed size: a tight budget
    # (a small file, or a small max_decompressed_bytes) is spent packet by packet in this thread
    if threads <= 1 or len(packets) < 4 or budget.total - budget.used < 2 * depth * budget.per_packet:
        for pos, sid, length in packets:
            data = budget.run(decompress, body.read(pos + 8, length), budget.limit(), path, pos)
            budget.spend(len(data), path, pos)
            yield pos, sid, (bytes(data) if isinstance(data, memoryview) else data), None
        return
    window: deque[tuple[int, int, Buffer, int, Future[tuple[Buffer, int, Columns | None]]]] = deque()

    def collect() -> tuple[int, int, Buffer, Columns | None]:
        p, s, raw, limit, fut = window.popleft()
        try:
            data, size, cols = fut.result()
        except LimitExceededError:
            if limit >= budget.limit():
                raise
            # its share of the budget was too small: do it again here with what a serial read would allow
            data, size, cols = task(raw, budget.limit(), p, s)
        budget.spend(size, path, p)
        return p, s, data, cols

    with ThreadPoolExecutor(max_workers=threads) as pool:
        try:
            for pos, sid, length in packets:
                raw = body.read(pos + 8, length)
                # each packet in flight gets an equal share of what is left of the total budget,
                # so the packets decompressed ahead of the consumer never hold more than the budget
                share = min(budget.per_packet, max(0, budget.total - budget.used) // (2 * depth))
                window.append((pos, sid, raw, share, pool.submit(task, raw, share, pos, sid)))
                if len(window) >= depth:
                    yield collect()
            while window:
                yield collect()
        finally:
            for *_, fut in window:
                fut.cancel()


def _window_packets(body: _Body, table: dict[str, np.ndarray], header: IOHeader, window: tuple[int | None, int | None, bool],
                    end: int) -> tuple[list[tuple[int, int, int]], dict[int, tuple[int, int]]] | None:
    """Packets whose data-table time range meets the window, or None when the table cannot be used.

    ``window`` is ``(lo, hi, relative)`` in ticks (µs), ``[lo, hi)``; relative bounds count from the
    first event of the first events packet (the caller windows exactly). The table must list every
    packet back to back (each entry matching the packet header at its offset), with events packets
    in time order; every events packet read, plus the first one and its neighbours outside the
    selection, is checked against its decoded first/last timestamps (see ``_walk``); any mismatch
    drops the table and walks every packet. Returns ``(packets, {header offset: (t first, t last)})``.
    """
    lo, hi, relative = window
    offset, stream, size = table["offset"], table["stream"], table["size"]
    t0, t1 = table["t0"], table["t1"]
    n = len(offset)
    if n == 0 or (offset[1:] <= offset[:-1]).any() or offset[0] < header.first_packet + 8:
        return None
    if ((offset + size) > end).any() or (size < 0).any():
        return None
    if offset[0] != header.first_packet + 8 or (offset[1:] != offset[:-1] + size[:-1] + 8).any() \
            or int(offset[-1] + size[-1]) != end:
        return None  # the table must list every packet, back to back, up to itself
    kinds = [header.streams[int(s)].type if int(s) in header.streams else "" for s in stream]
    evts = [i for i, k in enumerate(kinds) if k == "EVTS"]
    if not evts:
        return None
    first = evts[0]
    et0, et1 = t0[evts], t1[evts]
    if (et1 < et0).any() or (et0[1:] < et1[:-1]).any():
        return None  # events packets overlap in time: select nothing by range, walk them all
    if relative:
        origin = int(t0[first])
        lo = None if lo is None else lo + origin
        hi = None if hi is None else hi + origin
    keep = np.ones(n, bool)
    if lo is not None:
        keep &= (t1 >= lo) | (t1 < t0)
    if hi is not None:
        keep &= (t0 < hi) | (t1 < t0)
    # probes: the first events packet and the events packets just outside the selection are read
    # too, so that a table whose time ranges do not match the packets is caught (see ``_walk``)
    chosen = [k for k, i in enumerate(evts) if keep[i]]
    for k in (chosen[0] - 1, chosen[-1] + 1) if chosen else ():
        if 0 <= k < len(evts):
            keep[evts[k]] = True
    keep[first] = True
    packets: list[tuple[int, int, int]] = []
    ranges: dict[int, tuple[int, int]] = {}
    for i in np.flatnonzero(keep):
        pos = int(offset[i]) - 8
        sid, length = _HEADER.unpack_from(body.read(pos, 8))
        if sid != int(stream[i]) or length != int(size[i]):
            return None
        packets.append((pos, sid, length))
        if kinds[i] == "EVTS":
            ranges[pos] = (int(t0[i]), int(t1[i]))
    return packets, ranges


def _walk(body: _Body, header: IOHeader, decompress: Callable[..., Buffer], size: int, path: str,
          strict: bool, budget: DecompressionBudget, threads: int,
          window: tuple[int | None, int | None, bool] | None = None, *, use_table: bool = True,
          serial_fallback: bool = False) -> dict[str, Any]:
    """Decode the packets; ``serial_fallback``: without the data-table path, use one thread whatever ``threads``."""
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
    table: dict[str, np.ndarray] | None = None
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
                counts, table = _data_table_counts(body.read(dtp, size - dtp), decompress, budget, path, dtp)
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
    frames: dict[int, list[dict[str, Any]]] = {}
    ranges: dict[int, tuple[int, int]] = {}
    packets: list[tuple[int, int, int]] | None = None
    if window is not None and table is not None:
        picked = _window_packets(body, table, header, window, end)
        if picked is not None:
            packets, ranges = picked
            meta["window_packets"] = {"read": len(packets), "in_file": len(table["offset"])}
            chosen = np.isin(table["offset"], [p[0] + 8 for p in packets])
            counts = {int(sid): int(table["n"][chosen & (table["stream"] == sid)].clip(min=0).sum())
                      for sid in np.unique(table["stream"])}
    if not use_table:
        table = None  # the table contradicted a packet: it only sized the arrays (counts)
    if packets is None and threads > 1 and table is not None and main_stream is not None:
        picked = _window_packets(body, table, header, (None, None, False), end)  # checks the table's listing
        if picked is not None:
            packets, ranges = picked
    if packets is None:
        packets = _packet_index(body, header.first_packet, end, path, strict, meta)
    # The data table only sizes the arrays; never let it ask for more than the packets could
    # plausibly hold (2 compressed bytes per event; the arrays still grow if that is exceeded).
    plausible = max(0, end - header.first_packet) // 2
    counts = {sid: min(max(n, 0), plausible) for sid, n in counts.items()}
    split = {sid for sid, s in header.streams.items() if s.type == "EVTS"}

    def handle(pos: int, sid: int, data: Buffer, cols: Columns | None) -> bool:
        """Decode one packet into the outputs; False when it contradicts the data table."""
        nonlocal main_stream
        if cols is not None:
            kind, fb = "EVTS", None
        else:
            fb = FlatBuffer(data, path=path, where=pos, what=f"packet (stream {sid})")
            kind = _packet_kind(header, sid, fb)
        meta["packets"][sid] = meta["packets"].get(sid, 0) + 1
        if kind == "EVTS":
            if main_stream is None:
                main_stream = sid
            if cols is None:
                assert fb is not None
                root = fb.root(size_prefixed=True)
                vpos, n = root.vector(0, EVENT_DTYPE.itemsize)
                rec = np.frombuffer(data, dtype=_COPY_DTYPE, count=n, offset=vpos) if n else None
                first_last = (int(rec["t"][0]), int(rec["t"][-1])) if rec is not None else None
            else:
                n = len(cols[0])
                first_last = (int(cols[0][0]), int(cols[0][-1])) if n else None
            sink = sinks.get(sid)
            if sink is None:
                sink = sinks[sid] = _EventSink(counts.get(sid, 0))
            if n:
                expect = ranges.get(pos)
                if expect is not None and first_last != expect:
                    return False
                if cols is None:
                    assert rec is not None  # n > 0 above
                    sink.add(rec)
                else:
                    sink.add_columns(cols)
            meta["elements"][sid] = meta["elements"].get(sid, 0) + n
        elif kind in rows:
            assert fb is not None  # only event packets arrive already split into columns
            part = _decode_table_rows(fb, kind)
            rows[kind].append(part)
            meta["elements"][sid] = meta["elements"].get(sid, 0) + len(part)
        elif kind == "FRME":
            meta["frames"] += 1
            assert fb is not None
            frame, why = _decode_frame(fb)
            if frame is None:
                _skip_frame(meta, sid, pos, why, path, strict)
            else:
                frames.setdefault(sid, []).append(frame)
        else:
            meta["skipped_packets"][kind] = meta["skipped_packets"].get(kind, 0) + 1
        return True

    def restart(at: int) -> dict[str, Any]:
        """The data table does not describe the packets: forget it and walk every packet."""
        result = _walk(body, header, decompress, size, path, strict, budget, threads, None, use_table=False,
                       serial_fallback=serial_fallback)
        result["metadata"]["data_table_error"] = f"packet at byte {at}: contents differ from the data table"
        return result

    plan = None
    stream = main_stream
    if threads > 1 and table is not None and stream is not None and ranges:
        plan = plan_events(packets, stream, table)
    # a worker holds one decompressed packet at a time (each within what is left of the budget), so the
    # budget needs no reserve; the default spares small files the pool's start-up (below ~1 M events)
    if plan is not None and stream is not None and plan[1] <= plausible and \
            (not serial_fallback or plan[1] >= _PARALLEL_MIN_EVENTS):
        steps, total = plan
        sink = sinks[stream] = _EventSink(total)
        meta["parallel"] = threads
        for _, n, _, _ in steps.values():
            meta["packets"][stream] = meta["packets"].get(stream, 0) + 1
            meta["elements"][stream] = meta["elements"].get(stream, 0) + n

        def other(at: int, sid: int, data: Buffer) -> None:
            if not handle(at, sid, data, None):
                raise TableMismatch(at)

        try:
            fd = body.fileno()
            decode_parallel(body.read, packets, steps, (sink.t, sink.x, sink.y, sink.p), decompress, budget, path,
                            threads, other, None if fd is None else lambda at, n: body.read_in_thread(fd, at, n))
        except TableMismatch as exc:
            return restart(exc.pos)
        sink.n = total
    else:
        workers = 1 if serial_fallback else threads
        for pos, sid, data, cols in _decompressed(body, packets, decompress, budget, path, workers, split):
            if not handle(pos, sid, data, cols):
                return restart(pos)
    return _result(meta, header, sinks, rows, main_stream, frames)


def _skip_frame(meta: dict[str, Any], sid: int, pos: int, why: str, path: str, strict: bool) -> None:
    """Record (and warn about, or raise for, under ``strict``) a frame packet that is not decoded."""
    skipped = meta.setdefault("frames_skipped", {})
    skipped[why] = skipped.get(why, 0) + 1
    _problem(strict, CorruptFileError(f"frame packet (stream {sid}) not decoded: {why}", path=path, offset=pos),
             f"{path}: frame packet (stream {sid}) at byte {pos} not decoded: {why}; it is skipped"
             " (metadata['frames_skipped'])")


def _truncated(meta: dict[str, Any], strict: bool, path: str, pos: int, end: int, where: str) -> None:
    meta["truncated"] = {"offset": pos, "ignored_bytes": end - pos}
    _problem(strict, TruncatedFileError(f"file ends {where}", path=path, offset=pos),
             f"{path}: truncated AEDAT 4 file: it ends {where} at byte {pos}; the {end - pos} bytes from there"
             " are ignored and the complete packets before them are returned")


def _result(meta: dict[str, Any], header: IOHeader, sinks: dict[int, _EventSink],
            rows: dict[str, list[np.ndarray]], main_stream: int | None,
            frames: dict[int, list[dict[str, Any]]]) -> dict[str, Any]:
    streams: dict[str, Any] = {}
    for i, (sid, items) in enumerate(sorted(frames.items())):
        info = header.streams.get(sid)
        attrs = info.attrs if info is not None else {}
        width = max([int(attrs.get("sizeX", 0) or 0)] + [f["position_x"] + f["width"] for f in items] +
                    [f["width"] for f in items])
        height = max([int(attrs.get("sizeY", 0) or 0)] + [f["position_y"] + f["height"] for f in items] +
                     [f["height"] for f in items])
        groups: dict[tuple[Any, ...], list[dict[str, Any]]] = {}
        for f in items:
            groups.setdefault((f["image"].dtype.str, f["image"].shape[2:]), []).append(f)
        for j, (key, group) in enumerate(groups.items()):
            name = "frames" if i == 0 and j == 0 else f"frames_{sid}_{j}"
            streams[name] = stack_frames(group, max(f["height"] for f in group), max(f["width"] for f in group))
        meta.setdefault("frame_streams", {})[sid] = {"frames": len(items), "sensor": [width, height]}
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
        for attr, name in (("sizeX", "width"), ("sizeY", "height"), ("source", "source")):
            if attr in info.attrs:
                meta[name] = info.attrs[attr]
    meta["events_stream"] = main_stream
    return {"timestamps": t, "x": x, "y": y, "polarity": p, "tick": 1e-6, "metadata": meta, "streams": streams}
