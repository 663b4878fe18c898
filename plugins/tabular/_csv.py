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
from neurofiles.plugin.text import (
    Buffer,
    check_columns,
    count_fields,
    first_nonblank,
    line_head,
    LINE_PROBE,
    MAX_COLUMNS,
    MAX_HEADER_LINE,
    parse_block,
    read_buffer,
    text_column,
)
from neurofiles.plugin import CorruptFileError, FormatMismatch, LimitExceededError, Reader, Source
from neurofiles.plugin.io import Progress
from neurofiles.plugin.tabular import split_label, to_table

__all__ = ["CsvReader", "write_csv"]

ROWS_PER_CHUNK = 65536
TIME_NAMES = {"t", "time", "times", "timestamp", "timestamps"}
TIME_UNITS = {"s", "ms", "us", "µs", "ns", "min", "sec", "msec"}
#: delimiters the shared numeric engines take; others go straight to numpy and the csv module
_NUMERIC_SEPARATORS = (",", "\t")


def _cells(array: np.ndarray) -> list[str]:
    """Shortest exact text of each value (floats round-trip through ``repr``)."""
    if array.dtype == np.bool_:
        bits: list[str] = np.where(array, "1", "0").tolist()
        return bits
    if array.dtype.kind in "iu":
        return [str(v) for v in array.tolist()]
    if array.dtype.kind == "f":
        return [repr(v) for v in array.astype(np.float64).tolist()]
    return [str(v) for v in array.tolist()]


def _cells_for(array: np.ndarray, delimiter: str) -> list[str]:
    cells = _cells(array)
    return _quote(cells, delimiter) if array.dtype.kind in "US" else cells


def _text_columns(table: Any) -> dict[str, np.ndarray]:
    """Traces text columns (Clampfit results sheets), by table column name."""
    if table.kind != "Traces":
        return {}
    original = dict(zip(table.attrs.get("value_keys", []), table.attrs.get("names", [])))
    found = {}
    for key, name in original.items():
        text = table.extra.get(f"text/{name}")
        if text is not None and len(text) == len(table):
            found[key] = np.asarray(text, dtype=str)
    return found


def _quote(cells: list[str], delimiter: str) -> list[str]:
    special = (delimiter, '"', "\n", "\r")
    return ['"' + c.replace('"', '""') + '"' if any(ch in c for ch in special) else c for c in cells]


def write_csv(stream: IO[bytes], data: Any, *, path: Any = None, delimiter: str = ",") -> None:
    """Write ``data`` (Events or Traces) as a CSV table with a header line."""
    if len(delimiter) != 1 or delimiter in '"\r\n':
        raise ValueError(f"delimiter must be one character other than quote or newline, got {delimiter!r}")
    table = to_table(data, with_times=True)
    text = io.TextIOWrapper(stream, encoding="utf-8", newline="")
    try:
        csv.writer(text, delimiter=delimiter, lineterminator="\n").writerow(
            [table.label(name) for name in table.columns]
        )
        columns = list(table.columns.values())
        texts = _text_columns(table)
        columns = [texts.get(name, column) for name, column in zip(table.columns, columns)]
        n = len(table)
        with Progress(n, "write csv", " rows") as bar:
            for start in range(0, n, ROWS_PER_CHUNK):
                stop = min(n, start + ROWS_PER_CHUNK)
                cells = [_cells_for(np.asarray(c[start:stop]), delimiter) for c in columns]
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
    max_columns
        Widest table read (default 65,536); a wider header is a :class:`LimitExceededError`.
    """

    def __init__(
        self,
        source: Source,
        *,
        delimiter: str = ",",
        time_column: bool | None = None,
        max_columns: int = MAX_COLUMNS,
    ) -> None:
        super().__init__(source)
        self.delimiter = delimiter
        if b"\x00" in source.header:
            raise FormatMismatch("binary content")
        self._buf: Buffer = read_buffer(source)
        first, self._body, length = line_head(self._buf, 0, MAX_HEADER_LINE)
        if length > MAX_HEADER_LINE:
            raise LimitExceededError(
                f"header line of {length} bytes, more than {MAX_HEADER_LINE}", path=source.name, line=1
            )
        if not first.strip():
            raise FormatMismatch("no header line")
        try:
            line = first.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise FormatMismatch(f"header line is not UTF-8 text: {exc}") from None
        try:
            self.labels = next(csv.reader([line], delimiter=delimiter))
        except (csv.Error, StopIteration) as exc:
            raise FormatMismatch(f"the first line is not a CSV header: {exc}") from None
        check_columns(len(self.labels), max_columns, path=source.name, line=1, what="the header names")
        second, _, length = line_head(self._buf, self._body)
        second = second.strip()
        if second and length <= LINE_PROBE:  # a whole line (not cut): check its width
            try:
                cells = next(csv.reader([second.decode("utf-8")], delimiter=delimiter))
            except (UnicodeDecodeError, csv.Error, StopIteration):
                raise FormatMismatch("the second line is not UTF-8 CSV") from None
            if len(cells) != len(self.labels):
                raise FormatMismatch(
                    f"the header has {len(self.labels)} cells but the next line {len(cells)}"
                )
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

    def _read_body(self, width: int) -> tuple[np.ndarray, dict[str, np.ndarray]]:
        """The rows below the header: the shared numeric engines first (native, streaming,
        no per-cell objects); text cells, quotes or other delimiters go to numpy and the csv module."""
        if self.delimiter in _NUMERIC_SEPARATORS:
            self._check_first_row(width)
            try:
                block = parse_block(
                    self._buf, self._body, ncols=width, sep=self.delimiter, path=self.source.name, first_line=2
                )
                return block.array, {}
            except CorruptFileError as exc:
                if exc.reason.startswith("row has") and self._buf.find(b'"', self._body) < 0:
                    raise  # a row of the wrong width and no quotes: the csv module splits rows the same way
                # text cells or quotes: the csv module decides, and names the line of a problem
        with self.source.open() as handle:
            raw = handle.read()
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise CorruptFileError(
                f"not UTF-8 text: {exc.reason}", path=self.source.name, offset=exc.start
            ) from None
        return self._parse(text.split("\n", 1)[1] if "\n" in text else "")

    def _check_first_row(self, width: int) -> None:
        """A first row wider than the header (counted in pieces, not split) is an error at once,
        unless quotes may hide delimiters."""
        pos = first_nonblank(self._buf, self._body)
        start = self._buf.rfind(b"\n", 0, pos) + 1
        head, _, length = line_head(self._buf, start)
        if b'"' in head:
            return
        count, _ = count_fields(self._buf, start, start + length, self.delimiter, width + 1)
        if count > width + 1:
            line = 2 + self._buf[self._body : start].count(b"\n")
            raise CorruptFileError(
                f"the first row has more than {width + 1} cells, but the header names {width} columns",
                path=self.source.name,
                line=line,
            )

    def _parse(self, body: str) -> tuple[np.ndarray, dict[str, np.ndarray]]:
        try:
            return np.loadtxt(io.StringIO(body), delimiter=self.delimiter, ndmin=2, dtype=np.float64), {}
        except ValueError:
            return self._read_mixed(body)

    def _read_mixed(self, body: str) -> tuple[np.ndarray, dict[str, np.ndarray]]:
        """Rows with text cells: numeric columns as floats, other columns kept as text (NaN in values)."""
        width = len(self.labels)
        rows = []
        reader = csv.reader(io.StringIO(body, newline=""), delimiter=self.delimiter)
        try:
            for cells in reader:
                if not cells or (len(cells) == 1 and not cells[0].strip()):
                    continue
                if len(cells) != width:
                    raise CorruptFileError(
                        f"{len(cells)} cells, but the header names {width} columns",
                        path=self.source.name,
                        line=reader.line_num + 1,
                    )
                rows.append(cells)
        except csv.Error as exc:
            raise CorruptFileError(
                f"bad CSV: {exc}", path=self.source.name, line=reader.line_num + 1
            ) from None
        columns = list(zip(*rows)) if rows else [() for _ in range(width)]
        array = np.full((len(rows), width), np.nan)
        texts: dict[str, np.ndarray] = {}
        for j, column in enumerate(columns):
            try:
                array[:, j] = [float(c) if c.strip() else np.nan for c in column]
            except ValueError:
                texts[self.names[j]] = text_column(list(column), path=self.source.name, line=2)
        if len(texts) == width:
            raise CorruptFileError("no column holds numbers", path=self.source.name, line=2)
        return array, texts

    def read(self) -> Any:
        from neurofiles.plugin import Traces

        width = len(self.labels)
        texts: dict[str, np.ndarray] = {}
        if first_nonblank(self._buf, self._body) < 0:
            array = np.zeros((0, width))
        else:
            array, texts = self._read_body(width)
        if array.shape[1] != width:
            raise CorruptFileError(
                f"rows have {array.shape[1]} cells but the header names {width} columns",
                path=self.source.name,
                line=2,
            )
        meta = {"format": "csv", "source": self.source.name}
        if self.time_column and self.names[0] not in texts:
            return Traces(
                array[:, 0],
                array[:, 1:],
                self.names[1:],
                self.units[1:],
                time_name=self.names[0],
                time_unit=self.units[0],
                metadata=meta,
                text=texts,
            )
        return Traces(None, array, self.names, self.units, metadata=meta, text=texts)

    def close(self) -> None:
        """Drop the file view."""
        self._buf = b""
