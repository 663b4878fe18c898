"""Build AEDAT 3.0/3.1 and 4.0 files byte by byte from the format descriptions.

Independent of the decoders: these functions only write bytes, following
``spec/formats/aedat3-packets.md`` and ``spec/formats/aedat4.md``. They are used
by the tests, by ``make_vectors()`` (which regenerates ``spec/vectors/aedat3|4``)
and by ``benchmarks/bench_aedat4.py``.

Run ``python tests/aer/aedat_builders.py`` to rewrite the conformance vectors.
"""

from __future__ import annotations

import json
import struct
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable, Sequence

import numpy as np

# ----------------------------------------------------------------------------- flatbuffers (forward writer)

class FB:
    """A forward flatbuffer writer: objects are appended; uoffsets are patched to point forward."""

    def __init__(self, identifier: bytes | None, size_prefixed: bool) -> None:
        self.b = bytearray()
        self.size_prefixed = size_prefixed
        if size_prefixed:
            self.b += b"\0\0\0\0"
        self.root_slot = len(self.b)
        self.b += b"\0\0\0\0"
        if identifier is not None:
            assert len(identifier) == 4
            self.b += identifier

    def pad_to(self, align: int, extra: int = 0) -> None:
        while (len(self.b) + extra) % align:
            self.b += b"\0"

    def u32_at(self, pos: int, value: int) -> None:
        struct.pack_into("<I", self.b, pos, value)

    def point(self, slot_pos: int, target: int) -> None:
        """Patch the uoffset stored at ``slot_pos`` to reach ``target``."""
        assert target > slot_pos
        self.u32_at(slot_pos, target - slot_pos)

    def table(self, fields: Sequence[tuple[str, Any] | None], vtable_at: int | None = None) -> tuple[int, dict[int, int]]:
        """Append a table. ``fields[i]`` is ``(fmt, value)`` for slot ``i`` (None = absent);
        fmt ``"off"`` reserves a uoffset (returned in the dict slot -> position) and ``"raw<n>"``
        writes ``value`` bytes of an inline struct (aligned to 4 or 8).
        With ``vtable_at`` the table reuses an existing vtable; returns ``(table_pos, offsets)``."""
        # lay the table out relative to an 8-aligned start
        layout = []
        at = 4
        for slot, f in enumerate(fields):
            if f is None:
                continue
            fmt, value = f
            if fmt == "off":
                size, align = 4, 4
            elif fmt.startswith("raw"):
                size = int(fmt[3:])
                align = 8 if size % 8 == 0 else 4
            else:
                size = struct.calcsize(fmt)
                align = size
            while at % align:
                at += 1
            layout.append((slot, fmt, value, at, size))
            at += size
        tsize = at
        nslots = len(fields)
        vt = struct.pack(f"<HH{nslots}H", 4 + 2 * nslots, tsize, *[0] * nslots)
        vt = bytearray(vt)
        for slot, _, _, rel, _ in layout:
            struct.pack_into("<H", vt, 4 + 2 * slot, rel)
        if vtable_at is None:
            self.pad_to(2)
            vtable_at = len(self.b)
            self.b += vt
        self.pad_to(8)
        tpos = len(self.b)
        self.b += bytes(tsize)
        struct.pack_into("<i", self.b, tpos, tpos - vtable_at)
        offs = {}
        for slot, fmt, value, rel, size in layout:
            if fmt == "off":
                offs[slot] = tpos + rel
            elif fmt.startswith("raw"):
                self.b[tpos + rel : tpos + rel + size] = value
            else:
                struct.pack_into(fmt, self.b, tpos + rel, value)
        return tpos, offs

    def vtable_only(self, fields: Sequence[tuple[str, Any] | None]) -> int:
        """Append just a vtable for tables of this shape (shared vtable); returns its position."""
        probe = FB(None, False)
        tpos, _ = probe.table(fields)
        vt_pos = struct.unpack_from("<i", probe.b, tpos)[0]
        vt_pos = tpos - vt_pos
        vt_size = struct.unpack_from("<H", probe.b, vt_pos)[0]
        self.pad_to(2)
        here = len(self.b)
        self.b += probe.b[vt_pos : vt_pos + vt_size]
        return here

    def struct_vector(self, items: bytes, count: int, align: int = 8) -> int:
        self.pad_to(align, extra=4)
        pos = len(self.b)
        self.b += struct.pack("<I", count) + items
        return pos

    def offset_vector(self, count: int) -> tuple[int, list[int]]:
        self.pad_to(4)
        pos = len(self.b)
        self.b += struct.pack("<I", count) + bytes(4 * count)
        return pos, [pos + 4 + 4 * i for i in range(count)]

    def string(self, data: bytes) -> int:
        self.pad_to(4)
        pos = len(self.b)
        self.b += struct.pack("<I", len(data)) + data + b"\0"
        return pos

    def finish(self, root: int) -> bytes:
        self.point(self.root_slot, root)
        self.pad_to(8)
        if self.size_prefixed:
            self.u32_at(0, len(self.b) - 4)
        return bytes(self.b)


def _d(value: Any, fmt: str, default: Any = 0) -> tuple[str, Any] | None:
    """A scalar field, omitted (like flatc builders) when equal to its default."""
    return None if value == default else (fmt, value)


# ----------------------------------------------------------------------------- AEDAT 4 packet bodies

EVENT4 = np.dtype({"names": ["t", "x", "y", "p"], "formats": ["<i8", "<i2", "<i2", "u1"],
                   "offsets": [0, 8, 10, 12], "itemsize": 16})
TRIGGER = np.dtype([("timestamp", "i8"), ("type", "i1")])
IMU_FIELDS = ("temperature", "accelerometer_x", "accelerometer_y", "accelerometer_z", "gyroscope_x",
              "gyroscope_y", "gyroscope_z", "magnetometer_x", "magnetometer_y", "magnetometer_z")
IMU = np.dtype([("timestamp", "i8")] + [(n, "f4") for n in IMU_FIELDS])


def event_packet(t: np.ndarray, x: np.ndarray, y: np.ndarray, p: np.ndarray) -> bytes:
    """Size-prefixed ``EventPacket`` (identifier EVTS) holding the events as 16-byte structs."""
    rec = np.zeros(len(t), EVENT4)
    rec["t"], rec["x"], rec["y"], rec["p"] = t, x, y, p
    fb = FB(b"EVTS", True)
    root, offs = fb.table([("off", None)])
    vec = fb.struct_vector(rec.tobytes(), len(rec))
    fb.point(offs[0], vec)
    return fb.finish(root)


def _table_vector_packet(identifier: bytes, rows: list[list[tuple[str, Any] | None]], shared: bool) -> bytes:
    fb = FB(identifier, True)
    root, offs = fb.table([("off", None)])
    vec, slots = fb.offset_vector(len(rows))
    fb.point(offs[0], vec)
    shared_vt = fb.vtable_only(rows[0]) if (shared and rows) else None
    for slot_pos, fields in zip(slots, rows):
        tpos, _ = fb.table(fields, vtable_at=shared_vt)
        fb.point(slot_pos, tpos)
    return fb.finish(root)


def trigger_packet(trig: np.ndarray) -> bytes:
    """``TriggerPacket`` (TRIG): tables {timestamp int64, type int8}, sharing one vtable."""
    # a shared vtable must describe every row: keep the type field present in all rows
    rows = [[("<q", int(r["timestamp"])), ("<b", int(r["type"]))] for r in trig]
    return _table_vector_packet(b"TRIG", rows, shared=True)


def imu_packet(imu: np.ndarray) -> bytes:
    """``IMUPacket`` (IMUS): one table per sample, zero-valued fields omitted."""
    rows = []
    for r in imu:
        rows.append([_d(int(r["timestamp"]), "<q")] + [_d(float(r[n]), "<f", 0.0) for n in IMU_FIELDS])
    return _table_vector_packet(b"IMUS", rows, shared=False)


def frame_image(width: int, height: int, seed: int = 0) -> np.ndarray:
    """The gradient 8-bit image :func:`frame_packet` writes (rows of ``width`` pixels)."""
    return ((np.arange(width * height) * 7 + seed) % 251).astype(np.uint8).reshape(height, width)


def frame_packet(timestamp: int, width: int, height: int, *, position: tuple[int, int] = (0, 0),
                 exposure: tuple[int, int] | None = None, fmt: int = 0, seed: int = 0) -> bytes:
    """A ``Frame`` (FRME, dv ``frame.fbs``): timestamps, format, size, position and 8-bit pixels.

    Slots: 0 timestamp, 1 start of frame, 2 end of frame, 3 start of exposure, 4 end of exposure,
    5 format (int8), 6 sizeX, 7 sizeY, 8 positionX, 9 positionY (int16), 10 pixels ``[uint8]``.
    """
    fb = FB(b"FRME", True)
    soe, eoe = exposure if exposure is not None else (timestamp - 100, timestamp + 100)
    fields: list[tuple[str, Any] | None] = [("<q", timestamp), ("<q", soe - 10), ("<q", eoe + 10), ("<q", soe),
                                            ("<q", eoe), _d(fmt, "<b"), ("<h", width), ("<h", height),
                                            _d(position[0], "<h"), _d(position[1], "<h"), ("off", None)]
    root, offs = fb.table(fields)
    channels = {0: 1, 16: 3, 24: 4}.get(fmt, 1)
    pix = np.repeat(frame_image(width, height, seed).reshape(-1), channels).tobytes()
    vec = fb.struct_vector(pix, len(pix), align=4)
    fb.point(offs[10], vec)
    return fb.finish(root)


def data_table(entries: list[tuple[int, int, int, int, int, int]]) -> bytes:
    """``FileDataTable`` (FTAB): ``(byte_offset, stream, size, n, t_start, t_end)`` per packet."""
    fb = FB(b"FTAB", True)
    root, offs = fb.table([("off", None)])
    vec, slots = fb.offset_vector(len(entries))
    fb.point(offs[0], vec)
    for slot_pos, (off, sid, size, n, t0, t1) in zip(slots, entries):
        tpos, _ = fb.table([("<q", off), ("raw8", struct.pack("<ii", sid, size)), ("<q", n), ("<q", t0), ("<q", t1)])
        fb.point(slot_pos, tpos)
    return fb.finish(root)


def io_header(compression: int, data_table_position: int, info: str) -> bytes:
    """The IOHeader flatbuffer (identifier IOHE, not size-prefixed)."""
    fb = FB(b"IOHE", False)
    root, offs = fb.table([_d(compression, "<i"), ("<q", data_table_position), ("off", None)])
    s = fb.string(info.encode())
    fb.point(offs[2], s)
    return fb.finish(root)


COMPRESSION = {"none": 0, "lz4": 1, "lz4_high": 2, "zstd": 3, "zstd_high": 4}


def compress(data: bytes, method: str) -> bytes:
    if method == "none":
        return data
    if method.startswith("lz4"):
        import lz4.frame

        return lz4.frame.compress(data, compression_level=9 if method == "lz4_high" else 0)
    import zstandard

    return zstandard.ZstdCompressor(level=10 if method == "zstd_high" else 3).compress(data)


def info_node(streams: dict[int, tuple[str, str, dict[str, Any]]], compression: str) -> str:
    """infoNode XML for ``{id: (typeIdentifier, outputName, info attrs)}``."""
    lines = ['<dv version="2.0">', '    <node name="outInfo" path="/mainloop/Recorder/outInfo/">']
    for sid, (tid, name, info) in sorted(streams.items()):
        base = f"/mainloop/Recorder/outInfo/{sid}/"
        lines.append(f'        <node name="{sid}" path="{base}">')
        lines.append(f'            <attr key="compression" type="string">{compression.upper()}</attr>')
        lines.append(f'            <attr key="originalOutputName" type="string">{name}</attr>')
        lines.append(f'            <attr key="typeIdentifier" type="string">{tid}</attr>')
        lines.append(f'            <node name="info" path="{base}info/">')
        for k, v in info.items():
            kind = "int" if isinstance(v, int) else "string"
            lines.append(f'                <attr key="{k}" type="{kind}">{v}</attr>')
        lines.append("            </node>")
        lines.append("        </node>")
    lines += ["    </node>", "</dv>", ""]
    return "\n".join(lines)


@dataclass
class Aedat4Content:
    """What a generated AEDAT 4 file holds."""

    events: np.ndarray  # EVENT4 records
    triggers: np.ndarray = field(default_factory=lambda: np.zeros(0, TRIGGER))
    imu: np.ndarray = field(default_factory=lambda: np.zeros(0, IMU))
    frames: int = 0
    width: int = 346
    height: int = 260


def build_aedat4(content: Aedat4Content, *, compression: str = "lz4", with_data_table: bool = True,
                 events_per_packet: int = 64, fake_num_elements: int | None = None) -> bytes:
    """Write an AEDAT 4.0 file: streams 0 EVTS, 1 FRME, 2 IMUS, 3 TRIG (interleaved packets)."""
    ev = content.events
    streams = {0: ("EVTS", "events", {"sizeX": content.width, "sizeY": content.height, "source": "BUILDER_1"}),
               1: ("FRME", "frames", {"sizeX": 8, "sizeY": 6, "source": "BUILDER_1"}),
               2: ("IMUS", "imu", {"source": "BUILDER_1"}),
               3: ("TRIG", "triggers", {"source": "BUILDER_1"})}
    bodies: list[tuple[int, bytes, int, int, int]] = []  # stream, raw body, n, t0, t1
    for i in range(0, len(ev), events_per_packet):
        e = ev[i : i + events_per_packet]
        bodies.append((0, event_packet(e["t"], e["x"], e["y"], e["p"]), len(e), int(e["t"][0]), int(e["t"][-1])))
        j = i // events_per_packet + 1  # events packets written so far
        if j == 2 and len(content.triggers):
            tr = content.triggers
            bodies.append((3, trigger_packet(tr), len(tr), int(tr["timestamp"][0]), int(tr["timestamp"][-1])))
        if j == 1 and len(content.imu):
            im = content.imu
            bodies.append((2, imu_packet(im), len(im), int(im["timestamp"][0]), int(im["timestamp"][-1])))
        if j <= content.frames:
            bodies.append((1, frame_packet(int(e["t"][0]), 8, 6, seed=j), 1, int(e["t"][0]), int(e["t"][0])))
    code = COMPRESSION[compression]
    info = info_node(streams, compression)
    header_len = len(io_header(code, -1, info))
    pos = 14 + 4 + header_len
    packets = bytearray()
    entries = []
    for sid, raw, n, t0, t1 in bodies:
        body = compress(raw, compression)
        entries.append((pos + 8, sid, len(body), n if fake_num_elements is None else fake_num_elements, t0, t1))
        packets += struct.pack("<ii", sid, len(body)) + body
        pos += 8 + len(body)
    table = compress(data_table(entries), compression) if with_data_table else b""
    header = io_header(code, pos if with_data_table else -1, info)
    assert len(header) == header_len
    return b"#!AER-DAT4.0\r\n" + struct.pack("<I", header_len) + header + bytes(packets) + table


def random_aedat4_content(n: int, *, seed: int = 1, t0: int = 1_700_000_000_000_000, n_trig: int = 5,
                          n_imu: int = 4, frames: int = 1) -> Aedat4Content:
    """Random events (sorted timestamps), triggers and IMU samples."""
    rng = np.random.default_rng(seed)
    ev = np.zeros(n, EVENT4)
    ev["t"] = t0 + np.cumsum(rng.integers(0, 40, n))
    ev["x"] = rng.integers(0, 346, n)
    ev["y"] = rng.integers(0, 260, n)
    ev["p"] = rng.integers(0, 2, n)
    trig = np.zeros(n_trig, TRIGGER)
    trig["timestamp"] = t0 + 1000 * np.arange(n_trig)
    trig["type"] = np.arange(n_trig) % 10  # includes type 0 (TIMESTAMP_RESET, the default)
    imu = np.zeros(n_imu, IMU)
    imu["timestamp"] = t0 + 500 * np.arange(n_imu)
    for k, name in enumerate(IMU_FIELDS[:7]):  # magnetometer left at 0: fields omitted in the tables
        imu[name] = rng.normal(size=n_imu).astype(np.float32) + k
    return Aedat4Content(ev, trig, imu, frames)


# ----------------------------------------------------------------------------- AEDAT 3.x

@dataclass
class Packet3:
    """One AEDAT 3 packet: header fields plus raw event bytes (``capacity * size`` of them)."""

    etype: int
    esize: int
    ts_offset: int
    overflow: int
    capacity: int
    number: int
    valid: int
    payload: bytes
    source: int = 1

    def to_bytes(self) -> bytes:
        assert len(self.payload) == self.capacity * self.esize
        return struct.pack("<hhiiiiii", self.etype, self.source, self.esize, self.ts_offset, self.overflow,
                           self.capacity, self.number, self.valid) + self.payload


def polarity_word(x: np.ndarray, y: np.ndarray, p: np.ndarray, valid: np.ndarray, version: str) -> np.ndarray:
    """The uint32 data word of polarity events (3.1: y bits 2-16, x 17-31; 3.0: y bits 4-17, x 18-31)."""
    ysh, xsh = (4, 18) if version == "3.0" else (2, 17)
    return ((x.astype(np.uint32) << xsh) | (y.astype(np.uint32) << ysh) | (p.astype(np.uint32) << 1)
            | valid.astype(np.uint32))


def polarity_packet(x, y, p, ts32, valid, version: str, overflow: int, spare: int = 0) -> Packet3:
    """Polarity packet; ``spare`` extra capacity slots filled with 0xEE garbage."""
    rec = np.zeros(len(x), [("d", "<u4"), ("t", "<i4")])
    rec["d"] = polarity_word(np.asarray(x), np.asarray(y), np.asarray(p), np.asarray(valid), version)
    rec["t"] = ts32
    payload = rec.tobytes() + b"\xee" * (8 * spare)
    return Packet3(1, 8, 4, overflow, len(x) + spare, len(x), int(np.sum(valid)), payload)


def special_packet(types: Sequence[int], data: Sequence[int], ts32: Sequence[int], overflow: int) -> Packet3:
    rec = np.zeros(len(types), [("d", "<u4"), ("t", "<i4")])
    rec["d"] = (np.asarray(data, np.uint32) << 8) | (np.asarray(types, np.uint32) << 1) | 1
    rec["t"] = ts32
    return Packet3(0, 8, 4, overflow, len(types), len(types), len(types), rec.tobytes())


def frame_packet3(frames: Sequence[tuple[int, int, int, int, int, np.ndarray]], overflow: int = 0,
                  max_x: int = 8, max_y: int = 6) -> Packet3:
    """libcaer frame events (type 2): ``(sof, eof, soe, eoe, position_x, image uint16 (ly, lx))`` each.

    Event = uint32 info (bit 0 valid, bits 1-3 channels) + int32 SOF, EOF, SOE, EOE, lengthX,
    lengthY, positionX, positionY + ``max_x * max_y`` uint16 pixels; eventTSOffset 12 (SOE).
    """
    esize = 36 + 2 * max_x * max_y
    out = bytearray()
    for sof, eof, soe, eoe, px, image in frames:
        ly, lx = image.shape
        event = struct.pack("<Iiiiiiiii", 1 | (1 << 1), sof, eof, soe, eoe, lx, ly, px, 0)
        event += np.ascontiguousarray(image, "<u2").tobytes()
        out += event + b"\0" * (esize - len(event))
    return Packet3(2, esize, 12, overflow, len(frames), len(frames), len(frames), bytes(out))


def imu6_packet(rows: Sequence[Sequence[float]], ts32: Sequence[int], overflow: int = 0) -> Packet3:
    """libcaer IMU6 events (type 3, 36 bytes): info, int32 t, accel xyz (g), gyro xyz (°/s), temperature (°C)."""
    out = b"".join(struct.pack("<Ii7f", 1, int(t), *map(float, r)) for r, t in zip(rows, ts32))
    return Packet3(3, 36, 4, overflow, len(rows), len(rows), len(rows), out)


def opaque_packet(etype: int, esize: int, number: int, overflow: int = 0, fill: int = 0x5A) -> Packet3:
    """A packet of a type the decoder skips (IMU6 = 36-byte events, frames...), filled with a byte."""
    return Packet3(etype, esize, 4, overflow, number, number, number, bytes([fill]) * (esize * number))


def header3(version: str) -> bytes:
    lines = [f"#!AER-DAT{version}", "#Format: RAW", "#Source 1: DAVIS346", "#Start-Time: 2019-01-01 12:00:00 (TZ+0000)"]
    if version == "3.1":
        lines.append("#!END-HEADER")
    return b"".join(line.encode() + b"\r\n" for line in lines)


def build_aedat3(packets: Iterable[Packet3], version: str = "3.1") -> tuple[bytes, int]:
    """Return ``(file bytes, header_end)``."""
    head = header3(version)
    return head + b"".join(pk.to_bytes() for pk in packets), len(head)


def aedat3_conformance(version: str = "3.1") -> tuple[bytes, int, dict[str, Any]]:
    """A small 3.x file with a TS overflow, invalid events, spare capacity and skipped packet types.

    Returns ``(bytes, header_end, expected)`` where ``expected`` lists the valid
    polarity events (t64, x, y, p) in file order, and the skip counts.
    """
    rng = np.random.default_rng(31 if version == "3.1" else 30)
    maxc = 0x7FFF if version == "3.1" else 0x3FFF
    n1, n2 = 12, 10
    x = rng.integers(0, 346, n1 + n2)
    y = rng.integers(0, 260, n1 + n2)
    x[0], y[0] = maxc, maxc  # the largest coordinates the layout holds
    p = rng.integers(0, 2, n1 + n2)
    valid = np.ones(n1 + n2, bool)
    valid[[3, 15]] = False
    ts1 = np.sort(rng.integers(2**31 - 5000, 2**31 - 1, n1))
    ts2 = np.sort(rng.integers(0, 4000, n2))
    imu_rows = [[0.5, -1.0, 0.25, 10.0, -20.0, 30.5, 27.0], [0.0, 1.0, -0.5, 1.5, 2.5, -3.5, 28.0]]
    imu_ts = [int(ts1[1]), int(ts1[2])]
    big = (np.arange(48, dtype=np.uint32) * 1361 % 65536).astype(np.uint16).reshape(6, 8)
    small = (np.arange(12, dtype=np.uint32) * 4099 % 65536).astype(np.uint16).reshape(3, 4)
    frames3 = [(int(ts1[3]), int(ts1[4]), int(ts1[3]) + 1, int(ts1[4]) - 1, 0, big),
               (int(ts1[5]), int(ts1[6]), int(ts1[5]) + 1, int(ts1[6]) - 1, 2, small)]
    pk = [
        special_packet([1, 10], [0, 77], [int(ts1[0]), int(ts1[0]) + 1], overflow=0),
        polarity_packet(x[:n1], y[:n1], p[:n1], ts1, valid[:n1], version, overflow=0, spare=3),
        imu6_packet(imu_rows, imu_ts, overflow=0),
        frame_packet3(frames3, overflow=0),
        polarity_packet(x[n1:], y[n1:], p[n1:], ts2, valid[n1:], version, overflow=1),
        opaque_packet(12, 8, 3, overflow=1),  # spike
        polarity_packet([], [], [], np.zeros(0, np.int32), np.zeros(0, bool), version, overflow=1),
    ]
    data, end = build_aedat3(pk, version)
    t64 = np.concatenate([ts1.astype(np.int64), ts2.astype(np.int64) | (1 << 31)])
    keep = valid
    expected = {
        "version": version,
        "header_end": end,
        "events": [[int(a), int(b), int(c), bool(d)] for a, b, c, d in zip(t64[keep], x[keep], y[keep], p[keep])],
        "invalid_events": int((~valid).sum()),
        "skipped": {"spike": {"packets": 1, "events": 3}},
        "imu": [[t] + [float(np.float32(v)) for v in r] for r, t in zip(imu_rows, imu_ts)],
        "imu_fields": ["timestamp", "accelerometer_x", "accelerometer_y", "accelerometer_z", "gyroscope_x",
                       "gyroscope_y", "gyroscope_z", "temperature"],
        "frames": [{"exposure_start": f[2], "exposure_end": f[3], "frame_start": f[0], "frame_end": f[1],
                    "timestamp": f[2], "position_x": f[4], "width": f[5].shape[1], "height": f[5].shape[0],
                    "pixels": f[5].reshape(-1).tolist()} for f in frames3],
        "triggers": [[int(ts1[0]), 0]],
        "special": [[int(ts1[0]), 1, 0], [int(ts1[0]) + 1, 10, 77]],
    }
    return data, end, expected


def aedat4_conformance(compression: str, with_data_table: bool = True) -> tuple[bytes, dict[str, Any]]:
    """A small 4.0 file (40 events in 5 packets, 5 triggers, 4 IMU samples, 1 frame) and its expected content."""
    content = random_aedat4_content(40, seed=4)
    data = build_aedat4(content, compression=compression, with_data_table=with_data_table, events_per_packet=8)
    ev = content.events
    expected = {
        "compression": compression.upper(),
        "data_table": with_data_table,
        "events": [[int(a), int(b), int(c), bool(d)] for a, b, c, d in zip(ev["t"], ev["x"], ev["y"], ev["p"])],
        "triggers": [[int(a), int(b)] for a, b in content.triggers],
        "imu": [[int(r[0])] + [float(v) for v in list(r)[1:]] for r in content.imu],
        "frames": content.frames,
        "frame_pixels": [frame_image(8, 6, j).reshape(-1).tolist() for j in range(1, content.frames + 1)],
        # per frame: timestamp, start/end of frame, start/end of exposure (µs; frame.fbs slots 0-4)
        "frame_stamps": [[t, t - 110, t + 110, t - 100, t + 100]
                         for t in (int(ev["t"][8 * (j - 1)]) for j in range(1, content.frames + 1))],
        "width": content.width,
        "height": content.height,
    }
    return data, expected


# ----------------------------------------------------------------------------- vectors on disk

VECTORS = Path(__file__).resolve().parents[2] / "spec" / "vectors"


def vector_cases() -> dict[str, tuple[bytes, dict[str, Any]]]:
    """Every conformance vector: relative path -> (bytes, expected)."""
    cases: dict[str, tuple[bytes, dict[str, Any]]] = {}
    for version in ("3.1", "3.0"):
        data, _, expected = aedat3_conformance(version)
        cases[f"aedat3/polarity_v{version.replace('.', '')}.aedat"] = (data, expected)
    for comp in ("none", "lz4", "zstd"):
        data, expected = aedat4_conformance(comp)
        cases[f"aedat4/mixed_{comp}.aedat4"] = (data, expected)
    data, expected = aedat4_conformance("lz4", with_data_table=False)
    cases["aedat4/mixed_lz4_no_table.aedat4"] = (data, expected)
    data, expected = aedat4_conformance("lz4", with_data_table=False)
    cut = _truncation_point(data)
    expected = dict(expected)
    expected["truncated_at"] = cut
    expected["events"] = expected["events"][:32]  # the 5th events packet is cut
    cases["aedat4/truncated_lz4.aedat4"] = (data[:cut], expected)
    return cases


def _truncation_point(data: bytes) -> int:
    """Offset in the middle of the last packet of a file without data table."""
    pos = 18 + struct.unpack_from("<I", data, 14)[0]
    last = pos
    while pos < len(data):
        last = pos
        pos += 8 + struct.unpack_from("<ii", data, pos)[1]
    return last + 8 + 5


def make_vectors() -> None:
    for rel, (data, expected) in vector_cases().items():
        out = VECTORS / rel
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_bytes(data)
        out.with_suffix(".json").write_text(json.dumps(expected, indent=1) + "\n")


if __name__ == "__main__":
    make_vectors()


# ----------------------------------------------------------------------------- AEDAT 2.0 DAVIS (jAER layout)

def davis_aedat2(frames: int = 3, *, seed: int = 0, dvs_every: int = 97, imu_every: int = 1500) -> bytes:
    """An AEDAT 2.0 DAVIS128 recording: ``frames`` complete APS frames (resets then signal reads, jAER order),
    DVS events, 7-word IMU samples (one timestamp each) and external events interleaved all along.

    Built from the jAER address layout (``spec/formats/aedat.md``); timestamps increase by 1 per record.
    """
    rng = np.random.default_rng(seed)
    w = h = 128
    order = [(x, y) for y in range(h - 1, -1, -1) for x in range(w - 1, -1, -1)]
    words: list[int] = []
    for _ in range(frames):
        for readout in (0, 1):
            adc = rng.integers(0, 1024, len(order))
            words += [0x80000000 | (y << 22) | ((w - 1 - x) << 12) | (readout << 10) | int(v)
                      for (x, y), v in zip(order, adc)]
    out: list[tuple[int, int]] = []
    t = 10
    imu_code = 0
    for i, word in enumerate(words):
        if i % dvs_every == 0:
            x, y, on = int(rng.integers(0, w)), int(rng.integers(0, h)), int(rng.integers(0, 2))
            out.append(((y << 22) | ((w - 1 - x) << 12) | (on << 11), t))
            t += 1
        if i % imu_every == 0:
            for code in range(7):
                out.append((0x80000C00 | (code << 28) | ((int(rng.integers(-3000, 3000)) & 0xFFFF) << 12), t))
            imu_code += 1
            t += 1
        if i % 5003 == 0:
            out.append((0x400, t))
            t += 1
        out.append((word, t))
        t += 1
    head = b"#!AER-DAT2.0\r\n# AEChip: eu.seebetter.ini.chips.davis.DAVIS128\r\n"
    return head + np.array(out, dtype=[("a", ">u4"), ("t", ">i4")]).tobytes()
