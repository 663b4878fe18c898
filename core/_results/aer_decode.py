"""Address decoders: raw jAER addresses to ``x``, ``y``, ``polarity`` (+ IMU/APS/special streams).

Conventions follow jAER's extractors (see ``spec/formats/aedat.md``):

* origin at the bottom-left, ``x`` mirrored: ``x = width - 1 - raw_x``, ``y = raw_y``;
* DVS128: bit 0 raw 0 means ON, bits 1-7 raw x, bits 8-14 y, bit 15 external (sync) event;
* DAVIS: bit 31 clear = DVS (bit 10 set = external event), bits 12-21 raw x,
  bits 22-30 y, bit 11 polarity (1 = ON); bit 31 set = APS sample or, when bits
  10 and 11 are both set, an IMU word.

Events whose coordinates fall outside the sensor are removed and counted in
``metadata["decode"]["out_of_range"]``; nothing raises on bad addresses.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from .._errors import OptionError

if TYPE_CHECKING:
    from .events import Events

__all__ = ["IMU_DTYPE", "LAYOUTS", "TRIGGER_DTYPE", "decode_addresses", "encode_addresses", "layout_for_chip",
           "piece_marks", "pending_records"]

#: Sensor sizes (width, height) of the known layouts.
LAYOUTS: dict[str, tuple[str, int, int]] = {
    "dvs128": ("dvs128", 128, 128),
    "davis128": ("davis", 128, 128),
    "davis240": ("davis", 240, 180),
    "davis346": ("davis", 346, 260),
    "davis640": ("davis", 640, 480),
    "davis208": ("davis", 208, 192),
}


def layout_for_chip(*names: object) -> str | None:
    """The address layout a jAER ``AEChip``/``HardwareInterface`` name (or DV camera name) implies, or None."""
    for name in names:
        if not name:
            continue
        key = str(name).lower().replace("-", "").replace("_", "").replace(" ", "")
        for needle, layout in _CHIP_LAYOUTS:
            if needle in key:
                return layout
    return None

#: IMU fields of every AEDAT version, in physical units: temperature (°C), acceleration (g),
#: rotation (°/s), magnetic field (µT); NaN where the file has no such value.
IMU_FIELDS = ("temperature", "accelerometer_x", "accelerometer_y", "accelerometer_z", "gyroscope_x",
              "gyroscope_y", "gyroscope_z", "magnetometer_x", "magnetometer_y", "magnetometer_z")
#: ``streams["imu"]`` of every AEDAT version: timestamp (ticks, µs) then :data:`IMU_FIELDS` as float32.
IMU_DTYPE = np.dtype([("timestamp", "i8")] + [(name, "f4") for name in IMU_FIELDS])
#: ``streams["triggers"]`` of every AEDAT version: timestamp (ticks, µs) and DV ``TriggerType`` code.
TRIGGER_DTYPE = np.dtype([("timestamp", "i8"), ("type", "i1")])
#: DV TriggerType code given to jAER external/sync events (AEDAT 1.0/2.0), which carry no edge.
TRIGGER_EXTERNAL_PULSE = 3
#: Order of the 7 IMU words of a jAER AEDAT 2.0 IMU sample (MPU-6x50 register order).
_IMU_WORDS = ("accelerometer_x", "accelerometer_y", "accelerometer_z", "temperature", "gyroscope_x",
              "gyroscope_y", "gyroscope_z")
#: jAER defaults when the header does not state the full scale: ±8 g (4096 LSB/g), ±1000 °/s (32.8 LSB/(°/s)).
_ACCEL_LSB_PER_G = {2: 16384.0, 4: 8192.0, 8: 4096.0, 16: 2048.0}
_GYRO_LSB_PER_DPS = {250: 131.0, 500: 65.5, 1000: 32.8, 2000: 16.4}
_DEFAULT_ACCEL_G = 8
_DEFAULT_GYRO_DPS = 1000
#: jAER AEChip / HardwareInterface names -> layout (first match wins, case-insensitive).
_CHIP_LAYOUTS = (("davis346", "davis346"), ("davis240", "davis240"), ("davis640", "davis640"),
                 ("davis128", "davis128"), ("dvs128", "dvs128"), ("davis208", "davis208"))
#: APS readout order of DAVIS chips (jAER ``firstFrameAddress``/``lastFrameAddress``, decoded coordinates):
#: ``(first x, first y, last x, last y)`` with -1 meaning width-1 / height-1.
_APS_ORDER = {"davis346": (0, -1, -1, 0)}
_APS_ORDER_DEFAULT = (-1, -1, 0, 0)


def decode_addresses(events: Events, layout: str) -> Events:
    """Decode ``events.addresses`` for ``layout``; return a new :class:`Events` of DVS events.

    Raises
    ------
    OptionError
        Unknown layout, or the events carry no raw addresses.
    """
    key = str(layout).lower().replace("-", "").replace("_", "")
    if key not in LAYOUTS:
        raise OptionError(f"unknown address layout {layout!r}; known: {', '.join(LAYOUTS)}")
    if events.addresses is None:
        raise OptionError("these events have no raw addresses to decode (the format stores coordinates)")
    family, width, height = LAYOUTS[key]
    if family == "dvs128":
        return _decode_dvs128(events, key, width, height)
    return _decode_davis(events, key, width, height)


def _result(events: Events, keep: np.ndarray[Any, Any], x: Any, y: Any, pol: Any,
            streams: dict[str, Any], info: dict[str, Any]) -> Events:
    meta = dict(events.metadata)
    meta["decode"] = info
    meta["sensor_size"] = (info["width"], info["height"])
    all_streams = dict(events.streams)
    all_streams.update(streams)
    return type(events)(
        events.timestamps[keep],
        addresses=events.addresses[keep],  # type: ignore[index]
        x=x,
        y=y,
        polarity=pol,
        tick=events.tick,
        metadata=meta,
        streams=all_streams,
    )


def _decode_dvs128(events: Events, name: str, width: int, height: int) -> Events:
    a = events.addresses
    assert a is not None
    special = (a & 0x80008000) != 0
    foreign = (a & 0x7FFF0000) != 0  # bits no DVS128 address uses
    dvs = ~special & ~foreign
    raw_x = (a[dvs] >> 1) & 0x7F
    y = ((a[dvs] >> 8) & 0x7F).astype(np.uint16)
    x = (width - 1 - raw_x).astype(np.uint16)
    pol = (a[dvs] & 1) == 0  # jAER: raw 0 = ON
    streams: dict[str, Any] = {}
    if special.any():
        streams["special"] = {"timestamps": events.timestamps[special], "addresses": a[special]}
        streams["triggers"] = _triggers(events.timestamps[special])
    info = {
        "layout": name, "width": width, "height": height, "dvs": int(dvs.sum()),
        "special": int(special.sum()), "out_of_range": int((foreign & ~special).sum()),
    }
    return _result(events, dvs, x, y, pol, streams, info)


def _decode_davis(events: Events, name: str, width: int, height: int) -> Events:
    a = events.addresses
    ts = events.timestamps
    assert a is not None
    other = (a & 0x80000000) != 0
    imu = (a & 0x80000C00) == 0x80000C00
    aps = other & ~imu
    ext = ~other & ((a & 0x400) != 0)
    dvs_candidate = ~other & ~ext
    raw_x = (a >> 12) & 0x3FF
    raw_y = (a >> 22) & 0x1FF
    inside = (raw_x < width) & (raw_y < height)
    dvs = dvs_candidate & inside
    x = (width - 1 - raw_x[dvs]).astype(np.uint16)
    y = raw_y[dvs].astype(np.uint16)
    pol = (a[dvs] & 0x800) != 0
    streams: dict[str, Any] = {}
    if ext.any():
        streams["special"] = {"timestamps": ts[ext], "addresses": a[ext]}
        streams["triggers"] = _triggers(ts[ext])
    aps_inside = aps & inside
    frame_info: dict[str, Any] = {}
    if aps.any():
        streams["aps"] = {
            "timestamps": ts[aps_inside],
            "x": (width - 1 - raw_x[aps_inside]).astype(np.uint16),
            "y": raw_y[aps_inside].astype(np.uint16),
            "readout": ((a[aps_inside] >> 10) & 0x3).astype(np.uint8),
            "adc": (a[aps_inside] & 0x3FF).astype(np.uint16),
        }
        frames, frame_info = assemble_aps_frames(streams["aps"], name, width, height)
        if frames is not None:
            streams["frames"] = frames
    if not aps.any():
        frame_info = {"aps_frames": 0, "frames_note": "no APS samples in the file (APS readout was off):"
                      " no frames to assemble"}
    imu_info: dict[str, Any] = {}
    if imu.any():
        scales = _imu_scales(events.metadata)
        streams["imu"], imu_info = _imu_samples(a[imu], ts[imu], scales)
    info = {
        "layout": name, "width": width, "height": height, "dvs": int(dvs.sum()),
        "special": int(ext.sum()), "aps": int(aps_inside.sum()), "imu_words": int(imu.sum()),
        "out_of_range": int((dvs_candidate & ~inside).sum() + (aps & ~inside).sum()),
        **imu_info, **frame_info,
    }
    return _result(events, dvs, x, y, pol, streams, info)


def _aps_marks(a: np.ndarray[Any, Any], key: str) -> tuple[np.ndarray[Any, Any], np.ndarray[Any, Any],
                                                            np.ndarray[Any, Any], np.ndarray[Any, Any]]:
    """APS samples of DAVIS addresses ``a``: their indices, inside-the-sensor mask, frame-start and frame-end masks.

    A frame starts at the reset read of the chip's first readout pixel and ends at the signal
    read of its last one (:func:`assemble_aps_frames`).
    """
    _, width, height = LAYOUTS[key]
    at = np.flatnonzero((a & 0x80000000) != 0)
    at = at[(a[at] & 0x80000C00) != 0x80000C00]
    w = a[at]
    raw_x, raw_y, readout = (w >> 12) & 0x3FF, (w >> 22) & 0x1FF, (w >> 10) & 0x3
    inside = (raw_x < width) & (raw_y < height)
    x = width - 1 - raw_x.astype(np.int64)
    fx, fy, lx, ly = _APS_ORDER.get(key, _APS_ORDER_DEFAULT)
    fx, lx = (width - 1 if v == -1 else v for v in (fx, lx))
    fy, ly = (height - 1 if v == -1 else v for v in (fy, ly))
    starts = inside & (x == fx) & (raw_y == fy) & (readout == 0)
    ends = inside & (x == lx) & (raw_y == ly) & (readout == 1)
    return at, inside, starts, ends


def _davis_key(layout: str) -> str | None:
    key = str(layout).lower().replace("-", "").replace("_", "")
    return key if key in LAYOUTS and LAYOUTS[key][0] == "davis" else None


def piece_marks(addresses: np.ndarray[Any, Any], layout: str) -> tuple[bool, int]:
    """For chunked DAVIS decoding: does this piece hold a frame start/end or an IMU word, and how many
    APS samples inside the sensor it holds (see :func:`pending_records`)."""
    key = _davis_key(layout)
    if key is None or not len(addresses):
        return False, 0
    at, inside, starts, ends = _aps_marks(addresses, key)
    imu = bool(((addresses & 0x80000C00) == 0x80000C00).any())
    return imu or bool(starts.any() or ends.any()), int(inside.sum())


def pending_records(addresses: np.ndarray[Any, Any], layout: str) -> tuple[np.ndarray[Any, Any], int]:
    """Records a later piece of the file may still complete: what chunked decoding must carry over.

    For a DAVIS ``layout``: the APS samples from the last frame start (reset read of the first
    readout pixel) that no frame end follows (see :func:`assemble_aps_frames`), and the IMU words
    from the first sample start (code 0) among the last 6 IMU words (a 7-word sample not yet
    complete). Decoding these records again in front of the next piece gives the frames and IMU
    samples a whole load gives. Returns ``(indices into addresses, APS samples inside the sensor
    among them)``; nothing for other layouts.
    """
    key = _davis_key(layout)
    empty = np.empty(0, np.intp)
    if key is None or not len(addresses):
        return empty, 0
    a = addresses
    keep = [empty, empty]
    inside_kept = 0
    at, inside, starts, ends = _aps_marks(a, key)
    begun = np.flatnonzero(starts)
    if len(begun):
        last = int(begun[-1])
        if not ends[last + 1:].any():
            keep[0] = at[last:]
            inside_kept = int(inside[last:].sum())
    imu_at = np.flatnonzero((a & 0x80000C00) == 0x80000C00)
    if len(imu_at):
        tail = imu_at[-6:]
        code0 = np.flatnonzero(((a[tail] >> 28) & 0x7) == 0)
        if len(code0):
            keep[1] = tail[int(code0[0]):]
    if not len(keep[0]) and not len(keep[1]):
        return empty, 0
    return np.union1d(keep[0], keep[1]).astype(np.intp), inside_kept


def _triggers(ts: np.ndarray[Any, Any]) -> np.ndarray[Any, Any]:
    out = np.empty(len(ts), TRIGGER_DTYPE)
    out["timestamp"] = ts
    out["type"] = TRIGGER_EXTERNAL_PULSE
    return out


def _imu_scales(metadata: dict[str, Any]) -> dict[str, Any]:
    """Accelerometer (g) and gyroscope (°/s) full scales from jAER's ``ImuAccelScale``/``ImuGyroScale`` prefs."""
    accel, gyro, source = _DEFAULT_ACCEL_G, _DEFAULT_GYRO_DPS, "jAER default"
    for line in metadata.get("header_lines", ()) or ():
        text = str(line)
        if 'key="ImuAccelScale"' in text or 'key="ImuGyroScale"' in text:
            value = text.split('value="', 1)[-1].split('"', 1)[0]
            digits = "".join(ch if ch.isdigit() else " " for ch in value).split()
            if not digits:
                continue
            number = int(digits[-1])
            if "Accel" in text and number in _ACCEL_LSB_PER_G:
                accel, source = number, "header"
            elif "Gyro" in text and number in _GYRO_LSB_PER_DPS:
                gyro, source = number, "header"
    return {"accel_full_scale_g": accel, "gyro_full_scale_dps": gyro, "scale_source": source}


def assemble_aps_frames(aps: dict[str, Any], layout: str, width: int, height: int
                        ) -> tuple[dict[str, np.ndarray[Any, Any]] | None, dict[str, Any]]:
    """Assemble DAVIS APS samples into frames the way jAER does (see ``spec/formats/aedat.md``).

    A frame starts at the reset read (readout 0) of the chip's first readout pixel and ends at
    the signal read (readout 1) of its last readout pixel; each pixel's value is
    ``reset - signal`` clipped at 0 (``uint16``, 10-bit ADC counts), indexed ``[y, x]`` in the
    decoded (jAER, origin bottom-left) coordinates. Frame start/end are the timestamps of those
    two reads; exposure starts at the first pixel's reset read and ends at its signal read.
    Incomplete frames (the recording starts or ends inside one) are dropped and counted.
    """
    from .frames import stack_frames

    fx, fy, lx, ly = _APS_ORDER.get(layout, _APS_ORDER_DEFAULT)
    fx, lx = (width - 1 if v == -1 else v for v in (fx, lx))
    fy, ly = (height - 1 if v == -1 else v for v in (fy, ly))
    ts, x, y = aps["timestamps"], aps["x"].astype(np.intp), aps["y"].astype(np.intp)
    readout, adc = aps["readout"], aps["adc"].astype(np.int32)
    first = (x == fx) & (y == fy)
    starts = np.flatnonzero(first & (readout == 0))
    ends = np.flatnonzero((x == lx) & (y == ly) & (readout == 1))
    frames: list[dict[str, Any]] = []
    incomplete = 0
    for k, s in enumerate(starts):
        stop_at = starts[k + 1] if k + 1 < len(starts) else len(ts)
        e = ends[(ends > s) & (ends < stop_at)]
        if not len(e):
            incomplete += 1
            continue
        sl = slice(int(s), int(e[0]) + 1)
        reset = np.zeros((height, width), np.int32)
        signal = np.zeros((height, width), np.int32)
        r = readout[sl] == 0
        g = readout[sl] == 1
        reset[y[sl][r], x[sl][r]] = adc[sl][r]
        signal[y[sl][g], x[sl][g]] = adc[sl][g]
        image = np.clip(reset - signal, 0, None).astype(np.uint16)
        sig_first = np.flatnonzero(g & first[sl])
        frames.append({"image": image, "timestamps": int(ts[s]), "frame_start": int(ts[s]),
                       "frame_end": int(ts[e[0]]), "exposure_start": int(ts[s]),
                       "exposure_end": int(ts[sl][sig_first[0]]) if len(sig_first) else -1,
                       "position_x": 0, "position_y": 0, "width": width, "height": height})
    info: dict[str, Any] = {"aps_frames": len(frames), "aps_frames_incomplete": incomplete
                            + int(len(starts) == 0 and len(ts) > 0)}
    if not frames:
        return None, info
    return stack_frames(frames, height, width), info


def _imu_samples(words: np.ndarray[Any, Any], ts: np.ndarray[Any, Any],
                 scales: dict[str, Any]) -> tuple[np.ndarray[Any, Any], dict[str, Any]]:
    """Group IMU words into complete 7-word samples (codes 0..6 in order), in physical units.

    Raw counts are divided by the sensitivity of the full scale (``scales``); the temperature
    is ``raw / 340 + 35`` °C (MPU-6x50 datasheet, as jAER). Returns an :data:`IMU_DTYPE` array.
    """
    code = ((words >> 28) & 0x7).astype(np.int8)
    value = ((words >> 12) & 0xFFFF).astype(np.uint16).view(np.int16)
    n = len(code)
    starts = np.flatnonzero(code == 0)
    starts = starts[starts + 7 <= n]
    if len(starts):
        expected = np.arange(7, dtype=np.int8)
        block = code[starts[:, None] + np.arange(7)]
        starts = starts[np.all(block == expected, axis=1)]
    out = np.empty(len(starts), IMU_DTYPE)
    out["timestamp"] = ts[starts]
    for field in IMU_FIELDS:
        out[field] = np.nan
    accel = _ACCEL_LSB_PER_G[scales["accel_full_scale_g"]]
    gyro = _GYRO_LSB_PER_DPS[scales["gyro_full_scale_dps"]]
    for k, field in enumerate(_IMU_WORDS):
        raw = value[starts + k].astype(np.float32)
        if field == "temperature":
            out[field] = raw / np.float32(340.0) + np.float32(35.0)
        else:
            out[field] = raw / np.float32(accel if field.startswith("acc") else gyro)
    info = {"imu_samples": len(starts), "imu_words_unpaired": int(n - 7 * len(starts)), "imu_scales": scales}
    return out, info


def encode_addresses(x: Any, y: Any, polarity: Any, layout: str) -> np.ndarray[Any, Any]:
    """Inverse of :func:`decode_addresses` for DVS events: ``uint32`` raw addresses.

    Raises
    ------
    OptionError
        Unknown layout, or coordinates outside the sensor.
    """
    key = str(layout).lower().replace("-", "").replace("_", "")
    if key not in LAYOUTS:
        raise OptionError(f"unknown address layout {layout!r}; known: {', '.join(LAYOUTS)}")
    family, width, height = LAYOUTS[key]
    x = np.asarray(x).astype(np.int64)
    y = np.asarray(y).astype(np.int64)
    on = np.asarray(polarity).astype(bool)
    if len(x) and (x.min() < 0 or x.max() >= width or y.min() < 0 or y.max() >= height):
        raise OptionError(f"coordinates outside the {width}x{height} sensor of layout {layout!r}")
    raw_x = (width - 1 - x).astype(np.uint32)
    if family == "dvs128":
        words: np.ndarray[Any, Any] = (y.astype(np.uint32) << 8) | (raw_x << 1) | (~on).astype(np.uint32)
        return words
    words = (y.astype(np.uint32) << 22) | (raw_x << 12) | (on.astype(np.uint32) << 11)
    return words
