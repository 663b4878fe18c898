"""Conformance vectors under spec/vectors/{neuron,atf}: every file against expected.json."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest

import neurofiles
from neurofiles import CorruptFileError, FormatWarning

from ._helpers import SPEC_VECTORS, load_expected

NEURON = load_expected("neuron")
ATF = load_expected("atf")
NRN9 = load_expected("neuron-nrn9")  # files written by NEURON 9.0.2 itself


def _close(actual: np.ndarray, expected: list, tol: float) -> None:
    exp = np.array([math.nan if v is None else v for v in expected], dtype=float)
    np.testing.assert_allclose(actual, exp, rtol=0, atol=tol, equal_nan=True)


def _check(path, exp: dict) -> None:
    fmt = exp.get("format")
    kwargs = {"format": fmt} if exp.get("explicit") else {}
    if "error" in exp:
        kind = getattr(neurofiles, exp["error"])
        with pytest.raises(kind) as info:
            neurofiles.load(path, **kwargs)
        assert str(path) in str(info.value)
        if "error_line" in exp:
            assert info.value.line == exp["error_line"], str(info.value)
            assert f"line {exp['error_line']}" in str(info.value)
        if "message" in exp:
            assert exp["message"] in str(info.value)
        return
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        traces = neurofiles.load(path, **kwargs)
    got_warning = any(issubclass(w.category, FormatWarning) for w in caught)
    assert got_warning == bool(exp.get("warning")), [str(w.message) for w in caught]
    assert isinstance(traces, neurofiles.Traces)
    if fmt:
        assert traces.metadata["format"] == fmt
    array = traces.to_array()
    assert list(array.shape) == exp["shape"]
    assert array.dtype == np.float64
    tol = exp.get("tolerance", 0.0)
    if exp["first"] is not None:
        _close(array[0], exp["first"], tol)
        _close(array[-1], exp["last"], tol)
    assert (traces.times is not None) == exp["times"]
    for key in ("variant", "label"):
        if key in exp:
            assert traces.metadata[key] == exp[key]
    if "columns" in exp:
        assert traces.columns == exp["columns"]
    if "time_name" in exp:
        assert traces.time_name == exp["time_name"]
    if "units" in exp:
        assert traces.units == exp["units"]
    if "sweeps" in exp:
        assert traces.sweep_count == exp["sweeps"]
        assert traces.channel_names == exp["channels"]
        np.testing.assert_allclose(traces.sweep_starts, exp["sweep_starts"])
    if "nan_count" in exp:
        assert int(np.isnan(array).sum()) == exp["nan_count"]
    if "all" in exp:
        np.testing.assert_array_equal(array[:, 0], np.array(exp["all"]))
    if "curves" in exp:
        assert len(traces.metadata["curves"]) == exp["curves"]
    for name, cells in exp.get("text", {}).items():
        assert list(traces.text[name]) == cells
    if "strict_error" in exp:
        with pytest.raises(getattr(neurofiles, exp["strict_error"])) as info:
            neurofiles.load(path, strict=True)
        assert info.value.line == exp["error_line"]


@pytest.mark.parametrize("name", sorted(NEURON))
def test_neuron_vector(name: str) -> None:
    _check(SPEC_VECTORS / "neuron" / name, NEURON[name])


@pytest.mark.parametrize("name", sorted(NRN9))
def test_neuron9_written_file(name: str) -> None:
    _check(SPEC_VECTORS / "neuron-nrn9" / name, NRN9[name])


@pytest.mark.parametrize("name", sorted(ATF))
def test_atf_vector(name: str) -> None:
    _check(SPEC_VECTORS / "atf" / name, ATF[name])


def test_vector_sets_are_not_empty() -> None:
    assert len(NEURON) >= 25 and len(ATF) >= 12
    assert isinstance(CorruptFileError("x"), ValueError)
