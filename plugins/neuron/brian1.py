"""Brian 1 compatible ``read_neuron_dat(name)``, shown as ``neurofiles.read_neuron_dat``.

Brian 1 (``brian/tools/io.py``) returned ``M[:, 0], M[:, 1]`` after skipping
a fixed number of header lines. This function returns the same arrays for
every file Brian reads correctly (two-column clipboard files), and reads the
layouts Brian got wrong (headerless tables, count lines of two integers,
header counts that lie, CRLF, latin-1 units).

Differences, on purpose:

* every column is returned as Brian's ``M.T`` unpacking allows
  (``t, v1, v2 = read_neuron_dat(f)``);
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
