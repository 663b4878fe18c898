"""AEDAT 2.0 writer, laid out the way jAER writes (CRLF header, big-endian 8-byte records).

Besides :class:`Events` it takes what Brian 1's ``save_AER`` took, a pair
``(addresses, times_in_seconds)``, and a Brian2 ``SpikeMonitor`` (or any object
with ``i`` and ``t``); times are converted to ticks by :func:`events_from_spikes`.
"""

from __future__ import annotations

import datetime as _dt
import time
from collections.abc import Iterable
from typing import IO, Any

import numpy as np
from neurofiles.plugin import Events, OptionError, UnsupportedDataError

from ._body import RECORDS, Unwrapper
from ._options import check_tick

__all__ = ["events_from_spikes", "header_bytes", "write_aedat"]

_CHUNK = 1 << 20
_INT32 = (-(1 << 31), (1 << 31) - 1)


def _format_tick(tick: float) -> str:
    micro = tick * 1e6
    return f"{micro:.12g} us"


def header_bytes(
    *,
    tick: float = 1e-6,
    creation_time: float | None = None,
    chip: str | None = None,
    header_lines: Iterable[str] = (),
) -> bytes:
    """The ASCII header of AEDAT 2.0 in the order and wording jAER (since 2016) writes, CRLF lines."""
    now = time.time() if creation_time is None else float(creation_time)
    stamp = _dt.datetime.fromtimestamp(now, tz=_dt.timezone.utc)
    millis = round(now * 1000)
    lines = [
        "!AER-DAT2.0",
        " This is a raw AE data file - do not edit",
        " Data format is int32 address, int32 timestamp (8 bytes total), repeated for each event",
        f" Timestamps tick: {_format_tick(tick)}",
        f" Creation date: {stamp.strftime('%a %b %d %H:%M:%S %Z %Y')}",
        f" Creation time: System.currentTimeMillis() {millis}",
        " Written by: neurofiles",
    ]
    if chip:
        lines.append(f" AEChip: {chip}")
    for extra in header_lines:
        text = str(extra)
        if any(c in text for c in "\r\n") or text.strip().lower() in ("end of ascii header", "!end-header"):
            raise OptionError(f"header line {text!r} may not contain line breaks or an end marker")
        lines.append(" " + text.lstrip("#").strip())
    lines.append(f" DataStartTime: System.currentTimeMillis() {millis}")
    lines.append("End Of ASCII Header")
    return "".join(f"#{line}\r\n" for line in lines).encode("utf-8")


_ACCEPTED = "Events, a pair (addresses, times in seconds), or a Brian2 SpikeMonitor (an object with i and t)"


def _spike_columns(data: object) -> tuple[Any, Any] | None:
    """``(addresses, times)`` of a 2-tuple/list or of an object with ``i`` and ``t``; None otherwise."""
    if isinstance(data, (tuple, list)):
        return (data[0], data[1]) if len(data) == 2 else None
    if hasattr(data, "i") and (hasattr(data, "t_") or hasattr(data, "t")):
        # Brian2: ``t_`` is ``t`` without units (seconds); a Quantity converts to seconds as well.
        times = getattr(data, "t_") if hasattr(data, "t_") else getattr(data, "t")
        return getattr(data, "i"), times
    return None


def events_from_spikes(addresses: Any, times: Any, tick: float = 1e-6) -> Events:
    """:class:`Events` from integer ``addresses`` and ``times`` in seconds.

    Each time becomes the nearest whole number of ticks, ``rint(times / tick)``
    (a time exactly half-way between two ticks goes to the even one), the rule
    of :func:`neurofiles.brian2.events_from_monitor`. The order is kept.

    Raises
    ------
    UnsupportedDataError
        Addresses that are not integers in ``0 .. 2**32 - 1``, columns of different
        lengths or not one-dimensional, or a time that is negative, infinite or NaN
        (the first bad item is named).
    """
    a = np.asarray(addresses)
    t = np.asarray(times)
    if a.ndim != 1 or t.ndim != 1 or len(a) != len(t):
        raise UnsupportedDataError(f"addresses and times must be 1-D of equal length, got shapes {a.shape} and {t.shape}")
    if a.dtype.kind == "f" and len(a) and bool(np.all(np.isfinite(a))) and bool(np.all(a == np.floor(a))):
        a = a.astype(np.int64)
    if a.dtype.kind not in "iu" and not (a.dtype.kind == "f" and not len(a)):
        raise UnsupportedDataError(f"addresses must be integers, got {a.dtype}")
    if len(a) and (int(a.min()) < 0 or int(a.max()) > 0xFFFFFFFF):
        bad = int(np.flatnonzero((a < 0) | (a > 0xFFFFFFFF))[0])
        raise UnsupportedDataError(f"address {int(a[bad])} of event {bad} is outside 0 .. 2**32 - 1")
    try:
        seconds = t.astype(np.float64)
    except (TypeError, ValueError):
        raise UnsupportedDataError(f"times must be numbers of seconds, got {t.dtype}") from None
    ok = np.isfinite(seconds) & (seconds >= 0)
    if not ok.all():
        bad = int(np.flatnonzero(~ok)[0])
        raise UnsupportedDataError(f"time {float(seconds[bad])!r} of event {bad} is not a finite number of seconds >= 0")
    ticks = np.rint(seconds / tick)
    if len(ticks) and float(ticks.max()) >= 2.0**63:
        bad = int(np.argmax(ticks))
        raise UnsupportedDataError(f"time {float(seconds[bad])!r} of event {bad} is too large for ticks of {tick} s")
    return Events(ticks.astype(np.int64), addresses=a.astype(np.uint32), tick=tick)


def _addresses(events: Events, layout: str | None) -> np.ndarray[Any, Any]:
    if events.addresses is not None:
        return events.addresses
    if events.x is None or events.y is None or events.polarity is None:
        raise UnsupportedDataError("events have neither addresses nor x, y and polarity to encode")
    if layout is None:
        layout = (events.metadata.get("decode") or {}).get("layout")
        if layout is None:
            raise OptionError("events carry coordinates, not addresses: pass layout='dvs128', 'davis346'...")
    from neurofiles.plugin.events import encode_addresses

    return encode_addresses(events.x, events.y, events.polarity, layout)


def write_aedat(
    stream: IO[bytes],
    data: Any,
    *,
    path: Any = None,
    tick: float | None = None,
    layout: str | None = None,
    chip: str | None = None,
    creation_time: float | None = None,
    header_lines: Iterable[str] = (),
) -> None:
    """Write ``data`` as AEDAT 2.0.

    Parameters
    ----------
    stream
        Binary output.
    data
        :class:`Events` with ``addresses``, or with ``x``/``y``/``polarity`` and ``layout``;
        or ``(addresses, times_in_seconds)``; or a Brian2 ``SpikeMonitor`` (any
        object with ``i`` and ``t``: ``t_`` or ``t`` in seconds, units allowed).
    tick
        Seconds per tick for times given in seconds (default 1e-6); see
        :func:`events_from_spikes`. Events carry their own tick.
    layout
        Address layout used to encode coordinates (``"dvs128"``, ``"davis346"``...).
    chip
        Written as the ``AEChip`` line (default: ``data.metadata["chip"]``).
    creation_time
        Unix seconds for the creation lines (default: now); fix it for reproducible files.
    header_lines
        Extra header lines (without ``#``).

    Raises
    ------
    UnsupportedDataError
        Data of another type, bad times or addresses (see :func:`events_from_spikes`),
        or timestamps that the int32 wrap-around cannot represent exactly (the first
        one outside int32, or a step back of 2**31 ticks or more); nothing is written then
        when saving to a path. It is a ``ValueError`` and a ``TypeError``.
    OptionError
        A bad option (``tick=``, ``layout=``, header lines), or events with coordinates
        but no ``layout=`` to encode them.
    """
    if isinstance(data, Events):
        if tick is not None:
            raise OptionError("tick= applies to times given in seconds; Events carry their own tick")
    else:
        columns = _spike_columns(data)
        if columns is None:
            raise UnsupportedDataError(f"the aedat writer takes {_ACCEPTED}; got {type(data).__name__}")
        data = events_from_spikes(*columns, tick=check_tick(tick) or 1e-6)
    addresses = _addresses(data, layout)
    ts = data.timestamps
    if len(ts) and not (_INT32[0] <= int(ts[0]) <= _INT32[1]):
        raise UnsupportedDataError(f"first timestamp {int(ts[0])} is outside int32; subtract an offset first")
    chip = chip if chip is not None else data.metadata.get("chip")
    stream.write(header_bytes(tick=data.tick, creation_time=creation_time, chip=chip, header_lines=header_lines))
    record = np.empty(min(len(ts), _CHUNK), dtype=RECORDS[2])
    check = Unwrapper()
    for first in range(0, len(ts), _CHUNK):
        part = ts[first : first + _CHUNK]
        out = record[: len(part)]
        wrapped = (part + (1 << 31)) % (1 << 32) - (1 << 31)
        out["ts"] = wrapped
        out["addr"] = addresses[first : first + _CHUNK]
        check(wrapped)
        if not np.array_equal(wrapped, part):
            bad = int(np.flatnonzero(wrapped != part)[0]) + first
            raise UnsupportedDataError(f"timestamp {int(ts[bad])} of event {bad} cannot be stored as a wrapped"
                             " int32 (it steps back by 2**31 ticks or more)")
        stream.write(memoryview(out).cast("B"))  # type: ignore[arg-type]  # numpy arrays are buffers
