"""load()-level checks of the AEDAT 3.x / 4.0 decoders through the ``aer`` reader.

NOTE FOR THE LEAD: these tests need the ``aer`` branch (Events, AedatReader
dispatch to ``decode_aedat3`` / ``decode_aedat4``). On branch ``aer4`` alone they
fail (no reader registered for ``#!AER-DAT``); they are meant to pass once both
branches are merged. They use only the agreed contract.
"""

from __future__ import annotations

import sys
import warnings
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _aedat_test_support import VECTORS, expected, need  # noqa: E402

import neurofiles  # noqa: E402
from neurofiles._errors import FormatWarning, TruncatedFileError  # noqa: E402


@pytest.fixture(autouse=True)
def _extras() -> None:
    need("lz4.frame")
    need("zstandard")


@pytest.mark.parametrize(
    "name, count, first, last",
    [
        ("sample.aedat4", 111954, 1605537493718345, 1605537494308262),
        ("davis.aedat4", 117667, 1633953690975950, 1633953691105949),
    ],
)
def test_load_real_aedat4(testdata: Path, name: str, count: int, first: int, last: int) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error", FormatWarning)
        ev = neurofiles.load(testdata / "aer" / name)
    assert len(ev) == count
    assert (int(ev.timestamps[0]), int(ev.timestamps[-1])) == (first, last)
    assert ev.x.dtype == np.uint16 and ev.polarity.dtype == np.bool_
    assert ev.tick == 1e-6 and ev.addresses is None
    assert "imu" in ev.streams


@pytest.mark.parametrize("stem", ["mixed_none", "mixed_lz4", "mixed_zstd", "mixed_lz4_no_table"])
def test_load_aedat4_vectors(stem: str) -> None:
    exp = expected(f"aedat4/{stem}.aedat4")
    ev = neurofiles.load(VECTORS / "aedat4" / f"{stem}.aedat4")
    got = [[int(a), int(b), int(c), bool(d)] for a, b, c, d in zip(ev.timestamps, ev.x, ev.y, ev.polarity)]
    assert got == exp["events"]
    assert len(ev.streams["triggers"]) == len(exp["triggers"]) and len(ev.streams["imu"]) == len(exp["imu"])


def test_load_truncated_aedat4_policy() -> None:
    path = VECTORS / "aedat4" / "truncated_lz4.aedat4"
    with pytest.warns(FormatWarning, match="truncated"):
        ev = neurofiles.load(path)
    assert len(ev) == len(expected("aedat4/truncated_lz4.aedat4")["events"])
    with pytest.raises(TruncatedFileError):
        neurofiles.load(path, strict=True)


@pytest.mark.parametrize("version", ["31", "30"])
def test_load_aedat3_vectors(version: str) -> None:
    exp = expected(f"aedat3/polarity_v{version}.aedat")
    ev = neurofiles.load(VECTORS / "aedat3" / f"polarity_v{version}.aedat")
    got = [[int(a), int(b), int(c), bool(d)] for a, b, c, d in zip(ev.timestamps, ev.x, ev.y, ev.polarity)]
    assert got == exp["events"]
    assert len(ev.streams["special"]) == len(exp["special"])
