"""Writers for NEURON layouts: clipboard text (``neuron-dat``) and ``Vector.vwrite`` (``neuron-vwrite``).

Text layout chosen by the shape of the data (see ``spec/formats/neuron-dat.md``):

* times + one value column: the clipboard layout NEURON's ``clipboard_retrieve``
  reads (``label:<name>``, ``<count>``, ``x<TAB>y`` rows);
* several value columns (with or without times): the ``Matrix.fprint`` layout
  (``<nrow> <ncol>`` then rows) that ``Matrix.scanf`` reads; the time column first;
* values only, one column: one value per line, as ``Vector.printf`` writes and
  ``Vector.scanf`` reads.
"""

from __future__ import annotations

from typing import IO, Any

import numpy as np

from neurofiles.plugin import as_traces
from neurofiles.plugin.text import format_rows

from ._vwrite import encode_record

__all__ = ["write_neuron_dat", "write_neuron_vwrite"]


def write_neuron_dat(
    stream: IO[bytes], data: Any, *, path: Any = None, label: str | None = None, digits: int | None = None
) -> None:
    """Write traces as NEURON text.

    Parameters
    ----------
    label
        Clipboard label (default: the value column's name).
    digits
        Significant digits; None (default) writes the shortest text that
        reads back to the same float64; ``digits=6`` reproduces NEURON's ``%g``.
    """
    traces = as_traces(data)
    values = traces.values
    if traces.times is not None and values.shape[1] == 1:
        name = label if label is not None else (traces.metadata.get("label") or traces.columns[0])
        if "\n" in name or "\r" in name:
            raise ValueError("label must be one line")
        stream.write(f"label:{name}\n{values.shape[0]}\n".encode("latin-1", "replace"))
        format_rows(stream, traces.to_array(), sep="\t", eol="\n", digits=digits)
        return
    if traces.times is None and values.shape[1] == 1:
        format_rows(stream, values, sep="\t", eol="\n", digits=digits)
        return
    table = traces.to_array()
    stream.write(f"{table.shape[0]} {table.shape[1]}\n".encode())
    format_rows(stream, table, sep="\t", eol="\n", digits=digits)


def write_neuron_vwrite(
    stream: IO[bytes], data: Any, *, path: Any = None, type: int = 4, byteorder: str = "little"
) -> None:
    """Write each column (times first, if any) as one ``Vector.vwrite`` record.

    Parameters
    ----------
    type
        NEURON's type code: 4 double (default, lossless), 3 float, 5 int,
        2 short and 1 char (both scaled, lossy).
    byteorder
        ``'little'`` (default) or ``'big'``.
    """
    if byteorder not in ("little", "big"):
        raise ValueError(f"byteorder must be 'little' or 'big', got {byteorder!r}")
    table = as_traces(data).to_array()
    order = "<" if byteorder == "little" else ">"
    for column in np.asarray(table, dtype=np.float64).T:
        stream.write(encode_record(column, type, order))
