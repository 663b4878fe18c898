"""Formatting numeric tables as text rows (shared by the NEURON and ATF writers)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import IO

import numpy as np

__all__ = ["format_number", "format_rows"]

_CHUNK = 65536


def format_number(value: float, digits: int | None) -> str:
    """``value`` with ``digits`` significant digits (``%g`` style), or shortest round-trip text if None."""
    if digits is None:
        text = repr(float(value))
        return text[:-2] if text.endswith(".0") else text
    return "%.*g" % (digits, value)


def format_rows(
    stream: IO[bytes],
    table: np.ndarray,
    *,
    sep: str,
    eol: str,
    digits: int | None,
    text: Mapping[int, np.ndarray] | None = None,
) -> None:
    """Write ``table`` row by row, in chunks, as ASCII text.

    ``text`` maps column indices to string arrays written verbatim instead of
    the numbers (text cells of a results table).
    """
    if digits is not None and not 1 <= digits <= 17:
        raise ValueError(f"digits must be in 1..17 or None, got {digits!r}")
    table = np.asarray(table, dtype=np.float64)
    if table.ndim != 2:
        raise ValueError(f"table must be 2-D, got shape {table.shape}")
    pattern = "%." + str(digits) + "g"

    def fmt(value: float) -> str:
        return format_number(value, None) if digits is None else pattern % value

    text = dict(text or {})
    for start in range(0, table.shape[0], _CHUNK):
        rows = table[start : start + _CHUNK].tolist()
        if text:
            lines = []
            for r, row in enumerate(rows, start):
                cells = [str(text[c][r]) if c in text else fmt(v) for c, v in enumerate(row)]
                lines.append(sep.join(cells))
        else:
            lines = [sep.join(map(fmt, row)) for row in rows]
        stream.write((eol.join(lines) + eol).encode("latin-1", "replace"))
