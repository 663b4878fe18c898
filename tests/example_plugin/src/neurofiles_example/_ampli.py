"""AMPLI traces: a text format recognised by content, on ``.dat`` (shared with other formats) and ``.txt``.

::

    % AMPLI trace v1
    % dt = 0.0001 s                 optional: without it, the reader needs dt=
    % t0 = 0 s                      optional (default 0)
    % channels = Vm (mV), Im (pA)
    -65.0   12.5
    -64.8   12.1

The numeric block is parsed by the library's text-table parser
(:mod:`neurofiles.plugin.text`), and the result is a
:class:`neurofiles.plugin.Traces`, so everything that works on NEURON or ATF
traces (``neurofiles convert``, ``plot``, npz/CSV export) works on it too.
"""

from __future__ import annotations

import math
from typing import IO, Any

import numpy as np

from neurofiles.plugin import (
    CorruptFileError,
    FormatMismatch,
    FormatWarning,
    LimitExceededError,
    MissingOptionError,
    Reader,
    Source,
    Traces,
    UnsupportedDataError,
)
from neurofiles.plugin.tabular import split_label
from neurofiles.plugin.text import check_engine, first_nonblank, format_rows, line_at, parse_block, read_buffer

from ._ampli_sniff import FIRST_LINE

VERSION = b"v1"
MAX_HEADER_LINES = 64  # a hostile file must not make the constructor scan megabytes of "%" lines


class AmpliReader(Reader):
    """Reads AMPLI traces; ``dt`` (seconds) is needed for files that do not state it."""

    def __init__(self, source: Source, *, dt: float | None = None, engine: str = "auto") -> None:
        super().__init__(source)
        self.engine = check_engine(engine)
        buf = read_buffer(source)
        pos = first_nonblank(buf)
        if pos < 0:
            raise FormatMismatch("empty file")
        line_no = buf[:pos].count(b"\n") + 1
        line, pos = line_at(buf, pos)
        if not line.lstrip(b"\xef\xbb\xbf").startswith(FIRST_LINE):
            raise FormatMismatch("no '% AMPLI trace' line")
        version = line.lstrip(b"\xef\xbb\xbf")[len(FIRST_LINE) :].strip()
        if version != VERSION:
            raise CorruptFileError(f"AMPLI trace version {version.decode('latin-1')!r} is not supported (v1 is)",
                                   path=source.name, line=line_no)
        header: dict[str, tuple[str, int]] = {}
        while True:
            line_no += 1
            line, nxt = line_at(buf, pos)
            if not line.startswith(b"%"):
                break
            if len(header) >= MAX_HEADER_LINES:
                raise LimitExceededError(f"more than {MAX_HEADER_LINES} header lines", path=source.name, line=line_no)
            key, eq, value = line[1:].decode("utf-8", "replace").partition("=")
            if not eq:
                raise CorruptFileError(f"header line {line!r} is not '% key = value'", path=source.name, line=line_no)
            header[key.strip()] = (value.strip(), line_no)
            pos = nxt
        self._start, self._first_line = pos, line_no
        if "channels" not in header:
            raise CorruptFileError("no '% channels = ...' line", path=source.name, line=line_no)
        labels = [split_label(c.strip()) for c in header["channels"][0].split(",")]
        self.channels = [name for name, _ in labels]
        self.units = [unit for _, unit in labels]
        self.t0 = self._seconds(header, "t0") if "t0" in header else 0.0
        stated = self._seconds(header, "dt") if "dt" in header else None
        if stated is None and dt is None:
            raise MissingOptionError("the file does not state its sample interval: pass dt= (seconds)",
                                     path=source.name, options=("dt",))
        if stated is not None and dt is not None and dt != stated:
            import warnings

            warnings.warn(f"{source.name}: the file states dt = {stated} s; dt={dt} ignored", FormatWarning,
                          stacklevel=2)
        self.dt = stated if stated is not None else float(dt)  # type: ignore[arg-type]
        if not (math.isfinite(self.dt) and self.dt > 0):
            raise MissingOptionError(f"dt must be a positive number of seconds, got {self.dt!r}",
                                     path=source.name, options=("dt",))

    def _seconds(self, header: dict[str, tuple[str, int]], key: str) -> float:
        text, line = header[key]
        number, _, unit = text.partition(" ")
        try:
            value = float(number)
        except ValueError:
            value = math.nan
        if unit.strip() != "s" or not math.isfinite(value):
            raise CorruptFileError(f"{key} must be a finite number of seconds ('{key} = 0.001 s'), got {text!r}",
                                   path=self.source.name, line=line)
        return value

    def read(self) -> Traces:
        block = parse_block(read_buffer(self.source), self._start, ncols=len(self.channels), sep=None,
                            path=self.source.name, first_line=self._first_line, engine=self.engine)
        times = self.t0 + self.dt * np.arange(len(block.array), dtype=np.float64)
        return Traces(times, block.array, self.channels, self.units, time_name="t", time_unit="s",
                      metadata={"format": "ampli", "engine": block.engine, "dt": self.dt})

    def summary(self) -> dict[str, Any]:
        return {"channels": self.channels, "units": self.units, "dt": self.dt, "t0": self.t0}


def write_ampli(stream: IO[bytes], data: object, *, path: object = None, digits: int | None = None) -> None:
    """Write evenly sampled, single-sweep :class:`Traces`; anything else is an :class:`UnsupportedDataError`.

    Every check runs before the first byte is written.
    """
    if not isinstance(data, Traces):
        raise UnsupportedDataError(f"the ampli writer takes Traces, got {type(data).__name__}")
    if data.sweep_count != 1:
        raise UnsupportedDataError(f"AMPLI files hold one sweep, these traces have {data.sweep_count}")
    times = data.times
    if times is None or len(times) < 2:
        raise UnsupportedDataError("AMPLI files state dt: the traces need a time column of at least two samples")
    steps = np.diff(times)
    if not np.allclose(steps, steps[0], rtol=1e-9, atol=0.0) or not steps[0] > 0:
        raise UnsupportedDataError("AMPLI files hold evenly sampled traces; these times are not evenly spaced")
    for name, unit in zip(data.columns, data.units):
        if any(c in name + unit for c in ",()\r\n"):
            raise UnsupportedDataError(f"channel {name!r} ({unit!r}): names and units may not hold , ( ) or line breaks")
    channels = ", ".join(f"{n} ({u})" if u else n for n, u in zip(data.columns, data.units))
    stream.write(f"% AMPLI trace v1\n% dt = {float(steps[0])!r} s\n% t0 = {float(times[0])!r} s\n"
                 f"% channels = {channels}\n".encode())
    format_rows(stream, data.values, sep="\t", eol="\n", digits=digits)
