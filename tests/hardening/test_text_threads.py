"""Regression: the threaded native engine never lets one thread write into another's rows.

Each thread's row capacity is estimated from its byte length; a row of empty
cells (``",,,"``) is shorter than the old estimate assumed, and the C parser
checked only the whole array's capacity, so the first thread overwrote the
second thread's rows: a valid file loaded with rows silently changed.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

import neurofiles
import neurofiles.plugin._text_native as tn
from tests.conftest import skip_or_fail


@pytest.fixture(autouse=True)
def _need_native() -> None:
    if not tn.native_available():
        skip_or_fail("the C tokenizer neurofiles._textparse was not built")


def _atf(path: Path, empty_rows: int, numeric_rows: int) -> Path:
    with open(path, "wb") as f:
        f.write(b'ATF,1.0\n0,4\n"a","b","c","d"\n')
        f.write(b",,,\n" * empty_rows)
        f.write(b"1,2,3,4\n" * numeric_rows)
    return path


def _check(table: np.ndarray, empty_rows: int, numeric_rows: int) -> None:
    assert table.shape == (empty_rows + numeric_rows, 4)
    assert np.isnan(table[:empty_rows]).all()
    assert (table[empty_rows:] == [1, 2, 3, 4]).all()


def test_attack_file_two_threads_reads_every_row(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The reported file: 1,499,996 rows of empty cells then 750,000 numeric rows (12 MB), 2 threads."""
    monkeypatch.setenv("NEUROFILES_THREADS", "2")
    path = _atf(tmp_path / "cells.atf", 1_499_996, 750_000)
    got = neurofiles.load(path)
    assert got.metadata["engine"] == "native"
    _check(got.to_array(), 1_499_996, 750_000)


@pytest.mark.parametrize("threads", [2, 3, 7])
def test_small_ranges_of_empty_cells(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, threads: int) -> None:
    monkeypatch.setenv("NEUROFILES_THREADS", str(threads))
    monkeypatch.setattr(tn, "MIN_BYTES_PER_THREAD", 64)
    path = _atf(tmp_path / "cells.atf", 300, 150)
    got = neurofiles.load(path)
    assert got.metadata["engine"] == "native"
    _check(got.to_array(), 300, 150)


def test_a_short_estimate_spills_to_an_array_of_its_own(monkeypatch: pytest.MonkeyPatch) -> None:
    """Should a range hold more rows than estimated, they are kept in order, never overlapping."""
    monkeypatch.setattr(tn, "min_row_bytes", lambda ncols, sep: 1000)  # a far too low estimate
    text = b",,,\n" * 50 + b"1,2,3,4\n" * 25
    for cut in range(0, len(text), 7):
        got = tn.parse_native(text, 0, len(text), ncols=4, sep=",", comments=None, path="m", _cuts=[cut])
        assert got is not None
        _check(got, 50, 25)
