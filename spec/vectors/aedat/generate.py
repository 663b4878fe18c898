"""Regenerate the AEDAT 1.0/2.0 conformance vectors in this folder.

Each vector is built byte by byte from spec/formats/aedat.md with ``struct``
(no neurofiles code), and described by ``<name>.json``: the reader options to
use and the values a conforming reader must return. Run from anywhere:
``python spec/vectors/aedat/generate.py``.
"""

from __future__ import annotations

import json
import struct
from pathlib import Path

HERE = Path(__file__).resolve().parent


def records(version: int, events: list[tuple[int, int]]) -> bytes:
    fmt = ">Hi" if version == 1 else ">Ii"
    return b"".join(struct.pack(fmt, a, t) for a, t in events)


def header(lines: list[str], eol: str = "\r\n") -> bytes:
    return "".join(f"#{line}{eol}" for line in lines).encode("ascii")


def unwrap(ts: list[int]) -> list[int]:
    out, offset, prev = [], 0, None
    for t in ts:
        if prev is not None and t - prev < -(1 << 31):
            offset += 1 << 32
        out.append(t + offset)
        prev = t
    return out


def vector(name: str, data: bytes, *, events: list[tuple[int, int]], version: str, header_size: int,
           tick: float = 1e-6, options: dict | None = None, leftover: int = 0, note: str = "",
           line_ending: str | None = None, end_marker: str | None = None, fields: dict | None = None) -> None:
    (HERE / name).write_bytes(data)
    expected = {
        "file": name,
        "note": note,
        "options": options or {},
        "version": version,
        "header_size": header_size,
        "tick": tick,
        "count": len(events),
        "addresses": [a for a, _ in events],
        "timestamps": unwrap([t for _, t in events]),
        "leftover_bytes": leftover,
        "warns": leftover > 0,
        "strict_error": "TruncatedFileError" if leftover else None,
        "line_ending": line_ending,
        "end_marker": end_marker,
        "fields": fields or {},
    }
    (HERE / (Path(name).stem + ".json")).write_text(json.dumps(expected, indent=1) + "\n")


def main() -> None:
    ev1 = [(0x2301, 10), (0x0000, 11), (0x7FFE, 11), (0x8001, 500), (0xFFFF, 1_000_000)]
    h = header(["!AER-DAT1.0", " Timestamps tick is 1 us", "End Of ASCII Header"])
    vector("v1_header_end_marker.aedat", h + records(1, ev1), events=ev1, version="1.0", header_size=len(h),
           line_ending="CRLF", end_marker="#End Of ASCII Header",
           note="AEDAT 1.0 with version line and end marker; first data byte is '#' (y = 35)")

    h = header([" a comment line without a version line", " Timestamps tick is 1 us"])
    ev = [(0x0102, 5), (0x0203, 6), (0x0304, 7)]
    vector("v1_no_version_line.dat", h + records(1, ev), events=ev, version="1.0", header_size=len(h),
           line_ending="CRLF", note="'#' lines without '#!AER-DAT' mean AEDAT 1.0")

    lines = ["!AER-DAT2.0", " This is a raw AE data file - do not edit",
             " Data format is int32 address, int32 timestamp (8 bytes total), repeated for each event",
             " Timestamps tick is 1 us", " created Fri Apr 15 09:54:36 PDT 2016",
             " HardwareInterface: DVS128-V1 0298", " AEChip: ch.unizh.ini.jaer.chip.retina.DVS128"]
    h = header(lines)
    ev2 = [(30339, 41306606), (24926, 41309379), (0x80000000, 41309380), (0xFFFFFFFF, 41309381)]
    vector("v2_crlf_pre2016.aedat", h + records(2, ev2), events=ev2, version="2.0", header_size=len(h),
           line_ending="CRLF", fields={"AEChip": "ch.unizh.ini.jaer.chip.retina.DVS128",
                                       "HardwareInterface": "DVS128-V1 0298"},
           options={"decode": False},
           note="pre-2016 jAER header, no end marker; unsigned addresses with bit 31 set;"
                " decode=False keeps every raw record (the header's DVS128 chip would decode them)")

    lines = ["!AER-DAT2.0", " This is a raw AE data file - do not edit",
             " Data format is int32 address, int32 timestamp (8 bytes total), repeated for each event",
             " Timestamps tick: 1 us", " Creation date: 2024-01-02 03:04:05",
             " Creation time: System.currentTimeMillis() 1704164645000",
             " AEChip: eu.seebetter.ini.chips.davis.Davis346red", "End Of ASCII Header"]
    h = header(lines, "\n")
    ev = [((140 << 22) | (5 << 12) | (1 << 11), 100), ((141 << 22) | (6 << 12), 101), (7, 150)]
    vector("v2_lf_post2016.aedat", h + records(2, ev), events=ev, version="2.0", header_size=len(h),
           line_ending="LF", end_marker="#End Of ASCII Header",
           fields={"AEChip": "eu.seebetter.ini.chips.davis.Davis346red",
                   "Creation time": "System.currentTimeMillis() 1704164645000"},
           note="post-2016 wording, LF-only lines, first data byte '#' (DAVIS y = 140)")

    h = header(lines[:3] + [" Timestamps tick: 0.2 us", "End Of ASCII Header"])
    ev = [(1, 5), (2, 10)]
    vector("v2_tick_0.2us.aedat", h + records(2, ev), events=ev, version="2.0", header_size=len(h), tick=2e-7,
           line_ending="CRLF", end_marker="#End Of ASCII Header", note="tick line other than 1 us")

    h = header(["!AER-DAT2.0", " This is a raw AE data file created by saveaerdat.m",
                " Data format is int32 address, int32 timestamp (8 bytes total), repeated for each event",
                " Timestamps tick is 1 us"])
    ev = [(0x0023, 1), (0x8023, 2)]
    vector("v2_matlab.aedat", h + records(2, ev), events=ev, version="2.0", header_size=len(h),
           line_ending="CRLF", note="MATLAB saveaerdat.m header (4 lines)")

    h = header(["!AER-DAT2.0", " Timestamps tick is 1 us"])
    ev = [((140 << 22) | (5 << 12), 7), (5, 8)]
    vector("v2_hash_first_no_marker.aedat", h + records(2, ev), events=ev, version="2.0", header_size=len(h),
           line_ending="CRLF",
           note="no end marker and the first record starts with '#': it is not text, so it is data")

    ev = [(i % 64, 573010 + 3 * i) for i in range(12)]
    vector("headerless_v1.dat", records(1, ev), events=ev, version="1.0", header_size=0, tick=2e-7,
           options={"tick": 2e-7}, note="headerless: 6-byte records by default; tick passed by the caller")

    ev = [(i % 254, 11 * i) for i in range(9)]
    vector("headerless_v2.aedat", records(2, ev), events=ev, version="2.0", header_size=0,
           options={"version": "2.0"}, note="headerless 8-byte records: needs version='2.0'")

    h = header(["!AER-DAT2.0", " Timestamps tick: 1 us", "End Of ASCII Header"])
    ts = [2**31 - 3, 2**31 - 1, -(2**31), -(2**31) + 5, -1, 0, 2**31 - 1, -(2**31), 17]
    ev = [(i, t) for i, t in enumerate(ts)]
    vector("v2_wraparound.aedat", h + records(2, ev), events=ev, version="2.0", header_size=len(h),
           line_ending="CRLF", end_marker="#End Of ASCII Header",
           note="int32 timestamps wrapping twice; expected values are unwrapped by +2**32 per wrap")

    h = header(["!AER-DAT2.0", " Timestamps tick: 1 us", "End Of ASCII Header"])
    ev = [(1, 1), (2, 2), (3, 3)]
    vector("v2_truncated.aedat", h + records(2, ev) + b"\x00\x00\x00\x04\x00", events=ev, version="2.0",
           header_size=len(h), leftover=5, line_ending="CRLF", end_marker="#End Of ASCII Header",
           note="5 trailing bytes: complete records kept, warning; strict=True raises")

    h = header(["!AER-DAT2.0", " Timestamps tick: 1 us"], "\n")
    vector("v2_header_only.aedat", h, events=[], version="2.0", header_size=len(h), line_ending="LF",
           note="header only, zero events")


if __name__ == "__main__":
    main()
