"""ATF files whose line-2 counts disagree with the file, and files of many blank lines.

Findings of the structure-aware fuzzer (``tests/fuzz/generators/known.py``):
the file's own structure decides where the titles are (spec/formats/axon-atf.md,
"Counts that disagree with the file"), and blank lines cost no Python work each.
"""

from __future__ import annotations

import time
import warnings
from pathlib import Path

import numpy as np
import pytest

import neurofiles
from neurofiles import FormatWarning, LimitExceededError


def _load(path: Path, data: bytes, **options: object) -> tuple[neurofiles.Traces, list[str]]:
    path.write_bytes(data)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        result = neurofiles.load(path, **options)
    return result, [str(w.message) for w in caught if issubclass(w.category, FormatWarning)]


def test_record_count_too_small_does_not_read_the_titles_as_a_row(tmp_path: Path) -> None:
    # line 2 declares 0 records and 1 column; a "Key=" record and two titles follow
    result, warned = _load(tmp_path / "a.atf", b'ATF\t1.0\n0\t1\n"YTop="\n"A","B"\n1,2\n')
    assert result.values.tolist() == [[1.0, 2.0]]
    assert result.columns == ["A", "B"]
    assert result.metadata["header"] == {"YTop": ""}
    assert any("line 2" in w and "declares 0 header records" in w for w in warned)


def test_record_count_too_small_does_not_take_a_record_as_titles(tmp_path: Path) -> None:
    records = b"".join(b'"Key%d=v"\n' % i for i in range(4))
    rows = b"1.25\n" * 50_000
    result, warned = _load(tmp_path / "b.atf", b"ATF\t1.0\n2\t1\n" + records + b'"A (mV)"\n' + rows)
    assert result.values.shape == (50_000, 1)
    assert bool(np.all(result.values == 1.25))
    assert result.columns == ["A"] and result.units == ["mV"]
    assert sorted(result.metadata["header"]) == ["Key0", "Key1", "Key2", "Key3"]
    assert any("declares 2 header records" in w for w in warned)


def test_quoted_text_cells_after_the_titles_stay_data(tmp_path: Path) -> None:
    head = b'ATF\t1.0\n1\t3\n"Kind=results"\n"Name"\t"A"\t"B"\n'
    for count in (b"1", b"3"):  # the right count, and one pointing at a data row
        data = head.replace(b"\n1\t3", b"\n" + count + b"\t3") + b'"f1.abf"\t1\t2\n"f2.abf"\t3\t4\n'
        result, _ = _load(tmp_path / "c.atf", data)
        assert result.values[:, -2:].tolist() == [[1.0, 2.0], [3.0, 4.0]]
        assert result.columns[-2:] == ["A", "B"]


def test_blank_lines_inside_the_header_keep_line_numbers(tmp_path: Path) -> None:
    data = b'ATF\t1.0\n1\t2\n"K=v"\n\n\t\n\n"A"\t"B"\t"C"\n1\t2\t3\n'
    result, warned = _load(tmp_path / "d.atf", data)
    assert result.values.tolist() == [[1.0, 2.0, 3.0]]
    assert any("line 7" in w and "title line has 3" in w for w in warned), warned


def test_blank_lines_before_the_first_row_keep_line_numbers(tmp_path: Path) -> None:
    path = tmp_path / "e.atf"
    path.write_bytes(b'ATF\t1.0\n0\t2\n"A"\t"B"\n' + b"\t\t\n" * 200_000 + b"1\t2\t3\n")
    with pytest.raises(LimitExceededError) as info:
        neurofiles.load(path, max_columns=2)
    assert "line 200004" in str(info.value)


@pytest.mark.parametrize("last", [b"", b"1\t2\t3\n"])
def test_400000_lines_of_tabs_are_cheap(tmp_path: Path, last: bytes) -> None:
    # 1.2 MB: the header scan and the first-row search each found every line end
    # by reopening the file (30 s of CPU on the old code)
    path = tmp_path / "f.atf"
    path.write_bytes(b'ATF\t1.0\n0\t3\n"A"\t"B"\t"C"\n' + b"\t\t\n" * 400_000 + last)
    start = time.process_time()
    result = neurofiles.load(path)
    assert time.process_time() - start < 1.5
    assert result.values.shape == ((1, 3) if last else (0, 3))
