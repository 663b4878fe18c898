"""NEURON PrintWindowManager "Print to File > Ascii" dumps (``Graph::ascii_save``).

One block per graph window, concatenated. Each ``Graph addvar/addexpr lines``
block is parsed: ``<nlines> <npoints>``, a ``x <name1> <name2>...`` line,
``npoints`` rows ``x y1 y2...``, then ``<k> unlabeled lines`` followed by
``k`` sub-blocks (``<n>`` then ``n`` rows ``x y``). ``PolyLines`` blocks (graphs
without addvar lines) come in a matrix form (``x <labels>``, ``<n> rows, <m> columns``,
rows) or a manifest form (``Line Manifest:``, one point count per line,
``End of Line Manifest``, then ``<n>`` + rows per line). See ``spec/formats/neuron-dat.md``.
"""

from __future__ import annotations

import re
from typing import Any, List, Optional, Tuple

import numpy as np

from neurofiles.plugin import CorruptFileError, LimitExceededError, Traces, TruncatedFileError
from neurofiles.plugin.text import Buffer, line_at, parse_block

from ._layout import MAX_COUNT_DIGITS

__all__ = ["read_pwm"]

ADDVAR = b"Graph addvar/addexpr lines"
POLYLINES = b"PolyLines"
_UNLABELED = re.compile(rb"^(\d+)\s+unlabeled lines$")


class _Cursor:
    """Walks the lines of a buffer, counting them for error messages."""

    def __init__(self, buf: Buffer, path: str) -> None:
        self.buf, self.path, self.pos, self.lineno = buf, path, 0, 0

    def next(self, what: str) -> bytes:
        while self.pos < len(self.buf):
            line, self.pos = line_at(self.buf, self.pos)
            self.lineno += 1
            if line.strip():
                return line.strip()
        raise TruncatedFileError(f"file ends where {what} was expected", path=self.path, line=self.lineno)

    def at_end(self) -> bool:
        rest = self.buf[self.pos : self.pos + 4096]
        return not rest.strip() and self.pos + 4096 >= len(self.buf)

    def ints(self, what: str, count: int) -> list[int]:
        line = self.next(what)
        fields = line.split()[:count]
        if len(fields) != count or not all(f.isdigit() and len(f.lstrip(b"0")) <= MAX_COUNT_DIGITS for f in fields):
            raise CorruptFileError(f"expected {what}, found {line[:60]!r}", path=self.path, line=self.lineno)
        return [int(f) for f in fields]

    def rows(self, nrows: int, ncols: int) -> np.ndarray:
        """The next ``nrows`` data rows as a float64 array."""
        if nrows * ncols * 2 > len(self.buf) - self.pos:
            raise LimitExceededError(
                f"block declares {nrows} rows of {ncols} numbers, more than the {len(self.buf) - self.pos}"
                " bytes left can hold",
                path=self.path,
                line=self.lineno,
            )
        start, first = self.pos, self.lineno + 1
        for _ in range(nrows):
            if self.pos >= len(self.buf):
                raise TruncatedFileError(
                    f"file ends inside a block of {nrows} rows", path=self.path, line=self.lineno
                )
            _, self.pos = line_at(self.buf, self.pos)
            self.lineno += 1
        block = self.buf[start : self.pos]
        table = parse_block(block, 0, ncols=ncols, sep=None, path=self.path, first_line=first, engine="numpy")
        if table.array.shape[0] != nrows:
            raise CorruptFileError(
                f"block declares {nrows} rows but {table.array.shape[0]} are numeric",
                path=self.path,
                line=first,
            )
        return table.array


_MATRIX_SIZE = re.compile(rb"^(\d+) rows, (\d+) columns$")
_First = Optional[Tuple[np.ndarray, np.ndarray, List[str]]]


def _polylines(cur: _Cursor, graph: int, curves: list[dict[str, Any]], first: _First) -> _First:
    """A ``PolyLines`` block: matrix form (shared x, labelled) or a line manifest."""
    line = cur.next("the body of a PolyLines block")
    if line == b"Line Manifest:":
        counts = []
        while True:
            entry = cur.next("'End of Line Manifest'")
            if entry == b"End of Line Manifest":
                break
            if not entry.isdigit():
                raise CorruptFileError(
                    f"expected a point count in the line manifest, found {entry[:60]!r}",
                    path=cur.path,
                    line=cur.lineno,
                )
            counts.append(int(entry))
        for j, n in enumerate(counts):
            (m,) = cur.ints("a point count", 1)
            if m != n:
                raise CorruptFileError(
                    f"the manifest lists {n} points for line {j + 1} but its block has {m}",
                    path=cur.path,
                    line=cur.lineno,
                )
            pts = cur.rows(m, 2)
            curves.append(
                {"graph": graph, "name": f"line {j + 1}", "kind": "polyline", "x": pts[:, 0], "y": pts[:, 1]}
            )
        return first
    if line.startswith(b"x"):
        names = [n.decode("latin-1") for n in line.split()[1:]]
        size = cur.next("'<n> rows, <m> columns'")
        match = _MATRIX_SIZE.match(size)
        if not match or int(match.group(2)) != len(names) + 1:
            raise CorruptFileError(
                f"expected '<n> rows, {len(names) + 1} columns', found {size[:60]!r}",
                path=cur.path,
                line=cur.lineno,
            )
        table = cur.rows(int(match.group(1)), len(names) + 1)
        for i, name in enumerate(names):
            curves.append(
                {"graph": graph, "name": name, "kind": "polyline", "x": table[:, 0], "y": table[:, i + 1]}
            )
        return first if first is not None or not names else (table[:, 0], table[:, 1:], names)
    raise CorruptFileError(
        f"expected 'Line Manifest:' or an 'x <labels>' line after PolyLines, found {line[:60]!r}",
        path=cur.path,
        line=cur.lineno,
    )


def read_pwm(buf: Buffer, path: str) -> Traces:
    """Parse every graph block; return the first graph's addvar curves, all curves in metadata."""
    cur = _Cursor(buf, path)
    curves: list[dict[str, Any]] = []
    graph = -1
    first: tuple[np.ndarray, np.ndarray, list[str]] | None = None
    while not cur.at_end():
        head = cur.next("a graph block")
        graph += 1
        if head == POLYLINES:
            first = _polylines(cur, graph, curves, first)
            continue
        if head != ADDVAR:
            raise CorruptFileError(
                f"expected a PrintWindowManager Ascii block header {ADDVAR.decode()!r}, found {head[:60]!r}",
                path=path,
                line=cur.lineno,
            )
        nlines, npoints = cur.ints("'<nlines> <npoints>'", 2)
        names_line = cur.next("the 'x <names>' line")
        names = [n.decode("latin-1") for n in names_line.split()[1:]]
        if not names_line.startswith(b"x") or len(names) != nlines:
            raise CorruptFileError(
                f"expected 'x' and {nlines} curve names, found {names_line[:60]!r}",
                path=path,
                line=cur.lineno,
            )
        table = cur.rows(npoints, nlines + 1)
        for i, name in enumerate(names):
            curves.append(
                {"graph": graph, "name": name, "kind": "addvar", "x": table[:, 0], "y": table[:, i + 1]}
            )
        if first is None and nlines:
            first = (table[:, 0], table[:, 1:], names)
        line = cur.next("'<k> unlabeled lines'")
        match = _UNLABELED.match(line)
        if not match:
            raise CorruptFileError(
                f"expected '<k> unlabeled lines', found {line[:60]!r}", path=path, line=cur.lineno
            )
        for j in range(int(match.group(1))):
            (n,) = cur.ints("a point count", 1)
            pts = cur.rows(n, 2)
            curves.append(
                {
                    "graph": graph,
                    "name": f"unlabeled {j + 1}",
                    "kind": "unlabeled",
                    "x": pts[:, 0],
                    "y": pts[:, 1],
                }
            )
    if not curves:
        raise CorruptFileError("PrintWindowManager Ascii file holds no curves", path=path, line=cur.lineno)
    if first is None:
        c = curves[0]
        first = (c["x"], c["y"].reshape(-1, 1), [c["name"]])
    times, values, names = first
    meta = {
        "format": "neuron-dat",
        "variant": "PrintWindowManager Ascii",
        "graphs": graph + 1,
        "curves": curves,
    }
    return Traces(times, values, names, time_name="x", metadata=meta)
