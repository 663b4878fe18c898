"""Hostile text files (ATF, NEURON, CSV): typed errors naming the line, bounded memory, no lost rows.

Peaks are measured with tracemalloc (numpy reports its buffers to it).
"""

from __future__ import annotations

import struct
import time
import tracemalloc
from pathlib import Path
from typing import Any, Callable

import numpy as np
import pytest

import neurofiles
from neurofiles import CorruptFileError, LimitExceededError, NeurofilesError

MiB = 1 << 20


def peak_of(fn: Callable[[], Any]) -> tuple[Any, int, float]:
    """``fn()``'s result (or the exception it raised), its traced peak in bytes, and seconds taken."""
    tracemalloc.start()
    start = time.perf_counter()
    try:
        result: Any = fn()
    except Exception as exc:  # noqa: BLE001 - the test inspects it
        result = exc
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return result, peak, time.perf_counter() - start


# --- untyped errors -------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["x.atf", "x.csv", "x.aeidx", "x.dat"])
def test_atf_counts_of_4400_digits(tmp_path: Path, name: str) -> None:
    """ATF is detected by magic, so every name reaches its header parser."""
    path = tmp_path / name
    path.write_bytes(b"ATF\t1.0\n" + b"9" * 4400 + b"\t2\n" + b'"a"\t"b"\n1\t2\n')
    with pytest.raises(LimitExceededError) as info:
        neurofiles.load(path)
    assert info.value.line == 2 and name in str(info.value)
    path.write_bytes(b"ATF\t1.0\n0\t" + b"9" * 4400 + b'\n"a"\t"b"\n1\t2\n')
    with pytest.raises(LimitExceededError, match="digits"):
        neurofiles.load(path)


def test_neuron_count_line_of_4400_digits(tmp_path: Path) -> None:
    path = tmp_path / "c.dat"
    path.write_bytes(b"label:v\n" + b"9" * 4400 + b"\n0\t1\n1\t2\n")
    with pytest.raises(LimitExceededError) as info:
        neurofiles.load(path, format="neuron-dat")
    assert info.value.line == 2
    path.write_bytes(b"9" * 4400 + b" 3\n1 2 3\n")  # no label: not a count, the rows disagree
    with pytest.raises(CorruptFileError):
        neurofiles.load(path, format="neuron-dat")


def test_neuron_zero_column_count_is_not_an_index_error(tmp_path: Path) -> None:
    path = tmp_path / "z.dat"
    path.write_bytes(b"0 0\n" + b"9" * 4200 + b"x\n")
    try:
        traces = neurofiles.load(path)
    except NeurofilesError:
        return
    assert traces.values.shape[0] == 0


def test_atf_more_than_2_20_columns_is_a_limit(tmp_path: Path) -> None:
    n = (1 << 20) + 1
    path = tmp_path / "wide.atf"
    path.write_bytes(b"ATF\t1.0\n0\t%d\n" % n + b"\t".join([b'"a"'] * n) + b"\n" + b"\t".join([b"1"] * n) + b"\n")
    result, peak, seconds = peak_of(lambda: neurofiles.load(path))
    assert isinstance(result, LimitExceededError) and result.line == 3, result
    assert peak < 48 * MiB and seconds < 10


def test_data_row_wider_than_max_columns(tmp_path: Path) -> None:
    path = tmp_path / "row.atf"
    path.write_bytes(b'ATF\t1.0\n0\t2\n"a"\t"b"\n' + b"\t".join([b"1"] * 70_000) + b"\n")
    with pytest.raises(LimitExceededError, match="max_columns") as info:
        neurofiles.load(path)
    assert info.value.line == 4
    with pytest.warns(neurofiles.FormatWarning):  # raised limit: read, titles padded
        assert neurofiles.load(path, max_columns=70_000).to_array().shape == (1, 70_000)


# --- memory and time bombs -----------------------------------------------------------------------


def test_atf_2_20_titles(tmp_path: Path) -> None:
    """6 MB of titles: 500 MB before; now refused at the title line within a few MiB."""
    n = 1 << 20
    path = tmp_path / "titles.atf"
    path.write_bytes(b"ATF\t1.0\n0\t%d\n" % n + b"\t".join([b'"ab"'] * n) + b"\n")
    result, peak, _ = peak_of(lambda: neurofiles.load(path))
    assert isinstance(result, LimitExceededError) and result.line == 3, result
    assert peak < 48 * MiB, peak


def test_csv_million_rows_of_empty_cells(tmp_path: Path) -> None:
    """2 MB of ',\\n' rows: 227 MB before (a list of cells per row); now the native engine."""
    path = tmp_path / "empty.csv"
    path.write_bytes(b"a,b\n" + b",\n" * 1_000_000)
    result, peak, _ = peak_of(lambda: neurofiles.load(path))
    assert not isinstance(result, Exception), result
    table = result.to_array()
    assert table.shape == (1_000_000, 2) and np.isnan(table).all()
    assert peak < 3 * table.nbytes, peak


LONG = 20 * MiB  # the reported file had 100 MB; 20 MB keeps CI quick and shows the same scaling


@pytest.mark.parametrize("kind", ["atf", "csv", "dat-table"])
def test_long_single_data_line_fails_fast(tmp_path: Path, kind: str) -> None:
    reps = LONG // 10
    if kind == "atf":
        data = b'ATF\t1.0\n0\t2\n"a"\t"b"\n' + b"1.25\t-3.5\t" * reps + b"\n"
    elif kind == "csv":
        data = b"a,b\n" + b"1.25,-3.5," * reps + b"\n"
    else:
        data = b"1 2\n" + b"1.25 -3.5 " * reps + b"\n"
    path = tmp_path / f"long.{kind.split('-')[0]}"
    path.write_bytes(data)
    result, peak, seconds = peak_of(lambda: neurofiles.load(path))
    assert isinstance(result, NeurofilesError), result
    assert peak < 48 * MiB and seconds < 15, (peak, seconds)


def test_long_csv_line_after_the_first_row(tmp_path: Path) -> None:
    path = tmp_path / "later.csv"
    path.write_bytes(b"a,b\n1,2\n" + b"1.25,-3.5," * (LONG // 10) + b"\n")
    result, peak, seconds = peak_of(lambda: neurofiles.load(path))
    assert isinstance(result, CorruptFileError) and result.line == 3, result
    assert peak < 8 * LONG and seconds < 30, (peak, seconds)


def test_long_single_line_vector_reads_in_pieces(tmp_path: Path) -> None:
    """NEURON Vector.printf(f, "%g "): one line of numbers is one column, read in bounded pieces."""
    reps = LONG // 10
    path = tmp_path / "vec.dat"
    path.write_bytes(b"1.25 -3.5 " * reps + b"\n")
    assert neurofiles.detect(path).format == "neuron-dat"
    result, peak, seconds = peak_of(lambda: neurofiles.load(path))
    assert not isinstance(result, Exception), result
    values = result.values
    assert values.shape == (2 * reps, 1) and result.metadata["variant"] == "single-line vector"
    assert values[0, 0] == 1.25 and values[-1, 0] == -3.5
    assert peak < 2 * values.nbytes + 16 * MiB and seconds < 30, (peak, seconds)


def test_vwrite_ragged_is_not_padded(tmp_path: Path) -> None:
    """20,000 empty records and one of 100,000 values (0.56 MB) asked for a 14.9 GiB NaN matrix."""
    path = tmp_path / "ragged.dat"
    payload = np.arange(100_000, dtype="<f4")
    path.write_bytes(struct.pack("<ii", 0, 4) * 20_000 + struct.pack("<ii", 100_000, 3) + payload.tobytes())
    with pytest.warns(neurofiles.FormatWarning, match="end to end"):
        result, peak, _ = peak_of(lambda: neurofiles.load(path))
    assert not isinstance(result, Exception), result
    assert result.values.shape == (100_000, 1)
    np.testing.assert_array_equal(result.values[:, 0], payload)
    offsets = result.metadata["offsets"]
    assert len(offsets) == 20_002 and offsets[-1] == 100_000 and offsets[-2] == 0
    assert peak < 32 * MiB, peak


# --- long headers and first rows ------------------------------------------------------------------


def test_csv_of_600_columns_round_trips(tmp_path: Path) -> None:
    table = np.arange(3 * 600, dtype=np.float64).reshape(3, 600) / 7
    traces = neurofiles.Traces(None, table, [f"column_{i}" for i in range(600)], ["mV"] * 600)
    path = tmp_path / "wide.csv"
    neurofiles.save(path, traces)
    assert path.read_bytes().index(b"\n") > 4096  # the header is longer than the detection probe
    back = neurofiles.load(path)
    np.testing.assert_array_equal(back.to_array(), table)
    assert back.columns == traces.columns


def test_atf_and_neuron_rows_longer_than_the_probe(tmp_path: Path) -> None:
    table = np.arange(4 * 600, dtype=np.float64).reshape(4, 600) / 3
    traces = neurofiles.Traces(table[:, 0], table[:, 1:], [f"trace {i}" for i in range(599)], ["pA"] * 599)
    for name in ("wide.atf", "wide.dat"):
        path = tmp_path / name
        neurofiles.save(path, traces)
        back = neurofiles.load(path)
        np.testing.assert_array_equal(back.to_array(), table)


def test_single_line_vector_past_the_probe_is_detected(tmp_path: Path) -> None:
    values = np.linspace(-70, 30, 2000)
    path = tmp_path / "printf.dat"
    path.write_bytes(" ".join("%g" % v for v in values).encode() + b" \n")  # Vector.printf(f, "%g ")
    assert path.stat().st_size > 4096
    assert neurofiles.detect(path).format == "neuron-dat"
    got = neurofiles.load(path)
    assert got.times is None and got.values.shape == (2000, 1)
    np.testing.assert_array_equal(got.values[:, 0], [float("%g" % v) for v in values])


def test_long_comment_line_is_still_a_comment(tmp_path: Path) -> None:
    """The fast refusal of a too-wide line looks only at what comes before the comment character."""
    path = tmp_path / "comment.dat"
    path.write_bytes(b"0 1\n2 3\n# " + b"1 " * (1 << 20) + b"\n4 5\n")
    np.testing.assert_array_equal(neurofiles.load(path).to_array(), [[0, 1], [2, 3], [4, 5]])


@pytest.mark.parametrize("kind", ["atf", "csv"])
def test_one_long_text_cell_in_a_long_text_column(tmp_path: Path, kind: str) -> None:
    """numpy's fixed-width str array would make every cell as wide as the longest: 391 GiB
    (an untyped MemoryError) for one 1 MiB cell above 100,000 one-letter cells."""
    sep = b"\t" if kind == "atf" else b","
    head = b'ATF\t1.0\n0\t2\n"a"\t"b"\n' if kind == "atf" else b"a,b\n"
    path = tmp_path / f"text.{kind}"
    path.write_bytes(head + b"x" * 100_000 + sep + b"1\n" + (b"a" + sep + b"1\n") * 100_000)
    result, peak, _ = peak_of(lambda: neurofiles.load(path))
    assert isinstance(result, LimitExceededError), result
    assert peak < 64 * MiB, peak
