"""Brian 1 compatible ``read_neuron_dat(name)``, shown as ``neurofiles.read_neuron_dat``.

Brian 1 (``brian/tools/io.py``) returned ``M[:, 0], M[:, 1]`` after skipping
a fixed number of header lines. This function returns the same two arrays
for every file Brian reads correctly (two-column clipboard files), and reads
the layouts Brian got wrong (headerless tables, count lines of two integers,
header counts that lie, CRLF, latin-1 units).

Differences, on purpose:

* several value columns: ``values`` is 2-D (rows x value columns) holding
  all of them (Brian returned only the first); ``values[:, 0]`` is Brian's array;
* one value column and no time column (NEURON ``Vector.printf``): ``times`` is None.

It lives with the NEURON formats it names; the core only re-exports it.
"""

from __future__ import annotations

import os
from typing import Optional

import numpy as np

from neurofiles import FormatMismatchError, load
from neurofiles.plugin import Traces

__all__ = ["read_neuron_dat"]


def _pair(traces: Traces) -> tuple[Optional[np.ndarray], np.ndarray]:
    values = traces.values
    return traces.times, (values[:, 0] if values.shape[1] == 1 else values)


def read_neuron_dat(name: str | os.PathLike[str]) -> tuple[Optional[np.ndarray], np.ndarray]:
    """Read a NEURON ``.dat`` file; return ``(times, values)``.

    Text layouts and binary ``Vector.vwrite`` files are recognised by content.
    ``values`` is 1-D for one value column, else 2-D (rows x columns).
    """
    try:
        traces = load(name, format="neuron-dat")
    except FormatMismatchError:
        traces = load(name, format="neuron-vwrite")
        if traces.values.shape[1] >= 2:
            traces = Traces(
                traces.values[:, 0], traces.values[:, 1:], traces.columns[1:], metadata=traces.metadata
            )
    return _pair(traces)
