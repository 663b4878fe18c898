"""A tiny ABF 2 writer for tests: header + section map + protocol, ADC, DAC, epoch, strings,
data, synch-array and tag sections, laid out on 512-byte blocks."""

from __future__ import annotations

import struct
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

BLOCK = 512
SECTION = {
    "Protocol": 76,
    "ADC": 92,
    "DAC": 108,
    "EpochPerDAC": 156,
    "Strings": 220,
    "Data": 236,
    "Tag": 252,
    "SynchArray": 316,
}


@dataclass
class EpochSpec:
    type: int = 1
    level: float = 0.0
    level_inc: float = 0.0
    duration: int = 10
    duration_inc: int = 0
    period: int = 0
    width: int = 0


@dataclass
class Abf2:
    """What to write. ``raw`` is (values,) already multiplexed, int16 or float32."""

    raw: np.ndarray
    nch: int = 1
    sweeps: int = 1
    mode: int = 5
    interval_us: float = 50.0
    names: Sequence[str] = ("IN 0",)
    units: Sequence[str] = ("pA",)
    scale: float = 1.0
    signal_gain: float = 1.0
    prog_gain: float = 1.0
    telegraph: tuple[int, float] = (0, 1.0)
    offset: float = 0.0
    adc_range: float = 10.0
    resolution: int = 32768
    date: int = 20240102
    time_ms: int = 3_600_000
    synch: Sequence[tuple[int, int]] = ()
    synch_unit: float = 0.0
    tags: Sequence[tuple[int, str]] = ()
    holding: float = -70.0
    epochs: Sequence[EpochSpec] = field(default_factory=list)
    keep_last_level: int = 0
    protocol: str = "C:\\Protocols\\test.pro"


def _put(buf: bytearray, off: int, fmt: str, *values: object) -> None:
    struct.pack_into("<" + fmt, buf, off, *values)


def build_abf2(spec: Abf2) -> bytes:
    """The bytes of an ABF 2.6 file holding ``spec``."""
    strings = ["Clampex", spec.protocol, *spec.names, *spec.units, "Cmd 0", "mV", "comment"]
    idx = {s: i + 1 for i, s in reversed(list(enumerate(strings)))}
    str_body = (
        b"SSCH"
        + struct.pack("<III", 1, len(strings), 0)
        + bytes(28)
        + b"\x00".join(s.encode("latin-1") for s in strings)
        + b"\x00"
    )
    raw = np.ascontiguousarray(spec.raw)
    data = raw.tobytes()
    blocks: dict[str, tuple[int, int, int, bytes]] = {}
    nxt = 1

    def add(name: str, size: int, count: int, body: bytes) -> None:
        nonlocal nxt
        blocks[name] = (nxt, size, count, body)
        nxt += max(1, -(-len(body) // BLOCK))

    proto = bytearray(512)
    _put(proto, 0, "h", spec.mode)
    _put(proto, 2, "f", spec.interval_us)
    _put(proto, 14, "f", spec.synch_unit)
    _put(proto, 110, "f", spec.adc_range)
    _put(proto, 118, "i", spec.resolution)
    _put(proto, 132, "i", idx["comment"])
    add("Protocol", 512, 1, bytes(proto))
    adcs = bytearray(128 * spec.nch)
    for c in range(spec.nch):
        o = 128 * c
        _put(adcs, o, "h", c)
        _put(adcs, o + 2, "h", spec.telegraph[0])
        _put(adcs, o + 6, "f", spec.telegraph[1])
        _put(adcs, o + 28, "f", spec.prog_gain)
        _put(adcs, o + 40, "f", spec.scale)
        _put(adcs, o + 44, "f", spec.offset)
        _put(adcs, o + 48, "f", spec.signal_gain)
        _put(adcs, o + 74, "i", idx[spec.names[c]])
        _put(adcs, o + 78, "i", idx[spec.units[c]])
    add("ADC", 128, spec.nch, bytes(adcs))
    dac = bytearray(256)
    _put(dac, 12, "f", spec.holding)
    _put(dac, 24, "i", idx["Cmd 0"])
    _put(dac, 28, "i", idx["mV"])
    _put(dac, 40, "hhh", 1 if spec.epochs else 0, 1 if spec.epochs else 0, spec.keep_last_level)
    add("DAC", 256, 1, bytes(dac))
    if spec.epochs:
        ep = bytearray(48 * len(spec.epochs))
        for i, e in enumerate(spec.epochs):
            _put(
                ep,
                48 * i,
                "hhhffiiii",
                i,
                0,
                e.type,
                e.level,
                e.level_inc,
                e.duration,
                e.duration_inc,
                e.period,
                e.width,
            )
        add("EpochPerDAC", 48, len(spec.epochs), bytes(ep))
    add("Strings", len(str_body), len(strings), str_body)
    add("Data", raw.dtype.itemsize, raw.size, data)
    if spec.synch:
        add("SynchArray", 8, len(spec.synch), b"".join(struct.pack("<ii", a, b) for a, b in spec.synch))
    if spec.tags:
        body = b"".join(
            struct.pack("<i56shh", t, c.encode("latin-1").ljust(56, b"\x00"), 1, 0) for t, c in spec.tags
        )
        add("Tag", 64, len(spec.tags), body)
    head = bytearray(512)
    head[0:4] = b"ABF2"
    head[4:8] = bytes([0, 0, 6, 2])
    _put(head, 8, "I", 512)
    _put(head, 12, "I", spec.sweeps)
    _put(head, 16, "II", spec.date, spec.time_ms)
    _put(head, 30, "H", 0 if raw.dtype == np.int16 else 1)
    _put(head, 60, "I", idx["Clampex"])
    _put(head, 72, "I", idx[spec.protocol])
    for name, (block, size, count, _) in blocks.items():
        _put(head, SECTION[name], "IIq", block, size, count)
    out = bytearray(nxt * BLOCK)
    out[:512] = head
    for block, _, _, body in blocks.values():
        out[block * BLOCK : block * BLOCK + len(body)] = body
    return bytes(out)


def section_offset(name: str) -> int:
    """Byte offset of a section's map entry in the header."""
    return SECTION[name]
