"""Content sniff for headerless AER files against NEURON text and binary ``.dat`` files."""

from __future__ import annotations

import struct
from pathlib import Path

import neurofiles
import numpy as np
import pytest
from neurofiles.plugin import Probe
from neurofiles.plugins.aer._sniff import sniff_headerless


def probe(data: bytes, name: str = "x.dat") -> Probe:
    return Probe(data[:4096], name, len(data))


def v1(n: int) -> bytes:
    return b"".join(struct.pack(">Hi", i % 64, 1000 + 7 * i) for i in range(n))


def test_text_files_score_zero():
    assert sniff_headerless(probe(b"label:v\n3\n0 -65\n0.025 -64.9\n")) == 0.0
    assert sniff_headerless(probe(b"0.0\t1.0\n0.1\t2.0\n" * 100)) == 0.0
    assert sniff_headerless(probe(b"# comment only\r\n# more\r\n")) == 0.0
    assert sniff_headerless(probe(b"")) == 0.0


def test_binary_aer_scores_below_neuron_binary():
    score = sniff_headerless(probe(v1(200)))
    assert 0.5 <= score <= 0.6  # below NEURON binary vwrite files (~0.95)
    with_comment = b"# old jAER header without version\r\n" + v1(200)
    assert 0.5 <= sniff_headerless(probe(with_comment)) <= 0.6


def test_unrelated_names_are_not_claimed():
    assert sniff_headerless(probe(v1(200), "x.bin")) == 0.0
    assert sniff_headerless(probe(v1(200), "x.aedat")) > 0


def test_odd_sizes_lower_confidence():
    noisy = np.random.default_rng(0).integers(0, 256, 1001, dtype=np.uint8).tobytes()
    assert 0 < sniff_headerless(probe(noisy)) < sniff_headerless(probe(v1(200)))


def test_load_selects_aedat_for_binary_dat_and_not_for_text(tmp_path: Path):
    (tmp_path / "rec.dat").write_bytes(v1(50))
    assert neurofiles.detect(tmp_path / "rec.dat").format == "aedat"
    assert len(neurofiles.load(tmp_path / "rec.dat")) == 50
    (tmp_path / "text.dat").write_bytes(b"label:v\n3\n0 -65\n0.025 -64.9\n0.05 -64.8\n")
    try:
        detection = neurofiles.detect(tmp_path / "text.dat")
    except neurofiles.NoReaderError as exc:
        assert any(name == "aedat" for name, _ in exc.rejections)
    else:
        assert detection.format != "aedat"


def test_headerless_v2_body_guessed_wrong_is_warned(tmp_path: Path):
    body = b"".join(struct.pack(">Ii", 0x00010000 + i, 1000 + 5 * i) for i in range(240))  # 1920 = 6*320 bytes
    (tmp_path / "h.aedat").write_bytes(body)
    with pytest.warns(neurofiles.FormatWarning, match="version='2.0'"):
        events = neurofiles.load(tmp_path / "h.aedat")
    assert len(events) == 320
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert len(neurofiles.load(tmp_path / "h.aedat", version="2.0")) == 240
