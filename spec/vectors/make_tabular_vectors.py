"""Write the npz and csv conformance vectors and their expected-values JSON.

Run: python spec/vectors/make_tabular_vectors.py (npz files are written by our
writer, csv files byte by byte as spec/formats/csv.md describes them).
"""

from __future__ import annotations

import json
from pathlib import Path

import neurofiles
import numpy as np

HERE = Path(__file__).resolve().parent


def _expect(path: Path, data: dict) -> None:
    path.with_suffix(".json").write_text(json.dumps(data, indent=1) + "\n", encoding="utf-8")


def npz_vectors() -> None:
    folder = HERE / "npz"
    events = neurofiles.Events(
        [10, 25, 25, 40, 90],
        addresses=[1, 2, 3, 4, 5],
        x=[0, 1, 2, 3, 127],
        y=[5, 5, 6, 7, 0],
        polarity=[True, False, True, True, False],
        tick=1e-6,
        metadata={"version": "2.0", "sensor_size": [128, 128], "note": "five events"},
        streams={"special": {"timestamps": np.array([33]), "addresses": np.array([0x8000])}},
    )
    neurofiles.save(folder / "events_small.npz", events)
    _expect(
        folder / "events_small.npz",
        {
            "kind": "Events",
            "timestamps": [10, 25, 25, 40, 90],
            "addresses": [1, 2, 3, 4, 5],
            "x": [0, 1, 2, 3, 127],
            "y": [5, 5, 6, 7, 0],
            "polarity": [True, False, True, True, False],
            "tick": 1e-6,
            "metadata": events.metadata,
            "streams": {"special": {"timestamps": [33], "addresses": [32768]}},
        },
    )
    traces = neurofiles.Traces(
        np.array([0.0, 0.5, 1.0]),
        np.array([[1.0, 2.0, 3.0, 4.0], [5.0, 6.0, 7.0, 8.0], [9.5, -1.0, 0.0, 1e-9]]),
        ["Trace #1", "Trace #1", "Trace #2", "Trace #2"],
        ["mV", "nA", "mV", "nA"],
        time_name="Time",
        time_unit="ms",
        layout=np.array([[0, 1], [2, 3]]),
        channel_names=["IN 0", "IN 1"],
        sweep_starts=np.array([0.0, 100.0]),
        metadata={"format": "axon-atf", "version": 1.0},
    )
    neurofiles.save(folder / "traces_two_sweeps.npz", traces, compress=False)
    _expect(
        folder / "traces_two_sweeps.npz",
        {
            "kind": "Traces",
            "times": [0.0, 0.5, 1.0],
            "values": traces.values.tolist(),
            "columns": traces.columns,
            "units": traces.units,
            "time_name": "Time",
            "time_unit": "ms",
            "layout": [[0, 1], [2, 3]],
            "channel_names": ["IN 0", "IN 1"],
            "sweep_starts": [0.0, 100.0],
            "metadata": traces.metadata,
        },
    )


def csv_vectors() -> None:
    folder = HERE / "csv"
    files = {
        "time_and_units.csv": (
            "t (ms),v (mV),i (nA)\n0,-65,0.5\n0.1,-64.25,1e-3\n0.2,NaN,-0.0\n",
            {
                "kind": "Traces",
                "time_name": "t",
                "time_unit": "ms",
                "times": [0.0, 0.1, 0.2],
                "columns": ["v", "i"],
                "units": ["mV", "nA"],
                "values": [[-65.0, 0.5], [-64.25, 0.001], [None, -0.0]],
            },
        ),
        "no_time_column.csv": (
            "a,b (pA)\r\n1,2\r\n3,4\r\n",
            {
                "kind": "Traces",
                "times": None,
                "columns": ["a", "b"],
                "units": ["", "pA"],
                "values": [[1.0, 2.0], [3.0, 4.0]],
            },
        ),
        "text_column.csv": (
            'cell,v (mV)\ncell 1,-65.5\n"cell, 2",-64\n',
            {
                "kind": "Traces",
                "times": None,
                "columns": ["cell", "v"],
                "units": ["", "mV"],
                "values": [[None, -65.5], [None, -64.0]],
                "text": {"cell": ["cell 1", "cell, 2"]},
            },
        ),
        "ragged.csv": ("t (s),v\n0,1\n1\n", {"error": "CorruptFileError", "line": 3}),
        "header_only.csv": (
            "time (s),v (mV)\n",
            {
                "kind": "Traces",
                "time_name": "time",
                "time_unit": "s",
                "times": [],
                "columns": ["v"],
                "units": ["mV"],
                "values": [],
            },
        ),
    }
    for name, (text, expected) in files.items():
        (folder / name).write_bytes(text.encode("utf-8"))
        _expect(folder / name, expected)


if __name__ == "__main__":
    npz_vectors()
    csv_vectors()
