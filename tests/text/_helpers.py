"""Helpers for the NEURON / ATF tests (Brian 1 reference readers, spec vectors, optional pyarrow)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from tests.conftest import need

SPEC_VECTORS = Path(__file__).resolve().parents[2] / "spec" / "vectors"


def need_pyarrow() -> None:
    """pyarrow (extra ``fast``): skip locally, fail under CI=true."""
    need("pyarrow.csv", "fast")


def load_expected(folder: str) -> dict:
    return json.loads((SPEC_VECTORS / folder / "expected.json").read_text())


def brian_neuron(path: Path) -> tuple[np.ndarray, np.ndarray]:
    """Brian 1's read_neuron_dat: skip two lines, np.loadtxt, first two columns."""
    with open(path) as f:
        f.readline()
        f.readline()
        M = np.loadtxt(f)
    return M[:, 0], M[:, 1]


def brian_atf(path: Path) -> tuple[np.ndarray, np.ndarray]:
    """Brian 1's read_atf: skip line 1, n from line 2, skip n + 1 lines, np.loadtxt."""
    with open(path, encoding="latin-1") as f:
        f.readline()
        n = int(f.readline().split()[0])
        for _ in range(n + 1):
            f.readline()
        M = np.loadtxt(f)
    return M[:, 0], M[:, 1]
