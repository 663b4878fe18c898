"""Differential test of every text engine on adversarial row shapes.

Reference: the careful line-by-line parser. Every other way to parse the
same block must give the same table (same shape, same bits, NaN equal to
NaN) or the same typed error:

* native, one thread;
* native, two threads with the cut at **every line start** of the file (and
  three threads at pairs of them), which puts every row shape at a boundary;
* ``parse_block`` with ``engine='native'`` and a tiny ``MIN_BYTES_PER_THREAD``;
* pyarrow (when installed) and numpy, through ``parse_block``.

Files are built from rows of empty cells, one-byte rows, NaN/inf spellings,
CRLF, blank and whitespace-only lines, comment lines and trailing separators.
"""

from __future__ import annotations

import os

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import neurofiles.plugin._text_native as tn
from neurofiles._errors import CorruptFileError
from neurofiles.plugin._text_table import _parse_careful, fast_engine_available, parse_block

NUMBERS = [
    "0", "1", "-0", "7", ".5", "5.", "-2.5e-3", "1E+300", "4.9e-324", "1.7976931348623157e308",
    "123456789012345678901234567890", "0.1000000000000000055511151231257827",
    "nan", "NaN", "NAN", "-nan", "+nan", "inf", "-inf", "+Inf", "INF", "infinity", "-Infinity",
]
SEPARATORS = [",", "\t", " ", None]
#: CI runs a seeded 300; a long run: NEUROFILES_DIFF_EXAMPLES=20000 NEUROFILES_DIFF_RANDOM=1
EXAMPLES = int(os.environ.get("NEUROFILES_DIFF_EXAMPLES", "300"))
SEEDED = not os.environ.get("NEUROFILES_DIFF_RANDOM")


@st.composite
def tables(draw: st.DrawFn) -> tuple[bytes, int, str | None, str | None]:
    """A data block of adversarial rows, its width, separator and comment prefix."""
    sep = draw(st.sampled_from(SEPARATORS))
    ncols = draw(st.integers(1, 4))
    comments = draw(st.sampled_from([None, "#"]))
    crlf = draw(st.booleans())
    eol = "\r\n" if crlf else "\n"
    joiner = sep if sep is not None else draw(st.sampled_from([" ", "  ", "\t", " \t "]))
    number = st.sampled_from(NUMBERS)
    lines = []
    for _ in range(draw(st.integers(0, 14))):
        kind = draw(st.sampled_from(["row", "row", "row", "empty", "one", "blank", "spaces", "comment", "trail"]))
        if kind == "empty" and sep in (",", "\t"):
            lines.append(sep * (ncols - 1) if ncols > 1 else sep)  # every cell empty
        elif kind == "one":
            lines.append(joiner.join(["1"] * ncols) if ncols > 1 else "1")
        elif kind == "blank":
            lines.append("")
        elif kind == "spaces":
            lines.append(draw(st.sampled_from([" ", "\t", "  \t"])))
        elif kind == "comment" and comments:
            lines.append("# " + draw(st.sampled_from(["t v", "1 2", ""])))
        else:
            cells = [draw(number) for _ in range(ncols)]
            if sep in (",", "\t"):
                cells = [c if draw(st.integers(0, 4)) else "" for c in cells]
            line = joiner.join(cells)
            if kind == "trail" and sep is not None:
                line += sep
            lines.append(line)
    if draw(st.integers(0, 9)) == 0 and lines:  # now and then a damaged row: every engine must refuse it
        k = draw(st.integers(0, len(lines) - 1))
        lines[k] = lines[k] + draw(st.sampled_from(["x", (sep or " ") + "1", "1_0"]))
    text = eol.join(lines) + (eol if draw(st.booleans()) else "")
    return text.encode(), ncols, sep, comments


def _same(a: np.ndarray, b: np.ndarray) -> bool:
    a = np.ascontiguousarray(a, dtype=np.float64)
    b = np.ascontiguousarray(b, dtype=np.float64)
    if a.shape != b.shape:
        return False
    nan_a, nan_b = np.isnan(a), np.isnan(b)
    return bool(np.array_equal(nan_a, nan_b) and np.array_equal(a[~nan_a].view(np.uint64), b[~nan_b].view(np.uint64)))


def _reference(text: bytes, ncols: int, sep: str | None, comments: str | None) -> np.ndarray | None:
    try:
        return _parse_careful(
            text, ncols=ncols, sep=sep, path="m", first_line=1, text_ok=False, comments=comments
        ).array
    except CorruptFileError:
        return None


def _line_starts(text: bytes) -> list[int]:
    return [0] + [i + 1 for i, c in enumerate(text) if c == 10]


def check_all_engines(text: bytes, ncols: int, sep: str | None, comments: str | None) -> int:
    """Compare every engine with the careful parser; return how many results were compared."""
    want = _reference(text, ncols, sep, comments)
    compared = 0

    def native(cuts: list[int]) -> None:
        nonlocal compared
        got = tn.parse_native(text, 0, len(text), ncols=ncols, sep=sep, comments=comments, path="m", _cuts=cuts)
        if got is None:
            return  # refused: the other engines decide
        assert want is not None, f"native accepted a block the careful parser refuses (cuts {cuts})"
        assert _same(got, want), f"native differs with cuts {cuts}: {got!r} != {want!r}"
        compared += 1

    if tn.native_available():
        native([])
        starts = _line_starts(text)
        for cut in starts:
            native([cut])
        for i in range(0, len(starts), 3):
            native([starts[i], starts[(i * 7 + 1) % len(starts)]])
    engines = ["native", "numpy"] + (["pyarrow"] if fast_engine_available() else [])
    for engine in engines:
        if engine == "native" and not tn.native_available():
            continue
        try:
            got = parse_block(
                text, 0, ncols=ncols, sep=sep, path="m", first_line=1, engine=engine, comments=comments
            ).array
        except CorruptFileError:
            assert want is None, f"engine {engine} raised on a block the careful parser reads"
            continue
        assert want is not None, f"engine {engine} read a block the careful parser refuses"
        assert _same(got, want), f"engine {engine} differs: {got!r} != {want!r}"
        compared += 1
    return compared


@pytest.fixture(autouse=True)
def _tiny_ranges(monkeypatch: pytest.MonkeyPatch) -> None:
    """parse_block's own cuts: 4 threads on blocks of a few bytes."""
    monkeypatch.setattr(tn, "MIN_BYTES_PER_THREAD", 1)
    monkeypatch.setenv("NEUROFILES_THREADS", "4")


@pytest.mark.filterwarnings("ignore:loadtxt", "ignore:Input line")
@settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=SEEDED,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(tables())
def test_every_engine_agrees_on_adversarial_rows(table: tuple[bytes, int, str | None, str | None]) -> None:
    check_all_engines(*table)


@pytest.mark.filterwarnings("ignore:loadtxt", "ignore:Input line")
@pytest.mark.parametrize("sep", SEPARATORS)
def test_fixed_shapes_at_every_cut(sep: str | None) -> None:
    """Hand-made files holding every row shape once, every line start tried as the cut."""
    ncols = 3
    j = sep if sep is not None else "  "
    rows = ["1" + j + "2" + j + "3", "nan" + j + "-inf" + j + "Infinity", "", "   ", "0" + j + "0" + j + "0"]
    if sep in (",", "\t"):
        rows += [sep * 2, sep + "5" + sep, "1" + sep + sep + "3" + sep]
    for eol in ("\n", "\r\n"):
        for comments in (None, "#"):
            body = rows + (["# comment 1 2"] if comments else [])
            text = (eol.join(body * 3) + eol).encode()
            assert check_all_engines(text, ncols, sep, comments) > 0
