"""The result type of every AER reader: :class:`Events`."""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any, Union

import numpy as np

from .._errors import OptionError
from .frames import FRAME_FIELDS, stack_frames

__all__ = ["FRAME_FIELDS", "STRUCTURED_DTYPE", "Events", "Frames", "restrict_streams", "stack_frames"]

_Index = Union[int, slice, "np.ndarray[Any, Any]", "list[int]"]


def _native(array: Any, dtype: Any, name: str) -> np.ndarray[Any, Any] | None:
    """``array`` as a 1-D native-endian array of ``dtype`` (no copy when it already is)."""
    if array is None:
        return None
    result = np.asarray(array)
    if result.ndim != 1:
        raise OptionError(f"Events: {name} must be one-dimensional, got shape {result.shape}")
    return result.astype(dtype, copy=False)


STRUCTURED_DTYPE = np.dtype([("x", "<i2"), ("y", "<i2"), ("t", "<i8"), ("p", "?")])
"""``Events.to_structured()`` layout: tonic's ``events_struct`` (x, y int16; t int64 µs; p bool)."""


class Frames:
    """Intensity frames (APS images) of a recording, as numpy arrays.

    Attributes
    ----------
    images
        ``(n, height, width)`` (or ``(n, height, width, channels)`` for colour)
        array, ``uint8`` or ``uint16`` as stored in the file. A frame that covers
        only a region sits at ``[:height[i], :width[i]]`` (zero padding after).
    timestamps
        Central timestamp of each frame (int64, ticks of the recording, µs).
    frame_start, frame_end, exposure_start, exposure_end
        Start/end of readout and of exposure (int64 ticks; -1 when unknown).
    position_x, position_y, width, height
        Where each frame's region sits on the sensor and its size (int32).
    """

    __slots__ = ("exposure_end", "exposure_start", "frame_end", "frame_start", "height", "images",
                 "position_x", "position_y", "timestamps", "width")

    def __init__(self, arrays: Mapping[str, Any]) -> None:
        images = np.asarray(arrays["images"])
        if images.ndim not in (3, 4):
            raise OptionError(f"Frames: images must be (n, height, width[, channels]), got shape {images.shape}")
        n = images.shape[0]
        self.images: np.ndarray[Any, Any] = images
        for name in FRAME_FIELDS:
            default = np.full(n, -1, np.int64)
            if name in ("position_x", "position_y"):
                default = np.zeros(n, np.int64)
            elif name == "width":
                default = np.full(n, images.shape[2], np.int64)
            elif name == "height":
                default = np.full(n, images.shape[1], np.int64)
            value = np.asarray(arrays.get(name, default))
            if value.shape != (n,):
                raise OptionError(f"Frames: {name} must have {n} items, got shape {value.shape}")
            kind = np.int64 if name in FRAME_FIELDS[:5] else np.int32
            setattr(self, name, value.astype(kind, copy=False))

    def __len__(self) -> int:
        return int(self.images.shape[0])

    def to_dict(self) -> dict[str, np.ndarray[Any, Any]]:
        """The arrays by name (``images`` plus :data:`FRAME_FIELDS`), as stored in ``streams["frames"]``."""
        return {"images": self.images, **{name: getattr(self, name) for name in FRAME_FIELDS}}

    def __repr__(self) -> str:
        shape = "x".join(str(s) for s in self.images.shape[1:])
        return f"<Frames {len(self)} x {shape} {self.images.dtype}>"


class Events:
    """Address events: timestamps plus addresses or decoded coordinates.

    Parameters
    ----------
    timestamps
        Integer ticks (stored as native ``int64``).
    addresses
        Raw AER addresses (``uint32``), or None when the format stores coordinates.
    x, y
        Pixel coordinates (``uint16``), or None.
    polarity
        True for ON (brightness increase), or None.
    tick
        Seconds per timestamp tick (1e-6 for jAER files).
    metadata
        Facts about the file (version, tick, header, source, leftover bytes...).
    streams
        Other event streams of the file (IMU, triggers, APS samples...), by name.

    Notes
    -----
    ``times`` (float64 seconds) is computed on first use and cached.
    """

    __slots__ = ("_times", "addresses", "metadata", "polarity", "streams", "tick", "timestamps", "x", "y")

    def __init__(
        self,
        timestamps: Any,
        *,
        addresses: Any = None,
        x: Any = None,
        y: Any = None,
        polarity: Any = None,
        tick: float = 1e-6,
        metadata: Mapping[str, Any] | None = None,
        streams: Mapping[str, Any] | None = None,
    ) -> None:
        ts = _native(timestamps, np.int64, "timestamps")
        assert ts is not None
        self.timestamps: np.ndarray[Any, Any] = ts
        self.addresses = _native(addresses, np.uint32, "addresses")
        self.x = _native(x, np.uint16, "x")
        self.y = _native(y, np.uint16, "y")
        self.polarity = _native(polarity, np.bool_, "polarity")
        for name in ("addresses", "x", "y", "polarity"):
            column = getattr(self, name)
            if column is not None and len(column) != len(ts):
                raise OptionError(f"Events: {name} has {len(column)} items but timestamps has {len(ts)}")
        try:
            tick = float(tick)
        except (TypeError, ValueError):
            tick = float("nan")
        if not np.isfinite(tick) or tick <= 0:
            raise OptionError(f"Events: tick must be a positive number of seconds, got {tick!r}")
        self.tick = tick
        self.metadata: dict[str, Any] = dict(metadata or {})
        self.streams: dict[str, Any] = dict(streams or {})
        self._times: np.ndarray[Any, Any] | None = None

    # -- time axis ---------------------------------------------------------------------------
    @property
    def times(self) -> np.ndarray[Any, Any]:
        """Event times in seconds (``timestamps * tick``, float64), computed on demand."""
        if self._times is None:
            self._times = self.timestamps * self.tick
        return self._times

    @property
    def duration(self) -> float:
        """Seconds between the first and the last event (0.0 when fewer than two)."""
        if len(self.timestamps) < 2:
            return 0.0
        return float((int(self.timestamps.max()) - int(self.timestamps.min())) * self.tick)

    def is_sorted(self) -> bool:
        """True if timestamps never decrease."""
        ts = self.timestamps
        return bool(len(ts) < 2 or np.all(ts[1:] >= ts[:-1]))

    @property
    def frames(self) -> Frames | None:
        """The recording's intensity frames (:class:`Frames`), or None when it has none."""
        content = self.streams.get("frames")
        if isinstance(content, Mapping) and "images" in content:
            return Frames(content)
        return None

    # -- selection ---------------------------------------------------------------------------
    def __len__(self) -> int:
        return len(self.timestamps)

    def __getitem__(self, index: _Index) -> Events:
        """A new :class:`Events` holding the selected events (slice, mask or index array)."""
        if isinstance(index, (int, np.integer)):
            n = len(self)
            position = int(index) + n if index < 0 else int(index)
            if not 0 <= position < n:
                raise IndexError(f"event index {int(index)} out of range for {n} events")
            index = slice(position, position + 1)
        return self._take(index)

    def __iter__(self) -> None:
        """Not iterable event by event (too slow for millions): use the arrays or ``iter_chunks``."""
        raise TypeError("Events is not iterable; use events.timestamps / events.addresses,"
                        " or neurofiles.iter_chunks() for pieces")

    def _take(self, index: Any, **extra_metadata: Any) -> Events:
        def pick(column: np.ndarray[Any, Any] | None) -> np.ndarray[Any, Any] | None:
            return None if column is None else column[index]

        meta = dict(self.metadata)
        meta.update(extra_metadata)
        return Events(
            self.timestamps[index],
            addresses=pick(self.addresses),
            x=pick(self.x),
            y=pick(self.y),
            polarity=pick(self.polarity),
            tick=self.tick,
            metadata=meta,
            streams=self.streams,
        )

    def window(self, t_start: float | None = None, t_stop: float | None = None, *,
               relative: bool = False) -> Events:
        """Events with ``t_start <= times < t_stop`` (seconds, same axis as :attr:`times`), every stream cut alike.

        IMU samples, triggers and other streams keep the items whose timestamp is in the window;
        frames are judged by their ``timestamps`` (start of exposure, dv-processing's
        ``Frame.timestamp``); see :func:`restrict_streams`.

        With ``relative=True`` the bounds count from the first event (``timestamps[0]``), so
        ``window(0, 0.01, relative=True)`` is the first 10 ms whatever the clock (AEDAT 4 stores
        Unix time). Uses a binary search when the timestamps are sorted, a mask otherwise.
        """
        lo, hi = _tick_bounds(t_start, t_stop, self.tick)
        if relative is not False and relative is not True:
            raise OptionError(f"relative must be True or False, got {relative!r}")
        if relative and len(self.timestamps):
            origin = int(self.timestamps[0])
            lo = None if lo is None else lo + origin
            hi = None if hi is None else hi + origin
        return self._window_ticks(lo, hi)

    def _window_ticks(self, lo: int | None, hi: int | None) -> Events:
        """Events with ``lo <= timestamps < hi`` (integer ticks; None = unbounded), every stream restricted too.

        See :func:`restrict_streams` for how each stream is cut (frames by their ``timestamps``).
        """
        ts = self.timestamps
        if self.is_sorted():
            first = 0 if lo is None else int(np.searchsorted(ts, lo, side="left"))
            last = len(ts) if hi is None else int(np.searchsorted(ts, hi, side="left"))
            out = self._take(slice(first, max(first, last)))
        else:
            out = self._take(_in_range(ts, lo, hi))
        out.streams = restrict_streams(self.streams, lo, hi)
        return out

    # -- ecosystem shapes --------------------------------------------------------------------
    @property
    def sensor_size(self) -> tuple[int, int, int] | None:
        """``(width, height, polarities)`` as tonic expects, or None when unknown.

        From the file (AEDAT 4 stream size, decoded chip layout), else from the largest
        coordinates; ``polarities`` is 2 when polarity is known, else 1.
        """
        if self.x is None or self.y is None:
            return None
        size = self.metadata.get("sensor_size")
        if size is None and "width" in self.metadata and "height" in self.metadata:
            size = (self.metadata["width"], self.metadata["height"])
        try:
            width, height = (int(v) for v in size)  # type: ignore[union-attr]
        except (TypeError, ValueError):
            width = int(self.x.max()) + 1 if len(self.x) else 0
            height = int(self.y.max()) + 1 if len(self.y) else 0
        return width, height, 2 if self.polarity is not None else 1

    def to_structured(self) -> np.ndarray[Any, Any]:
        """The events as one structured array in tonic's layout (``tonic.io.events_struct``).

        Fields ``x``, ``y`` (int16), ``t`` (int64 microseconds, the file's clock) and ``p``
        (bool, True = ON), the layout of ``tonic.io.make_structured_array``, so tonic's
        transforms (``ToFrame(sensor_size=events.sensor_size, ...)``) take it unchanged.

        Raises
        ------
        OptionError
            The events are not decoded (no ``x``/``y``; use :meth:`decode` first), or a
            coordinate does not fit int16.
        """
        if self.x is None or self.y is None:
            raise OptionError("to_structured needs decoded events (x, y): call events.decode(layout) first")
        for name, column in (("x", self.x), ("y", self.y)):
            if len(column) and int(column.max()) > 32767:
                raise OptionError(f"to_structured: {name} coordinate {int(column.max())} does not fit int16")
        out = np.empty(len(self), STRUCTURED_DTYPE)
        out["x"] = self.x
        out["y"] = self.y
        if self.tick == 1e-6:
            out["t"] = self.timestamps
        else:
            out["t"] = np.rint(self.timestamps * (self.tick * 1e6)).astype(np.int64)
        out["p"] = self.polarity if self.polarity is not None else True
        return out

    def to_frame(self, *, time_bins: int | None = None, split_polarity: bool = True) -> np.ndarray[Any, Any]:
        """Event counts per pixel: ``(polarities, height, width)`` (``int64``), indexed ``[p, y, x]``.

        Parameters
        ----------
        time_bins
            Split the time span (first to last event) into this many equal bins; the result
            gets a leading axis: ``(time_bins, polarities, height, width)``.
        split_polarity
            Two planes (OFF = 0, ON = 1); False sums both into one plane.
        """
        size = self.sensor_size
        if size is None:
            raise OptionError("to_frame needs decoded events (x, y): call events.decode(layout) first")
        width, height, planes = size
        if not split_polarity or self.polarity is None:
            planes = 1
        bins = 1
        if time_bins is not None:
            if isinstance(time_bins, bool) or not isinstance(time_bins, (int, np.integer)) or time_bins < 1:
                raise OptionError(f"time_bins must be a whole number >= 1, got {time_bins!r}")
            bins = int(time_bins)
        assert self.x is not None and self.y is not None
        x = self.x.astype(np.int64)
        y = self.y.astype(np.int64)
        inside = (x < width) & (y < height)
        index = y * width + x
        if planes == 2:
            assert self.polarity is not None
            index = index + self.polarity.astype(np.int64) * (width * height)
        if bins > 1 and len(self):
            ts = self.timestamps
            t0, t1 = int(ts.min()), int(ts.max())
            span = max(t1 - t0, 1)
            which = np.minimum((ts - t0) * bins // span, bins - 1)
            index = index + which * (planes * width * height)
        counts = np.bincount(index[inside], minlength=bins * planes * width * height)
        shape = (planes, height, width) if time_bins is None else (bins, planes, height, width)
        return counts.reshape(shape)

    # -- decoding ----------------------------------------------------------------------------
    def decode(self, layout: str) -> Events:
        """Decode raw addresses into ``x``, ``y``, ``polarity`` for a sensor layout.

        ``layout`` is ``"dvs128"``, ``"davis240"``, ``"davis346"``, ``"davis640"``
        or ``"davis128"``. See :func:`neurofiles._results.aer_decode.decode_addresses`.
        """
        from .aer_decode import decode_addresses

        return decode_addresses(self, layout)

    # -- display -----------------------------------------------------------------------------
    def __repr__(self) -> str:
        n = len(self)
        parts = [f"{n} events"]
        if n:
            first, last = int(self.timestamps[0]), int(self.timestamps[-1])
            parts.append(f"t {first * self.tick:.6g}..{last * self.tick:.6g} s ({self.duration:.6g} s)")
        cols = [name for name in ("addresses", "x", "y", "polarity") if getattr(self, name) is not None]
        parts.append("columns " + ", ".join(["timestamps", *cols]))
        parts.append(f"tick {self.tick:g} s")
        version = self.metadata.get("version")
        if version:
            parts.append(f"AEDAT {version}")
        chip = self.metadata.get("chip")
        if chip:
            parts.append(f"chip {chip}")
        if self.streams:
            parts.append("streams " + ", ".join(_stream_label(k, v) for k, v in sorted(self.streams.items())))
        skipped = self.metadata.get("frames_skipped")
        if skipped:
            parts.append(f"frames skipped: {skipped}")
        source = self.metadata.get("source")
        if source:
            parts.append(f"from {os.path.basename(str(source))!r}")
        return "<Events " + "; ".join(parts) + ">"

    # -- exports (optional extras, imported on call; see neurofiles._results.exports) --------
    def to_pandas(self) -> Any:
        """A ``pandas.DataFrame``: ``timestamp``, ``time`` (s), then addresses or x/y/polarity (extra ``pandas``)."""
        from .exports import events_to_pandas

        return events_to_pandas(self)

    def to_neo(self, *, max_trains: int | None = None) -> Any:
        """A ``neo.Block`` with one ``SpikeTrain`` per distinct address (extra ``neo``)."""
        from .exports import MAX_TRAINS, events_to_neo

        return events_to_neo(self, max_trains=MAX_TRAINS if max_trains is None else max_trains)


def _stream_label(name: str, content: Any) -> str:
    """``name (count)`` for one stream, with the image shape for frames."""
    if isinstance(content, Mapping):
        if "images" in content:
            images = np.asarray(content["images"])
            return f"{name} ({images.shape[0]} x {'x'.join(str(s) for s in images.shape[1:])} {images.dtype})"
        ts = content.get("timestamps")
        return f"{name} ({len(ts)})" if ts is not None else name
    try:
        return f"{name} ({len(content)})"
    except TypeError:
        return name


def _in_range(ts: np.ndarray[Any, Any], lo: int | None, hi: int | None) -> np.ndarray[Any, Any]:
    """Mask of ``lo <= ts < hi`` (None = unbounded)."""
    mask = np.ones(len(ts), dtype=bool)
    if lo is not None:
        mask &= ts >= lo
    if hi is not None:
        mask &= ts < hi
    return mask


def restrict_streams(streams: Mapping[str, Any], lo: int | None, hi: int | None) -> dict[str, Any]:
    """Every stream limited to the items with ``lo <= timestamp < hi`` (integer ticks; None = unbounded).

    A structured array is cut by its ``timestamp`` field (IMU, triggers, AEDAT 3 special events) or
    its ``t`` field (further event streams); a mapping with a ``timestamps`` array (``frames``,
    ``aps``, ``special``) has every array of that length cut by it. For frames that is the frame's
    own timestamp, dv-processing's ``Frame.timestamp`` (start of exposure for DAVIS cameras; see
    ``spec/formats/aedat.md``): a frame belongs to a window when its timestamp does, whatever its
    exposure or readout end. Anything else is kept as it is.
    """
    if lo is None and hi is None:
        return dict(streams)
    out: dict[str, Any] = {}
    for name, content in streams.items():
        if isinstance(content, np.ndarray) and content.dtype.names:
            key = "timestamp" if "timestamp" in content.dtype.names else "t" if "t" in content.dtype.names else None
            out[name] = content if key is None else content[_in_range(content[key], lo, hi)]
        elif isinstance(content, Mapping) and "timestamps" in content:
            ts = np.asarray(content["timestamps"])
            keep = _in_range(ts, lo, hi)
            out[name] = {k: (v[keep] if isinstance(v, np.ndarray) and v.ndim and len(v) == len(ts) else v)
                         for k, v in content.items()}
        else:
            out[name] = content
    return out


def _first_tick_at_or_after(t: float, tick: float) -> int:
    """Smallest integer tick ``k >= t / tick``; a quotient within 1e-9 (relative) of an integer counts as it."""
    if not np.isfinite(t):
        raise OptionError(f"time bounds must be finite numbers of seconds, got {t!r}")
    x = t / tick
    if not np.isfinite(x) or abs(x) >= 2.0**63:
        raise OptionError(f"time bound {t!r} s is out of range for ticks of {tick!r} s")
    nearest = round(x)
    if abs(x - nearest) <= 1e-9 * max(1.0, abs(x)):
        return int(nearest)
    return int(np.ceil(x))


def _tick_bounds(t_start: float | None, t_stop: float | None, tick: float) -> tuple[int | None, int | None]:
    """Integer tick bounds ``[lo, hi)`` for ``t_start <= timestamps * tick < t_stop`` (bounds rounded to ticks)."""
    lo = None if t_start is None else _first_tick_at_or_after(_seconds(t_start), tick)
    hi = None if t_stop is None else _first_tick_at_or_after(_seconds(t_stop), tick)
    return lo, hi


def _seconds(t: Any) -> float:
    """``t`` as float seconds; anything that is not a number gives NaN (refused by the caller)."""
    try:
        return float(t)
    except (TypeError, ValueError, OverflowError):
        return float("nan")

Events.__module__ = "neurofiles"  # its public name
