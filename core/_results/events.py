"""The result type of every AER reader: :class:`Events`."""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any, Union

import numpy as np

from .._errors import OptionError

__all__ = ["Events"]

_Index = Union[int, slice, "np.ndarray[Any, Any]", "list[int]"]


def _native(array: Any, dtype: Any, name: str) -> np.ndarray[Any, Any] | None:
    """``array`` as a 1-D native-endian array of ``dtype`` (no copy when it already is)."""
    if array is None:
        return None
    result = np.asarray(array)
    if result.ndim != 1:
        raise OptionError(f"Events: {name} must be one-dimensional, got shape {result.shape}")
    return result.astype(dtype, copy=False)


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

    def window(self, t_start: float | None = None, t_stop: float | None = None) -> Events:
        """Events with ``t_start <= times < t_stop`` (seconds, same axis as :attr:`times`).

        Uses a binary search when the timestamps are sorted, a mask otherwise.
        """
        lo, hi = _tick_bounds(t_start, t_stop, self.tick)
        ts = self.timestamps
        if self.is_sorted():
            first = 0 if lo is None else int(np.searchsorted(ts, lo, side="left"))
            last = len(ts) if hi is None else int(np.searchsorted(ts, hi, side="left"))
            return self._take(slice(first, max(first, last)))
        mask = np.ones(len(ts), dtype=bool)
        if lo is not None:
            mask &= ts >= lo
        if hi is not None:
            mask &= ts < hi
        return self._take(mask)

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
            parts.append("streams " + ", ".join(sorted(self.streams)))
        source = self.metadata.get("source")
        if source:
            parts.append(f"from {os.path.basename(str(source))!r}")
        return "<Events " + "; ".join(parts) + ">"


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
