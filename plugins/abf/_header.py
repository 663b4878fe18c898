"""Parse and validate ABF 1.x (fixed header) and ABF 2.x (section map) headers.

Field offsets follow the published layouts (Axon's ABFFIO headers, as also
documented by pyABF and neo). Every count, pointer and size is checked
against the file size before anything is allocated from it.
"""

from __future__ import annotations

import datetime as dt
import math
import struct
from typing import Any

import numpy as np

from ._deps import CorruptFileError, FormatMismatch, LimitExceededError, TruncatedFileError
from ._io import RandomAccess
from ._model import AbfHeader, Channel, Dac, Epoch, Tag

__all__ = ["BLOCK", "MAX_CHANNELS", "parse_header"]

BLOCK = 512
ABF1_HEADER = 2048  # ABF < 1.6
ABF1_EXTENDED = 6144  # ABF 1.6 .. 1.8x
ABF2_MAP = 76  # first section entry
MAX_CHANNELS = 128  # ADC entries accepted in an ABF2 section (Axon's hardware has at most 16)
MAX_DACS = 64  # DAC entries accepted (Axon writes 4 or 8)
MAX_EPOCH_ENTRIES = 4096
MAX_TAGS = 1_000_000
#: Per-channel sample intervals accepted, in µs: 100 MHz .. 0.01 Hz (Axon digitizers: 1 µs .. 1 s).
MIN_INTERVAL_US, MAX_INTERVAL_US = 0.01, 1e8
#: fSynchTimeUnit accepted when used (µs); 0 means "counted in samples".
MAX_SYNCH_UNIT_US = 1e6
#: fEpisodeStartToStart accepted when used (s).
MAX_EPISODE_INTERVAL_S = 1e6


class _Bytes:
    """A region of the file with typed, bounds-checked little-endian reads."""

    def __init__(self, data: bytes, base: int, path: str, what: str) -> None:
        self.data, self.base, self.path, self.what = data, base, path, what

    def get(self, fmt: str, off: int) -> Any:
        size = struct.calcsize("<" + fmt)
        if off + size > len(self.data):
            raise TruncatedFileError(
                f"the {self.what} ends before its field at offset {off}",
                path=self.path,
                offset=self.base + off,
            )
        values = struct.unpack_from("<" + fmt, self.data, off)
        return values[0] if len(values) == 1 else list(values)

    def text(self, off: int, n: int) -> str:
        raw = self.get(f"{n}s", off)
        return _decode(raw)

    def texts(self, off: int, n: int, count: int) -> list[str]:
        return [self.text(off + i * n, n) for i in range(count)]


def _decode(raw: bytes) -> str:
    """Header text: latin-1 (0xB5 is µ), cut at the first NUL, stripped."""
    return raw.split(b"\x00", 1)[0].decode("latin-1").strip()


def _interval(path: str, interval_us: float, where: int, what: str = "sample interval") -> float:
    """The per-channel sample interval in µs, refused unless finite and in the accepted range."""
    if not (math.isfinite(interval_us) and MIN_INTERVAL_US <= interval_us <= MAX_INTERVAL_US):
        raise CorruptFileError(
            f"{what} {interval_us!r} µs per channel is not between {MIN_INTERVAL_US} and {MAX_INTERVAL_US:g}"
            " (a sample rate between 0.01 Hz and 100 MHz): the file's times cannot be trusted",
            path=path,
            offset=where,
        )
    return float(interval_us)


def _time_factor(path: str, value: float, used: bool, limit: float, what: str, where: int) -> float:
    """A header number that scales times (synch time unit, sweep interval), 0 meaning "not set".

    When ``used``, anything but 0 or a finite number in ``[limit * 1e-9, limit]`` is a
    :class:`CorruptFileError`; when not used, such a value is reported as 0.
    """
    plausible = math.isfinite(value) and (value == 0 or limit * 1e-9 <= value <= limit)
    if plausible:
        return float(value)
    if not used:
        return 0.0
    raise CorruptFileError(
        f"{what} {value!r} is neither 0 nor between {limit * 1e-9:g} and {limit:g}:"
        " the file's times cannot be trusted",
        path=path,
        offset=where,
    )


def _check_range(path: str, adc_range: float, resolution: int, where_range: int, where_resolution: int) -> None:
    """int16 data need a positive, finite ADC range and a positive resolution."""
    if not (math.isfinite(adc_range) and adc_range > 0):
        raise CorruptFileError(
            f"ADC range {adc_range!r} V is not a positive number: the int16 samples cannot be scaled",
            path=path,
            offset=where_range,
        )
    if resolution <= 0:
        raise CorruptFileError(
            f"ADC resolution {resolution} is not positive: the int16 samples cannot be scaled",
            path=path,
            offset=where_resolution,
        )


def _offset(path: str, instrument: float, signal: float, where: int) -> float:
    """InstrumentOffset - SignalOffset, refused when not finite (it would make every value NaN)."""
    value = instrument - signal
    if not math.isfinite(value):
        raise CorruptFileError(
            f"the channel offsets (instrument offset {instrument!r}, signal offset {signal!r}) are not finite",
            path=path,
            offset=where,
        )
    return float(value)


def _finite(value: float, default: float = 0.0) -> float:
    return float(value) if math.isfinite(value) else default


def _date(yyyymmdd: int, ms: float) -> dt.datetime | None:
    """The recording start, or None when the header date is impossible."""
    try:
        day = dt.datetime(yyyymmdd // 10000, yyyymmdd // 100 % 100, yyyymmdd % 100)
        if not 0 <= ms < 86_400_000:
            return None
        return day + dt.timedelta(milliseconds=ms)
    except (ValueError, OverflowError):
        return None


def _guid(raw: bytes) -> str:
    order = [3, 2, 1, 0, 5, 4, 7, 6, 8, 9, 10, 11, 12, 13, 14, 15]
    h = "".join(f"{raw[i]:02X}" for i in order)
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


def _gain(
    path: str,
    where: int,
    scale: float,
    signal_gain: float,
    prog_gain: float,
    telegraph_gain: float | None,
    adc_range: float,
    resolution: int,
) -> float:
    """Units per ADC count; the product of the header factors, refused when not finite and non-zero."""
    divisor = scale * signal_gain * prog_gain * (telegraph_gain if telegraph_gain is not None else 1.0)
    gain = adc_range / resolution / divisor if divisor and resolution else math.nan
    if not math.isfinite(gain) or gain == 0:
        raise CorruptFileError(
            "the channel scaling (instrument scale, signal gain, programmable gain, telegraph gain,"
            f" ADC range {adc_range}, resolution {resolution}) gives no finite, non-zero gain",
            path=path,
            offset=where,
        )
    return gain


def parse_header(io: RandomAccess) -> AbfHeader:
    """Read and validate the header of the ABF file behind ``io``."""
    head = io.read(0, min(io.size, 8)) if io.size >= 4 else b""
    if head[:4] == b"ABF2":
        return _parse_v2(io)
    if head[:4] == b"ABF ":
        return _parse_v1(io)
    raise FormatMismatch("does not start with 'ABF ' or 'ABF2'")


# -- shared ------------------------------------------------------------------


def _check_data(path: str, size: int, offset: int, count: int, itemsize: int, where: int) -> None:
    if offset < 0 or count < 0:
        raise CorruptFileError(
            f"negative data offset {offset} or value count {count}", path=path, offset=where
        )
    end = offset + count * itemsize
    if end > size:
        raise TruncatedFileError(
            f"the header declares {count} values of {itemsize} bytes from byte {offset}, ending at byte"
            f" {end}, but the file has {size} bytes",
            path=path,
            offset=where,
        )


def _sweeps(
    path: str,
    mode: int,
    episodes: int,
    nch: int,
    count: int,
    synch: np.ndarray | None,
    synch_unit_us: float,
    interval_us: float,
    episode_interval_s: float,
    where: int,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, dict[str, Any]]:
    """Per-sweep first value index, samples per channel and start time (s)."""
    per_channel = count // nch
    info: dict[str, Any] = {}
    if count % nch:
        raise CorruptFileError(
            f"the data block holds {count} values, not a multiple of the {nch} channels",
            path=path,
            offset=where,
        )
    rate = 1e6 / interval_us

    def start_seconds(starts: np.ndarray) -> np.ndarray:
        if synch_unit_us > 0:
            return starts.astype(np.float64) * synch_unit_us * 1e-6
        return starts.astype(np.float64) / rate

    if mode == 3 or per_channel == 0:
        info["sweep origin"] = "one sweep (gap-free)" if mode == 3 else "one sweep (no data)"
        starts = start_seconds(synch[:1, 0]) if synch is not None and len(synch) else np.zeros(1)
        return np.zeros(1, np.int64), np.array([per_channel], np.int64), starts, info
    if mode == 1:
        if synch is None or not len(synch):
            raise CorruptFileError(
                "an event-driven variable-length file needs a synch array, and this one has none",
                path=path,
                offset=where,
            )
        lengths = synch[:, 1].astype(np.int64)
        if int(lengths.sum()) != count and synch_unit_us > 0:
            # Some writers give the lengths of variable-length sweeps in synch time units.
            scaled = np.rint(lengths * synch_unit_us / (interval_us / nch)).astype(np.int64)
            if int(scaled.sum()) == count:
                lengths = scaled
        if np.any(lengths < 0) or int(lengths.sum()) != count or np.any(lengths % nch):
            raise CorruptFileError(
                f"the synch array's sweep lengths add up to {int(lengths.sum())} values, but the data block"
                f" holds {count} (or a length is negative or not a multiple of {nch} channels)",
                path=path,
                offset=where,
            )
        offsets = np.concatenate([[0], np.cumsum(lengths)[:-1]]).astype(np.int64)
        info["sweep origin"] = "synch array (variable length)"
        return offsets, lengths // nch, start_seconds(synch[:, 0]), info
    sweeps = max(episodes, 1)
    if sweeps > per_channel:
        raise CorruptFileError(
            f"{sweeps} sweeps declared but the data block holds only {per_channel} samples per channel",
            path=path,
            offset=where,
        )
    n = per_channel // sweeps
    if per_channel % sweeps:
        info["leftover values"] = count - n * sweeps * nch
    offsets = np.arange(sweeps, dtype=np.int64) * n * nch
    lengths = np.full(sweeps, n, np.int64)
    if synch is not None and len(synch) == sweeps:
        starts = start_seconds(synch[:, 0])
        info["sweep origin"] = "synch array"
    else:
        step = episode_interval_s if episode_interval_s > 0 else n / rate
        starts = np.arange(sweeps) * step
        info["sweep origin"] = "sweep interval" if episode_interval_s > 0 else "sweep length"
    return offsets, lengths, starts, info


def _read_synch(io: RandomAccess, offset: int, entries: int, where: int) -> np.ndarray | None:
    if entries <= 0:
        return None
    if offset <= 0 or offset + entries * 8 > io.size:
        raise TruncatedFileError(
            f"the synch array ({entries} entries at byte {offset}) runs past the end of the file"
            f" ({io.size} bytes)",
            path=io.name,
            offset=where,
        )
    synch = io.read_array(offset, entries * 2, np.dtype("<i4")).reshape(entries, 2).astype(np.int64)
    starts = synch[:, 0]
    bad = np.flatnonzero((starts < 0) | (np.diff(starts, prepend=0) < 0))
    if bad.size:
        k = int(bad[0])
        raise CorruptFileError(
            f"synch array entry {k} starts at {int(starts[k])}, "
            + ("a negative time" if starts[k] < 0 else f"before entry {k - 1} ({int(starts[k - 1])})")
            + ": the sweep start times cannot be trusted",
            path=io.name,
            offset=offset + 8 * k,
        )
    return synch


def _read_tags(
    io: RandomAccess, offset: int, entries: int, entry_size: int, seconds_per_tick: float, where: int
) -> list[Tag]:
    if entries <= 0:
        return []
    if entries > MAX_TAGS:
        raise LimitExceededError(f"{entries} tags exceed the limit of {MAX_TAGS}", path=io.name, offset=where)
    if entry_size < 62 or offset <= 0 or offset + entries * entry_size > io.size:
        raise TruncatedFileError(
            f"the tag section ({entries} entries of {entry_size} bytes at byte {offset}) does not fit"
            f" in the file ({io.size} bytes)",
            path=io.name,
            offset=where,
        )
    block = _Bytes(io.read(offset, entries * entry_size), offset, io.name, "tag section")
    tags = []
    for i in range(entries):
        at = i * entry_size
        tags.append(
            Tag(
                time=block.get("i", at) * seconds_per_tick,
                comment=block.text(at + 4, 56),
                type=block.get("h", at + 60),
            )
        )
    return tags


# -- ABF 1.x -----------------------------------------------------------------


def _parse_v1(io: RandomAccess) -> AbfHeader:
    path, size = io.name, io.size
    if size < ABF1_HEADER:
        raise TruncatedFileError(
            f"an ABF 1 header needs {ABF1_HEADER} bytes but the file has {size}", path=path, offset=size
        )
    version = struct.unpack_from("<f", io.read(4, 4))[0]
    if not (math.isfinite(version) and 0.0 < version < 2.0):
        raise CorruptFileError(f"ABF 1 file version {version!r} is not between 0 and 2", path=path, offset=4)
    extended = version >= 1.6 - 1e-6
    if extended and size < ABF1_EXTENDED:
        raise TruncatedFileError(
            f"an ABF {version:.2f} header needs {ABF1_EXTENDED} bytes but the file has {size}",
            path=path,
            offset=size,
        )
    h = _Bytes(io.read(0, ABF1_EXTENDED if extended else ABF1_HEADER), 0, path, "ABF 1 header")
    mode = h.get("h", 8)
    count = h.get("i", 10)
    ignored = h.get("h", 14)
    episodes = h.get("i", 16)
    data_format = h.get("h", 100)
    if data_format not in (0, 1):
        raise CorruptFileError(
            f"data format {data_format} is neither 0 (int16) nor 1 (float32)", path=path, offset=100
        )
    dtype = np.dtype("<i2") if data_format == 0 else np.dtype("<f4")
    nch = h.get("h", 120)
    if not 1 <= nch <= 16:
        raise CorruptFileError(f"{nch} ADC channels (an ABF 1 file has 1 to 16)", path=path, offset=120)
    interval = h.get("f", 122)  # between two values of the multiplexed stream
    _interval(path, interval * nch, 122, f"sample interval {interval!r} µs x {nch} channels =")
    data_offset = h.get("i", 40) * BLOCK + max(ignored, 0) * dtype.itemsize
    if h.get("i", 40) < 0 or mode not in (1, 2, 3, 4, 5):
        raise CorruptFileError(
            f"operation mode {mode} or data block {h.get('i', 40)} is invalid", path=path, offset=8
        )
    _check_data(path, size, data_offset, count, dtype.itemsize, 10)
    adc_range = h.get("f", 244)
    resolution = h.get("i", 252)
    if data_format == 0:
        _check_range(path, adc_range, resolution, 244, 252)
    seq = h.get("16h", 410)
    names = h.texts(442, 10, 16)
    units = h.texts(602, 8, 16)
    prog = h.get("16f", 730)
    scale = h.get("16f", 922)
    ioffset = h.get("16f", 986)
    sgain = h.get("16f", 1050)
    soffset = h.get("16f", 1114)
    tel_enable = h.get("16h", 4512) if extended else [0] * 16
    tel_gain = h.get("16f", 4576) if extended else [1.0] * 16
    channels = []
    for i in range(nch):
        adc = seq[i]
        if not 0 <= adc < 16:
            raise CorruptFileError(
                f"sampling sequence entry {i} names ADC {adc}", path=path, offset=410 + 2 * i
            )
        telegraph = tel_gain[adc] if tel_enable[adc] == 1 else None
        gain, offset = 1.0, 0.0
        if data_format == 0:
            gain = _gain(path, 730 + 4 * adc, scale[adc], sgain[adc], prog[adc], telegraph, adc_range, resolution)
            offset = _offset(path, ioffset[adc], soffset[adc], 986 + 4 * adc)
        channels.append(
            Channel(
                name=names[adc],
                unit=units[adc],
                adc=adc,
                gain=gain,
                offset=offset,
                telegraph={"enabled": float(tel_enable[adc]), "additional gain": float(tel_gain[adc])},
            )
        )
    interval_us = interval * nch
    synch = _read_synch(io, h.get("i", 92) * BLOCK, h.get("i", 96), 92)
    synch_unit = _time_factor(
        path, h.get("f", 130), synch is not None, MAX_SYNCH_UNIT_US, "synch time unit (µs)", 130
    )
    offsets, lengths, starts, info = _sweeps(
        path, mode, episodes, nch, count, synch, synch_unit, interval_us, 0.0, 16
    )
    tags = _read_tags(io, h.get("i", 44) * BLOCK, h.get("i", 48), 64, interval / nch * 1e-6, 44)
    start = _date(h.get("i", 20), h.get("i", 24) * 1000 + (h.get("h", 366) if extended else 0))
    dacs = _dacs_v1(h, extended)
    comment = (h.text(5154, 128) if extended else "") or h.text(310, 56)
    version_text = f"{round(version, 3):g}"
    return AbfHeader(
        path=path,
        version=version_text,
        major=1,
        mode=mode,
        data_offset=data_offset,
        dtype=dtype,
        data_count=count,
        interval_us=interval_us,
        channels=channels,
        sweep_offsets=offsets,
        sweep_lengths=lengths,
        sweep_starts=starts,
        start=start,
        dacs=dacs,
        tags=tags,
        protocol_path=h.text(4898, 256) if extended else "",
        comment=comment,
        creator=h.text(294, 16) if extended else "",
        guid=_guid(h.data[5282:5298]) if extended else "",
        extra={
            **info,
            "ADC range": adc_range,
            "ADC resolution": resolution,
            "synch time unit (µs)": synch_unit,
            "episodes declared": episodes,
            "header bytes": len(h.data),
        },
    )


def _dacs_v1(h: _Bytes, extended: bool) -> list[Dac]:
    names = h.texts(1306, 10, 4)
    units = h.texts(1346, 8, 4)
    holding = h.get("4f", 1394)
    dacs = []
    for d in range(4):
        dac = Dac(
            index=d,
            name=names[d],
            unit=units[d],
            holding=_finite(holding[d], math.nan),
            waveform_enabled=False,
            waveform_source=0,
            keep_last_level=False,
        )
        if extended and d < 2:
            dac.waveform_enabled = h.get("h", 2296 + 2 * d) != 0
            dac.waveform_source = h.get("h", 2300 + 2 * d)
            dac.keep_last_level = h.get("h", 2304 + 2 * d) != 0
            dac.file_path = h.text(2736 + 256 * d, 256)
            types = h.get("10h", 2308 + 20 * d)
            levels = h.get("10f", 2348 + 40 * d)
            level_inc = h.get("10f", 2428 + 40 * d)
            durations = h.get("10i", 2508 + 40 * d)
            duration_inc = h.get("10i", 2588 + 40 * d)
            dac.epochs = [
                Epoch(
                    number=e,
                    type=types[e],
                    level=_finite(levels[e]),
                    level_inc=_finite(level_inc[e]),
                    duration=durations[e],
                    duration_inc=duration_inc[e],
                )
                for e in range(10)
                if types[e] != 0
            ]
        dacs.append(dac)
    return dacs


# -- ABF 2.x -----------------------------------------------------------------

_SECTIONS = {
    "Protocol": 76,
    "ADC": 92,
    "DAC": 108,
    "Epoch": 124,
    "ADCPerDAC": 140,
    "EpochPerDAC": 156,
    "UserList": 172,
    "StatsRegion": 188,
    "Math": 204,
    "Strings": 220,
    "Data": 236,
    "Tag": 252,
    "Scope": 268,
    "Delta": 284,
    "VoiceTag": 300,
    "SynchArray": 316,
    "Annotation": 332,
    "Stats": 348,
}


class _Section:
    def __init__(self, name: str, where: int, block: int, size: int, count: int) -> None:
        self.name, self.where, self.offset, self.size, self.count = name, where, block * BLOCK, size, count


def _section(
    io: RandomAccess, h: _Bytes, name: str, min_size: int = 0, max_count: int | None = None
) -> _Section:
    where = _SECTIONS[name]
    block, size, count = h.get("I", where), h.get("I", where + 4), h.get("q", where + 8)
    sec = _Section(name, where, block, size, count)
    if count < 0 or (count and block == 0):
        raise CorruptFileError(
            f"the {name} section entry (block {block}, {count} entries) is invalid",
            path=io.name,
            offset=where,
        )
    if max_count is not None and count > max_count:
        raise LimitExceededError(
            f"the {name} section declares {count} entries, more than the limit of {max_count}",
            path=io.name,
            offset=where,
        )
    if count and size < min_size:
        raise CorruptFileError(
            f"the {name} section's entries have {size} bytes, fewer than the {min_size} it needs",
            path=io.name,
            offset=where,
        )
    extent = size if name == "Strings" else size * count
    if name != "Data" and count and sec.offset + extent > io.size:
        raise TruncatedFileError(
            f"the {name} section ({count} entries of {size} bytes at byte {sec.offset}) runs past the end"
            f" of the file ({io.size} bytes)",
            path=io.name,
            offset=where,
        )
    return sec


def _entries(io: RandomAccess, sec: _Section) -> list[_Bytes]:
    if not sec.count:
        return []
    data = io.read(sec.offset, sec.size * sec.count)
    return [
        _Bytes(
            data[i * sec.size : (i + 1) * sec.size],
            sec.offset + i * sec.size,
            io.name,
            f"{sec.name} entry {i}",
        )
        for i in range(sec.count)
    ]


def _strings(io: RandomAccess, sec: _Section) -> list[str]:
    """The indexed strings (index 1 is the first; index 0 and unknown indices are '')."""
    if not sec.count or sec.size < 44:
        return []
    block = io.read(sec.offset, sec.size)
    items = block[44:].split(b"\x00")
    return [_decode(s) for s in items[: sec.count]]


def _parse_v2(io: RandomAccess) -> AbfHeader:
    path, size = io.name, io.size
    if size < BLOCK:
        raise TruncatedFileError(
            f"an ABF 2 header needs {BLOCK} bytes but the file has {size}", path=path, offset=size
        )
    h = _Bytes(io.read(0, BLOCK), 0, path, "ABF 2 header")
    vb = h.data[4:8]
    version = ".".join(str(b) for b in reversed(vb))
    if vb[3] != 2:
        raise CorruptFileError(f"ABF2 signature with file version {version}", path=path, offset=4)
    proto_sec = _section(io, h, "Protocol", 128)
    adc_sec = _section(io, h, "ADC", 82, MAX_CHANNELS)
    dac_sec = _section(io, h, "DAC", 132, MAX_DACS)
    epd_sec = _section(io, h, "EpochPerDAC", 30, MAX_EPOCH_ENTRIES)
    ep_sec = _section(io, h, "Epoch", 4, MAX_EPOCH_ENTRIES)
    str_sec = _section(io, h, "Strings")
    data_sec = _section(io, h, "Data")
    tag_sec = _section(io, h, "Tag", 62, MAX_TAGS)
    synch_sec = _section(io, h, "SynchArray", 8)
    if proto_sec.count < 1:
        raise CorruptFileError("the file has no protocol section", path=path, offset=proto_sec.where)
    if adc_sec.count < 1:
        raise CorruptFileError("the file has no ADC channel", path=path, offset=adc_sec.where)
    p = _entries(io, _Section("Protocol", 76, proto_sec.offset // BLOCK, proto_sec.size, 1))[0]
    strings = _strings(io, str_sec)

    def s(index: int) -> str:
        return strings[index - 1] if 1 <= index <= len(strings) else ""

    mode = p.get("h", 0)
    interval = _interval(path, p.get("f", 2), proto_sec.offset + 2)
    if mode not in (1, 2, 3, 4, 5):
        raise CorruptFileError(f"operation mode {mode} is invalid", path=path, offset=proto_sec.offset)
    data_format = h.get("H", 30)
    itemsize = data_sec.size if data_sec.count else (2 if data_format == 0 else 4)
    if (data_format, itemsize) not in ((0, 2), (1, 4)):
        raise CorruptFileError(
            f"data format {data_format} with {itemsize}-byte values (expected int16 or float32)",
            path=path,
            offset=data_sec.where + 4 if data_format in (0, 1) else 30,
        )
    dtype = np.dtype("<i2") if data_format == 0 else np.dtype("<f4")
    _check_data(path, size, data_sec.offset, data_sec.count, itemsize, data_sec.where)
    adc_range = p.get("f", 110)
    resolution = p.get("i", 118)
    if data_format == 0:
        _check_range(path, adc_range, resolution, proto_sec.offset + 110, proto_sec.offset + 118)
    channels = []
    for i, a in enumerate(_entries(io, adc_sec)):
        telegraph_on = a.get("h", 2) == 1
        gain, offset = 1.0, 0.0
        if data_format == 0:
            gain = _gain(
                path,
                a.base,
                a.get("f", 40),
                a.get("f", 48),
                a.get("f", 28),
                a.get("f", 6) if telegraph_on else None,
                adc_range,
                resolution,
            )
            offset = _offset(path, a.get("f", 44), a.get("f", 52), a.base + 44)
        name = s(a.get("i", 74))
        channels.append(
            Channel(
                name=name,
                unit=s(a.get("i", 78)),
                adc=a.get("h", 0),
                gain=gain,
                offset=offset,
                telegraph={
                    "enabled": float(a.get("h", 2)),
                    "instrument": float(a.get("h", 4)),
                    "additional gain": float(a.get("f", 6)),
                    "filter": float(a.get("f", 10)),
                    "membrane capacitance": float(a.get("f", 14)),
                    "mode": float(a.get("h", 18)),
                },
            )
        )
    nch = len(channels)
    synch = None
    if synch_sec.count:
        if synch_sec.size != 8:
            raise CorruptFileError(
                f"synch array entries of {synch_sec.size} bytes (expected 8)",
                path=path,
                offset=synch_sec.where,
            )
        synch = _read_synch(io, synch_sec.offset, synch_sec.count, synch_sec.where)
    synch_unit = _time_factor(
        path,
        p.get("f", 14),
        synch is not None or tag_sec.count > 0,
        MAX_SYNCH_UNIT_US,
        "synch time unit (µs)",
        proto_sec.offset + 14,
    )
    episodes = h.get("I", 12)
    episode_interval = _time_factor(
        path,
        p.get("f", 62),
        synch is None and mode in (2, 4, 5) and episodes > 1,
        MAX_EPISODE_INTERVAL_S,
        "sweep start-to-start interval (s)",
        proto_sec.offset + 62,
    )
    offsets, lengths, starts, info = _sweeps(
        path, mode, h.get("I", 12), nch, data_sec.count, synch, synch_unit, interval, episode_interval, 12
    )
    tick = synch_unit * 1e-6 if synch_unit > 0 else interval * 1e-6 / nch
    tags = _read_tags(io, tag_sec.offset, tag_sec.count, tag_sec.size, tick, tag_sec.where)
    dacs = _dacs_v2(io, dac_sec, epd_sec, ep_sec, p.get("h", 142), s)
    start = _date(h.get("I", 16), h.get("I", 20))
    creator_v = ".".join(str(b) for b in reversed(h.data[56:60]))
    return AbfHeader(
        path=path,
        version=version,
        major=2,
        mode=mode,
        data_offset=data_sec.offset,
        dtype=dtype,
        data_count=data_sec.count,
        interval_us=float(interval),
        channels=channels,
        sweep_offsets=offsets,
        sweep_lengths=lengths,
        sweep_starts=starts,
        start=start,
        dacs=dacs,
        tags=tags,
        protocol_path=s(h.get("I", 72)),
        comment=s(p.get("i", 132)),
        creator=f"{s(h.get('I', 60))} {creator_v}".strip(),
        guid=_guid(h.data[40:56]),
        extra={
            **info,
            "ADC range": adc_range,
            "ADC resolution": resolution,
            "synch time unit (µs)": synch_unit,
            "episodes declared": h.get("I", 12),
            "sweep interval (s)": episode_interval,
        },
    )


def _dacs_v2(
    io: RandomAccess, dac_sec: _Section, epd_sec: _Section, ep_sec: _Section, active: int, s: Any
) -> list[Dac]:
    digital: dict[int, int] = {}
    for e in _entries(io, ep_sec):
        digital[e.get("h", 0)] = e.get("h", 2)
    per_dac: dict[int, list[Epoch]] = {}
    for e in _entries(io, epd_sec):
        number, dac = e.get("h", 0), e.get("h", 2)
        kind = e.get("h", 4)
        if kind == 0:
            continue
        per_dac.setdefault(dac, []).append(
            Epoch(
                number=number,
                type=kind,
                level=_finite(e.get("f", 6)),
                level_inc=_finite(e.get("f", 10)),
                duration=e.get("i", 14),
                duration_inc=e.get("i", 18),
                pulse_period=e.get("i", 22),
                pulse_width=e.get("i", 26),
                digital=digital.get(number, 0) if dac == active else 0,
            )
        )
    dacs = []
    for i, d in enumerate(_entries(io, dac_sec)):
        num = d.get("h", 0)
        dacs.append(
            Dac(
                index=num if 0 <= num < MAX_DACS else i,
                name=s(d.get("i", 24)),
                unit=s(d.get("i", 28)),
                holding=_finite(d.get("f", 12), math.nan),
                waveform_enabled=d.get("h", 40) != 0,
                waveform_source=d.get("h", 42),
                keep_last_level=d.get("h", 44) != 0,
                file_path=s(d.get("i", 118)),
                epochs=per_dac.get(num, []),
            )
        )
    return dacs
