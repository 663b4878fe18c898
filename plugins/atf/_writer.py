"""Writer for Axon Text Files, ATF 1.0, following Axon's own writer (format ``axon-atf``).

CRLF line ends; ``ATF<TAB>1.0``; the counts line padded with spaces as Axon's
in-place rewrite leaves it; quoted ``"Key=Value"`` records (``Signals=`` as a
multi-field record); quoted ``"Title (units)"`` titles; numbers with
``digits`` significant digits (Axon uses 12) or, by default, the shortest
text that reads back to the same float64.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import IO, Any

import numpy as np

from neurofiles.plugin import as_traces, Traces
from neurofiles.plugin.text import format_rows

__all__ = ["write_atf"]

EOL = "\r\n"


def _quote(text: str) -> str:
    return '"' + str(text).replace('"', "'").replace("\r", " ").replace("\n", " ") + '"'


def _title(name: str, unit: str) -> str:
    return f"{name} ({unit})" if unit else name


def _default_records(traces: Traces) -> list[list[str]]:
    """Clampfit-style records: sweep start times and the column -> signal map pyABF needs."""
    records: list[list[str]] = []
    if traces.sweep_starts is not None:
        scale = {"s": 1e3, "ms": 1.0}.get(traces.time_unit)
        if scale is not None:
            records.append(
                ["SweepStartTimesMS=" + ",".join("%.3f" % (v * scale) for v in traces.sweep_starts)]
            )
    channels = list(traces.channel_names)
    records.append(["SignalsExported=" + ",".join(channels)])
    per_column = [""] * traces.values.shape[1]
    for sweep in traces.layout:
        for c, col in enumerate(sweep):
            per_column[int(col)] = channels[c] if c < len(channels) else traces.columns[int(col)]
    records.append(["Signals=", *per_column])
    return records


def write_atf(
    stream: IO[bytes],
    data: Any,
    *,
    path: Any = None,
    digits: int | None = None,
    separator: str = "\t",
    records: Sequence[str | Sequence[str]] | None = None,
) -> None:
    """Write traces as ATF 1.0.

    Parameters
    ----------
    digits
        Significant digits (12 reproduces Axon's writer); None (default) keeps full float64 precision.
    separator
        ``'\\t'`` (default, as Clampfit) or ``','``.
    records
        Header records, each a string ``"Key=Value"`` or a sequence of fields;
        default: the records the traces were read with, else Clampfit-style
        ``SweepStartTimesMS``/``SignalsExported``/``Signals=`` records.
    """
    if separator not in ("\t", ","):
        raise ValueError(f"separator must be a tab or a comma, got {separator!r}")
    traces = as_traces(data)
    if records is None:
        records = traces.metadata.get("records") if traces.metadata.get("format") == "axon-atf" else None
        if records is None:
            records = _default_records(traces)
    rows = [[r] if isinstance(r, str) else list(r) for r in records]
    titles = [_title(n, u) for n, u in zip(traces.columns, traces.units)]
    if traces.times is not None:
        titles.insert(0, _title(traces.time_name or "Time", traces.time_unit))
    ncols = len(titles)
    placeholder = len(f"0{separator}{ncols}     ")
    counts = f"{len(rows)}{separator}{ncols}"
    header = [f"ATF{separator}1.0", counts.ljust(placeholder)]
    header += [separator.join(_quote(f) for f in fields) for fields in rows]
    header.append(separator.join(_quote(t) for t in titles))
    stream.write((EOL.join(header) + EOL).encode("latin-1", "replace"))
    offset = 1 if traces.times is not None else 0
    labels = traces.labels
    text = {}
    for key, cells in traces.text.items():
        matches = [i for i, (c, lab) in enumerate(zip(traces.columns, labels)) if key in (c, lab)]
        if matches:
            text[matches[0] + offset] = np.asarray(cells, dtype=str)
    format_rows(stream, traces.to_array(), sep=separator, eol=EOL, digits=digits, text=text)
