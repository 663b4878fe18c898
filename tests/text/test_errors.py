"""Bad input raises typed errors that name the file and the line; huge counts are refused early."""

from __future__ import annotations

import tracemalloc
import warnings

import pytest

import neurofiles
from neurofiles import CorruptFileError, FormatWarning, LimitExceededError


def _write(tmp_path, name: str, content: bytes):
    path = tmp_path / name
    path.write_bytes(content)
    return path


def test_text_cell_in_neuron_data_names_line(tmp_path) -> None:
    rows = "".join(f"{i * 0.025:g}\t{-65 + i:g}\n" for i in range(50))
    rows = rows.replace("-40\n", "-4O\n")  # letter O instead of zero on row 26
    path = _write(tmp_path, "v.dat", f"label:v\n50\n{rows}".encode())
    with pytest.raises(CorruptFileError) as info:
        neurofiles.load(path)
    assert info.value.line == 28 and str(path) in str(info.value) and "'-4O'" in str(info.value)


def test_ragged_row_names_line(tmp_path) -> None:
    path = _write(tmp_path, "r.dat", b"0 1\n1 2\n2 3 4\n")
    with pytest.raises(CorruptFileError, match="line 3: row has 3 fields, expected 2"):
        neurofiles.load(path)


def test_neuron_huge_count_refused_before_allocating(tmp_path) -> None:
    path = _write(tmp_path, "h.dat", b"label:v\n1000000000000000\n0\t1\n")
    tracemalloc.start()
    with pytest.raises(LimitExceededError) as info:
        neurofiles.load(path)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert info.value.line == 2 and peak < 50_000_000


def test_atf_huge_header_count_refused(tmp_path) -> None:
    path = _write(tmp_path, "h.atf", b'ATF\t1.0\n1000000000000\t2\n"Time (s)"\t"A"\n0\t1\n')
    with pytest.raises(LimitExceededError, match="line 2"):
        neurofiles.load(path)


def test_atf_columns_count_huge_refused(tmp_path) -> None:
    path = _write(tmp_path, "c.atf", b'ATF\t1.0\n0\t99999999999\n"Time (s)"\t"A"\n0\t1\n')
    with pytest.raises(LimitExceededError):
        neurofiles.load(path)


def test_atf_count_too_large_keeps_every_row(tmp_path) -> None:
    # Brian drops k data rows when the record count is k too large; we keep them and warn
    content = b'ATF\t1.0\n3\t2     \n"Comment="\n"Time (s)"\t"A (mV)"\n0\t1\n1\t2\n2\t3\n'
    path = _write(tmp_path, "k.atf", content)
    with pytest.warns(FormatWarning, match="declares 3 header records but the file has 1"):
        traces = neurofiles.load(path)
    assert traces.to_array().tolist() == [[0, 1], [1, 2], [2, 3]]
    with pytest.raises(CorruptFileError) as info:
        neurofiles.load(path, strict=True)
    assert info.value.line == 2


def test_atf_title_data_width_mismatch_reported(tmp_path) -> None:
    path = _write(tmp_path, "w.atf", b'ATF\t1.0\n0\t2\n"Time (s)"\t"A (mV)"\n0\t1\t5\n1\t2\t6\n')
    with pytest.warns(FormatWarning):
        traces = neurofiles.load(path)
    assert traces.to_array().shape == (2, 3) and traces.columns[-1] == "column 3"


def test_neuron_count_mismatch_warns_and_keeps_rows(tmp_path) -> None:
    path = _write(tmp_path, "m.dat", b"label:v\n5\n0\t1\n1\t2\n")
    with pytest.warns(FormatWarning, match="declares 5 rows but 2 were found"):
        traces = neurofiles.load(path)
    assert len(traces) == 2
    with pytest.raises(CorruptFileError, match="line 2"):
        neurofiles.load(path, strict=True)


def test_eps_refused_clearly(tmp_path) -> None:
    path = _write(tmp_path, "g.dat", b"%!PS-Adobe-2.0 EPSF-1.2\n%%Creator: InterViews\n")
    with pytest.raises(CorruptFileError, match="PostScript"):
        neurofiles.load(path)


def test_binary_is_not_neuron_text(tmp_path) -> None:
    path = _write(tmp_path, "b.dat", bytes(range(256)) * 3)
    with pytest.raises(neurofiles.FormatMismatchError, match="binary"):
        neurofiles.load(path, format="neuron-dat")


def test_fwrite_bad_size(tmp_path) -> None:
    path = _write(tmp_path, "f.bin", b"\x00" * 12)
    with pytest.raises(CorruptFileError, match="multiple of 8"):
        neurofiles.load(path, format="neuron-fwrite")


def test_latin1_header_bytes_do_not_crash(tmp_path) -> None:
    path = _write(
        tmp_path,
        "u.atf",
        'ATF\t1.0\n1\t2\n"Comment=\xb5 caf\xe9"\n"Time (s)"\t"I (\xb5A)"\n0\t1\n'.encode("latin-1"),
    )
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        traces = neurofiles.load(path)
    assert traces.units == ["\u00b5A"] and traces.metadata["header"]["Comment"] == "\u00b5 caf\u00e9"


def test_unknown_engine_rejected(tmp_path) -> None:
    path = _write(tmp_path, "e.dat", b"0 1\n")
    with pytest.raises(ValueError, match="engine"):
        neurofiles.load(path, engine="fortran")
