"""Content decides between NEURON text, NEURON vwrite binary and headerless AER binary `.dat` files.

The AER plugin (another helper's) scores 0.5 for binary files whose size is a
multiple of 6 or 8 and 0 for text; these tests pin our side of that contract.
"""

from __future__ import annotations

import struct

import numpy as np
import pytest

import neurofiles
from neurofiles.plugin import Probe
from neurofiles.plugins.neuron._sniff import sniff_text, sniff_vwrite
from neurofiles.plugins.neuron._vwrite import encode_record

from ._helpers import SPEC_VECTORS

AER_BINARY_SCORE = 0.5


def _probe(content: bytes, name: str = "x.dat") -> Probe:
    return Probe(content[:4096], name, len(content))


def _aer_like(n_events: int, seed: int = 1) -> bytes:
    rng = np.random.default_rng(seed)
    addr = rng.integers(0, 2**16, n_events).astype(">u4")
    ts = np.cumsum(rng.integers(1, 50, n_events)).astype(">u4")
    return np.column_stack([addr, ts]).tobytes()


@pytest.mark.parametrize(
    "name",
    [
        "clipboard.dat",
        "file_printf_tab.dat",
        "np_savetxt.dat",
        "matrix_fprint.dat",
        "vec_printf.dat",
        "file_printf_multicol.dat",
        "clipboard_crlf.dat",
    ],
)
def test_text_sniff_high_for_neuron_text(name: str) -> None:
    content = (SPEC_VECTORS / "neuron" / name).read_bytes()
    assert sniff_text(_probe(content)) == pytest.approx(0.9)
    assert sniff_vwrite(_probe(content)) == 0.0


@pytest.mark.parametrize("vtype", [1, 2, 3, 4, 5])
def test_vwrite_sniff_exact_size(vtype: int) -> None:
    content = encode_record(np.linspace(-70, 20, 401), vtype)
    assert sniff_vwrite(_probe(content)) == pytest.approx(0.95)
    assert sniff_vwrite(_probe(content)) > AER_BINARY_SCORE
    assert sniff_text(_probe(content)) == 0.0


def test_vwrite_sniff_several_and_big_records() -> None:
    two = encode_record(np.arange(401.0)) + encode_record(np.arange(401.0))
    assert sniff_vwrite(_probe(two)) == pytest.approx(0.95)
    big = encode_record(np.arange(100001.0)) + encode_record(np.arange(100001.0))
    # the second header lies beyond the probed bytes: partial confidence, still above AER's 0.5
    assert AER_BINARY_SCORE < sniff_vwrite(_probe(big)) < 0.95


@pytest.mark.parametrize("n", [1000, 1002, 4096])
def test_aer_like_binary_is_neither(n: int) -> None:
    content = _aer_like(n)
    assert sniff_text(_probe(content)) == 0.0
    assert sniff_vwrite(_probe(content)) == 0.0


def test_aer_like_with_plausible_first_header_is_refused_by_the_reader(tmp_path) -> None:
    # first 8 bytes look like (n=5000, type=3) but the chain does not tile the file
    content = struct.pack("<ii", 5000, 3) + b"\x01" * 30000
    assert sniff_vwrite(_probe(content)) == pytest.approx(0.7)
    path = tmp_path / "events.dat"
    path.write_bytes(content)
    with pytest.raises(neurofiles.FormatMismatchError, match="record header"):
        neurofiles.load(path, format="neuron-vwrite")


def test_load_picks_by_content(tmp_path) -> None:
    text = tmp_path / "a.dat"
    text.write_bytes((SPEC_VECTORS / "neuron" / "clipboard.dat").read_bytes())
    binary = tmp_path / "b.dat"
    binary.write_bytes(encode_record(np.arange(10.0)) + encode_record(np.arange(10.0) * 2))
    assert neurofiles.detect(text).format == "neuron-dat"
    assert neurofiles.detect(binary).format == "neuron-vwrite"
    traces = neurofiles.load(binary, times_first=True)
    np.testing.assert_array_equal(traces.times, np.arange(10.0))
    np.testing.assert_array_equal(traces.values[:, 0], np.arange(10.0) * 2)


def test_pwm_dump_without_extension_is_detected(tmp_path) -> None:
    path = tmp_path / "graph_dump"
    path.write_bytes((SPEC_VECTORS / "neuron" / "pwm_ascii.txt").read_bytes())
    assert neurofiles.detect(path).format == "neuron-dat"


def test_atf_magic_wins_over_extension(tmp_path) -> None:
    path = tmp_path / "export.txt"
    path.write_bytes((SPEC_VECTORS / "atf" / "two_sweeps.atf").read_bytes())
    assert neurofiles.detect(path).format == "axon-atf"


def test_fwrite_only_explicit(tmp_path) -> None:
    path = tmp_path / "raw.bin"
    path.write_bytes(struct.pack("<3d", 1.5, -2.0, 3.25))
    with pytest.raises(neurofiles.NoReaderError):
        neurofiles.load(path)
    traces = neurofiles.load(path, format="neuron-fwrite")
    assert traces.times is None and traces.values[:, 0].tolist() == [1.5, -2.0, 3.25]
    big = neurofiles.load(_be(tmp_path), format="neuron-fwrite", byteorder="big")
    assert big.values[:, 0].tolist() == [1.5, -2.0]


def _be(tmp_path):
    path = tmp_path / "raw_be.bin"
    path.write_bytes(struct.pack(">2d", 1.5, -2.0))
    return path


def test_vwrite_foreign_order_and_unequal_lengths(tmp_path) -> None:
    path = tmp_path / "be.dat"
    path.write_bytes(encode_record(np.arange(4.0), 4, ">") + encode_record(np.arange(2.0), 3, ">"))
    with pytest.warns(neurofiles.FormatWarning, match="different lengths"):
        traces = neurofiles.load(path)
    assert traces.metadata["byte order"] == "big"
    assert traces.metadata["lengths"] == [4, 2]
    np.testing.assert_array_equal(traces.metadata["vectors_data"][1], [0.0, 1.0])
    # ragged vectors are kept end to end in one column, never padded with NaN
    assert traces.values.shape == (6, 1)
    np.testing.assert_array_equal(traces.values[:, 0], [0, 1, 2, 3, 0, 1])
    np.testing.assert_array_equal(traces.metadata["offsets"], [0, 4, 6])


def test_fwrite_is_explicit_only(tmp_path) -> None:
    from neurofiles._framework.discovery import get_registry

    assert get_registry().readers["neuron-fwrite"][0].explicit_only


def test_real_aer_headerless_dat_vectors_are_not_neuron() -> None:
    """With the AER plugin installed, its headerless `.dat` vectors go to AER, not to a NEURON reader."""
    paths = sorted((SPEC_VECTORS / "aedat").glob("*.dat"))
    assert paths, "AER vectors missing"
    for path in paths:
        assert not neurofiles.detect(path).format.startswith("neuron"), path.name
        content = path.read_bytes()
        assert sniff_text(_probe(content)) == 0.0 and sniff_vwrite(_probe(content)) == 0.0


def test_summaries_for_info_read_only_the_header() -> None:
    from neurofiles._frontend.api import summarize

    _, atf = summarize(SPEC_VECTORS / "atf" / "two_sweeps.atf")
    assert (
        atf["version"] == "1.0" and atf["columns"] == 5 and atf["records"]["Signals"] == ["IN 0", "IN 1"] * 2
    )
    _, dat = summarize(SPEC_VECTORS / "neuron" / "clipboard.dat")
    assert dat["label"] == "soma.v(0.5)" and dat["count line"] == (6,) and dat["columns"] == 2
    _, vw = summarize(SPEC_VECTORS / "neuron" / "vwrite_tv.dat")
    assert vw["vectors"] == 2 and vw["lengths"] == [6, 6] and vw["byte order"] == "little"
    _, pwm = summarize(SPEC_VECTORS / "neuron" / "pwm_ascii.txt")
    assert pwm["variant"] == "PrintWindowManager Ascii"
