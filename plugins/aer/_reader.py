"""``AedatReader``: AEDAT 1.0/2.0 and headerless AER files; dispatches 3.x and 4.0."""

from __future__ import annotations

import re
import warnings
from collections.abc import Iterator
from typing import Any

import numpy as np
from neurofiles.plugin import (
    CorruptFileError,
    Events,
    FormatMismatch,
    FormatWarning,
    MissingDependencyError,
    Reader,
    Source,
    TruncatedFileError,
)

from ._body import RECORDS, Body, Unwrapper
from ._carry import DecodeCarry, merge_streams
from ._compression import DEFAULT_MAX_PACKET_BYTES
from ._deps import layout_for_chip, restrict_streams, tick_bounds
from ._header import Header, parse_header
from ._options import check_bool, check_layout, check_positive_int, check_seconds, check_tick, check_version

__all__ = ["AedatReader"]

_SAMPLES = 257
_MILLIS = re.compile(r"[0-9]{1,19}")


def _looks_like_text(data: bytes) -> bool:
    if not data:
        return False
    text = sum(1 for b in data if b >= 0x20 or b in (9, 10, 13))
    return text == len(data)


class AedatReader(Reader):
    """Reads jAER / iniVation AEDAT files and headerless AER ``.dat`` files.

    Parameters
    ----------
    source
        The file.
    version
        ``"1.0"`` or ``"2.0"``: record layout for files without a ``#!AER-DAT`` line
        (default 1.0, as jAER does). Ignored, with a warning, if the file states its version.
    tick
        Seconds per timestamp tick; overrides the header (default: header, else 1e-6).
        A tick line that cannot be read falls back to 1e-6 with a
        :class:`FormatWarning` (``metadata["tick_guessed"]``); a tick line
        stating zero, a negative, infinite or NaN tick is a :class:`CorruptFileError`
        unless ``tick=`` is given.
    strict
        Raise :class:`TruncatedFileError` on a trailing partial record instead of warning.
    t_start, t_stop
        Read only events with ``t_start <= times < t_stop`` (seconds).
    relative
        With True, ``t_start``/``t_stop`` count from the first event of the file
        (its first record / first decoded event) instead of the file's clock.
    decode
        Decode addresses with a layout (``"dvs128"``, ``"davis240"``, ``"davis346"``...).
        Default (None): automatic when the header names the chip (jAER ``AEChip`` or
        ``HardwareInterface`` line); ``False`` keeps the raw addresses of every record.
    max_packet_bytes
        AEDAT 4.0: largest decompressed packet (default 256 MiB).
    max_decompressed_bytes
        AEDAT 4.0: largest decompressed total of the file (default
        ``max(64 MiB, 64 x file size)``).
    threads
        AEDAT 4.0: worker threads (default: the usable cores where the FileDataTable lets
        workers decode straight into the output, else 1; see ``spec/formats/aedat4.md``).

    Bad option values raise :class:`~neurofiles.OptionError` naming the option.
    """

    def __init__(
        self,
        source: Source,
        *,
        version: str | float | None = None,
        tick: float | None = None,
        strict: bool = False,
        t_start: float | None = None,
        t_stop: float | None = None,
        relative: bool = False,
        decode: str | bool | None = None,
        max_packet_bytes: int = DEFAULT_MAX_PACKET_BYTES,
        max_decompressed_bytes: int | None = None,
        threads: int | None = None,
    ) -> None:
        super().__init__(source)
        self.strict = bool(check_bool("strict", strict))
        self.t_start, self.t_stop = check_seconds("t_start", t_start), check_seconds("t_stop", t_stop)
        self.relative = bool(check_bool("relative", relative))
        self.decode_layout = check_layout(decode)
        tick = check_tick(tick)
        self.packet_options: dict[str, Any] = {
            "max_packet_bytes": check_positive_int("max_packet_bytes", max_packet_bytes),
            "max_decompressed_bytes": check_positive_int("max_decompressed_bytes", max_decompressed_bytes,
                                                         allow_none=True),
            "threads": check_positive_int("threads", threads, allow_none=True),
        }
        forced = check_version(version)
        with source.open() as handle:
            self.header: Header = parse_header(handle, source.name)
        if self.header.version is not None:
            if forced is not None and forced != self.header.version:
                warnings.warn(
                    f"{source.name}: the file states AEDAT {self.header.version}; version={version!r} ignored",
                    FormatWarning, stacklevel=2,
                )
            self.version = self.header.version
        else:
            self._refuse_non_aer()
            self.version = forced or "1.0"
        self.version_source = "header" if self.header.version else ("option" if forced else "default")
        major = int(self.version.split(".")[0])
        if major not in (1, 2, 3, 4):
            raise CorruptFileError(f"unsupported AEDAT version {self.version}", path=source.name, offset=0)
        self.major = major
        self.tick, self.tick_source = self._choose_tick(tick)
        self.decode_source = "option" if isinstance(self.decode_layout, str) else None
        if self.decode_layout is None and major in (1, 2):
            fields = self.header.fields
            self.decode_layout = layout_for_chip(fields.get("AEChip"), fields.get("HardwareInterface"))
            if self.decode_layout is not None:
                self.decode_source = "header"
        if self.decode_layout is False:
            self.decode_layout = None
        self.body: Body | None = None
        self.leftover = 0
        if major in (1, 2):
            size = source.size if source.size is not None else self.header.end
            dtype = RECORDS[major]
            body_bytes = max(0, size - self.header.end)
            self.body = Body(source, self.header.end, dtype, body_bytes // dtype.itemsize)
            self.leftover = body_bytes % dtype.itemsize

    # -- construction helpers ----------------------------------------------------------------
    def _choose_tick(self, tick: float | None) -> tuple[float, str]:
        """Seconds per tick and where it came from: ``option``, ``header``, ``default`` or ``guessed``."""
        h = self.header
        if tick is not None:
            return tick, "option"
        if h.tick is not None:
            return h.tick, "header"
        if h.tick_line is None:
            return 1e-6, "default"
        number, offset, text = h.tick_line
        if h.tick_problem == "invalid":
            raise CorruptFileError(f"tick line {text[:80]!r} states a tick that is not a positive finite"
                                   " number of seconds; pass tick= to read the file anyway",
                                   path=self.source.name, line=number, offset=offset)
        warnings.warn(f"{self.source.name}: line {number}: byte {offset}: cannot read the tick line"
                      f" {text[:80]!r}; assuming 1 us per tick (pass tick= to set it)", FormatWarning, stacklevel=5)
        return 1e-6, "guessed"

    def _refuse_non_aer(self) -> None:
        """Files without a version line must at least look binary."""
        src = self.source
        if src.size == 0:
            raise FormatMismatch("empty file")
        body_head = src.header[self.header.end :]
        if self.header.end >= len(src.header):
            with src.open() as handle:
                handle.seek(self.header.end)
                body_head = handle.read(4096)
        if not body_head and not self.header.lines:
            raise FormatMismatch("empty file")
        if _looks_like_text(body_head[:4096]):
            raise FormatMismatch("content is text, not binary AER records")

    # -- public --------------------------------------------------------------------------------
    @property
    def count(self) -> int | None:
        """Number of complete records (1.0/2.0), None for packet formats."""
        return None if self.body is None else self.body.count

    def metadata(self) -> dict[str, Any]:
        """Metadata dict shared by every Events this reader returns."""
        h = self.header
        meta: dict[str, Any] = {
            "version": self.version,
            "version_source": self.version_source,
            "tick": self.tick,
            "tick_source": self.tick_source,
            "tick_guessed": self.tick_source == "guessed",
            "source": self.source.name,
            "header_size": h.end,
            "header": dict(h.fields),
            "header_lines": list(h.lines),
            "line_ending": h.line_ending,
            "end_marker": h.end_marker,
        }
        chip = h.fields.get("AEChip") or h.fields.get("Source 1")
        if chip:
            meta["chip"] = chip
        if "HardwareInterface" in h.fields:
            meta["hardware_interface"] = h.fields["HardwareInterface"]
        for key in ("Creation time", "DataStartTime"):
            value = h.fields.get(key, "").rsplit(" ", 1)[-1]
            if _MILLIS.fullmatch(value):
                meta["start_time_ms" if key == "Creation time" else "data_start_time_ms"] = int(value)
        if self.body is not None:
            meta["record_size"] = self.body.dtype.itemsize
            meta["events_in_file"] = self.body.count
            meta["leftover_bytes"] = self.leftover
        return meta

    def summary(self) -> dict[str, Any]:
        meta = self.metadata()
        if self.decode_layout is not None:
            meta["decoded_as"] = self.decode_layout
        keep = ("version", "version_source", "tick", "header_size", "chip", "hardware_interface", "decoded_as",
                "events_in_file", "leftover_bytes", "line_ending", "end_marker", "start_time_ms")
        return {k: meta[k] for k in keep if k in meta}

    def read(self) -> Events:
        """Read the events (the whole file, or the ``t_start``/``t_stop`` window)."""
        if self.major == 3:
            window3 = None
            if self.t_start is not None or self.t_stop is not None:
                window3 = (*tick_bounds(self.t_start, self.t_stop, 1e-6), self.relative)
            events = self._read_packets("_aedat3", "decode_aedat3", header_end=self.header.end, version=self.version,
                                        window=window3)
        elif self.major == 4:
            window = None
            if self.t_start is not None or self.t_stop is not None:
                window = (*tick_bounds(self.t_start, self.t_stop, 1e-6), self.relative)
            events = self._read_packets("_aedat4", "decode_aedat4", strict=self.strict, window=window,
                                        **self.packet_options)
        else:
            return self._read_records()  # decoded and windowed there, piece by piece
        if isinstance(self.decode_layout, str):  # None: no chip named; False: raw on request
            events = events.decode(self.decode_layout)
            events.metadata["decode_source"] = self.decode_source
        return events

    def iter_chunks(self, events: int = 1_000_000) -> Iterator[Events]:
        """Yield consecutive :class:`Events` of at most ``events`` events.

        Honours ``t_start``/``t_stop`` and ``decode``. A DAVIS frame or IMU sample that crosses
        a chunk boundary comes with the chunk it completes in, so the chunks together hold the
        events, frames, IMU samples and triggers of :meth:`read`; a windowed read goes on past
        the window's last record until a frame begun inside it is complete (that extra piece
        is yielded with no events). AEDAT 3.x/4.0 files are yielded as one piece.
        """
        size = check_positive_int("events", events)
        assert size is not None
        if self.body is None:
            yield self.read()
            return
        self._check_leftover()
        self._check_layout_guess()
        meta = self.metadata()
        start, stop, bounds, _ = self._record_window()
        unwrap = Unwrapper()

        def pieces() -> Iterator[Events]:
            assert self.body is not None
            for first, part in self.body.chunks(start, stop, size):
                ts = part["ts"].astype(np.int64)
                unwrap(ts)
                yield Events(ts, addresses=part["addr"].astype(np.uint32), tick=self.tick,
                             metadata={**meta, "first_event": first})

        yield from self._decoded(pieces(), stop, bounds, unwrap, meta)

    def _record_window(self) -> tuple[int, int, tuple[int | None, int | None] | None, str]:
        """Records ``[start, stop)`` to read, the tick window to cut (None: no window) and how it was found.

        ``bisect`` when the file reads as sorted (binary search), else ``mask`` (every record read).
        """
        assert self.body is not None
        if self.t_start is None and self.t_stop is None:
            return 0, self.body.count, None, ""
        found = self._bisect_window()
        start, stop = found if found is not None else (0, self.body.count)
        return start, stop, self._tick_window(), "mask" if found is None else "bisect"

    def _decoded(self, pieces: Iterator[Events], stop: int, bounds: tuple[int | None, int | None] | None,
                 unwrap: Unwrapper, meta: dict[str, Any], *, whole: bool = False) -> Iterator[Events]:
        """Decode (when a layout is set) and window consecutive pieces of records ending at record ``stop``.

        Frames and IMU samples crossing a piece boundary are carried to the next piece
        (:class:`DecodeCarry`); when the last piece leaves one begun, the records after
        ``stop`` are read on until it is complete, and what they complete inside the window
        is yielded as one more piece without events (the window's events end at ``stop``).
        ``whole``: ``pieces`` is every record of the file at once.
        """
        assert self.body is not None
        layout = self.decode_layout if isinstance(self.decode_layout, str) else None
        if layout is not None and bounds is None and whole:  # the whole file in one piece: nothing to carry
            for piece in pieces:
                yield piece.decode(layout)
            return
        carry = DecodeCarry(layout) if layout is not None else None
        for piece in pieces:
            out = carry.feed(piece) if carry is not None else piece
            yield out if bounds is None else out._window_ticks(*bounds)
        if carry is None or bounds is None:
            return
        hi = bounds[1]
        for first, part in self.body.chunks(stop, self.body.count):
            begun = carry.earliest()
            if begun is None or (hi is not None and begun >= hi):
                break  # nothing begun inside the window is pending (a frame begun after it does not count)
            ts = part["ts"].astype(np.int64)
            unwrap(ts)
            more = carry.feed(Events(ts, addresses=part["addr"].astype(np.uint32), tick=self.tick,
                                     metadata={**meta, "first_event": first}))
            streams = restrict_streams(more.streams, *bounds)
            if any(len(v if not isinstance(v, dict) else v["timestamps"]) for v in streams.values()):
                tail = more._take(slice(0, 0))
                tail.streams = streams
                yield tail

    def records(self) -> np.ndarray[Any, Any]:
        """Zero-copy read-only memory map of the raw big-endian records (1.0/2.0, path sources).

        The map is only valid while the file keeps its size: if another process
        truncates it, touching the lost pages kills the interpreter (SIGBUS).
        Use :meth:`read` for a safe copy.
        """
        if self.body is None:
            raise TypeError(f"AEDAT {self.version} has no fixed-size records")
        return self.body.memmap()

    # -- internals -----------------------------------------------------------------------------
    def _check_leftover(self) -> None:
        if not self.leftover or self.body is None:
            return
        offset = self.header.end + self.body.count * self.body.dtype.itemsize
        message = (f"{self.leftover} trailing byte(s) do not make a complete"
                   f" {self.body.dtype.itemsize}-byte record")
        if self.strict:
            raise TruncatedFileError(message, path=self.source.name, offset=offset)
        hint = ""
        if self.version_source == "default":
            hint = "; the file has no version line: is it AEDAT 2.0 (pass version='2.0')?"
        warnings.warn(f"{self.source.name}: byte {offset}: {message}; kept the"
                      f" {self.body.count} complete records{hint}", FormatWarning, stacklevel=3)

    def _check_layout_guess(self) -> None:
        """Warn when a file without a version line reads as sorted 8-byte but not 6-byte records."""
        if self.version_source != "default" or self.body is None:
            return
        with self.source.open() as handle:
            handle.seek(self.header.end)
            head = handle.read(6 * 8 * 64)

        def decreases(record: int) -> tuple[int, int]:
            ts = [int.from_bytes(head[i + record - 4 : i + record], "big", signed=True)
                  for i in range(0, len(head) - record + 1, record)]
            return sum(1 for a, b in zip(ts, ts[1:]) if b < a), len(ts) - 1

        down6, pairs6 = decreases(6)
        down8, pairs8 = decreases(8)
        if pairs8 >= 8 and down8 == 0 and down6 > pairs6 // 4:
            warnings.warn(
                f"{self.source.name}: no version line, read as AEDAT 1.0 (6-byte records) as jAER does,"
                f" but the timestamps only increase when read as 8-byte records: pass version='2.0'"
                " if this is an AEDAT 2.0 body", FormatWarning, stacklevel=3)

    def _read_records(self) -> Events:
        """The records (or the window's), decoded when a layout is set, every stream cut to the window."""
        assert self.body is not None
        self._check_leftover()
        self._check_layout_guess()
        meta = self.metadata()
        start, stop, bounds, method = self._record_window()
        if bounds is not None:
            meta["window_method"] = method
            meta.update(t_start=self.t_start, t_stop=self.t_stop, first_event=start)
        unwrap = Unwrapper()
        addresses, timestamps, wraps = self.body.convert(start, stop, unwrap)
        meta["wraps"] = wraps
        whole = Events(timestamps, addresses=addresses, tick=self.tick, metadata=meta)
        del addresses, timestamps
        pieces = iter(self._decoded(iter([whole]), stop, bounds, unwrap, meta, whole=True))
        events = next(pieces)
        for more in pieces:
            events.streams = merge_streams(events.streams, more.streams)
        if isinstance(self.decode_layout, str):
            events.metadata["decode_source"] = self.decode_source
        return events

    def _tick_window(self) -> tuple[int | None, int | None]:
        """``[lo, hi)`` tick bounds of the window; shifted by the first record's timestamp when relative."""
        lo, hi = tick_bounds(self.t_start, self.t_stop, self.tick)
        if self.relative and self.body is not None and self.body.count:
            with self.body.open_for_probes() as handle:
                origin = int(self.body.raw_timestamp(handle, 0))
            lo = None if lo is None else lo + origin
            hi = None if hi is None else hi + origin
        return lo, hi

    def _bisect_window(self) -> tuple[int, int] | None:
        """Record range of the time window by binary search, or None if the file is not sorted.

        Sortedness is judged from 257 evenly spaced timestamps (first and last
        included): a file whose samples never decrease is taken as sorted.
        """

        body = self.body
        assert body is not None
        n = body.count
        if n == 0:
            return 0, 0
        lo, hi = self._tick_window()
        with body.open_for_probes() as handle:
            picks = sorted(set(np.linspace(0, n - 1, min(n, _SAMPLES)).astype(np.int64).tolist()))
            values = [body.raw_timestamp(handle, i) for i in picks]
            if any(b < a for a, b in zip(values, values[1:])):
                return None

            def first_at_least(bound: int | None, default: int) -> int:
                if bound is None:
                    return default
                left, right = 0, n
                while left < right:
                    mid = (left + right) // 2
                    if body.raw_timestamp(handle, mid) < bound:
                        left = mid + 1
                    else:
                        right = mid
                return left

            first = first_at_least(lo, 0)
            last = first_at_least(hi, n)
        return first, max(first, last)

    def _read_packets(self, module: str, function: str, **kwargs: Any) -> Events:
        import importlib

        try:
            mod = importlib.import_module(f"{__package__}.{module}")
        except ModuleNotFoundError as exc:
            if exc.name != f"{__package__}.{module}":
                raise
            raise MissingDependencyError(
                f"{self.source.name}: AEDAT {self.version} decoding is not available in this build."
            ) from exc
        result = getattr(mod, function)(self.source, **kwargs)
        if isinstance(result, Events):
            events = result
        else:
            result = dict(result)
            meta = self.metadata()
            extra = dict(result.pop("metadata", None) or {})
            camera = extra.pop("source", None)  # the decoders' "source" is the camera, ours the file
            meta.update(extra)
            if camera:
                meta["camera"] = camera
                meta.setdefault("chip", camera)
            if "width" in extra and "height" in extra:
                meta.setdefault("sensor_size", (extra["width"], extra["height"]))
            result.setdefault("tick", self.tick)
            events = Events(metadata=meta, **result)
        if self.t_start is not None or self.t_stop is not None:
            events = events.window(self.t_start, self.t_stop, relative=self.relative)
            events.metadata.update(t_start=self.t_start, t_stop=self.t_stop, relative=self.relative)
        return events
