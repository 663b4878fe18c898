"""The parsing paths (native, pyarrow, numpy.loadtxt, careful) give identical float64 arrays."""

from __future__ import annotations

import numpy as np
import pytest

import neurofiles
from neurofiles.plugin._text_table import parse_block

from ._helpers import SPEC_VECTORS, need_pyarrow

NUMERIC_VECTORS = [
    "neuron/clipboard.dat",
    "neuron/clipboard_crlf.dat",
    "neuron/file_printf_space.dat",
    "neuron/np_savetxt.dat",
    "neuron/file_printf_multicol.dat",
    "neuron/matrix_fprint_nohdr.dat",
    "atf/two_sweeps.atf",
    "atf/two_sweeps_crlf.atf",
    "atf/comma.atf",
    "atf/empty_cells.atf",
]


@pytest.mark.parametrize("name", NUMERIC_VECTORS)
def test_numpy_and_auto_engines_agree(name: str) -> None:
    path = SPEC_VECTORS / name
    auto = neurofiles.load(path).to_array()
    numpy_only = neurofiles.load(path, engine="numpy").to_array()
    np.testing.assert_array_equal(auto, numpy_only)


@pytest.mark.parametrize("name", NUMERIC_VECTORS)
def test_pyarrow_engine_agrees(name: str) -> None:
    need_pyarrow()
    path = SPEC_VECTORS / name
    forced = neurofiles.load(path, engine="pyarrow").to_array()
    np.testing.assert_array_equal(forced, neurofiles.load(path, engine="numpy").to_array())


def _block(text: bytes, ncols: int, sep, engine: str, **kw):
    return parse_block(text, 0, ncols=ncols, sep=sep, path="mem.dat", first_line=1, engine=engine, **kw)


def test_random_doubles_bit_exact_all_engines(tmp_path) -> None:
    rng = np.random.default_rng(5)
    data = rng.standard_normal((2000, 3)) * 10.0 ** rng.integers(-30, 30, (2000, 3))
    text = "".join("\t".join(repr(x) for x in row) + "\r\n" for row in data.tolist()).encode()
    engines = ["numpy"] + (["pyarrow"] if _has_pyarrow() else [])
    for engine in engines:
        got = _block(text, 3, "\t", engine)
        np.testing.assert_array_equal(got.array, data)
    holed = b"\t" + text.split(b"\t", 1)[1]  # first cell empty -> the careful path
    careful = _block(holed, 3, "\t", "numpy")
    assert careful.engine == "careful"
    assert np.isnan(careful.array[0, 0])
    np.testing.assert_array_equal(careful.array[1:], data[1:])
    np.testing.assert_array_equal(careful.array[0, 1:], data[0, 1:])


def _has_pyarrow() -> bool:
    try:
        import pyarrow.csv  # noqa: F401
    except ImportError:
        return False
    return True


def test_special_values_and_exponents() -> None:
    text = b"1e+006\tnan\n-inf\t1.5E-3\n+2\t-0\n"
    got = _block(text, 2, "\t", "numpy").array
    assert got[0, 0] == 1e6 and np.isnan(got[0, 1]) and got[1, 0] == -np.inf and got[1, 1] == 1.5e-3
    assert got[2, 0] == 2.0 and np.signbit(got[2, 1])
    if _has_pyarrow():
        np.testing.assert_array_equal(_block(text, 2, "\t", "pyarrow").array, got)


def test_trailing_tab_column_is_not_data() -> None:
    text = b"0\t-65\t0.05\t\n0.025\t-64.9\t0.06\t\n"
    for engine in ["numpy"] + (["pyarrow"] if _has_pyarrow() else []):
        got = _block(text, 3, "\t", engine)
        assert got.array.shape == (2, 3)


def test_empty_cells_become_nan_not_shifted() -> None:
    got = _block(b"0\t1\t2\n1\t\t3\n2\t4\t\n", 3, "\t", "numpy")
    assert got.engine == "careful"
    np.testing.assert_array_equal(got.array[1], [1, np.nan, 3])
    np.testing.assert_array_equal(got.array[2], [2, 4, np.nan])


def test_blank_lines_between_rows_are_not_rows() -> None:
    got = _block(b"1 2\n\n3 4\n\n\n", 2, None, "numpy").array
    np.testing.assert_array_equal(got, [[1, 2], [3, 4]])


def test_auto_uses_pyarrow_only_for_big_blocks(tmp_path, monkeypatch) -> None:
    """Without the native engine (an install with no C compiler), auto picks pyarrow for big blocks only."""
    need_pyarrow()
    import neurofiles.plugin._text_table as tt
    from neurofiles.plugin._text_table import FAST_MIN_BYTES

    monkeypatch.setattr(tt, "native_available", lambda: False)

    small = tmp_path / "small.dat"
    small.write_bytes(b"label:v\n3\n0\t1\n1\t2\n2\t3\n")
    assert neurofiles.load(small).metadata["engine"] == "numpy"  # no pyarrow import for small files
    rows = FAST_MIN_BYTES // 10 + 1000
    t = np.arange(rows) * 0.025
    big = tmp_path / "big.dat"
    big.write_bytes(f"label:v\n{rows}\n".encode() + "".join(f"{x:g}\t{-x:g}\n" for x in t).encode())
    loaded = neurofiles.load(big)
    assert loaded.metadata["engine"] == "pyarrow" and len(loaded) == rows
    np.testing.assert_array_equal(loaded.to_array(), neurofiles.load(big, engine="numpy").to_array())


def test_forced_pyarrow_without_pyarrow_says_how_to_install(monkeypatch, tmp_path) -> None:
    import neurofiles.plugin._text_table as tt

    monkeypatch.setattr(tt, "fast_engine_available", lambda: False)
    path = tmp_path / "x.dat"
    path.write_bytes(b"0\t1\n")
    with pytest.raises(neurofiles.MissingDependencyError, match=r"neurofiles\[fast\]"):
        neurofiles.load(path, engine="pyarrow")


def test_underscore_numbers_are_not_numbers() -> None:
    with pytest.raises(neurofiles.CorruptFileError, match="1_000"):
        _block(b"0\t1\n1\t1_000\n", 2, "\t", "numpy")
