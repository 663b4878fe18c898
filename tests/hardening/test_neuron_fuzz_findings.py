"""NEURON text files found by the structure-aware campaign (``tests/fuzz/generators``)."""

from __future__ import annotations

import warnings
from pathlib import Path

import pytest

import neurofiles
from neurofiles import NeurofilesError


def test_first_number_longer_than_the_probe_is_detected(tmp_path: Path) -> None:
    # a name line, then a row whose first cell (4,400 digits) runs past the 4 KiB detection probe
    big = "9" * 4400
    path = tmp_path / "trace.dat"
    path.write_bytes(f"a\tb\n{big}\t1\n2\t3\n".encode())
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        result = neurofiles.load(path)
    assert result.values.shape[0] == 2
    assert float(result.values[-1, -1]) == 3.0


@pytest.mark.parametrize("count", [b"1" + b"0" * 4305, b"9" * 19])
def test_pwm_block_count_of_many_digits_is_typed(tmp_path: Path, count: bytes) -> None:
    path = tmp_path / "trace.dat"
    path.write_bytes(b"Graph addvar/addexpr lines\n" + count + b" 2\nx v\n0\t1\n")
    with pytest.raises(NeurofilesError) as info:
        neurofiles.load(path)
    assert "line 2" in str(info.value) and path.name in str(info.value)

