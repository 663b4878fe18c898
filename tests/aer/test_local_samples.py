"""The small samples in tests/samples/ (written by our writer) load anywhere."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import neurofiles
import numpy as np

SAMPLES = Path(__file__).resolve().parents[1] / "samples"


def test_dvs128_small():
    path = SAMPLES / "dvs128_small.aedat"
    assert path.stat().st_size < 100_000
    events = neurofiles.load(path)
    assert len(events) == 8000 and events.metadata["version"] == "2.0"
    assert events.is_sorted() and events.duration < 0.4
    decoded = events.decode("dvs128")
    assert len(decoded) == 8000 and decoded.metadata["decode"]["out_of_range"] == 0
    assert 0.4 < decoded.polarity.mean() < 0.6


def test_dvs128_small_is_reproducible(tmp_path: Path):
    spec = importlib.util.spec_from_file_location("make_aer_samples", Path(__file__).with_name("make_aer_samples.py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    neurofiles.save(tmp_path / "again.aedat", module.rotating_bar(), creation_time=1_700_000_000,
                    header_lines=["Synthetic rotating bar written by tests/aer/make_aer_samples.py"])
    assert (tmp_path / "again.aedat").read_bytes() == (SAMPLES / "dvs128_small.aedat").read_bytes()


def test_small_index():
    (events,) = neurofiles.load(SAMPLES / "dvs128_small.aeidx")
    addresses, times = neurofiles.load_aer(SAMPLES / "dvs128_small.aedat", reinit_time=True)
    assert np.array_equal(events.addresses, addresses) and times[0] == 0.0
