"""The npz and csv conformance vectors in spec/vectors/ load to their expected values."""

from __future__ import annotations

import json
from pathlib import Path

import neurofiles
import numpy as np
import pytest

VECTORS = Path(__file__).resolve().parents[2] / "spec" / "vectors"
FILES = sorted(p for fmt in ("npz", "csv") for p in (VECTORS / fmt).iterdir() if p.suffix != ".json")


def _equal(got, expected) -> None:
    """Compare numbers; JSON null stands for NaN."""
    want = np.array(json.loads(json.dumps(expected).replace("null", "NaN")), dtype=np.float64)
    np.testing.assert_array_equal(np.asarray(got, dtype=np.float64).reshape(want.shape), want)


@pytest.mark.parametrize("path", FILES, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_vector(path):
    expected = json.loads(path.with_suffix(".json").read_text(encoding="utf-8"))
    assert neurofiles.detect(path).format == path.parent.name
    if "error" in expected:
        with pytest.raises(getattr(neurofiles, expected["error"])) as info:
            neurofiles.load(path)
        assert info.value.line == expected["line"]
        return
    got = neurofiles.load(path)
    assert type(got).__name__ == expected["kind"]
    if expected["kind"] == "Events":
        for name in ("timestamps", "addresses", "x", "y", "polarity"):
            assert getattr(got, name).tolist() == expected[name], name
        assert got.tick == expected["tick"] and got.metadata == expected["metadata"]
        streams = {k: {f: a.tolist() for f, a in v.items()} for k, v in got.streams.items()}
        assert streams == expected["streams"]
        return
    if expected["times"] is None:
        assert got.times is None
    else:
        _equal(got.times, expected["times"])
        assert (got.time_name, got.time_unit) == (expected["time_name"], expected["time_unit"])
    assert got.columns == expected["columns"] and got.units == expected["units"]
    _equal(got.values, expected["values"])
    assert {k: v.tolist() for k, v in got.text.items()} == expected.get("text", {})
    for key in ("layout", "channel_names", "sweep_starts", "metadata"):
        if key in expected:
            value = getattr(got, key)
            assert (value.tolist() if hasattr(value, "tolist") else value) == expected[key], key
