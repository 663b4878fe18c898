"""Hostile ABF files: every bad count, pointer or size gives a typed error naming the file and byte."""

from __future__ import annotations

import os
import struct
import time
from pathlib import Path
from typing import Any

import neurofiles
import numpy as np
import pytest
from neurofiles import CorruptFileError, LimitExceededError, NeurofilesError, TruncatedFileError
from neurofiles.plugin import Source
from neurofiles.plugins.abf import _io
from neurofiles.plugins.abf._reader import AbfReader

from tests.abf.abf_builder import Abf2, EpochSpec, build_abf2, section_offset
from tests.fuzz.harness import NamedBytesIO


def _base(sweeps: int = 3, n: int = 200, nch: int = 2, **kw: object) -> bytes:
    raw = (np.arange(sweeps * n * nch) % 2000 - 1000).astype(np.int16)
    names = tuple(f"IN {i}" for i in range(nch))
    return build_abf2(Abf2(raw, nch=nch, sweeps=sweeps, names=names, units=("pA",) * nch, **kw))  # type: ignore[arg-type]


def _patch(data: bytes, off: int, fmt: str, *values: object) -> bytes:
    buf = bytearray(data)
    struct.pack_into("<" + fmt, buf, off, *values)
    return bytes(buf)


def _load(data: bytes) -> object:
    return neurofiles.load(NamedBytesIO(data, "hostile.abf"), format="axon-abf")


def test_data_section_past_the_end(tmp_path: Path) -> None:
    data = _base()
    where = section_offset("Data")
    count = struct.unpack_from("<q", data, where + 8)[0]
    path = tmp_path / "long.abf"
    path.write_bytes(_patch(data, where + 8, "q", count * 1000))
    with pytest.raises(TruncatedFileError) as info:
        neurofiles.load(path)
    assert info.value.offset == where and str(path) in str(info.value)


def test_cut_file_is_truncated(tmp_path: Path) -> None:
    data = _base()
    block = struct.unpack_from("<I", data, section_offset("Data"))[0]
    for cut in (0, 3, 100, 511, block * 512 + 10):
        path = tmp_path / f"cut{cut}.abf"
        path.write_bytes(data[:cut] if cut >= 4 else b"ABF2"[:cut])
        with pytest.raises(NeurofilesError):
            neurofiles.load(path, format="axon-abf")


@pytest.mark.parametrize(
    ("section", "field", "value", "error"),
    [
        ("ADC", 8, 10**9, LimitExceededError),
        ("ADC", 0, 10**6, TruncatedFileError),
        ("Tag", 8, 10**12, LimitExceededError),
        ("Strings", 4, 10**8, TruncatedFileError),
        ("SynchArray", 8, 10**7, TruncatedFileError),
        ("Protocol", 8, 0, CorruptFileError),
        ("ADC", 8, -1, CorruptFileError),
        ("DAC", 4, 3, CorruptFileError),
    ],
)
def test_section_map_lies(section: str, field: int, value: int, error: type) -> None:
    data = _base(synch=[(0, 400), (1000, 400), (2000, 400)], tags=[(5, "t")])
    fmt = "q" if field == 8 else "I"
    with pytest.raises(error) as info:
        _load(_patch(data, section_offset(section) + field, fmt, value))
    assert info.value.offset is not None and "hostile.abf" in str(info.value)


@pytest.mark.parametrize(
    ("offset", "fmt", "value", "match"),
    [
        (2, "f", 0.0, "sample interval"),
        (2, "f", float("nan"), "sample interval"),
        (2, "f", float("inf"), "sample interval"),
        (2, "f", -50.0, "sample interval"),
        (2, "f", 1e-30, "sample interval"),  # 1e36 Hz: times of 1e-35 s were returned
        (2, "f", 1e30, "sample interval"),  # 1e-24 Hz: times of 1e25 s were returned
        (0, "h", 9, "operation mode"),
        (110, "f", float("inf"), "ADC range"),
        (110, "f", float("nan"), "ADC range"),
        (110, "f", 0.0, "ADC range"),  # every value silently equal to the offset
        (110, "f", -10.0, "ADC range"),  # every value silently sign-flipped
        (118, "i", 0, "ADC resolution"),
        (118, "i", -32768, "ADC resolution"),
        (14, "f", float("nan"), "synch time unit"),  # sweep starts silently from samples
        (14, "f", float("inf"), "synch time unit"),
        (14, "f", -1.0, "synch time unit"),
        (14, "f", 1e30, "synch time unit"),
        (14, "f", 1e-20, "synch time unit"),  # every sweep started at 0
    ],
)
def test_protocol_values_refused(offset: int, fmt: str, value: object, match: str) -> None:
    data = _base(synch=[(0, 400), (1000, 400), (2000, 400)], tags=[(5, "t")])
    proto = struct.unpack_from("<I", data, section_offset("Protocol"))[0] * 512
    with pytest.raises(CorruptFileError, match=match) as info:
        _load(_patch(data, proto + offset, fmt, value))
    assert info.value.offset == proto + offset and "hostile.abf" in str(info.value)


@pytest.mark.parametrize("value", [float("nan"), float("inf"), -1.0, 1e30])
def test_sweep_interval_refused_when_it_gives_the_sweep_starts(value: float) -> None:
    data = _base()  # no synch array: sweep starts come from fEpisodeStartToStart
    proto = struct.unpack_from("<I", data, section_offset("Protocol"))[0] * 512
    with pytest.raises(CorruptFileError, match="sweep start-to-start") as info:
        _load(_patch(data, proto + 62, "f", value))
    assert info.value.offset == proto + 62
    ok = _load(_patch(data, proto + 62, "f", 2.5))  # a plausible one is used
    np.testing.assert_allclose(ok.sweep_starts, [0, 2.5, 5.0])  # type: ignore[attr-defined]


def test_unused_time_fields_do_not_matter() -> None:
    data = _base()  # no synch array, no tags: the synch time unit is not used
    proto = struct.unpack_from("<I", data, section_offset("Protocol"))[0] * 512
    traces = _load(_patch(data, proto + 14, "f", float("nan")))
    np.testing.assert_allclose(traces.sweep_starts, [0, 0.01, 0.02])  # type: ignore[attr-defined]


@pytest.mark.parametrize(("field", "value"), [(44, float("nan")), (52, float("inf")), (44, float("-inf"))])
def test_non_finite_channel_offsets_refused(field: int, value: float) -> None:
    data = _base()
    adc = struct.unpack_from("<I", data, section_offset("ADC"))[0] * 512
    with pytest.raises(CorruptFileError, match="offsets") as info:
        _load(_patch(data, adc + 128 + field, "f", value))  # second channel: NaN values were returned
    assert info.value.offset == adc + 128 + 44


def test_float32_data_ignore_the_int16_scaling_fields() -> None:
    raw = np.array([1.5, float("nan"), -2.0], dtype=np.float32)
    data = build_abf2(Abf2(raw, scale=0.0, adc_range=0.0, resolution=0))
    traces = _load(data)
    np.testing.assert_array_equal(traces.values[:, 0], raw.astype(np.float64))  # type: ignore[attr-defined]


def test_zero_gain_refused() -> None:
    data = build_abf2(Abf2((np.arange(10) % 7).astype(np.int16), scale=0.0))
    with pytest.raises(CorruptFileError, match="no finite, non-zero gain"):
        _load(data)


def test_more_sweeps_than_samples_refused() -> None:
    with pytest.raises(CorruptFileError, match="sweeps declared"):
        _load(_patch(_base(), 12, "I", 10**6))


def test_odd_value_count_refused() -> None:
    data = _base()
    where = section_offset("Data") + 8
    count = struct.unpack_from("<q", data, where)[0]
    with pytest.raises(CorruptFileError, match="not a multiple"):
        _load(_patch(data, where, "q", count - 1))


def test_bad_data_format_refused() -> None:
    with pytest.raises(CorruptFileError, match="data format"):
        _load(_patch(_base(), 30, "H", 7))


def test_abf1_header_cut_short() -> None:
    head = bytearray(3000)
    head[:4] = b"ABF "
    struct.pack_into("<f", head, 4, 1.83)
    with pytest.raises(TruncatedFileError, match="6144"):
        _load(bytes(head))
    struct.pack_into("<f", head, 4, float("nan"))
    with pytest.raises(CorruptFileError, match="version"):
        _load(bytes(head))


def test_file_that_shrinks_after_the_header_gives_truncated(tmp_path: Path) -> None:
    path = tmp_path / "shrink.abf"
    path.write_bytes(_base(sweeps=4, n=5000))
    with AbfReader(Source(path)) as reader:
        os.truncate(path, reader.head.data_offset + 100)
        with pytest.raises(TruncatedFileError, match="shrank"):
            reader.read()
        with pytest.raises(TruncatedFileError):
            reader.read_sweep(3)


def test_one_sweep_reads_only_its_bytes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "big.abf"
    path.write_bytes(_base(sweeps=1, n=200_000, nch=2, mode=3))
    seen: list[int] = []
    real = os.preadv

    def counting(fd: int, buffers: list[memoryview], offset: int) -> int:
        seen.append(sum(len(b) for b in buffers))
        return real(fd, buffers, offset)

    monkeypatch.setattr(_io.os, "preadv", counting)
    with AbfReader(Source(path)) as reader:
        values = reader.read_range(150_000, 150_010, 1)
    assert values.shape == (10,) and sum(seen) == 10 * 2 * 2


def test_huge_epoch_durations_and_pulse_counts_stay_bounded() -> None:
    epochs = [
        EpochSpec(type=t, level=5.0, duration=2**31 - 1, duration_inc=2**31 - 1, period=1, width=1)
        for t in (3, 4, 7, 5, 2, 1, 6)
    ]
    data = build_abf2(Abf2((np.arange(2 * 4000) % 9).astype(np.int16), sweeps=2, epochs=epochs))
    start = time.perf_counter()
    traces = _load(data)
    assert time.perf_counter() - start < 2.0
    assert traces.metadata["command"].shape == (4000, 2)  # type: ignore[attr-defined]


def test_a_million_one_sample_sweeps_load_quickly() -> None:
    """Per-sweep overhead stays small: 2 MB of one-sample sweeps took 21 s before the
    per-sweep Python lists went (column titles shared, per-sweep metadata as arrays)."""
    n = 1_000_000
    data = build_abf2(Abf2((np.arange(n) % 100).astype(np.int16), sweeps=n))
    start = time.perf_counter()
    traces = _load(data)
    assert time.perf_counter() - start < 6.0
    assert traces.shape == (1, n) and traces.metadata["sweep lengths"].shape == (n,)  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("offset", "fmt", "value", "match"),
    [
        (122, "f", float("nan"), "sample interval"),
        (122, "f", 1e-30, "sample interval"),
        (122, "f", 1e30, "sample interval"),
        (244, "f", 0.0, "ADC range"),
        (252, "i", -1, "ADC resolution"),
        (130, "f", float("nan"), "synch time unit"),  # the file has a synch array
        (130, "f", 1e30, "synch time unit"),
    ],
)
def test_abf1_timing_and_scaling_refused(testdata: Path, offset: int, fmt: str, value: object, match: str) -> None:
    data = (testdata / "abf" / "05210017_vc_abf1.abf").read_bytes()
    with pytest.raises(CorruptFileError, match=match) as info:
        _load(_patch(data, offset, fmt, value))
    assert info.value.offset == offset and "hostile.abf" in str(info.value)


def test_abf1_non_finite_offset_refused(testdata: Path) -> None:
    data = (testdata / "abf" / "05210017_vc_abf1.abf").read_bytes()
    adc = struct.unpack_from("<h", data, 410)[0]  # the first channel's physical ADC
    with pytest.raises(CorruptFileError, match="offsets") as info:
        _load(_patch(data, 1114 + 4 * adc, "f", float("nan")))  # fSignalOffset
    assert info.value.offset == 986 + 4 * adc


def test_values_after_the_last_whole_sweep_are_reported_not_dropped_silently() -> None:
    from neurofiles import FormatWarning

    raw = (np.arange(1001) % 100).astype(np.int16)  # 3 sweeps of 333 samples, 2 values left over
    data = build_abf2(Abf2(raw, sweeps=3))
    with pytest.warns(FormatWarning, match="2 values after the last of 3 sweeps") as record:
        traces = _load(data)
    assert "hostile.abf" in str(record[0].message)
    assert traces.shape == (333, 3) and traces.metadata["header"]["leftover values"] == 2  # type: ignore[attr-defined]
    with pytest.warns(FormatWarning):
        list(neurofiles.iter_chunks(NamedBytesIO(data, "hostile.abf"), samples=100))


@pytest.mark.parametrize("synch", [[(1000, 400), (0, 400), (2000, 400)], [(-5, 400), (0, 400), (10, 400)]])
def test_synch_starts_that_go_back_in_time_are_refused(synch: list[tuple[int, int]]) -> None:
    data = _base(synch=synch)
    with pytest.raises(CorruptFileError, match="synch array entry") as info:
        _load(data)
    k = 1 if synch[0][0] >= 0 else 0
    block = struct.unpack_from("<I", data, section_offset("SynchArray"))[0]
    assert info.value.offset == block * 512 + 8 * k


def _section_entry(data: bytes, name: str) -> tuple[int, int, int]:
    return struct.unpack_from("<IIq", data, section_offset(name))  # type: ignore[return-value]


@pytest.mark.parametrize(
    ("name", "patch", "error"),
    [
        ("Data", lambda b, s, c: (b, s, 2**40), TruncatedFileError),  # 2**40 samples in a 10 kB file
        ("Data", lambda b, s, c: (b, s, 2**63 - 1), TruncatedFileError),
        ("Data", lambda b, s, c: (2**32 - 1, s, c), TruncatedFileError),  # offset past the end
        ("Data", lambda b, s, c: (b, 2**32 - 1, c), CorruptFileError),  # absurd value size
        ("Data", lambda b, s, c: (b, s, -1), CorruptFileError),
        ("ADC", lambda b, s, c: (b, s, 0), CorruptFileError),  # no channel
        ("ADC", lambda b, s, c: (b, s, 10**6), LimitExceededError),
        ("ADC", lambda b, s, c: (b, 2**32 - 1, c), TruncatedFileError),
        ("ADC", lambda b, s, c: (b, s, -(2**63)), CorruptFileError),
        ("Strings", lambda b, s, c: (b, 2**32 - 1, c), TruncatedFileError),
        ("Strings", lambda b, s, c: (2**32 - 1, s, c), TruncatedFileError),
        ("Tag", lambda b, s, c: (b, s, 2**40), LimitExceededError),
        ("SynchArray", lambda b, s, c: (b, s, 2**40), TruncatedFileError),
        ("EpochPerDAC", lambda b, s, c: (b, s, 2**31), LimitExceededError),
        ("Protocol", lambda b, s, c: (0, s, c), CorruptFileError),
    ],
)
def test_section_map_attacks_are_typed_named_and_cheap(name: str, patch: Any, error: type) -> None:
    import tracemalloc

    data = _base(synch=[(0, 400), (1000, 400), (2000, 400)], tags=[(5, "t")],
                 epochs=[EpochSpec(duration=20)])
    assert len(data) < 16 << 10
    entry = section_offset(name)
    patched = _patch(data, entry, "IIq", *patch(*_section_entry(data, name)))
    tracemalloc.start()
    start = time.perf_counter()
    try:
        with pytest.raises(error) as info:
            _load(patched)
    finally:
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
    assert time.perf_counter() - start < 2
    assert peak < 4 << 20, peak  # nothing sized by the lying count
    assert entry <= info.value.offset < entry + 16 and "hostile.abf" in str(info.value)  # the entry's field


def test_overlapping_sections_read_as_laid_out() -> None:
    data = _base()
    proto_block = _section_entry(data, "Protocol")[0]
    overlapped = _patch(data, section_offset("Data"), "IIq", proto_block, 2, 512)  # data over the protocol
    from neurofiles import FormatWarning

    with pytest.warns(FormatWarning, match="2 values after"):  # 512 values: 3 sweeps of 85 x 2 channels
        traces = _load(overlapped)  # garbage values, but only the bytes the section covers
    assert traces.values.shape == (85, 6)  # type: ignore[attr-defined]


@pytest.mark.parametrize("garbage", [b"\xff\xfe\xc3\x28" * 40, bytes(range(256)), b"\x00" * 200])
def test_strings_section_garbage_decodes_as_latin1(garbage: bytes) -> None:
    data = bytearray(_base())
    block, size, _ = _section_entry(bytes(data), "Strings")
    body = garbage[: size - 44].ljust(size - 44, b"\xe9")
    data[block * 512 + 44 : block * 512 + size] = body
    traces = _load(bytes(data))
    assert len(traces.channel_names) == 2 and all(isinstance(n, str) for n in traces.channel_names)  # type: ignore[attr-defined]


@pytest.mark.parametrize("size", [4, 100, 2047, 2048, 5000, 6143])
def test_abf1_truncated_header(testdata: Path, size: int) -> None:
    data = (testdata / "abf" / "05210017_vc_abf1.abf").read_bytes()[:size]
    with pytest.raises(TruncatedFileError) as info:
        _load(data)
    assert info.value.offset is not None and "hostile.abf" in str(info.value)


def test_command_waveforms_of_many_dacs_have_a_memory_budget(monkeypatch: pytest.MonkeyPatch) -> None:
    from neurofiles import FormatWarning
    from neurofiles.plugins.abf import _reader

    raw = (np.arange(3 * 2000) % 100).astype(np.int16)
    data = bytearray(build_abf2(Abf2(raw, sweeps=3, epochs=[EpochSpec(duration=100)])))
    block, size, _ = struct.unpack_from("<IIq", data, section_offset("DAC"))
    dac = bytes(data[block * 512 : block * 512 + size])
    eight = b"".join(struct.pack("<h", i) + dac[2:] for i in range(8))  # 8 DACs playing the epoch waveform
    struct.pack_into("<IIq", data, section_offset("DAC"), len(data) // 512, size, 8)  # moved to the end
    data += eight.ljust(-(-len(eight) // 512) * 512, b"\0")
    whole = _load(bytes(data))  # 8 commands: 8x the values, within 2x + 64 MiB
    assert whole.metadata["command"].channel_count == 8  # type: ignore[attr-defined]
    monkeypatch.setattr(_reader, "COMMAND_SLACK_BYTES", 0)  # 8x is more than 2x
    with pytest.warns(FormatWarning, match="command waveforms of 8 DACs would take") as record:
        traces = _load(bytes(data))
    assert "hostile.abf" in str(record[0].message)
    assert traces.metadata["command"] is None  # type: ignore[attr-defined]
    np.testing.assert_array_equal(traces.values, whole.values)  # type: ignore[attr-defined]
