"""Generators for the text formats: CSV, NEURON text (``neuron-dat``) and Axon ATF.

Valid variants carry a :class:`Truth` built from the same numbers the text was
written from (``float(token)``), so a reader that drops, shifts or overwrites a
row is reported as WRONG. Hostile variants put extreme counts, huge-digit
numbers, very long lines and odd cells where the structure has them.
"""

from __future__ import annotations

from typing import Any, cast

import numpy as np
from hypothesis import strategies as st

from ._common import (Case, clamp_repeat, hostile_cell, hostile_count, newline, number_token, repeat_count,
                      traces_truth)

NAME_CHARS = st.characters(min_codepoint=0x20, max_codepoint=0x7E, blacklist_characters='",\\')


def _table(draw: Any, ncols: int, nrows: int, empty: bool, huge: bool = True) -> tuple[list[list[bytes]], np.ndarray]:
    tokens = number_token(huge)
    cells: list[list[bytes]] = []
    values = np.zeros((nrows, ncols))
    for r in range(nrows):
        row = []
        for c in range(ncols):
            if empty and draw(st.integers(0, 3)) == 0:
                row.append(b"")
                values[r, c] = np.nan
            else:
                text, value = draw(tokens)
                row.append(text)
                values[r, c] = value
        cells.append(row)
    return cells, values


def _repeat(draw: Any, rows: list[bytes], values: np.ndarray, fixed: int) -> tuple[bytes, np.ndarray]:
    """Join ``rows`` (each with its line end) and maybe repeat the block to make a large file."""
    block = b"".join(rows)
    times = clamp_repeat(draw(repeat_count()), len(block), fixed) if block else 1
    return block * times, np.tile(values, (times, 1)) if times > 1 else values


# ----------------------------------------------------------------------------- CSV

@st.composite
def csv_valid(draw: Any) -> Case:
    wide = draw(st.integers(0, 5)) == 0
    ncols = draw(st.integers(100, 800)) if wide else draw(st.integers(1, 6))
    nl = draw(newline())
    time_col = ncols > 1 and draw(st.booleans())
    long_names = draw(st.integers(0, 4)) == 0
    titles = []
    for c in range(ncols):
        if c == 0 and time_col:
            titles.append(draw(st.sampled_from(["t (ms)", "time", "Time (s)", "timestamps (us)"])))
            continue
        stem = draw(st.text(NAME_CHARS, max_size=3000 if long_names else 8))
        unit = draw(st.sampled_from(["", " (mV)", " (pA)", " (nA)"]))
        titles.append(f"c{c}{stem.replace('(', '').replace(')', '')}{unit}")
    header = ",".join(f'"{t}"' if (draw(st.booleans()) or "," in t or t != t.strip()) else t for t in titles)
    nrows = draw(st.integers(0, 2 if wide else 12))
    empty_rows = ncols > 1 and draw(st.integers(0, 5)) == 0
    cells, values = _table(draw, ncols, nrows, empty=ncols > 1, huge=not wide)
    if empty_rows:
        cells, values = [[b""] * ncols for _ in range(nrows or 1)], np.full((nrows or 1, ncols), np.nan)
    rows = [b",".join(r) + nl for r in cells]
    head = header.encode() + nl
    body, values = _repeat(draw, rows, values, len(head))
    if body and not draw(st.integers(0, 4)):
        body = body[: -len(nl)]  # no final line end
    times = values[:, 0] if time_col else None
    vals = values[:, 1:] if time_col else values
    # detection reads 4 KiB: the header and the first row must both fit for the file to be recognised
    long = len(head) + len(rows[0] if rows else b"") > 4096
    variant = "valid-long-lines" if long else "valid-empty-rows" if empty_rows else "valid"
    return Case("csv", variant, "table.csv", head + body,
                truth=traces_truth(times, vals))


@st.composite
def csv_hostile(draw: Any) -> Case:
    kind = draw(st.sampled_from(["cells", "long-line", "ragged", "binary", "empty-rows"]))
    nl = draw(newline())
    if kind == "cells":
        ncols = draw(st.integers(1, 4))
        rows = [b",".join(draw(st.lists(hostile_cell(), min_size=ncols, max_size=ncols))) for _ in range(draw(st.integers(1, 5)))]
        data = b",".join(b"c%d" % i for i in range(ncols)) + nl + nl.join(rows) + nl
    elif kind == "long-line":
        n = clamp_repeat(draw(st.sampled_from([5000, 1 << 20, 10 << 20])), 2)
        data = b"a,b" + nl + b"1," * n + b"2" + nl
    elif kind == "ragged":
        data = b"a,b,c" + nl + b"1,2,3" + nl + b"1,2" * draw(st.integers(1, 3)) + nl
    elif kind == "empty-rows":
        n = clamp_repeat(draw(st.sampled_from([10, 100_000, 1_000_000])), 2)
        data = b"a,b" + nl + (b"," + nl) * n
    else:
        data = draw(st.binary(max_size=200))
    return Case("csv", f"hostile-{kind}", "table.csv", data)


# ----------------------------------------------------------------------------- NEURON text

def _rows(cells: list[list[bytes]], sep: bytes, nl: bytes, lead: bytes = b"", trail: bytes = b"") -> list[bytes]:
    return [lead + sep.join(r) + trail + nl for r in cells]


@st.composite
def neuron_valid(draw: Any) -> Case:
    variant = draw(st.sampled_from(["clipboard", "clipboard-rc", "clipboard-nocount", "count-only", "matrix",
                                    "name-line", "printf", "vec-printf", "single-line", "pwm"]))
    nl = draw(newline())
    sep = draw(st.sampled_from([b"\t", b" ", b"   ", b","]))
    head = b""
    if variant in ("clipboard", "clipboard-rc", "clipboard-nocount", "count-only"):
        nrows = draw(st.integers(1, 30))
        cells, values = _table(draw, 2, nrows, empty=False)
        label = draw(st.text(NAME_CHARS, min_size=1, max_size=40)).strip() or "v"
        count = draw(st.one_of(st.just(nrows), st.integers(0, 2 * nrows + 2)))
        if variant == "clipboard":
            head = b"label:" + label.encode() + nl + b"%d" % count + nl
        elif variant == "clipboard-rc":
            head = b"label:" + label.encode() + nl + b"%d 2" % count + nl
        elif variant == "clipboard-nocount":
            head = b"label:" + label.encode() + nl
            cells[0][0], values[0, 0] = b"0.25", 0.25  # two integers under a label are a count line
        else:
            head = b"%d" % count + nl
        rows = _rows(cells, b"\t", nl)
    elif variant == "matrix":
        nrows, ncols = draw(st.integers(1, 20)), draw(st.integers(2, 6))
        values = np.array(draw(st.lists(st.lists(st.floats(-1e9, 1e9), min_size=ncols, max_size=ncols),
                                        min_size=nrows, max_size=nrows)))
        texts = [[f"{v:<8.3g}".encode() for v in r] for r in values]
        values = np.array([[float(t) for t in r] for r in texts])
        rows = [b"".join(b" " + t for t in r) + nl for r in texts]
        body, values = _repeat(draw, rows, values, 16)
        head = b"%d %d" % (len(values), ncols) + nl
        return Case("neuron-dat", "valid-matrix", "trace.dat", head + body, truth=traces_truth(values[:, 0], values[:, 1:]))
    elif variant in ("name-line", "printf", "pwm"):
        ncols = draw(st.integers(2, 6))
        # one headerless row of more than two numbers is a single-line vector (spec/formats/neuron.md)
        nrows = draw(st.integers(2 if variant == "printf" else 1, 30))
        cells, values = _table(draw, ncols, nrows, empty=False)
        if variant == "printf":
            cells[0][0], values[0, 0] = b"0.25", 0.25  # so that the first row is not a count line
        names = [draw(st.text(st.characters(min_codepoint=0x41, max_codepoint=0x7A, blacklist_characters="[\\]^`"),
                              min_size=1, max_size=10)) for _ in range(ncols)]
        if variant == "name-line":
            head = sep.join(n.encode() for n in names) + nl
        elif variant == "pwm":
            head = (b"Graph addvar/addexpr lines" + nl + b"%d %d" % (ncols - 1, nrows) + nl
                    + b"x " + b" ".join(n.encode() for n in names[1:]) + nl)
            sep = b"\t"
        trail = draw(st.sampled_from([b"", sep])) if variant != "pwm" else b""
        rows = _rows(cells, sep, nl, trail=trail)
        if variant == "pwm":
            rows.append(b"0 unlabeled lines" + nl)
    else:  # one column
        nrows = draw(st.integers(3 if variant == "single-line" else 1, 2000 if variant == "single-line" else 40))
        cells, values = _table(draw, 1, nrows, empty=False, huge=False)
        if variant == "single-line":
            rows = [b" ".join(c[0] for c in cells) + b" " + nl]
        else:
            rows = _rows(cells, b"", nl) + [nl]
        data = b"".join(rows)
        return Case("neuron-dat", f"valid-{variant}" + ("-long" if len(data) > 4096 else ""), "vec.dat", data,
                    truth=traces_truth(None, values))
    if variant != "pwm":
        body, values = _repeat(draw, rows, values, len(head))
        if variant in ("clipboard", "clipboard-rc", "count-only") and len(values) != nrows:
            return cast(Case, draw(neuron_valid()))  # a repeated block would contradict the count: keep counts honest
    else:
        body = b"".join(rows)
    times, vals = values[:, 0], values[:, 1:]
    # detection reads 4 KiB: a header and first row longer than that is a known finding of its own
    if len(head) + len(rows[0]) > 4096:
        variant += "-long-lines"
    return Case("neuron-dat", f"valid-{variant}", "trace.dat", head + body, force=None,
                truth=traces_truth(times, vals))


@st.composite
def neuron_hostile(draw: Any) -> Case:
    kind = draw(st.sampled_from(["count", "rc-count", "label-count", "cells", "pwm-count", "long-line",
                                 "tail-digits", "blank-lines", "eps"]))
    nl = draw(newline())
    if kind == "count":
        data = draw(hostile_count()) + nl + b"1\t2" + nl + b"3\t4" + nl
    elif kind == "rc-count":
        data = draw(hostile_count()) + b" " + draw(hostile_count()) + nl + b"1\t2" + nl
    elif kind == "label-count":
        data = b"label:v" + nl + draw(hostile_count()) + nl + b"0\t1" + nl
    elif kind == "cells":
        cells = draw(st.lists(hostile_cell(), min_size=2, max_size=4))
        data = b"0.5\t1" + nl + b"\t".join(cells) + nl
    elif kind == "pwm-count":
        data = (b"Graph addvar/addexpr lines" + nl + draw(hostile_count()) + b" " + draw(hostile_count()) + nl
                + b"x v" + nl + b"0\t1" + nl)
    elif kind == "long-line":
        n = clamp_repeat(draw(st.sampled_from([3000, 1 << 19, 5 << 20])), 2)
        data = b"1 " * n + nl
    elif kind == "tail-digits":
        data = b"0 0" + nl + b"9" * draw(st.integers(4290, 4400)) + b"x" + nl
    elif kind == "blank-lines":
        n = clamp_repeat(draw(st.sampled_from([10, 100_000, 4_000_000])), len(nl))
        data = b"0.5\t1" + nl + nl * n + b"1.5\t2" + nl
    else:
        data = b"%!PS-Adobe-2.0 EPSF" + nl + draw(st.binary(max_size=64))
    return Case("neuron-dat", f"hostile-{kind}", "trace.dat", data, force=draw(st.sampled_from([None, "neuron-dat"])))


# ----------------------------------------------------------------------------- ATF

@st.composite
def atf_valid(draw: Any) -> Case:
    nl = draw(newline())
    sep = draw(st.sampled_from([b"\t", b","]))
    time_col = draw(st.booleans())
    ncols = draw(st.integers(1 + time_col, 6))
    nrec = draw(st.integers(0, 5))
    records = []
    for i in range(nrec):
        key = draw(st.sampled_from(["Comment", "AcquisitionMode", "YTop", "Key%d" % i]))
        value = draw(st.text(NAME_CHARS, max_size=30))
        records.append(f'"{key}={value}"'.encode())
    titles = [b'"Time (ms)"'] if time_col else []
    titles += [b'"A%d (mV)"' % c for c in range(len(titles), ncols)]
    nrows = draw(st.integers(0, 20))
    cells, values = _table(draw, ncols, nrows, empty=ncols > 1)  # one empty cell alone is a blank line
    empty_rows = not time_col and ncols > 1 and draw(st.integers(0, 4)) == 0
    if empty_rows:  # rows of separators only: fewer bytes per row than any estimate from numbers
        cells, values = [[b""] * ncols for _ in range(nrows)], np.full((nrows, ncols), np.nan)
        sep = b","  # a line of tabs is white space, i.e. a blank line, which ATF skips
    elif sep == b"\t":
        for r in range(nrows):  # same for a row whose cells all happen to be empty
            if all(c == b"" for c in cells[r]):
                cells[r][-1], values[r, -1] = b"0", 0.0
    if time_col:  # an empty time cell is legal but makes no sense; keep times numeric
        for r in range(nrows):
            if cells[r][0] == b"":
                cells[r][0], values[r, 0] = b"1", 1.0
    declared_rec = draw(st.one_of(st.just(nrec), st.integers(0, nrec + 3)))
    declared_col = draw(st.one_of(st.just(ncols), st.integers(1, ncols + 3)))
    trailing = draw(st.sampled_from([b"", b"     "]))
    head = (b"ATF\t1.0" + nl + b"%d\t%d" % (declared_rec, declared_col) + trailing + nl
            + b"".join(r + nl for r in records) + sep.join(titles) + nl)
    rows = [sep.join(r) + nl for r in cells]
    body, values = _repeat(draw, rows, values, len(head))
    if empty_rows and len(values) > 1000:
        # a long run of empty rows then numeric rows: a threaded parser's ranges see very different rows
        numeric = b",".join([b"1"] * ncols) + nl
        extra = clamp_repeat(len(values) // 2, len(numeric), len(head) + len(body))
        body += numeric * extra
        values = np.vstack([values, np.ones((extra, ncols))])
    times = values[:, 0] if time_col else None
    vals = values[:, 1:] if time_col else values
    exact = declared_rec == nrec and declared_col == ncols
    variant = "valid-empty-rows" if empty_rows else "valid" if exact else "valid-wrong-counts"
    return Case("axon-atf", variant, "sweep.atf", head + body,
                truth=traces_truth(times, vals))


@st.composite
def atf_hostile(draw: Any) -> Case:
    kind = draw(st.sampled_from(["counts", "titles", "columns", "cells", "version", "ctrl-z", "blank-lines"]))
    nl = draw(newline())
    if kind == "counts":
        data = (b"ATF\t1.0" + nl + draw(hostile_count()) + b"\t" + draw(hostile_count()) + nl
                + b'"Time (s)"\t"A (mV)"' + nl + b"0\t1" + nl)
    elif kind == "titles":
        n = clamp_repeat(draw(st.sampled_from([100, 2**16, 2**20])), 3)
        data = b"ATF\t1.0" + nl + b"0\t2" + nl + b'""\t' * n + nl + b"0\t1" + nl
    elif kind == "columns":
        n = clamp_repeat(draw(st.sampled_from([1000, 2**20 + 1])), 2)
        data = b"ATF\t1.0" + nl + b"0\t%d" % n + nl + b'"a"\t' * n + nl + b"1\t" * n + nl
    elif kind == "cells":
        cells = draw(st.lists(hostile_cell(), min_size=2, max_size=2))
        data = b"ATF\t1.0" + nl + b"0\t2" + nl + b'"Time (s)"\t"A (mV)"' + nl + b"\t".join(cells) + nl
    elif kind == "version":
        data = b"ATF\t" + draw(hostile_count()) + nl + b"0\t1" + nl + b'"A"' + nl + b"1" + nl
    elif kind == "blank-lines":
        line = draw(st.sampled_from([b"", b"\t", b"\t\t", b" ", b"  \t "])) + nl
        n = clamp_repeat(draw(st.sampled_from([10, 10_000, 100_000])), len(line))
        first = draw(st.sampled_from([b"", b"1\t2\t3" + nl]))
        data = b"ATF\t1.0" + nl + b"0\t3" + nl + b'"A"\t"B"\t"C"' + nl + first + line * n
    else:
        data = b"ATF\t1.0" + nl + b"0\t2" + nl + b'"Time (s)"\t"A (mV)"' + nl + b"0\t1" + nl + b"\x1a" + draw(st.binary(max_size=20))
    return Case("axon-atf", f"hostile-{kind}", "sweep.atf", data, force=draw(st.sampled_from([None, "axon-atf"])))


def csv_cases() -> st.SearchStrategy[Case]:
    return st.one_of(csv_valid(), csv_valid(), csv_hostile())


def neuron_cases() -> st.SearchStrategy[Case]:
    return st.one_of(neuron_valid(), neuron_valid(), neuron_hostile())


def atf_cases() -> st.SearchStrategy[Case]:
    return st.one_of(atf_valid(), atf_valid(), atf_hostile())
