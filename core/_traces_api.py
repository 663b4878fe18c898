"""Brian 1 compatible functions: ``read_neuron_dat(name)`` and ``read_atf(name)``.

Brian 1 (``brian/tools/io.py``) returned ``M[:, 0], M[:, 1]`` after skipping
a fixed number of header lines. These functions return the same two arrays
for every file Brian reads correctly (two-column clipboard files, two-column
ATF files), and read the layouts Brian got wrong (headerless tables, count
lines of two integers, header counts that lie, CRLF, latin-1 units).

Differences, on purpose:

* ``read_neuron_dat`` returns every column as Brian's ``M.T`` unpacking allows
  (``t, v1, v2 = read_neuron_dat(f)``); ``read_atf`` with several value
  columns returns them as one 2-D ``values`` (rows x value columns);
* one value column and no time column (NEURON ``Vector.printf``): ``times`` is None;
* ATF results tables with text columns raise :class:`CorruptFileError`
  (use :func:`neurofiles.load`, which keeps them as text columns).
"""

from __future__ import annotations

import os
from typing import Optional

import numpy as np

from ._api import load
from ._errors import CorruptFileError, FormatMismatchError
from ._traces import Traces

__all__ = ["read_atf", "read_neuron_dat"]


def _pair(traces: Traces) -> tuple[Optional[np.ndarray], np.ndarray]:
    values = traces.values
    return traces.times, (values[:, 0] if values.shape[1] == 1 else values)


def read_neuron_dat(name: str | os.PathLike[str]) -> tuple[Optional[np.ndarray], ...]:
    """Read a NEURON ``.dat`` file; return its columns as Brian 1 did (``M.T``).

    ``t, v = read_neuron_dat(f)`` for a two-column file, ``t, v1, v2 = ...``
    for three columns, and so on: the time column, then one 1-D array per value
    column. Files without a time column (``Vector.printf``) give ``(None, v)``.
    Text layouts and binary ``Vector.vwrite`` files are recognised by content.
    """
    try:
        traces = load(name, format="neuron-dat")
    except FormatMismatchError:
        traces = load(name, format="neuron-vwrite")
        if traces.values.shape[1] >= 2:
            traces = Traces(
                traces.values[:, 0], traces.values[:, 1:], traces.columns[1:], metadata=traces.metadata
            )
    return (traces.times, *traces.values.T)


def read_atf(name: str | os.PathLike[str]) -> tuple[Optional[np.ndarray], np.ndarray]:
    """Read an Axon Text File; return ``(times, values)`` (first column, other columns).

    ``values`` is 1-D for a two-column file (as Brian), else 2-D with every
    value column.
    """
    traces = load(name, format="axon-atf")
    if traces.text:
        raise CorruptFileError(
            f"results table with text columns {list(traces.text)}; use neurofiles.load() to read it",
            path=os.fspath(name),
        )
    if traces.times is None:
        array = traces.values
        return _pair(Traces(array[:, 0], array[:, 1:], traces.columns[1:]))
    return _pair(traces)
