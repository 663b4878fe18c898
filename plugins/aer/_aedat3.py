"""Decode the little-endian packet stream of AEDAT 3.0 / 3.1 files (cAER).

After the ASCII header the body is a sequence of packets, each a 28-byte
header (see ``spec/formats/aedat3-packets.md``) followed by
``eventCapacity * eventSize`` bytes. Polarity packets (type 1) are decoded;
special events (type 0) are exposed in ``streams["special"]``; every other
type is skipped by its declared size and counted in ``metadata``.
"""

from __future__ import annotations

import struct
import warnings
from typing import Any

import numpy as np

from neurofiles.plugin import CorruptFileError, FormatWarning, Source, TruncatedFileError

from ._filebody import FileBody

__all__ = ["EVENT_TYPE_NAMES", "PACKET_HEADER_SIZE", "SPECIAL_DTYPE", "decode_aedat3"]

PACKET_HEADER_SIZE = 28
_PACKET = struct.Struct("<hhiiiiii")
#: libcaer event type codes.
EVENT_TYPE_NAMES = {0: "special", 1: "polarity", 2: "frame", 3: "imu6", 4: "imu9", 5: "sample", 6: "ear",
                    7: "config", 8: "point1d", 9: "point2d", 10: "point3d", 11: "point4d", 12: "spike",
                    13: "matrix4x4"}
#: ``streams["special"]``: 64-bit timestamp, special-event type (bits 1-7), data (bits 8-31).
SPECIAL_DTYPE = np.dtype([("timestamp", "i8"), ("type", "u1"), ("data", "u4")])

# (y shift, y mask, x shift, x mask) of a polarity event's uint32 data word.
_LAYOUTS = {"3.1": (2, 0x7FFF, 17, 0x7FFF), "3.0": (4, 0x3FFF, 18, 0x3FFF)}


def _layout(version: str) -> tuple[int, int, int, int]:
    key = "3.0" if version.strip().startswith("3.0") else "3.1"
    return _LAYOUTS[key]


def _records(view: Any, offset: int, count: int, size: int, ts_offset: int) -> np.ndarray:
    dt = np.dtype({"names": ["d", "t"], "formats": ["<u4", "<i4"], "offsets": [0, ts_offset], "itemsize": size})
    return np.frombuffer(view, dtype=dt, count=count, offset=offset)


def _walk(body: FileBody, start: int, size: int, path: str, strict: bool,
          meta: dict[str, Any]) -> list[tuple[int, int, int, int, int, int]]:
    """Packet headers as ``(type, offset_of_events, size, ts_offset, overflow, number)``; checks every field."""
    packets = []
    pos = start
    while pos < size:
        if pos + PACKET_HEADER_SIZE > size:
            _truncated(meta, strict, path, pos, size, "inside a packet header")
            break
        etype, esource, esize, tsoff, overflow, capacity, number, valid = _PACKET.unpack_from(
            body.read(pos, PACKET_HEADER_SIZE)
        )
        if esize < 0 or capacity < 0 or number < 0 or overflow < 0 or number > capacity:
            raise CorruptFileError(
                f"bad packet header (type {etype}, eventSize {esize}, eventCapacity {capacity},"
                f" eventNumber {number}, eventTSOverflow {overflow})",
                path=path,
                offset=pos,
            )
        if etype in (0, 1) and number and (esize < 8 or not 0 <= tsoff <= esize - 4):
            raise CorruptFileError(
                f"{EVENT_TYPE_NAMES[etype]} packet with eventSize {esize} and eventTSOffset {tsoff}",
                path=path,
                offset=pos,
            )
        length = capacity * esize
        if pos + PACKET_HEADER_SIZE + length > size:
            _truncated(meta, strict, path, pos, size, f"inside a packet of type {etype} ({length} bytes of events)")
            break
        packets.append((etype, pos + PACKET_HEADER_SIZE, esize, tsoff, overflow, number))
        if etype not in (0, 1):
            name = EVENT_TYPE_NAMES.get(etype, f"type{etype}")
            skipped = meta["skipped"].setdefault(name, {"packets": 0, "events": 0})
            skipped["packets"] += 1
            skipped["events"] += number
        meta["sources"][esource] = meta["sources"].get(esource, 0) + 1
        pos += PACKET_HEADER_SIZE + length
    return packets


def _truncated(meta: dict[str, Any], strict: bool, path: str, pos: int, end: int, where: str) -> None:
    meta["truncated"] = {"offset": pos, "ignored_bytes": end - pos}
    if strict:
        raise TruncatedFileError(f"file ends {where}", path=path, offset=pos)
    warnings.warn(
        f"{path}: truncated AEDAT 3 file: it ends {where} at byte {pos}; the {end - pos} bytes from there are"
        " ignored and the complete packets before them are returned",
        FormatWarning,
        stacklevel=4,
    )


def decode_aedat3(source: Source, *, header_end: int, version: str, strict: bool = False) -> dict[str, Any]:
    """Decode an AEDAT 3.0/3.1 body into keyword arguments for ``Events``.

    Parameters
    ----------
    source
        The file.
    header_end
        Byte offset of the first packet (just after the ASCII header).
    version
        ``"3.1"`` or ``"3.0"``; selects the polarity bit layout.
    strict
        Raise :class:`~neurofiles.TruncatedFileError` when the file ends inside
        a packet; otherwise the complete packets are returned with a
        :class:`~neurofiles.FormatWarning`.

    Returns
    -------
    dict
        ``timestamps`` (int64 us: ``eventTSOverflow << 31 | ts``), ``x``, ``y``
        (uint16), ``polarity`` (bool) of the valid polarity events, in file
        order; ``tick`` 1e-6; ``metadata`` (counts of invalid and skipped events,
        packet sources); ``streams["special"]`` when special events exist.
    """
    path = source.name
    ysh, ymask, xsh, xmask = _layout(version)
    meta: dict[str, Any] = {
        "version": "3.0" if version.strip().startswith("3.0") else "3.1",
        "origin": "lower-left" if version.strip().startswith("3.0") else "top-left",
        "skipped": {},
        "sources": {},
        "invalid_events": 0,
        "invalid_special_events": 0,
        "polarity_packets": 0,
        "special_packets": 0,
    }
    with source.open() as fh:
        size = source.size if source.size is not None else fh.seek(0, 2)
        if not 0 <= header_end <= size:
            raise CorruptFileError(f"header end {header_end} is outside the file ({size} bytes)", path=path)
        body = FileBody(source, fh, size)
        try:
            packets = _walk(body, header_end, size, path, strict, meta)
            pol = [p for p in packets if p[0] == 1]
            spe = [p for p in packets if p[0] == 0]
            meta["polarity_packets"] = len(pol)
            meta["special_packets"] = len(spe)
            total = sum(p[5] for p in pol)
            t = np.empty(total, np.int64)
            x = np.empty(total, np.uint16)
            y = np.empty(total, np.uint16)
            pl = np.empty(total, np.bool_)
            n = 0
            for _, off, esize, tsoff, overflow, number in pol:
                if not number:
                    continue
                rec = _records(body.read(off, number * esize), 0, number, esize, tsoff)
                d = rec["d"]
                ok = (d & 1).astype(np.bool_)
                k = int(ok.sum())
                if k != number:
                    meta["invalid_events"] += number - k
                    d = d[ok]
                    ts = rec["t"][ok]
                else:
                    ts = rec["t"]
                t[n : n + k] = ts
                t[n : n + k] &= 0x7FFFFFFF
                t[n : n + k] |= overflow << 31
                x[n : n + k] = (d >> xsh) & xmask
                y[n : n + k] = (d >> ysh) & ymask
                pl[n : n + k] = (d >> 1) & 1
                n += k
                del rec, d, ts
            if n != total:
                t, x, y, pl = t[:n].copy(), x[:n].copy(), y[:n].copy(), pl[:n].copy()
            special = _special(body, spe, meta)
        finally:
            body.close()
    streams = {"special": special} if special is not None else {}
    return {"timestamps": t, "x": x, "y": y, "polarity": pl, "tick": 1e-6, "metadata": meta, "streams": streams}


def _special(body: FileBody, packets: list[tuple[int, int, int, int, int, int]],
             meta: dict[str, Any]) -> np.ndarray | None:
    if not packets:
        return None
    parts = []
    for _, off, esize, tsoff, overflow, number in packets:
        if not number:
            continue
        rec = _records(body.read(off, number * esize), 0, number, esize, tsoff)
        ok = (rec["d"] & 1).astype(np.bool_)
        meta["invalid_special_events"] += int(number - ok.sum())
        out = np.empty(int(ok.sum()), SPECIAL_DTYPE)
        d = rec["d"][ok]
        out["timestamp"] = (rec["t"][ok].astype(np.int64) & 0x7FFFFFFF) | (overflow << 31)
        out["type"] = (d >> 1) & 0x7F
        out["data"] = d >> 8
        parts.append(out)
        del rec, d
    return np.concatenate(parts) if parts else np.empty(0, SPECIAL_DTYPE)
