"""Generators for the binary formats: AEDAT 1.0/2.0 (and headerless), AEDAT 3.x, AEDAT 4.0,
NEURON ``vwrite``, ``.npz`` and ``.aeidx`` indexes of generated AEDAT files.

The AEDAT 3/4 files are assembled with the byte-level builders of
``tests/aer/aedat_builders.py`` (independent of the decoders). Valid variants
carry the events or columns they were built from.
"""

from __future__ import annotations

import functools
import io
import json
import struct
import zipfile
from typing import Any, cast

import numpy as np
from hypothesis import strategies as st

from tests.aer import aedat_builders as B

from ._common import Case, Truth, clamp_repeat, events_truth, hostile_count, newline, traces_truth

MIB = 1 << 20

# ----------------------------------------------------------------------------- AEDAT 1.0 / 2.0


@st.composite
def _aedat12_body(draw: Any, version: str) -> tuple[bytes, np.ndarray, np.ndarray]:
    n = draw(st.integers(0, 60))
    addr_max = 0xFFFF if version == "1.0" else 0xFFFFFFFF
    addrs = np.array(draw(st.lists(st.integers(0, addr_max), min_size=n, max_size=n)), dtype=np.int64)
    start = draw(st.integers(0, 2**30))
    steps = np.array(draw(st.lists(st.integers(0, 1000), min_size=n, max_size=n)), dtype=np.int64)
    ts = start + np.cumsum(steps) if n else np.zeros(0, np.int64)
    rec = np.zeros(n, [("a", ">u2" if version == "1.0" else ">u4"), ("t", ">i4")])
    rec["a"], rec["t"] = addrs, ts
    return rec.tobytes(), ts, addrs


@st.composite
def aedat12_valid(draw: Any) -> Case:
    version = draw(st.sampled_from(["1.0", "2.0", "headerless"]))
    nl = draw(newline())
    layout = "1.0" if version == "headerless" else version
    options: tuple[tuple[str, Any], ...] = ()
    if version == "headerless" and draw(st.booleans()):
        layout, options = "2.0", (("version", "2.0"),)
    body, ts, addrs = draw(_aedat12_body(layout))
    if version == "headerless" and not body:
        body, ts, addrs = draw(_aedat12_body(layout).filter(lambda b: len(b[0]) > 0))
    head = b""
    if version != "headerless":
        lines = [b"#!AER-DAT" + version.encode()]
        lines += draw(st.lists(st.sampled_from([
            b"# This is a raw AE data file - do not edit",
            b"# Data format is int32 address, int32 timestamp (8 bytes total), repeated for each event",
            b"# Timestamps tick is 1 us", b"# Timestamps tick: 1 us",
            b"# created Mon Jan 01 12:00:00 CET 2024",
            b"# Creation time: System.currentTimeMillis() 1704164645000",
            b"# AEChip: eu.seebetter.ini.chips.davis.Davis346red"]), max_size=5))
        marker = draw(st.booleans())
        if marker:
            lines.append(b"#End Of ASCII Header")
        elif body[:1] == b"#":
            lines.append(b"#End Of ASCII Header")
        head = b"".join(line + nl for line in lines)
        # the truth is the raw records: a named chip would otherwise decode them on load
        options += (("decode", False),)
    elif body[:1] == b"#":
        return cast(Case, draw(aedat12_valid()))
    name = draw(st.sampled_from(["rec.aedat", "rec.dat"])) if version != "headerless" else "rec.aedat"
    return Case("aedat", f"valid-{version}", name, head + body, force="aedat", options=options,
                truth=events_truth(timestamps=ts, addresses=addrs))


@st.composite
def aedat12_hostile(draw: Any) -> Case:
    kind = draw(st.sampled_from(["creation-time", "tick", "version", "long-line", "many-lines", "odd-body"]))
    nl = draw(newline())
    lines = [b"#!AER-DAT2.0"]
    if kind == "creation-time":
        lines.append(b"# Creation time: System.currentTimeMillis() " + draw(hostile_count()))
    elif kind == "tick":
        number = draw(st.one_of(hostile_count(), st.sampled_from([b"1e999", b"1e-999", b"0", b"-1", b"nan"])))
        lines.append(b"# Timestamps tick " + draw(st.sampled_from([b"is ", b": "])) + number + b" "
                     + draw(st.sampled_from([b"us", b"ms", b"s", b"ns", b"\xc2\xb5s", b"parsec"])))
    elif kind == "version":
        lines[0] = b"#!AER-DAT" + draw(hostile_count()) + draw(st.sampled_from([b"", b".0", b".99999999999999999999"]))
    elif kind == "long-line":
        lines.append(b"#" + b"x" * clamp_repeat(draw(st.sampled_from([5000, 2 * MIB])), 1))
    elif kind == "many-lines":
        lines += [b"#"] * clamp_repeat(draw(st.sampled_from([1000, 250_000])), 2)
    lines.append(b"#End Of ASCII Header")
    body = draw(st.binary(max_size=64)) if kind == "odd-body" else struct.pack(">Ii", 1, 2) * 3
    return Case("aedat", f"hostile-{kind}", "rec.aedat", b"".join(x + nl for x in lines) + body,
                force=draw(st.sampled_from([None, "aedat"])))


# ----------------------------------------------------------------------------- AEDAT 3.x


@st.composite
def aedat3_valid(draw: Any) -> Case:
    version = draw(st.sampled_from(["3.0", "3.1"]))
    maxc = 0x7FFF if version == "3.1" else 0x3FFF
    packets: list[B.Packet3] = []
    ts_all, x_all, y_all, p_all = [], [], [], []
    overflow = 0
    last = 0
    for _ in range(draw(st.integers(0, 4))):
        n = draw(st.integers(0, 20))
        x = np.array(draw(st.lists(st.integers(0, maxc), min_size=n, max_size=n)), dtype=np.int64)
        y = np.array(draw(st.lists(st.integers(0, maxc), min_size=n, max_size=n)), dtype=np.int64)
        p = np.array(draw(st.lists(st.integers(0, 1), min_size=n, max_size=n)), dtype=np.int64)
        valid = np.array(draw(st.lists(st.booleans(), min_size=n, max_size=n)), dtype=bool)
        if draw(st.integers(0, 3)) == 0:
            overflow += 1
            last = 0
        steps = np.array(draw(st.lists(st.integers(0, 5000), min_size=n, max_size=n)), dtype=np.int64)
        ts32 = np.minimum(last + np.cumsum(steps), 2**31 - 1) if n else np.zeros(0, np.int64)
        last = int(ts32[-1]) if n else last
        spare = draw(st.integers(0, 2))
        packets.append(B.polarity_packet(x, y, p, ts32.astype(np.int32), valid, version, overflow, spare))
        if draw(st.integers(0, 3)) == 0:
            packets.append(B.opaque_packet(draw(st.sampled_from([2, 3, 12])), draw(st.sampled_from([8, 36, 64])),
                                           draw(st.integers(0, 3)), overflow))
        keep = valid
        ts_all.append((ts32.astype(np.int64) | (overflow << 31))[keep])
        x_all.append(x[keep]); y_all.append(y[keep]); p_all.append(p[keep])
    data, _ = B.build_aedat3(packets, version)
    cat = (lambda parts, dt: np.concatenate(parts).astype(dt) if parts else np.zeros(0, dt))
    return Case("aedat3", f"valid-{version}", "rec.aedat", data, force=draw(st.sampled_from([None, "aedat"])),
                truth=events_truth(timestamps=cat(ts_all, np.int64), x=cat(x_all, np.int64),
                                   y=cat(y_all, np.int64), polarity=cat(p_all, bool)))


@st.composite
def aedat3_hostile(draw: Any) -> Case:
    i32 = st.one_of(st.integers(-3, 40), st.sampled_from([2**31 - 1, -(2**31), 2**30, 65536, 1 << 24]))
    packets = []
    for _ in range(draw(st.integers(1, 3))):
        header = struct.pack("<hhiiiiii", draw(st.integers(-2, 20)), draw(st.integers(-1, 3)), draw(i32), draw(i32),
                             draw(i32), draw(i32), draw(i32), draw(i32))
        packets.append(header + draw(st.binary(max_size=128)))
    head = B.header3(draw(st.sampled_from(["3.0", "3.1"])))
    return Case("aedat3", "hostile-packet-header", "rec.aedat", head + b"".join(packets))


# ----------------------------------------------------------------------------- AEDAT 4.0


@st.composite
def aedat4_valid(draw: Any) -> Case:
    n = draw(st.integers(1, 300))
    content = B.random_aedat4_content(n, seed=draw(st.integers(0, 2**16)), frames=draw(st.integers(0, 2)))
    comp = draw(st.sampled_from(["none", "lz4", "lz4_high", "zstd", "zstd_high"]))
    data = B.build_aedat4(content, compression=comp, with_data_table=draw(st.booleans()),
                          events_per_packet=draw(st.integers(1, 128)))
    ev = content.events
    return Case("aedat4", f"valid-{comp}", "rec.aedat4", data,
                truth=events_truth(timestamps=ev["t"], x=ev["x"], y=ev["y"], polarity=ev["p"].astype(bool)))


@functools.lru_cache(maxsize=32)
def _bomb(method: str, size: int) -> bytes:
    """A valid EVTS packet of ``size`` bytes (zero events) compressed with ``method``."""
    count = max(0, (size - 32) // 16)
    fb = B.FB(b"EVTS", True)
    root, offs = fb.table([("off", None)])
    vec = fb.struct_vector(bytes(16 * count), count)
    fb.point(offs[0], vec)
    return B.compress(fb.finish(root), method)


def _aedat4_file(code: int, info: str, packets: list[tuple[int, bytes]], table: bytes | None = None,
                 table_at: int | None = None) -> bytes:
    header = B.io_header(code, -1, info)
    pos = 14 + 4 + len(header)
    body = b"".join(struct.pack("<ii", sid, len(b)) + b for sid, b in packets)
    if table is not None:
        header = B.io_header(code, table_at if table_at is not None else pos + len(body), info)
        assert len(header) == len(B.io_header(code, -1, info))
    return b"#!AER-DAT4.0\r\n" + struct.pack("<I", len(header)) + header + body + (table or b"")


@functools.lru_cache(maxsize=16)
def _lz4_frame(size: int, style: str) -> bytes:
    """``size`` zero bytes as an LZ4 frame with the options of ``style``."""
    import lz4.frame

    options: dict[str, Any] = {"content-size": {"store_size": True},
                               "linked": {"block_linked": True, "block_size": lz4.frame.BLOCKSIZE_MAX4MB},
                               "checksums": {"content_checksum": True, "block_checksum": True},
                               "4mb-blocks": {"block_size": lz4.frame.BLOCKSIZE_MAX4MB, "store_size": False}}[style]
    return bytes(lz4.frame.compress(bytes(size), **options))


_STREAMS = {0: ("EVTS", "events", {"sizeX": 346, "sizeY": 260})}


def aedat4_inflated(packed: int, file_size: int) -> int:
    """Decompressed bytes an AEDAT 4 reader may produce: what was packed, within its documented budget.

    ``max_packet_bytes`` (256 MiB) per packet and ``max(64 MiB, 64 x file size)`` in all
    (spec/hardening.md, AER limits).
    """
    return min(packed, max(64 * MIB, 64 * file_size))


def npz_inflated(packed: int, file_size: int) -> int:
    """Decompressed bytes an npz reader may produce: ``max_bytes``, 256 x the file, 256 MiB to 16 GiB."""
    return min(packed, min(16 << 30, max(256 * MIB, 256 * file_size)))


@st.composite
def aedat4_hostile(draw: Any) -> Case:
    kind = draw(st.sampled_from(["bomb", "lz4-frame", "deep-xml", "ioheader", "packet-header", "data-table",
                                 "compression-id"]))
    comp = draw(st.sampled_from(["lz4", "zstd"]))
    code = B.COMPRESSION[comp]
    info = B.info_node(_STREAMS, comp)
    packets: list[tuple[int, bytes]] = []
    table = None
    if kind == "bomb":
        size = draw(st.sampled_from([MIB, 16 * MIB, 255 * MIB, 256 * MIB + 64]))
        packets = [(0, _bomb(comp, size))] * draw(st.integers(1, 24))
        data = _aedat4_file(code, info, packets)
        return Case("aedat4", f"hostile-{kind}", "rec.aedat4", data,
                    inflated=aedat4_inflated(min(size, 256 * MIB) * len(packets), len(data)))
    elif kind == "lz4-frame":
        code = 1
        info = B.info_node(_STREAMS, "lz4")
        style = draw(st.sampled_from(["content-size", "linked", "checksums", "4mb-blocks", "damaged"]))
        size = draw(st.sampled_from([1024, MIB, 16 * MIB, 200 * MIB]))
        if style != "damaged":
            data = _aedat4_file(code, info, [(0, _lz4_frame(size, style))])
            return Case("aedat4", f"hostile-{kind}", "rec.aedat4", data, note=style,
                        inflated=aedat4_inflated(size, len(data)))
        frame = bytearray(_bomb("lz4", min(size, MIB)))
        for _ in range(draw(st.integers(1, 4))):  # FLG/BD/block sizes and checksums live in the first bytes
            at = draw(st.integers(4, min(len(frame) - 1, 24)))
            frame[at] = draw(st.integers(0, 255))
        if draw(st.booleans()):
            frame[-4:] = b"\xff\xff\xff\x7f"  # a block size where the end mark should be
        packets = [(0, bytes(frame))]
    elif kind == "deep-xml":
        depth = draw(st.sampled_from([100, 5000, 200_000]))
        info = '<dv version="2.0">' + '<node name="a" path="/a/">' * depth + "</node>" * depth + "</dv>"
        packets = [(0, B.compress(B.event_packet(np.array([1]), np.array([2]), np.array([3]), np.array([1])), comp))]
    elif kind == "ioheader":
        header = bytearray(B.io_header(code, -1, info))
        for _ in range(draw(st.integers(1, 6))):
            at = draw(st.integers(0, min(len(header) - 4, 64)))
            header[at : at + 4] = struct.pack("<i", draw(st.sampled_from([0, -1, 2**31 - 1, -(2**31), 4, 8, 1 << 24])))
        return Case("aedat4", f"hostile-{kind}", "rec.aedat4",
                    b"#!AER-DAT4.0\r\n" + struct.pack("<I", len(header)) + bytes(header))
    elif kind == "packet-header":
        body = B.compress(B.event_packet(np.array([1]), np.array([2]), np.array([3]), np.array([1])), comp)
        sid = draw(st.sampled_from([0, 1, -1, 2**31 - 1]))
        size = draw(st.sampled_from([len(body), 0, -1, 2**31 - 1, len(body) + 1]))
        return Case("aedat4", f"hostile-{kind}", "rec.aedat4",
                    _aedat4_file(code, info, []) + struct.pack("<ii", sid, size) + body)
    elif kind == "data-table":
        body = B.compress(B.event_packet(np.array([1]), np.array([2]), np.array([3]), np.array([1])), comp)
        packets = [(0, body)]
        i64 = st.sampled_from([0, -1, 8, 2**31 - 1, 2**62, -(2**63)])
        entries = [(draw(i64), draw(st.sampled_from([0, 5, -1])), draw(st.sampled_from([len(body), 2**31 - 1, -1])),
                    draw(i64), draw(i64), draw(i64)) for _ in range(draw(st.integers(0, 5)))]
        table = B.compress(B.data_table(entries), comp)
    else:
        code = draw(st.sampled_from([-1, 5, 99, 2**31 - 1]))
        packets = [(0, B.event_packet(np.array([1]), np.array([2]), np.array([3]), np.array([1])))]
    return Case("aedat4", f"hostile-{kind}", "rec.aedat4", _aedat4_file(code, info, packets, table))


# ----------------------------------------------------------------------------- NEURON vwrite


@st.composite
def _vwrite_record(draw: Any, order: str, n: int) -> tuple[bytes, np.ndarray]:
    kind = draw(st.integers(1, 5))
    if kind == 4:
        v = np.array(draw(st.lists(st.floats(width=64), min_size=n, max_size=n)), dtype=np.float64)
        return struct.pack(order + "ii", n, 4) + v.astype(order + "f8").tobytes(), v
    if kind == 3:
        v = np.array(draw(st.lists(st.floats(width=32), min_size=n, max_size=n)), dtype=np.float32)
        return struct.pack(order + "ii", n, 3) + v.astype(order + "f4").tobytes(), v.astype(np.float64)
    if kind == 5:
        v = np.array(draw(st.lists(st.integers(-(2**31), 2**31 - 1), min_size=n, max_size=n)), dtype=np.int64)
        return struct.pack(order + "ii", n, 5) + v.astype(order + "i4").tobytes(), v.astype(np.float64)
    lo = draw(st.floats(-1e6, 1e6))
    hi = lo + draw(st.one_of(st.just(0.0), st.floats(1e-3, 1e6)))
    if kind == 1:
        sf = 255.0 / (hi - lo) if hi != lo else 1.0
        c = np.array(draw(st.lists(st.integers(-128, 127), min_size=n, max_size=n)), dtype=np.int8)
        return (struct.pack(order + "iidd", n, 1, sf, lo) + c.tobytes(),
                (c.astype(np.float64) + 128) / sf + lo)
    sf = 65535.0 / (hi - lo) if hi != lo else 1.0
    u = np.array(draw(st.lists(st.integers(0, 65535), min_size=n, max_size=n)), dtype=np.uint16)
    return struct.pack(order + "iidd", n, 2, sf, lo) + u.astype(order + "u2").tobytes(), u.astype(np.float64) / sf + lo


@st.composite
def vwrite_valid(draw: Any) -> Case:
    order = draw(st.sampled_from(["<", ">"]))
    ragged = draw(st.booleans())
    nrec = draw(st.integers(1, 4))
    length = draw(st.integers(1, 40))
    parts, vectors = [], []
    for _ in range(nrec):
        n = draw(st.integers(0, 40)) if ragged else length
        raw, values = draw(_vwrite_record(order, n))
        parts.append(raw)
        vectors.append(values)
    if len({len(v) for v in vectors}) > 1:
        # records of different lengths are never padded: one column, end to end (spec/formats/neuron.md)
        table = np.concatenate(vectors)[:, None]
    else:
        table = np.stack(vectors, axis=1)
    return Case("neuron-vwrite", "valid-ragged" if ragged else "valid", draw(st.sampled_from(["v.vec", "v.dat"])),
                b"".join(parts), force="neuron-vwrite", truth=traces_truth(None, table))


@st.composite
def vwrite_hostile(draw: Any) -> Case:
    kind = draw(st.sampled_from(["count", "type", "ragged-many", "trailing"]))
    order = draw(st.sampled_from(["<", ">"]))
    if kind == "count":
        n = draw(st.sampled_from([2**31 - 1, -1, -(2**31), 1 << 28, 3]))
        data = struct.pack(order + "ii", n, draw(st.integers(1, 5))) + bytes(draw(st.integers(0, 64)))
    elif kind == "type":
        data = struct.pack(order + "ii", 2, draw(st.sampled_from([0, 6, -1, 2**31 - 1]))) + bytes(16)
    elif kind == "ragged-many":
        long_n = clamp_repeat(draw(st.sampled_from([1000, 1 << 20])), 1)
        empties = clamp_repeat(draw(st.sampled_from([100, 100_000])), 8, long_n)
        data = struct.pack(order + "ii", long_n, 4) + bytes(8 * long_n) + struct.pack(order + "ii", 0, 4) * empties
    else:
        data = struct.pack(order + "ii", 1, 4) + bytes(8) + draw(st.binary(min_size=1, max_size=7))
    return Case("neuron-vwrite", f"hostile-{kind}", "v.vec", data, force=draw(st.sampled_from([None, "neuron-vwrite"])))


# ----------------------------------------------------------------------------- npz


def _npy(array: np.ndarray) -> bytes:
    out = io.BytesIO()
    np.lib.format.write_array(out, array, allow_pickle=False)  # type: ignore[no-untyped-call]
    return out.getvalue()


def _npy_header(descr: str, shape: tuple[int, ...], fortran: bool = False) -> bytes:
    text = repr({"descr": descr, "fortran_order": fortran, "shape": shape}).encode()
    text += b" " * ((64 - (10 + len(text) + 1) % 64) % 64) + b"\n"
    return b"\x93NUMPY\x01\x00" + struct.pack("<H", len(text)) + text


def _zip(members: list[tuple[str, bytes]], deflate: bool) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED if deflate else zipfile.ZIP_STORED) as archive:
        for name, data in members:
            archive.writestr(name, data)
    return out.getvalue()


def _traces_head(ncols: int, time_col: bool, metadata: Any) -> dict[str, Any]:
    columns = (["t"] if time_col else []) + [f"v{i}" for i in range(ncols)]
    units = (["ms"] if time_col else []) + ["mV"] * ncols
    attrs = {"time_name": "t", "time_unit": "ms", "value_keys": columns[time_col:], "names": columns[time_col:],
             "units": ["mV"] * ncols, "layout": [list(range(ncols))], "channel_names": columns[time_col:]}
    if not time_col:
        attrs.pop("time_name"), attrs.pop("time_unit")
    return {"layout": "neurofiles-npz", "layout_version": 1, "kind": "Traces", "columns": columns, "units": units,
            "extra": [], "attrs": attrs, "metadata": metadata}


@st.composite
def npz_valid(draw: Any) -> Case:
    kind = draw(st.sampled_from(["Traces", "Events"]))
    n = draw(st.integers(0, 50))
    floats = st.floats(allow_nan=True, allow_infinity=True)
    if kind == "Traces":
        ncols, time_col = draw(st.integers(1, 4)), draw(st.booleans())
        values = np.array(draw(st.lists(st.lists(floats, min_size=ncols, max_size=ncols), min_size=n, max_size=n)),
                          dtype=np.float64).reshape(n, ncols)
        times = np.arange(n, dtype=np.float64) * 0.5 if time_col else None
        cols: list[np.ndarray] = ([times] if times is not None else []) + [values[:, i].copy() for i in range(ncols)]
        head = _traces_head(ncols, time_col, {"note": draw(st.text(max_size=20))})
        truth = traces_truth(times, values)
    else:
        ts = np.sort(np.array(draw(st.lists(st.integers(-(2**62), 2**62), min_size=n, max_size=n)), dtype=np.int64))
        addr = np.array(draw(st.lists(st.integers(0, 2**31 - 1), min_size=n, max_size=n)), dtype=np.int64)
        cols = [ts, addr]
        head = {"layout": "neurofiles-npz", "layout_version": 1, "kind": "Events", "columns": ["timestamps", "addresses"],
                "units": ["1e-06 s", ""], "extra": [], "attrs": {"tick": 1e-06}, "metadata": {}}
        truth = events_truth(timestamps=ts, addresses=addr)
    members = [(f"col{i}.npy", _npy(c)) for i, c in enumerate(cols)]
    members.append(("__neurofiles__.npy", _npy(np.array(json.dumps(head)))))
    return Case("npz", f"valid-{kind}", "data.npz", _zip(members, draw(st.booleans())), truth=truth)


@functools.lru_cache(maxsize=8)
def _deflate_bomb(count: int) -> bytes:
    return _npy_header("<f8", (count,)) + bytes(8 * count)


@st.composite
def npz_hostile(draw: Any) -> Case:
    kind = draw(st.sampled_from(["shape", "dtype", "deflate-bomb", "deep-json", "json-values", "head-types"]))
    head: Any = _traces_head(1, False, {})
    col: bytes = _npy(np.zeros(3))
    if kind == "shape":
        shape = draw(st.sampled_from([(2**40,), (2**62,), (-1,), (2**31, 2**31), (3, 2**40), (0, 2**62)]))
        col = _npy_header("<f8", shape) + bytes(24)
    elif kind == "dtype":
        descr = draw(st.sampled_from(["|O", "<U2147483647", "|V0", "|S0", "<M8[ns]", "<c16", "|b1", "<f2", ">f8",
                                      "[('a', '<f8')]", "<U1"]))
        col = _npy_header(descr, (3,), draw(st.booleans())) + bytes(48)
    elif kind == "deflate-bomb":
        count = draw(st.sampled_from([1 << 20, 1 << 24, 1 << 27]))
        col = _deflate_bomb(count)
    elif kind == "deep-json":
        depth = draw(st.sampled_from([100, 5000, 100_000]))
        head["metadata"] = {"x": "PLACEHOLDER"}
        text = json.dumps(head).replace('"PLACEHOLDER"', "[" * depth + "]" * depth)
        members = [("col0.npy", col), ("__neurofiles__.npy", _npy(np.array(text)))]
        return Case("npz", f"hostile-{kind}", "data.npz", _zip(members, True))
    elif kind == "json-values":
        text = json.dumps(head).replace('"metadata": {}', '"metadata": {"n": %s}' % draw(st.sampled_from(
            ["9" * 5000, "1e999", "NaN", "-Infinity", '"\\ud800"', "[" + "1," * 1000 + "1]"])))
        members = [("col0.npy", col), ("__neurofiles__.npy", _npy(np.array(text)))]
        return Case("npz", f"hostile-{kind}", "data.npz", _zip(members, True))
    else:
        key = draw(st.sampled_from(["columns", "units", "extra", "attrs", "kind", "layout_version", "metadata"]))
        head[key] = draw(st.sampled_from([None, 5, "x", [1, 2], {"a": 1}, [None] * 3, 2**70]))
    members = [("col0.npy", col), ("__neurofiles__.npy", _npy(np.array(json.dumps(head))))]
    data = _zip(members, True)
    return Case("npz", f"hostile-{kind}", "data.npz", data, inflated=npz_inflated(len(col), len(data)))


# ----------------------------------------------------------------------------- aeidx


@st.composite
def aeidx_valid(draw: Any) -> Case:
    nl = draw(newline())
    files, truths, lines = [], [], []
    for k in range(draw(st.integers(1, 3))):
        body, ts, addrs = draw(_aedat12_body("2.0"))
        name = f"rec{k}.aedat"
        files.append((name, b"#!AER-DAT2.0\r\n#End Of ASCII Header\r\n" + body))
        truths.append(events_truth(timestamps=ts, addresses=addrs))
        pad = draw(st.sampled_from(["", " ", "\t"]))
        lines.append(pad + name + pad)
        if draw(st.booleans()):
            lines.append("")
    data = nl.join(x.encode() for x in lines) + (nl if draw(st.booleans()) else b"")
    return Case("aeidx", "valid", "set.aeidx", data, extra_files=tuple(files), truth=Truth("list", items=tuple(truths)))


@st.composite
def aeidx_hostile(draw: Any) -> Case:
    kind = draw(st.sampled_from(["blank-lines", "long-line", "outside", "self", "many", "bytes"]))
    nl = draw(newline())
    if kind == "blank-lines":
        data = nl * clamp_repeat(draw(st.sampled_from([1000, 4 * MIB, 40 * MIB])), len(nl))
    elif kind == "long-line":
        data = b"a" * clamp_repeat(draw(st.sampled_from([5000, 4 * MIB])), 1) + nl
    elif kind == "outside":
        data = draw(st.sampled_from([b"../x.aedat", b"/etc/passwd", b"C:\\x.aedat", b"./../../x", b"~/x"])) + nl
    elif kind == "self":
        data = draw(st.sampled_from([b"set.aeidx", b"./set.aeidx", b"other.aeidx"])) + nl
    elif kind == "many":
        data = (b"x.aedat" + nl) * draw(st.sampled_from([10_001, 20_000]))
    else:
        data = draw(st.binary(max_size=100))
    # blank lines cost nothing to skip: 0.1 us per byte is ample
    cpu = 3.0 + 1e-7 * len(data) if kind == "blank-lines" else None
    return Case("aeidx", f"hostile-{kind}", "set.aeidx", data, extra_files=(("other.aeidx", b"set.aeidx\n"),),
                cpu_limit=cpu)


def aedat_cases() -> st.SearchStrategy[Case]:
    return st.one_of(aedat12_valid(), aedat12_valid(), aedat12_hostile())


def aedat3_cases() -> st.SearchStrategy[Case]:
    return st.one_of(aedat3_valid(), aedat3_valid(), aedat3_hostile())


def aedat4_cases() -> st.SearchStrategy[Case]:
    return st.one_of(aedat4_valid(), aedat4_valid(), aedat4_hostile())


def vwrite_cases() -> st.SearchStrategy[Case]:
    return st.one_of(vwrite_valid(), vwrite_valid(), vwrite_hostile())


def npz_cases() -> st.SearchStrategy[Case]:
    return st.one_of(npz_valid(), npz_valid(), npz_hostile())


def aeidx_cases() -> st.SearchStrategy[Case]:
    return st.one_of(aeidx_valid(), aeidx_valid(), aeidx_hostile())
