"""Reader for Axon Text Files, ATF 1.0 (format ``axon-atf``)."""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np

from neurofiles.plugin.text import (
    Buffer,
    check_columns,
    check_engine,
    count_fields,
    detect_separator,
    line_head,
    MAX_COLUMNS,
    parse_block,
    read_buffer,
    skip_blank_lines,
)
from neurofiles.plugin import CorruptFileError, FormatMismatch, FormatWarning, Reader, Source, Traces

from ._header import AtfHeader, parse_header, split_title

__all__ = ["AtfReader", "sweep_layout"]


def _as_list(value: Any) -> list[str]:
    if value is None:
        return []
    if isinstance(value, list):
        return [str(v).strip() for v in value]
    return [v.strip() for v in str(value).split(",") if v.strip()]


def sweep_layout(header: dict[str, Any], nvalues: int) -> tuple[np.ndarray, list[str], str]:
    """Map value columns to (sweeps x channels) from ``Signals=`` or ``SignalsExported``.

    Returns the layout, the channel names and which record it came from.
    """
    signals = _as_list(header.get("Signals"))
    if signals and len(signals) == nvalues:
        channels = list(dict.fromkeys(signals))
        nch = len(channels)
        if nvalues % nch == 0 and signals == channels * (nvalues // nch):
            return np.arange(nvalues).reshape(nvalues // nch, nch), channels, "Signals"
        return np.arange(nvalues).reshape(1, nvalues), signals, "Signals (irregular: one sweep)"
    exported = _as_list(header.get("SignalsExported"))
    if exported and nvalues % len(exported) == 0:
        nch = len(exported)
        return np.arange(nvalues).reshape(nvalues // nch, nch), exported, "SignalsExported"
    return np.arange(nvalues).reshape(1, nvalues), [], "none (one sweep, one channel per column)"


class AtfReader(Reader):
    """Reads ATF 1.0 files into :class:`~neurofiles.Traces`.

    Parameters
    ----------
    strict
        Raise :class:`CorruptFileError` when a header count disagrees with the
        file, instead of warning with :class:`FormatWarning`.
    engine
        ``'auto'`` (pyarrow when installed), ``'numpy'`` or ``'pyarrow'``.
    max_columns
        Widest table read (default 65,536); a wider title line or data row is a
        :class:`LimitExceededError`.
    """

    def __init__(
        self, source: Source, *, strict: bool = False, engine: str = "auto", max_columns: int = MAX_COLUMNS
    ) -> None:
        super().__init__(source)
        check_engine(engine)
        self.max_columns = max_columns
        if source.header[:3] not in (b"ATF", b"PAF"):
            raise FormatMismatch("does not start with 'ATF'")
        self.strict, self.engine = strict, engine
        self._buf: Buffer = read_buffer(source)
        self.head: AtfHeader = parse_header(
            self._buf, source.name, source.size or len(self._buf), max_columns
        )
        for line, message in self.head.problems:
            self._report(message, line)

    def _report(self, message: str, line: int) -> None:
        if self.strict:
            raise CorruptFileError(message, path=self.source.name, line=line)
        warnings.warn(f"{self.source.name}: line {line}: {message}", FormatWarning, stacklevel=4)

    def summary(self) -> dict[str, Any]:
        """Header facts: version, counts, titles, records."""
        h = self.head
        return {
            "version": h.version,
            "header records": len(h.records),
            "columns": len(h.titles),
            "titles": h.titles,
            "records": h.header,
        }

    def _first_data_row(self) -> tuple[str | None, int] | None:
        """Separator and field count of the first data row (read in pieces if long), or None."""
        pos = self.head.data_start
        lineno = self.head.data_line
        while pos < len(self._buf):
            pos, skipped = skip_blank_lines(self._buf, pos)
            lineno += skipped
            if pos >= len(self._buf):
                break
            head, nxt, length = line_head(self._buf, pos)
            if head.strip():
                sep = detect_separator(head)
                count, trailing = count_fields(self._buf, pos, pos + length, sep, self.max_columns + 1)
                if count == len(self.head.titles) + 1 and trailing:
                    count -= 1  # a row ending in the separator
                check_columns(count, self.max_columns, path=self.source.name, line=lineno)
                return sep, count
            pos, lineno = nxt, lineno + 1
        return None

    def read(self) -> Traces:
        """Parse the data block and map the columns."""
        h = self.head
        path = self.source.name
        first = self._first_data_row()
        sep, ncols = first if first is not None else ("\t", len(h.titles))
        titles = list(h.titles)
        if ncols != len(titles):
            self._report(
                f"the title line has {len(titles)} titles but the data rows have {ncols} fields",
                h.titles_line,
            )
            titles = (titles + [f"column {i + 1}" for i in range(len(titles), ncols)])[:ncols]
        block = parse_block(
            self._buf,
            h.data_start,
            ncols=ncols,
            sep=sep,
            path=path,
            first_line=h.data_line,
            engine=self.engine,
            text_ok=True,
        )
        array = block.array
        if block.decimal_commas:
            self._report(
                f"{block.decimal_commas} numbers use a decimal comma (a comma-locale export);"
                " read as decimal points",
                h.data_line,
            )
        names, units = zip(*(split_title(t) for t in titles)) if titles else ((), ())
        has_time = bool(titles) and "time" in names[0].lower() and 0 not in block.text
        meta: dict[str, Any] = {
            "format": "axon-atf",
            "source": path,
            "version": h.version,
            "engine": block.engine,
            "header": h.header,
            "records": h.records,
            "titles": titles,
            "declared counts": (h.declared_records, h.declared_columns),
            "rows": int(array.shape[0]),
        }
        if block.decimal_commas:
            meta["decimal commas"] = block.decimal_commas
        if h.problems:
            meta["count problems"] = [m for _, m in h.problems]
        first_value = 1 if has_time else 0
        text = {titles[c]: cells for c, cells in block.text.items() if c >= first_value}
        meta["variant"] = "results table with text columns" if text else "ATF 1.0"
        values = array[:, first_value:]
        layout, channels, origin = sweep_layout(h.header, values.shape[1])
        meta["layout source"] = origin
        if not channels:
            channels = [names[first_value + int(i)] for i in layout[0]] if values.shape[1] else []
        sweep_starts = self._sweep_starts(h.header, layout.shape[0], units[0] if has_time else "")
        return Traces(
            array[:, 0] if has_time else None,
            values,
            list(names[first_value:]),
            list(units[first_value:]),
            time_name=names[0] if has_time else "t",
            time_unit=units[0] if has_time else "",
            metadata=meta,
            layout=layout,
            channel_names=channels,
            sweep_starts=sweep_starts,
            text=text,
        )

    @staticmethod
    def _sweep_starts(header: dict[str, Any], nsweeps: int, time_unit: str) -> np.ndarray | None:
        raw = _as_list(header.get("SweepStartTimesMS"))
        try:
            ms = np.array([float(v) for v in raw], dtype=np.float64)
        except ValueError:
            return None
        if ms.size != nsweeps:
            return None
        scale = {"s": 1e-3, "ms": 1.0, "us": 1e3, "µs": 1e3}.get(time_unit)
        return None if scale is None else ms * scale

    def close(self) -> None:
        """Drop the header view."""
        self._buf = b""
