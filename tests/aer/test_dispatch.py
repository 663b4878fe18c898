"""AEDAT 3.x / 4.0 files are handed to the packet decoders with the agreed contract."""

from __future__ import annotations

import sys
import types
from pathlib import Path

import neurofiles
import numpy as np
import pytest

HEADER31 = b"#!AER-DAT3.1\r\n#Format: RAW\r\n#Source 1: DVS128\r\n#!END-HEADER\r\n"


def fake_module(monkeypatch: pytest.MonkeyPatch, name: str, function: str, calls: list) -> None:
    module = types.ModuleType(f"neurofiles.plugins.aer.{name}")

    def decode(source, **kwargs):
        calls.append((source, kwargs))
        return {
            "timestamps": np.array([10, 20, 30], dtype=np.int64),
            "x": np.array([1, 2, 3], dtype=np.uint16),
            "y": np.array([4, 5, 6], dtype=np.uint16),
            "polarity": np.array([True, False, True]),
            "metadata": {"source": "DVS128_0001", "width": 128, "height": 128},
            "streams": {"imu": {"timestamps": np.array([15])}},
        }

    setattr(module, function, decode)
    monkeypatch.setitem(sys.modules, module.__name__, module)


def test_aedat31_dispatch(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    calls: list = []
    fake_module(monkeypatch, "_aedat3", "decode_aedat3", calls)
    path = tmp_path / "g.aedat"
    path.write_bytes(HEADER31 + b"\x00" * 28)
    events = neurofiles.load(path, t_start=15e-6)
    (source, kwargs), = calls
    assert kwargs == {"header_end": len(HEADER31), "version": "3.1", "window": (15, None, False)}
    assert source.name == str(path)
    assert events.timestamps.tolist() == [20, 30] and events.x.tolist() == [2, 3]
    assert events.addresses is None
    assert events.metadata["camera"] == "DVS128_0001" and events.metadata["version"] == "3.1"
    assert events.metadata["source"] == str(path) and events.metadata["sensor_size"] == (128, 128)
    assert events.metadata["chip"] == "DVS128" and "imu" in events.streams


def test_aedat4_dispatch(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    calls: list = []
    fake_module(monkeypatch, "_aedat4", "decode_aedat4", calls)
    path = tmp_path / "f.aedat4"
    path.write_bytes(b"#!AER-DAT4.0\r\n" + b"\x10\x00\x00\x00" + b"#" * 16)
    events = neurofiles.load(path, strict=True)
    assert calls[0][1] == {"strict": True, "max_packet_bytes": 256 * 1024 * 1024, "max_decompressed_bytes": None,
                           "threads": None, "window": None}
    assert len(events) == 3 and events.metadata["header_size"] == 14


def test_missing_decoder_is_a_clear_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setitem(sys.modules, "neurofiles.plugins.aer._aedat3", None)  # import fails
    path = tmp_path / "g.aedat"
    path.write_bytes(HEADER31)
    with pytest.raises(ImportError):
        neurofiles.load(path)
