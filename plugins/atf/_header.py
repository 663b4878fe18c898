"""The header of an Axon Text File: version line, counts line, records, titles.

See ``spec/formats/axon-atf.md``. The declared record count is checked
against the file: header lines are the quoted lines after line 2, and the
last of them is the column-title line.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from itertools import islice
from typing import Any

from neurofiles.plugin import CorruptFileError, LimitExceededError
from neurofiles.plugin.text import (
    MAX_COLUMNS,
    MAX_HEADER_LINE,
    Buffer,
    check_columns,
    count_fields,
    detect_separator,
    line_head,
    skip_blank_lines,
)

__all__ = ["AtfHeader", "parse_header", "parse_record", "split_title"]

SUPPORTED_VERSION = 1.0
_FIELD = re.compile(rb'"([^"]*)"|([^\t,"]+)')
_COUNTS = re.compile(rb"^\s*(\d+)[\t, ]+(\d+)\s*$")
#: a count of more digits is larger than any file (and than Python's int() digit limit)
MAX_COUNT_DIGITS = 18
_TITLE = re.compile(r"^(.*?)\s*\(([^()]*)\)\s*$")


@dataclass
class AtfHeader:
    """Everything before the data block."""

    version: str
    separator_line1: str
    declared_records: int
    declared_columns: int
    records: list[list[str]] = field(default_factory=list)
    header: dict[str, Any] = field(default_factory=dict)
    titles: list[str] = field(default_factory=list)
    titles_line: int = 0
    data_start: int = 0
    data_line: int = 0
    problems: list[tuple[int, str]] = field(default_factory=list)


def parse_record(line: bytes) -> list[str]:
    """Fields of a header or title line: quoted strings (which may hold commas) or bare tokens."""
    fields = []
    for quoted, bare in _FIELD.findall(line):
        if quoted or not bare.strip():
            if quoted or bare == b"":
                fields.append(quoted.decode("latin-1"))
            continue
        fields.append(bare.strip().decode("latin-1"))
    return fields


def split_title(title: str) -> tuple[str, str]:
    """``"Trace #1 (pA)"`` -> ``("Trace #1", "pA")``; no parentheses -> unit ''."""
    match = _TITLE.match(title)
    if match and match.group(1):
        return match.group(1), match.group(2).strip()
    return title.strip(), ""


def _record_dict(records: list[list[str]]) -> dict[str, Any]:
    """``"Key=Value"`` records as a dict; multi-field records map to a list of their fields."""
    out: dict[str, Any] = {}
    for fields in records:
        if not fields:
            continue
        key, sep, value = fields[0].partition("=")
        key = key.strip()
        if not sep:
            out.setdefault("records without '='", []).append(fields)
            continue
        out[key] = fields[1:] if len(fields) > 1 else value
    return out


def _field_count(line: bytes, limit: int) -> int:
    """Fields :func:`parse_record` finds in ``line``, counted up to ``limit + 1``."""
    return sum(1 for _ in islice(_FIELD.finditer(line), limit + 1))


def _is_record(line: bytes) -> bool:
    """True for a ``"Key=Value"`` header record (its first field holds ``=``); titles hold none."""
    first = _FIELD.search(line)
    return first is not None and b"=" in (first.group(1) or first.group(2) or b"")


def _row_width(buf: Buffer, pos: int, limit: int) -> int | None:
    """Fields of the first non-blank line at or after ``pos`` (the first data row), or None."""
    pos, _ = skip_blank_lines(buf, pos)
    if pos >= len(buf):
        return None
    head, _, length = line_head(buf, pos)
    count, trailing = count_fields(buf, pos, pos + length, detect_separator(head), limit)
    return count - 1 if trailing else count


def _is_number(token: bytes) -> bool:
    try:
        float(token[:400])
    except ValueError:
        return False
    return True


def _has_bare_cell(line: bytes) -> bool:
    """True when a line holds an unquoted number: a data row whose first cell is text."""
    return any(m.group(2) and _is_number(m.group(2).strip()) for m in islice(_FIELD.finditer(line), 1 << 16))


def _title_index(
    quoted: list[tuple[int, bytes, int]], nrec: int, ncol: int, limit: int, width: Callable[[], int | None]
) -> int:
    """Which quoted line after line 2 holds the column titles; the file's structure decides.

    Titles come after every ``"Key=Value"`` record and before the first quoted
    line (after the first) holding an unquoted number (a data row whose first
    cell is text). Among
    those candidates, the declared record count is used when it points at one
    with the declared number of titles; otherwise the only candidate, else the
    first as wide as the first data row (``width()``, counted only then), else
    the last.
    """
    end = next(
        (i for i, (_, text, _) in enumerate(quoted) if i and _has_bare_cell(text) and not _is_record(text)),
        len(quoted),
    )
    records = [i for i, (_, text, _) in enumerate(quoted[:end]) if _is_record(text)]
    first = records[-1] + 1 if records else 0
    if first >= end:
        return end - 1  # no line fits: the last one before the data stands as the title line
    if first <= nrec < end and _field_count(quoted[nrec][1], limit) == ncol:
        return nrec
    if end - first > 1:
        wide = width()
        for i in range(first, end):
            if wide is not None and _field_count(quoted[i][1], limit) == wide:
                return i
    return end - 1


def _header_line(buf: Buffer, pos: int, path: str, lineno: int) -> tuple[bytes, int]:
    """The header line at ``pos`` and the start of the next; LimitExceededError past MAX_HEADER_LINE."""
    line, nxt, length = line_head(buf, pos, MAX_HEADER_LINE)
    if length > MAX_HEADER_LINE:
        raise LimitExceededError(
            f"header line of {length} bytes, more than {MAX_HEADER_LINE}", path=path, line=lineno
        )
    return line, nxt


def parse_header(buf: Buffer, path: str, size: int, max_columns: int = MAX_COLUMNS) -> AtfHeader:
    """Parse lines 1..(titles); raise :class:`CorruptFileError` naming the line on bad input."""
    line1, pos = _header_line(buf, 0, path, 1)
    magic = line1[:3]
    if magic == b"PAF":
        raise CorruptFileError(
            "legacy PAF (pre-ATF, 'ATF 0.0') text file: not supported; re-export it as ATF 1.0",
            path=path,
            line=1,
        )
    rest = line1[3:]
    sep1 = rest[:1].decode("latin-1")
    version_text = rest.strip(b" \t,").decode("latin-1")
    try:
        version = float(version_text)
    except ValueError:
        raise CorruptFileError(
            f"line 1 must be 'ATF<sep>1.0', found {line1[:40]!r}", path=path, line=1
        ) from None
    if version != SUPPORTED_VERSION:
        raise CorruptFileError(
            f"ATF version {version_text!r} is not supported: only ATF 1.0 exists in Axon's specification",
            path=path,
            line=1,
        )
    line2, pos = _header_line(buf, pos, path, 2)
    match = _COUNTS.match(line2)
    if not match:
        raise CorruptFileError(
            f"line 2 must hold two counts (header records, columns), found {line2[:40]!r}", path=path, line=2
        )
    digits = [m.lstrip(b"0") for m in match.groups()]
    if max(len(d) for d in digits) > MAX_COUNT_DIGITS:
        raise LimitExceededError(
            f"line 2 declares counts of {max(len(d) for d in digits)} digits; no file can hold them",
            path=path,
            line=2,
        )
    nrec, ncol = int(match.group(1)), int(match.group(2))
    if nrec > size or ncol > size:
        raise LimitExceededError(
            f"line 2 declares {nrec} header records and {ncol} columns; a {size}-byte file cannot hold them",
            path=path,
            line=2,
        )
    head = AtfHeader(version_text, sep1, nrec, ncol)
    # header lines: every line that starts with a quote, up to the first that does not
    quoted: list[tuple[int, bytes, int]] = []  # (line number, text, start of next line)
    lineno = 2
    while pos < len(buf):
        lineno += 1
        peek, nxt, _ = line_head(buf, pos)  # a long data line is not read whole here
        stripped = peek.strip()
        if stripped[:1] == b"\x1a":  # Ctrl-Z: end of file in Axon's reader
            break
        if not stripped:
            if quoted:
                pos, skipped = skip_blank_lines(buf, nxt)
                lineno += skipped
                continue
            raise CorruptFileError("empty line inside the ATF header", path=path, line=lineno)
        if not stripped.startswith(b'"'):
            break
        line, nxt = _header_line(buf, pos, path, lineno)
        quoted.append((lineno, line.strip(), nxt))
        pos = nxt
    if not quoted:
        raise CorruptFileError("no column-title line (quoted titles) after line 2", path=path, line=3)
    last = _title_index(quoted, nrec, ncol, max_columns, lambda: _row_width(buf, pos, max_columns))
    title_no, title_line, data_pos = quoted[last]
    check_columns(_field_count(title_line, max_columns), max_columns, path=path, line=title_no, what="the title line has")
    head.records = [parse_record(text) for _, text, _ in quoted[:last]]
    head.titles = parse_record(title_line)
    head.titles_line = title_no
    head.data_start = data_pos
    head.data_line = title_no + 1
    head.header = _record_dict(head.records)
    if len(head.records) != nrec:
        head.problems.append(
            (
                2,
                f"line 2 declares {nrec} header records but the file has"
                f" {len(head.records)} before the titles"
                f" (line {title_no}); the file's structure is used, no data row is skipped",
            )
        )
    if len(head.titles) != ncol:
        head.problems.append(
            (title_no, f"line 2 declares {ncol} columns but the title line has {len(head.titles)}")
        )
    return head
