"""Conformance vectors of spec/vectors/aedat/: each file against its expected-values JSON."""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import neurofiles
import numpy as np
import pytest

VECTORS = Path(__file__).resolve().parents[2] / "spec" / "vectors" / "aedat"
CASES = sorted(VECTORS.glob("*.json"))


def test_vectors_present():
    assert len(CASES) >= 12


@pytest.mark.parametrize("case", CASES, ids=lambda p: p.stem)
def test_vector(case: Path):
    expected = json.loads(case.read_text())
    path = VECTORS / expected["file"]
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        events = neurofiles.load(path, **expected["options"])
    warned = any(issubclass(w.category, neurofiles.FormatWarning) for w in caught)
    assert warned == expected["warns"]
    assert len(events) == expected["count"]
    assert events.metadata["version"] == expected["version"]
    assert events.metadata["header_size"] == expected["header_size"]
    assert events.metadata["leftover_bytes"] == expected["leftover_bytes"]
    assert events.metadata["line_ending"] == expected["line_ending"]
    assert events.metadata["end_marker"] == expected["end_marker"]
    assert events.tick == pytest.approx(expected["tick"], rel=1e-12)
    assert events.addresses.tolist() == expected["addresses"]
    assert events.timestamps.tolist() == expected["timestamps"]
    assert np.allclose(events.times, np.array(expected["timestamps"], dtype=np.int64) * expected["tick"])
    for key, value in expected["fields"].items():
        assert events.metadata["header"][key] == value
    if expected["strict_error"]:
        error = getattr(neurofiles, expected["strict_error"])
        with pytest.raises(error):
            neurofiles.load(path, strict=True, **expected["options"])


@pytest.mark.parametrize("case", CASES, ids=lambda p: p.stem)
def test_vector_in_chunks_matches_whole(case: Path):
    expected = json.loads(case.read_text())
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        chunks = list(neurofiles.iter_chunks(VECTORS / expected["file"], events=2, **expected["options"]))
    assert sum(len(c) for c in chunks) == expected["count"]
    if chunks:
        assert np.concatenate([c.timestamps for c in chunks]).tolist() == expected["timestamps"]
        assert np.concatenate([c.addresses for c in chunks]).tolist() == expected["addresses"]
