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

__all__ = ["LAYOUTS", "decode_addresses", "encode_addresses"]

#: Sensor sizes (width, height) of the known layouts.
LAYOUTS: dict[str, tuple[str, int, int]] = {
    "dvs128": ("dvs128", 128, 128),
    "davis128": ("davis", 128, 128),
    "davis240": ("davis", 240, 180),
    "davis346": ("davis", 346, 260),
    "davis640": ("davis", 640, 480),
}

_IMU_FIELDS = ("ax", "ay", "az", "temperature", "gx", "gy", "gz")


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
    streams = {}
    if special.any():
        streams["special"] = {"timestamps": events.timestamps[special], "addresses": a[special]}
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
    aps_inside = aps & inside
    if aps.any():
        streams["aps"] = {
            "timestamps": ts[aps_inside],
            "x": (width - 1 - raw_x[aps_inside]).astype(np.uint16),
            "y": raw_y[aps_inside].astype(np.uint16),
            "readout": ((a[aps_inside] >> 10) & 0x3).astype(np.uint8),
            "adc": (a[aps_inside] & 0x3FF).astype(np.uint16),
        }
    imu_info: dict[str, int] = {}
    if imu.any():
        streams["imu"], imu_info = _imu_samples(a[imu], ts[imu])
    info = {
        "layout": name, "width": width, "height": height, "dvs": int(dvs.sum()),
        "special": int(ext.sum()), "aps": int(aps_inside.sum()), "imu_words": int(imu.sum()),
        "out_of_range": int((dvs_candidate & ~inside).sum() + (aps & ~inside).sum()),
        **imu_info,
    }
    return _result(events, dvs, x, y, pol, streams, info)


def _imu_samples(words: np.ndarray[Any, Any], ts: np.ndarray[Any, Any]) -> tuple[dict[str, Any], dict[str, int]]:
    """Group IMU words into complete 7-word samples (codes 0..6 in order)."""
    code = ((words >> 28) & 0x7).astype(np.int8)
    value = ((words >> 12) & 0xFFFF).astype(np.uint16).view(np.int16)
    n = len(code)
    starts = np.flatnonzero(code == 0)
    starts = starts[starts + 7 <= n]
    if len(starts):
        expected = np.arange(7, dtype=np.int8)
        block = code[starts[:, None] + np.arange(7)]
        starts = starts[np.all(block == expected, axis=1)]
    sample = {"timestamps": ts[starts]}
    for k, field in enumerate(_IMU_FIELDS):
        sample[field] = value[starts + k]
    info = {"imu_samples": len(starts), "imu_words_unpaired": int(n - 7 * len(starts))}
    return sample, info


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
