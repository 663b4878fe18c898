"""Recognise which NEURON text layout a file uses, from its first lines.

The header is at most three lines before the numbers: an optional
``label:<text>`` line, an optional count line (one integer = rows, or two =
rows and columns as ``Matrix.fprint`` writes), and one optional non-numeric
line of column names. Everything after them is the numeric block.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from neurofiles._text_table import Buffer, detect_separator, first_nonblank, line_at, split_fields

__all__ = ["EPS_MAGIC", "PWM_HEADS", "TextLayout", "is_numeric_line", "scan_layout"]

EPS_MAGIC = b"%!PS"
PWM_HEADS = (b"Graph addvar/addexpr lines", b"PolyLines")
_INT = re.compile(rb"^[+]?\d+$")
MAX_HEADER_LINES = 3
MAX_SCANNED_LINES = 1000


def _floats(fields: list[bytes]) -> list[float] | None:
    try:
        return [float(f) for f in fields]
    except ValueError:
        return None


def is_numeric_line(line: bytes) -> bool:
    """True if every whitespace/tab/comma field of ``line`` is a number."""
    fields = split_fields(line, detect_separator(line))
    return bool(fields) and _floats(fields) is not None


@dataclass
class TextLayout:
    """What the header lines of a NEURON text file are, and where the data start."""

    label: str | None = None
    label_line: int | None = None
    count: tuple[int, ...] | None = None
    count_line: int | None = None
    count_text: bytes = b""
    count_values: list[float] | None = None
    count_pos: int = 0
    names: list[str] | None = None
    names_line: int | None = None
    data_start: int = 0
    data_line: int = 1
    first_data: bytes = b""
    sep: str | None = None
    ncols: int = 0
    notes: list[str] = field(default_factory=list)


def scan_layout(buf: Buffer, path: str) -> TextLayout | str:
    """Classify the header lines; return a :class:`TextLayout`, or a reason string if not NEURON text."""
    layout = TextLayout()
    first = first_nonblank(buf)  # skip leading blank lines without a Python loop
    if first < 0:
        return "no numeric data lines"
    pos = buf.rfind(b"\n", 0, first) + 1
    lineno = buf[:pos].count(b"\n") + 1
    line, nxt = line_at(buf, pos)
    header_lines = 0
    scanned = 0
    while True:
        scanned += 1
        if scanned > MAX_SCANNED_LINES:
            return f"no numeric data in the first {MAX_SCANNED_LINES} lines"
        stripped = line.strip()
        if stripped and is_numeric_line(stripped):
            fields = split_fields(line, detect_separator(line))
            if (
                layout.count is None
                and layout.names is None
                and len(fields) <= 2
                and all(_INT.match(f) for f in fields)
            ):
                # a candidate count line; decided against the next data line
                layout.count = tuple(int(f) for f in fields)
                layout.count_line = lineno
                layout.count_text = stripped
                layout.count_values = [float(f) for f in fields]
                layout.count_pos = pos
            else:
                layout.data_start, layout.data_line, layout.first_data = pos, lineno, line
                layout.sep = detect_separator(line)
                layout.ncols = len(split_fields(line, layout.sep))
                return layout
        elif stripped:
            if stripped.startswith(b"label:") and layout.label is None and header_lines == 0:
                layout.label = stripped[6:].decode("latin-1")
                layout.label_line = lineno
            elif layout.names is None:
                layout.names = [
                    f.decode("latin-1") for f in split_fields(stripped, detect_separator(stripped))
                ]
                layout.names_line = lineno
            else:
                return f"line {lineno} is not numeric ({stripped[:40]!r}) after the header lines"
            header_lines += 1
        if header_lines > MAX_HEADER_LINES:
            return "more than three header lines"
        pos = nxt
        if pos >= len(buf):
            if layout.count is None or layout.count_line is None:
                return "no numeric data lines"
            if layout.label is not None or layout.names is not None:  # a header for zero rows
                layout.data_start, layout.data_line = len(buf), lineno + 1
                layout.ncols = layout.count[1] if len(layout.count) == 2 else 2
                return layout
            # the count candidate was the only numeric line: it is data
            count_line = layout.count_text
            layout.data_start, layout.data_line = layout.count_pos, layout.count_line
            layout.first_data = count_line
            layout.sep = detect_separator(count_line)
            layout.ncols = len(split_fields(count_line, layout.sep))
            layout.count = layout.count_line = None
            layout.count_values = None
            return layout
        line, nxt = line_at(buf, pos)
        lineno += 1
