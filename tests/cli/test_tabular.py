"""Columns, npz, csv and parquet: round trips on real files, refusals, missing pyarrow."""

from __future__ import annotations

import json
import subprocess
import sys
import warnings
import zipfile

import neurofiles
import numpy as np
import pytest
from neurofiles._results.tabular import from_table, to_table

from .conftest import need


def _json_normal(value):
    return json.loads(json.dumps(value))


def assert_same_events(a, b) -> None:
    for name in ("timestamps", "addresses", "x", "y", "polarity"):
        left, right = getattr(a, name), getattr(b, name)
        assert (left is None) == (right is None), name
        if left is not None:
            assert left.dtype == right.dtype
            np.testing.assert_array_equal(left, right)
    assert a.tick == b.tick
    assert b.metadata == _json_normal(a.metadata)


def assert_same_traces(a, b) -> None:
    np.testing.assert_array_equal(a.values, b.values)
    if a.times is None:
        assert b.times is None
    else:
        np.testing.assert_array_equal(a.times, b.times)
    assert a.columns == b.columns and a.units == b.units
    assert (a.time_name, a.time_unit) == (b.time_name, b.time_unit)
    np.testing.assert_array_equal(a.layout, b.layout)
    assert list(a.channel_names) == list(b.channel_names)
    assert set(a.text) == set(b.text)
    for name in a.text:
        np.testing.assert_array_equal(a.text[name], b.text[name])


def test_npz_round_trip_of_decoded_events_with_streams(testdata, tmp_path):
    events = neurofiles.load(testdata / "aer" / "IMU_translBoxes.aedat").decode("davis240")
    assert events.streams["imu"]["ax"].size > 4000
    neurofiles.save(tmp_path / "imu.npz", events)
    back = neurofiles.load(tmp_path / "imu.npz")
    assert_same_events(events, back)
    for key, array in events.streams["imu"].items():
        np.testing.assert_array_equal(back.streams["imu"][key], array)
    assert back.metadata["sensor_size"] == [240, 180]


@pytest.mark.parametrize("name", ["18702001-step.atf", "test.atf", "sample.atf"])
def test_npz_round_trip_of_atf_traces(testdata, tmp_path, name):
    traces = neurofiles.load(testdata / "atf" / name)
    neurofiles.save(tmp_path / "t.npz", traces)
    back = neurofiles.load(tmp_path / "t.npz")
    assert_same_traces(traces, back)
    if traces.sweep_starts is not None:
        np.testing.assert_array_equal(traces.sweep_starts, back.sweep_starts)
    assert back.metadata == _json_normal(traces.metadata)


def test_npz_of_neuron_traces_without_times(tmp_path):
    traces = neurofiles.Traces(None, np.arange(12.0).reshape(6, 2), ["v", "i"], ["mV", "nA"])
    neurofiles.save(tmp_path / "x.npz", traces, compress=False)
    assert_same_traces(traces, neurofiles.load(tmp_path / "x.npz"))


def test_metadata_that_json_cannot_hold_is_dropped_with_a_warning(tmp_path):
    events = neurofiles.Events(
        [1, 2, 3], addresses=[4, 5, 6], metadata={"ok": (1, 2), "bad": object(), "nan": float("nan")}
    )
    with pytest.warns(neurofiles.FormatWarning, match="bad .*nan|nan.*bad"):
        neurofiles.save(tmp_path / "m.npz", events)
    assert neurofiles.load(tmp_path / "m.npz").metadata == {"ok": [1, 2]}


def test_npz_refuses_foreign_and_broken_archives(tmp_path):
    plain = tmp_path / "plain.npz"
    np.savez(plain, a=np.arange(3))
    with pytest.raises(neurofiles.NoReaderError, match="not written by neurofiles"):
        neurofiles.load(plain)
    with pytest.raises(neurofiles.FormatMismatchError):
        neurofiles.load(plain, format="npz")
    good = tmp_path / "good.npz"
    neurofiles.save(good, neurofiles.Events(np.arange(1000), addresses=np.arange(1000)), compress=False)
    data = good.read_bytes()
    cut = tmp_path / "cut.npz"
    cut.write_bytes(data[: len(data) // 2])
    with pytest.raises(neurofiles.CorruptFileError) as info:
        neurofiles.load(cut)
    assert "cut.npz" in str(info.value)
    missing = tmp_path / "missing.npz"
    with zipfile.ZipFile(good) as src, zipfile.ZipFile(missing, "w") as dst:
        for item in src.infolist():
            if item.filename != "col0.npy":
                dst.writestr(item, src.read(item))
    with pytest.raises(neurofiles.CorruptFileError, match="col0"):
        neurofiles.load(missing)
    with pytest.raises(neurofiles.LimitExceededError):
        neurofiles.load(good, max_bytes=100)


def test_csv_round_trip_is_exact_for_traces(testdata, tmp_path):
    traces = neurofiles.load(testdata / "atf" / "18702001-step.atf")
    neurofiles.save(tmp_path / "t.csv", traces)
    header = (tmp_path / "t.csv").read_text().splitlines()[0]
    assert header.startswith("Time (s),Trace #1 (pA),Trace #1 (A)")
    back = neurofiles.load(tmp_path / "t.csv")
    np.testing.assert_array_equal(back.times, traces.times)
    np.testing.assert_array_equal(back.values, traces.values)
    assert back.columns == traces.columns and back.units == traces.units and back.time_unit == "s"


def test_csv_keeps_text_columns(testdata, tmp_path):
    traces = neurofiles.load(testdata / "atf" / "test.atf")
    neurofiles.save(tmp_path / "r.csv", traces)
    back = neurofiles.load(tmp_path / "r.csv")
    assert set(back.text) == set(traces.text)
    for name in traces.text:
        np.testing.assert_array_equal(back.text[name], traces.text[name])
    numeric = ~np.all(np.isnan(traces.values), axis=0)
    np.testing.assert_array_equal(back.values[:, numeric], traces.values[:, numeric])


def test_csv_of_events_reads_back_as_traces_with_times(tmp_path):
    events = neurofiles.Events([10, 20, 35], addresses=[7, 8, 9], tick=0.5e-6)
    neurofiles.save(tmp_path / "e.csv", events)
    lines = (tmp_path / "e.csv").read_text().splitlines()
    assert lines[0] == "times (s),timestamps (5e-07 s),addresses"
    assert lines[3] == "1.75e-05,35,9" and len(lines) == 4
    back = neurofiles.load(tmp_path / "e.csv")
    np.testing.assert_array_equal(back.times, events.times)
    np.testing.assert_array_equal(back["addresses"], [7, 8, 9])


def test_csv_errors_name_the_line(tmp_path):
    bad = tmp_path / "bad.csv"
    bad.write_text("t (s),v (mV)\n0,1\n1,2\n2,3,4\n")
    with pytest.raises(neurofiles.CorruptFileError) as info:
        neurofiles.load(bad)
    assert info.value.line == 4 and "bad.csv: line 4" in str(info.value)
    empty = tmp_path / "empty.csv"
    empty.write_text("t (s),v (mV)\n")
    assert neurofiles.load(empty).shape == (0, 1)


def test_parquet_has_columns_units_and_metadata(testdata, tmp_path):
    need("pyarrow", "fast")
    import pyarrow.parquet as pq

    events = neurofiles.load(testdata / "aer" / "alex_walking_again.aedat")
    neurofiles.save(tmp_path / "e.parquet", events)
    table = pq.read_table(tmp_path / "e.parquet")
    assert table.column_names == ["times", "timestamps", "addresses"]
    np.testing.assert_array_equal(table["addresses"].to_numpy(), events.addresses)
    np.testing.assert_array_equal(table["times"].to_numpy(), events.times)
    assert table.schema.field("times").metadata[b"unit"] == b"s"
    head = json.loads(table.schema.metadata[b"neurofiles"])
    assert head["kind"] == "Events" and head["metadata"]["version"] == "2.0"
    traces = neurofiles.load(testdata / "atf" / "18702001-step.atf")
    neurofiles.save(tmp_path / "t.parquet", traces)
    table = pq.read_table(tmp_path / "t.parquet")
    assert table.column_names[:3] == ["Time", "Trace #1", "Trace #1_2"]
    assert table.schema.field("Trace #1_2").metadata[b"unit"] == b"A"


def test_parquet_without_pyarrow_names_the_extra(tmp_path):
    code = (
        "import sys; sys.modules['pyarrow'] = None\n"
        "import neurofiles\n"
        "try:\n"
        f"    neurofiles.save({str(tmp_path / 'x.parquet')!r}, neurofiles.Events([1], addresses=[2]))\n"
        "except neurofiles.MissingDependencyError as exc:\n"
        "    print('MISSING', exc)\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], check=False, capture_output=True, text=True, timeout=60
    )
    assert "MISSING" in out.stdout and 'pip install "neurofiles[fast]"' in out.stdout, out.stderr
    assert not (tmp_path / "x.parquet").exists()


def test_to_table_refuses_other_types_and_rebuilds():
    with pytest.raises(TypeError, match="list"):
        to_table([1, 2])
    events = neurofiles.Events([1, 2], addresses=[3, 4], tick=1e-3)
    table = to_table(events, with_times=True)
    assert list(table.columns) == ["times", "timestamps", "addresses"] and table.label("times") == "times (s)"
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert_same_events(events, from_table(table))
