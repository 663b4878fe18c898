"""Brian 1 compatible ``read_atf(name)``, shown as ``neurofiles.read_atf``.

Brian 1 (``brian/tools/io.py``) returned ``M[:, 0], M[:, 1]`` after skipping
the header. This function returns the same two arrays for every file Brian
reads correctly (two-column ATF files). Differences, on purpose:

* several value columns: ``values`` is 2-D (rows x value columns) holding
  all of them (Brian returned only the first); ``values[:, 0]`` is Brian's array;
* results tables with text columns raise :class:`CorruptFileError`
  (use :func:`neurofiles.load`, which keeps them as text columns).

It lives with the ATF format it names; the core only re-exports it.
"""

from __future__ import annotations

import os
from typing import Optional

import numpy as np

from neurofiles import load
from neurofiles.plugin import CorruptFileError, Traces

__all__ = ["read_atf"]


def _pair(traces: Traces) -> tuple[Optional[np.ndarray], np.ndarray]:
    values = traces.values
    return traces.times, (values[:, 0] if values.shape[1] == 1 else values)


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
