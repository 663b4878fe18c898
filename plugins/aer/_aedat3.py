"""Decode the little-endian packet stream of AEDAT 3.0 / 3.1 files (cAER).

After the ASCII header the body is a sequence of packets, each a 28-byte
header (see ``spec/formats/aedat3-packets.md``) followed by
``eventCapacity * eventSize`` bytes. Polarity packets (type 1) are decoded;
special events (type 0) are exposed in ``streams["special"]`` (and the trigger-like
ones in ``streams["triggers"]``), frame packets (type 2) in ``streams["frames"]``,
IMU packets (types 3 and 4) in ``streams["imu"]``; every other type is skipped by
its declared size and counted in ``metadata``.
"""

from __future__ import annotations

import struct
import warnings
from typing import Any

import numpy as np

from neurofiles.plugin import CorruptFileError, FormatWarning, Source, TruncatedFileError

from ._deps import IMU_DTYPE, TRIGGER_DTYPE, stack_frames
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

_DECODED = (0, 1, 2, 3, 4)
#: libcaer special-event types that are triggers -> DV TriggerType codes (AEDAT 4's ``streams["triggers"]``).
SPECIAL_TO_TRIGGER = {1: 0, 2: 1, 3: 2, 4: 3, 12: 4, 13: 5, 14: 6, 15: 7, 16: 8, 17: 9}
#: libcaer frame event header: info, SOF, EOF, SOE, EOE, lengthX, lengthY, positionX, positionY (int32 each).
_FRAME_HEADER = np.dtype([("info", "<u4"), ("sof", "<i4"), ("eof", "<i4"), ("soe", "<i4"), ("eoe", "<i4"),
                          ("lx", "<i4"), ("ly", "<i4"), ("px", "<i4"), ("py", "<i4")])
#: libcaer IMU6 (36 bytes) / IMU9 (48 bytes) events: info, timestamp, accel xyz (g), gyro xyz (deg/s),
#: temperature (C), compass xyz (uT, IMU9 only).
_IMU_NAMES = ("accelerometer_x", "accelerometer_y", "accelerometer_z", "gyroscope_x", "gyroscope_y",
              "gyroscope_z", "temperature", "magnetometer_x", "magnetometer_y", "magnetometer_z")

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
        if etype not in _DECODED:
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


def decode_aedat3(source: Source, *, header_end: int, version: str, strict: bool = False,
                  window: tuple[int | None, int | None, bool] | None = None) -> dict[str, Any]:
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
    window
        ``(lo, hi, relative)`` in ticks (µs): only the packets whose first..last
        event time (read from the packet's first and last event) meets ``[lo, hi)``
        are decoded (see :func:`_select_packets`); the caller windows exactly.

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
            if window is not None:
                packets = _select_packets(body, packets, window, meta)
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
            frames = _frames(body, [p for p in packets if p[0] == 2], meta, path, strict)
            imu = _imu(body, [p for p in packets if p[0] in (3, 4)], meta)
        finally:
            body.close()
    streams: dict[str, Any] = {"special": special} if special is not None else {}
    if special is not None:
        kind = special["type"].astype(np.int64)
        is_trigger = np.isin(kind, list(SPECIAL_TO_TRIGGER))
        if is_trigger.any():
            trig = np.empty(int(is_trigger.sum()), TRIGGER_DTYPE)
            trig["timestamp"] = special["timestamp"][is_trigger]
            lookup = np.zeros(max(SPECIAL_TO_TRIGGER) + 1, np.int8)
            for k, v in SPECIAL_TO_TRIGGER.items():
                lookup[k] = v
            trig["type"] = lookup[kind[is_trigger]]
            streams["triggers"] = trig
    if frames is not None:
        streams["frames"] = frames
    if imu is not None:
        streams["imu"] = imu
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


def _ts(raw: Any, overflow: int) -> np.ndarray:
    return (np.asarray(raw).astype(np.int64) & 0x7FFFFFFF) | (overflow << 31)


def _frames(body: FileBody, packets: list[tuple[int, int, int, int, int, int]], meta: dict[str, Any],
            path: str, strict: bool) -> dict[str, np.ndarray] | None:
    """Frame events (type 2) as a ``streams["frames"]`` mapping of ``uint16`` images (as stored)."""
    items: list[dict[str, Any]] = []
    skipped: dict[str, int] = {}
    first_bad: int | None = None
    for _, off, esize, tsoff, overflow, number in packets:
        if not number:
            continue
        if esize < _FRAME_HEADER.itemsize:
            skipped[f"eventSize {esize} smaller than a frame header"] = number
            first_bad = off if first_bad is None else first_bad
            continue
        raw = body.read(off, number * esize)
        for i in range(number):
            base = i * esize
            head = np.frombuffer(raw, _FRAME_HEADER, count=1, offset=base)[0]
            if not int(head["info"]) & 1:
                meta["invalid_frames"] = meta.get("invalid_frames", 0) + 1
                continue
            channels = (int(head["info"]) >> 1) & 0x7
            lx, ly = int(head["lx"]), int(head["ly"])
            need = lx * ly * channels * 2
            if channels not in (1, 3, 4) or lx < 0 or ly < 0 or _FRAME_HEADER.itemsize + need > esize:
                why = f"frame of {lx}x{ly} pixels, {channels} channel(s) in a {esize}-byte event"
                skipped[why] = skipped.get(why, 0) + 1
                first_bad = off + base if first_bad is None else first_bad
                continue
            pixels = np.frombuffer(raw, "<u2", count=lx * ly * channels, offset=base + _FRAME_HEADER.itemsize)
            shape = (ly, lx, channels) if channels > 1 else (ly, lx)
            stamps = {"frame_start": int(_ts(head["sof"], overflow)), "frame_end": int(_ts(head["eof"], overflow)),
                      "exposure_start": int(_ts(head["soe"], overflow)),
                      "exposure_end": int(_ts(head["eoe"], overflow))}
            main = {4: "frame_start", 8: "frame_end", 12: "exposure_start", 16: "exposure_end"}.get(tsoff,
                                                                                                     "exposure_start")
            items.append({"image": pixels.reshape(shape).astype(np.uint16), "timestamps": stamps[main], **stamps,
                          "position_x": int(head["px"]), "position_y": int(head["py"]), "width": lx, "height": ly})
    if skipped:
        meta["frames_skipped"] = skipped
        message = f"{path}: AEDAT 3 frame events not decoded: " + "; ".join(f"{n} x {k}" for k, n in skipped.items())
        if strict:
            raise CorruptFileError("frame events not decoded: " + "; ".join(skipped), path=path, offset=first_bad)
        warnings.warn(message + " (metadata['frames_skipped'])", FormatWarning, stacklevel=4)
    if not items:
        return None
    groups: dict[Any, list[dict[str, Any]]] = {}
    for item in items:
        groups.setdefault(item["image"].shape[2:], []).append(item)
    shape_key, group = max(groups.items(), key=lambda kv: len(kv[1]))
    if len(groups) > 1:
        meta.setdefault("frames_skipped", {})["other channel count"] = len(items) - len(group)
        warnings.warn(f"{path}: frames with differing channel counts: kept the {len(group)} with"
                      f" {shape_key or 1} channel(s)", FormatWarning, stacklevel=4)
    return stack_frames(group, max(f["height"] for f in group), max(f["width"] for f in group))


def _imu(body: FileBody, packets: list[tuple[int, int, int, int, int, int]],
         meta: dict[str, Any]) -> np.ndarray | None:
    """IMU6/IMU9 events (already in g, deg/s, C, uT in libcaer) as :data:`IMU_DTYPE` rows."""
    parts = []
    for etype, off, esize, tsoff, overflow, number in packets:
        fields = 7 if etype == 3 else 10
        if not number or esize < 8 + 4 * fields or not 0 <= tsoff <= esize - 4:
            continue
        dt = np.dtype({"names": ["info", "t", *_IMU_NAMES[:fields]],
                       "formats": ["<u4", "<i4"] + ["<f4"] * fields,
                       "offsets": [0, tsoff] + [8 + 4 * k for k in range(fields)], "itemsize": esize})
        rec = np.frombuffer(body.read(off, number * esize), dt, count=number)
        rec = rec[(rec["info"] & 1).astype(bool)]
        out = np.empty(len(rec), IMU_DTYPE)
        out["timestamp"] = _ts(rec["t"], overflow)
        for name in _IMU_NAMES:
            out[name] = rec[name] if name in rec.dtype.names else np.nan
        parts.append(out)
    if not parts:
        return None
    meta["imu_samples"] = int(sum(len(p) for p in parts))
    return np.concatenate(parts)


def _select_packets(body: FileBody, packets: list[tuple[int, int, int, int, int, int]],
                    window: tuple[int | None, int | None, bool], meta: dict[str, Any]
                    ) -> list[tuple[int, int, int, int, int, int]]:
    """The packets a time window needs, judged from each packet's first and last event.

    Two 8-byte reads per packet: the first and last event's data word and timestamp. A packet
    is kept when its ``[first, last]`` time meets ``[lo, hi)``, or when either event is invalid
    (its timestamp cannot be trusted). The selection is used only when the polarity packets
    are in time order (each packet's first time >= the previous one's last); otherwise every
    packet is decoded. ``relative`` bounds count from the first polarity event (which must then
    be valid). ``metadata["window_packets"]`` gives ``read`` and ``in_file``.
    """
    lo, hi, relative = window
    spans: list[tuple[int, int] | None] = []
    for etype, off, esize, tsoff, overflow, number in packets:
        if not number or esize < 8 or not 0 <= tsoff <= esize - 4:
            spans.append(None)
            continue
        first = body.read(off, esize)
        last = body.read(off + (number - 1) * esize, esize)
        d0, t0 = struct.unpack_from("<I", first, 0)[0], struct.unpack_from("<i", first, tsoff)[0]
        d1, t1 = struct.unpack_from("<I", last, 0)[0], struct.unpack_from("<i", last, tsoff)[0]
        if not (d0 & 1 and d1 & 1):
            spans.append(None)
            continue
        spans.append(((t0 & 0x7FFFFFFF) | (overflow << 31), (t1 & 0x7FFFFFFF) | (overflow << 31)))
    pol = [span for span, p in zip(spans, packets) if p[0] == 1 and span is not None]
    if any(a > b for a, b in pol) or any(b[0] < a[1] for a, b in zip(pol, pol[1:])):
        return packets
    if relative:
        first_pol = next((i for i, p in enumerate(packets) if p[0] == 1 and p[5]), None)
        if first_pol is None or spans[first_pol] is None:
            return packets
        origin = spans[first_pol][0]  # type: ignore[index]
        lo = None if lo is None else lo + origin
        hi = None if hi is None else hi + origin
        first_kept = first_pol
    else:
        first_kept = -1
    keep = []
    for i, (packet, span) in enumerate(zip(packets, spans)):
        outside = span is not None and ((lo is not None and span[1] < lo) or (hi is not None and span[0] >= hi))
        if not outside or i == first_kept:  # the origin of a relative window is always decoded
            keep.append(packet)
    meta["window_packets"] = {"read": len(keep), "in_file": len(packets)}
    return keep
