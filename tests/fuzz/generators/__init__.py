"""Structure-aware input generators, one hypothesis strategy per reader format.

``FAMILIES[name]()`` returns a strategy of :class:`~tests.fuzz.sandbox.Case`:
valid files whose content is known (``case.truth``) and hostile files built
around the format's structure (counts, offsets, compression, nesting, sizes).
"""

from __future__ import annotations

from collections.abc import Callable

from hypothesis import strategies as st

from ..sandbox import Case
from ._common import SIZE_CAP
from .abf import abf_cases
from .binary import aedat3_cases, aedat4_cases, aedat_cases, aeidx_cases, npz_cases, vwrite_cases
from .text import atf_cases, csv_cases, neuron_cases

FAMILIES: dict[str, Callable[[], st.SearchStrategy[Case]]] = {
    "aedat": aedat_cases,
    "aedat3": aedat3_cases,
    "aedat4": aedat4_cases,
    "aeidx": aeidx_cases,
    "axon-abf": abf_cases,
    "axon-atf": atf_cases,
    "csv": csv_cases,
    "neuron-dat": neuron_cases,
    "neuron-vwrite": vwrite_cases,
    "npz": npz_cases,
}

__all__ = ["FAMILIES", "SIZE_CAP", "Case"]
