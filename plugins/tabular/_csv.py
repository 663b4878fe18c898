"""Comma-separated tables: one header line of ``name (unit)`` labels, one row per sample.

Writing works for Events (``times`` in seconds first, then the raw columns)
and Traces (time column first when there is one). Reading gives Traces: the
first column is the time when its name says so (``t``, ``time``, ``times``,
``timestamps``) or its unit is a time unit.
"""

from __future__ import annotations

import csv
import io
from typing import IO, Any

import numpy as np

from neurofiles._errors import CorruptFileError
from neurofiles._progress import Progress
from neurofiles._tabular import split_label, to_table
from neurofiles.plugin import FormatMismatch, Reader, Source

__all__ = ["CsvReader", "write_csv"]

ROWS_PER_CHUNK = 65536
TIME_NAMES = {"t", "time", "times", "timestamp", "timestamps"}
TIME_UNITS = {"s", "ms", "us", "µs", "ns", "min", "sec", "msec"}


def _cells(array: np.ndarray) -> list[str]:
    """Shortest exact text of each value (floats round-trip through ``repr``)."""
    if array.dtype == np.bool_:
        return np.where(array, "1", "0").tolist()
    if array.dtype.kind in "iu":
        return [str(v) for v in array.tolist()]
    if array.dtype.kind == "f":
        return [repr(v) for v in array.astype(np.float64).tolist()]
    return [str(v) for v in array.tolist()]


def write_csv(stream: IO[bytes], data: Any, *, path: Any = None, delimiter: str = ",") -> None:
    """Write ``data`` (Events or Traces) as a CSV table with a header line."""
    if len(delimiter) != 1 or delimiter in "\"\r\n":
        raise ValueError(f"delimiter must be one character other than quote or newline, got {delimiter!r}")
    table = to_table(data, with_times=True)
    text = io.TextIOWrapper(stream, encoding="utf-8", newline="")
    try:
        csv.writer(text, delimiter=delimiter, lineterminator="\n").writerow(
            [table.label(name) for name in table.columns]
        )
        columns = list(table.columns.values())
        n = len(table)
        with Progress(n, "write csv", " rows") as bar:
            for start in range(0, n, ROWS_PER_CHUNK):
                stop = min(n, start + ROWS_PER_CHUNK)
                cells = [_cells(np.asarray(c[start:stop])) for c in columns]
                text.write("".join(delimiter.join(row) + "\n" for row in zip(*cells)))
                bar.update(stop - start)
        text.flush()
    finally:
        text.detach()


class CsvReader(Reader):
    """Reads a numeric CSV table with one header line as Traces.

    Parameters
    ----------
    delimiter
        Cell separator (default ``,``).
    time_column
        ``True``: the first column is the time; ``False``: no time column;
        ``None`` (default): decide from the first column's name and unit.
    """

    def __init__(self, source: Source, *, delimiter: str = ",", time_column: bool | None = None) -> None:
        super().__init__(source)
        self.delimiter = delimiter
        head = source.header
        first, _, rest = head.partition(b"\n")
        if not first.strip() or b"\x00" in head:
            raise FormatMismatch("no header line, or binary content")
        try:
            line = first.decode("utf-8").rstrip("\r")
        except UnicodeDecodeError as exc:
            raise FormatMismatch(f"header line is not UTF-8 text: {exc}") from None
        self.labels = next(csv.reader([line], delimiter=delimiter))
        second = rest.split(b"\n", 1)[0].strip()
        if second:
            try:
                [float(cell) for cell in second.decode("utf-8").split(delimiter)]
            except (ValueError, UnicodeDecodeError):
                raise FormatMismatch("the second line is not a row of numbers") from None
        names_units = [split_label(label) for label in self.labels]
        self.names = [n for n, _ in names_units]
        self.units = [u for _, u in names_units]
        if time_column is None:
            time_column = bool(self.names) and (
                self.names[0].lower() in TIME_NAMES or self.units[0].lower() in TIME_UNITS
            )
        self.time_column = bool(time_column) and len(self.names) > 1

    def summary(self) -> dict[str, Any]:
        return {
            "columns": self.labels,
            "time_column": self.labels[0] if self.time_column else None,
        }

    def _bad_line(self, text: str) -> int:
        width = len(self.labels)
        for number, line in enumerate(text.splitlines(), start=1):
            if not line.strip():
                continue
            cells = line.split(self.delimiter)
            try:
                if len(cells) != width:
                    raise ValueError
                [float(c) for c in cells] if number > 1 else None
            except ValueError:
                return number
        return 0

    def read(self) -> Any:
        from neurofiles._traces import Traces

        with self.source.open() as handle:
            raw = handle.read()
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise CorruptFileError(f"not UTF-8 text: {exc.reason}", path=self.source.name, offset=exc.start) from None
        body = text.split("\n", 1)[1] if "\n" in text else ""
        width = len(self.labels)
        try:
            array = np.loadtxt(io.StringIO(body), delimiter=self.delimiter, ndmin=2, dtype=np.float64)
        except ValueError as exc:
            line = self._bad_line(text)
            raise CorruptFileError(
                f"not a row of {width} numbers ({exc})", path=self.source.name, line=line or None
            ) from None
        if array.size == 0:
            array = np.zeros((0, width))
        if array.shape[1] != width:
            raise CorruptFileError(
                f"rows have {array.shape[1]} cells but the header names {width} columns", path=self.source.name, line=2
            )
        meta = {"format": "csv", "source": self.source.name}
        if self.time_column:
            return Traces(array[:, 0], array[:, 1:], self.names[1:], self.units[1:],
                          time_name=self.names[0], time_unit=self.units[0], metadata=meta)
        return Traces(None, array, self.names, self.units, metadata=meta)
