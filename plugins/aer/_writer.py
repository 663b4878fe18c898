"""AEDAT 2.0 writer, laid out the way jAER writes (CRLF header, big-endian 8-byte records)."""

from __future__ import annotations

import datetime as _dt
import time
from collections.abc import Iterable
from typing import IO, Any

import numpy as np
from neurofiles._events import Events

from ._body import RECORDS, Unwrapper

__all__ = ["header_bytes", "write_aedat"]

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
            raise ValueError(f"header line {text!r} may not contain line breaks or an end marker")
        lines.append(" " + text.lstrip("#").strip())
    lines.append(f" DataStartTime: System.currentTimeMillis() {millis}")
    lines.append("End Of ASCII Header")
    return "".join(f"#{line}\r\n" for line in lines).encode("utf-8")


def _addresses(events: Events, layout: str | None) -> np.ndarray[Any, Any]:
    if events.addresses is not None:
        return events.addresses
    if events.x is None or events.y is None or events.polarity is None:
        raise ValueError("events have neither addresses nor x, y and polarity to encode")
    if layout is None:
        layout = (events.metadata.get("decode") or {}).get("layout")
        if layout is None:
            raise ValueError("events carry coordinates, not addresses: pass layout='dvs128', 'davis346'...")
    from neurofiles._aer_decode import encode_addresses

    return encode_addresses(events.x, events.y, events.polarity, layout)


def write_aedat(
    stream: IO[bytes],
    data: Events,
    *,
    path: Any = None,
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
        :class:`Events` with ``addresses``, or with ``x``/``y``/``polarity`` and ``layout``.
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
    ValueError
        Timestamps that the int32 wrap-around cannot represent exactly (the first
        one outside int32, or a step back of 2**31 ticks or more); nothing is written then
        when saving to a path.
    """
    if not isinstance(data, Events):
        raise TypeError(f"the aedat writer takes Events, got {type(data).__name__}")
    addresses = _addresses(data, layout)
    ts = data.timestamps
    if len(ts) and not (_INT32[0] <= int(ts[0]) <= _INT32[1]):
        raise ValueError(f"first timestamp {int(ts[0])} is outside int32; subtract an offset first")
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
            raise ValueError(f"timestamp {int(ts[bad])} of event {bad} cannot be stored as a wrapped"
                             " int32 (it steps back by 2**31 ticks or more)")
        stream.write(memoryview(out).cast("B"))
