"""Recognise which NEURON text layout a file uses, from its first lines.

The header is at most three lines before the numbers: an optional
``label:<text>`` line, an optional count line (one integer = rows, or two =
rows and columns as ``Matrix.fprint`` writes), and one optional non-numeric
line of column names. Everything after them is the numeric block.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from neurofiles.plugin.text import (
    Buffer,
    check_columns,
    count_fields,
    detect_separator,
    first_nonblank,
    line_head,
    LINE_PROBE,
    MAX_COLUMNS,
    split_fields,
)
from neurofiles.plugin import LimitExceededError

__all__ = ["EPS_MAGIC", "PWM_HEADS", "TextLayout", "is_numeric_line", "scan_layout", "whole_fields"]

EPS_MAGIC = b"%!PS"
PWM_HEADS = (b"Graph addvar/addexpr lines", b"PolyLines")
_INT = re.compile(rb"^[+]?\d+$")
MAX_HEADER_LINES = 3
MAX_SCANNED_LINES = 1000
#: a count line of more digits is larger than any file (and than Python's int() digit limit)
MAX_COUNT_DIGITS = 18


def _count_fields_ok(fields: list[bytes]) -> bool:
    """True if ``fields`` can be a count line: one or two integers of at most MAX_COUNT_DIGITS digits."""
    return len(fields) <= 2 and all(_INT.match(f) and len(f.lstrip(b"+0")) <= MAX_COUNT_DIGITS for f in fields)


def whole_fields(head: bytes) -> bytes:
    """A cut line's head without its last field, which the cut may have split."""
    cut = max(head.rfind(b" "), head.rfind(b"\t"), head.rfind(b","))
    return head[:cut] if cut > 0 else b""


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
    data_end: int = 0
    sep: str | None = None
    ncols: int = 0
    single_line: bool = False
    notes: list[str] = field(default_factory=list)


def scan_layout(buf: Buffer, path: str, max_columns: int = MAX_COLUMNS) -> TextLayout | str:
    """Classify the header lines; return a :class:`TextLayout`, or a reason string if not NEURON text.

    Lines are looked at through their first ``LINE_PROBE`` bytes. A data row
    wider than ``max_columns`` is a :class:`LimitExceededError`, except when it
    is the file's only line of numbers separated by whitespace (``Vector.printf``
    with ``"%g "``): ``single_line`` is then set, and the reader reads it in pieces.
    """
    layout = TextLayout()
    first = first_nonblank(buf)  # skip leading blank lines without a Python loop
    if first < 0:
        return "no numeric data lines"
    pos = buf.rfind(b"\n", 0, first) + 1
    lineno = buf[:pos].count(b"\n") + 1
    line, nxt, length = line_head(buf, pos)
    header_lines = 0
    scanned = 0
    while True:
        scanned += 1
        if scanned > MAX_SCANNED_LINES:
            return f"no numeric data in the first {MAX_SCANNED_LINES} lines"
        cut = length > LINE_PROBE
        stripped = (whole_fields(line) if cut else line).strip()
        if stripped and is_numeric_line(stripped):
            fields = split_fields(line, detect_separator(line)) if not cut else []
            if not cut and layout.count is None and layout.names is None and _count_fields_ok(fields):
                # a candidate count line; decided against the next data line
                layout.count = tuple(int(f) for f in fields)
                layout.count_line = lineno
                layout.count_text = stripped
                layout.count_values = [float(f) for f in fields]
                layout.count_pos = pos
            else:
                huge_count = bool(fields) and len(fields) <= 2 and all(_INT.match(f) for f in fields)
                if huge_count and layout.label is not None and layout.count is None and layout.names is None:
                    raise LimitExceededError(
                        "count line of more than 18 digits: larger than any file", path=path, line=lineno
                    )
                layout.data_start, layout.data_line, layout.first_data = pos, lineno, line
                layout.data_end = pos + length
                _set_width(layout, buf, nxt, path, max_columns)
                return layout
        elif stripped:
            if cut:
                return f"line {lineno} is a text line of more than {LINE_PROBE} bytes"
            if stripped.startswith(b"label:") and layout.label is None and header_lines == 0:
                layout.label = stripped[6:].decode("latin-1")
                layout.label_line = lineno
            elif layout.names is None:
                layout.names = [
                    f.decode("latin-1") for f in split_fields(stripped, detect_separator(stripped))
                ]
                layout.names_line = lineno
                check_columns(len(layout.names), max_columns, path=path, line=lineno, what="the names line has")
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
                layout.data_end = len(buf)
                layout.ncols = max(1, layout.count[1]) if len(layout.count) == 2 else 2
                check_columns(layout.ncols, max_columns, path=path, line=layout.count_line or 0, what="the count line declares")
                return layout
            # the count candidate was the only numeric line: it is data
            count_line = layout.count_text
            layout.data_start, layout.data_line = layout.count_pos, layout.count_line
            layout.data_end = layout.count_pos + len(count_line)
            layout.first_data = count_line
            layout.sep = detect_separator(count_line)
            layout.ncols = len(split_fields(count_line, layout.sep))
            layout.count = layout.count_line = None
            layout.count_values = None
            return layout
        line, nxt, length = line_head(buf, pos)
        lineno += 1


def _set_width(layout: TextLayout, buf: Buffer, nxt: int, path: str, max_columns: int) -> None:
    """The separator and width of the first data row; a lone whitespace-separated line of
    more than two numbers (``Vector.printf(f, "%g ")``) is a single-line vector."""
    line = layout.first_data
    layout.sep = detect_separator(whole_fields(line) if layout.data_end - layout.data_start > LINE_PROBE else line)
    count, trailing = count_fields(buf, layout.data_start, layout.data_end, layout.sep, max_columns)
    count -= trailing  # a row ending in the separator (Matrix.fprint(0, f, "%g\\t"))
    alone = (
        layout.count is None
        and layout.label is None
        and layout.names is None
        and layout.sep in (None, " ")
        and count > 2
        and first_nonblank(buf, nxt) < 0
    )
    if alone:
        layout.single_line = True
        layout.ncols = 1
        return
    check_columns(count, max_columns, path=path, line=layout.data_line)
    layout.ncols = count
