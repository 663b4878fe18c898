"""The 14 real ABF files: every sweep of every channel equals pyabf's, header facts match SOURCES.md,
and the two files exported to ATF agree with their ATF to its printed precision."""

from __future__ import annotations

import re
from pathlib import Path

import neurofiles
import numpy as np
import pytest
from neurofiles.plugin import Source
from neurofiles.plugins.abf._reader import AbfReader

from tests.conftest import need

NAMES = [
    "05210017_vc_abf1.abf",
    "14o16001_vc_pair_step.abf",
    "16d22006_kim_gapfree.abf",
    "171116sh_0015-ATFwaveform.abf",
    "18702001-step.abf",
    "2018_12_09_pCLAMP11_0001.abf",
    "2020_06_16_0001.abf",
    "File_axon_7.abf",
    "invalidDate-abf1.abf",
    "model_vc_ramp.abf",
    "multichannelAbf1WithTags.abf",
    "pclamp11_4ch.abf",
    "pclamp11_4ch_abf1.abf",
    "user-list-durations.abf",
]


def _sources(
    testdata: Path,
) -> tuple[dict[str, dict[str, str]], dict[str, list[tuple[str, str, int, float, float]]]]:
    """The two tables of SOURCES.md: files, and channels (name, unit, n, first, last)."""
    text = (testdata / "abf" / "SOURCES.md").read_text(encoding="utf-8")
    files: dict[str, dict[str, str]] = {}
    chans: dict[str, list[tuple[str, str, int, float, float]]] = {}
    for line in text.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) == 8 and cells[0].endswith(".abf"):
            files[cells[0]] = dict(
                zip(["bytes", "abf", "mode", "sweeps", "rate", "tags", "sha256"], cells[1:])
            )
        elif len(cells) == 5 and cells[0].endswith(".abf"):
            m = re.match(r"(.*) \(([^()]*)\)$", cells[1])
            assert m, cells
            chans.setdefault(cells[0], []).append(
                (m.group(1), m.group(2), int(cells[2]), float(cells[3]), float(cells[4]))
            )
    return files, chans


@pytest.fixture(scope="module")
def sources(testdata: Path):  # type: ignore[no-untyped-def]
    return _sources(testdata)


def _ulps(ours: np.ndarray, theirs: np.ndarray, gain: float) -> float:
    """Largest difference in float32 ulps of max(|value|, one ADC step)."""
    floor = np.maximum(np.abs(theirs.astype(np.float64)), abs(gain))
    return float(
        (np.abs(ours - theirs.astype(np.float64)) / floor).max(initial=0.0) / np.finfo(np.float32).eps
    )


@pytest.mark.parametrize("name", NAMES)
def test_every_sweep_and_channel_equals_pyabf(testdata: Path, sources, name: str) -> None:  # type: ignore[no-untyped-def]
    pyabf = need("pyabf", "test")
    path = testdata / "abf" / name
    files, chans = sources
    theirs = pyabf.ABF(str(path))
    with AbfReader(Source(path)) as reader:
        traces = neurofiles.load(path)
        assert reader.sweep_count == theirs.sweepCount == int(files[name]["sweeps"])
        assert reader.head.nch == theirs.channelCount == len(chans[name])
        assert int(reader.head.rate) == int(files[name]["rate"])
        assert reader.head.mode == int(files[name]["mode"].split()[0])
        assert reader.head.version.split(".")[0] == files[name]["abf"].split(".")[0]
        assert len(reader.head.tags) == int(files[name]["tags"])
        for c, (cname, unit, n, first, last) in enumerate(chans[name]):
            assert reader.head.channels[c].unit == unit
            if cname.startswith("(blank"):
                assert reader.head.channels[c].name == "" and traces.channel_names[c] == f"ch{c}"
            else:
                assert traces.channel_names[c] == cname
            assert reader.read_sweep(0, c)[0] == pytest.approx(first, rel=2e-7, abs=1e-12)
            assert reader.read_sweep(-1, c)[-1] == pytest.approx(last, rel=2e-7, abs=1e-12)
            if not reader.head.variable_length:
                assert traces.sweep(0).values.shape[0] == n
            for s in range(reader.sweep_count):
                theirs.setSweep(s, c)
                ours = reader.read_sweep(s, c)
                assert ours.shape == theirs.sweepY.shape
                assert _ulps(ours, theirs.sweepY, reader.head.channels[c].gain) <= 1.0, (s, c)
                if not reader.head.variable_length:
                    np.testing.assert_array_equal(traces.sweep(s).values[:, c], ours)
                    np.testing.assert_array_equal(traces.channel(c).values[:, s], ours)


@pytest.mark.parametrize(
    "name", [n for n in NAMES if "abf1" not in n and "Abf1" not in n and "2020_06" not in n]
)
def test_command_waveform_equals_pyabf_sweepC(testdata: Path, name: str) -> None:
    pyabf = need("pyabf", "test")
    path = testdata / "abf" / name
    theirs = pyabf.ABF(str(path))
    traces = neurofiles.load(path)
    command = traces.metadata["command"]
    assert command is not None and command.sweep_count == traces.sweep_count
    for c in range(min(theirs.channelCount, command.channel_count)):
        for s in range(traces.sweep_count):
            with pytest.warns(UserWarning) if "ATFwaveform" in name else _nothing():
                theirs.setSweep(s, c)
                expected = theirs.sweepC
            np.testing.assert_allclose(command.sweep(s).values[:, c], expected, rtol=1e-12, atol=1e-12)


class _nothing:
    def __enter__(self) -> None:
        return None

    def __exit__(self, *args: object) -> None:
        return None


def test_tags_and_their_times(testdata: Path) -> None:
    traces = neurofiles.load(testdata / "abf" / "multichannelAbf1WithTags.abf")
    tags = traces.metadata["tags"]
    assert [t["comment"] for t in tags] == ["+TGOT", "-TGOT"]
    assert [t["time (s)"] for t in tags] == pytest.approx([173.9776, 294.8608])
    assert all(0 <= t["sweep"] < traces.sweep_count for t in tags)


def test_invalid_date_is_unknown_and_valid_dates_are_read(testdata: Path) -> None:
    assert neurofiles.load(testdata / "abf" / "invalidDate-abf1.abf").metadata["start"] is None
    start = neurofiles.load(testdata / "abf" / "18702001-step.abf").metadata["start"]
    assert start.startswith("2018-07-02T09:29:")
    with AbfReader(Source(testdata / "abf" / "18702001-step.abf")) as reader:
        assert reader.head.start is not None and reader.head.start.isoformat() == start


def test_gap_free_reads_lazily(testdata: Path) -> None:
    path = testdata / "abf" / "16d22006_kim_gapfree.abf"
    with AbfReader(Source(path)) as reader:
        whole = reader.read()
        part = reader.read_range(1000, 1010)
        np.testing.assert_array_equal(part, whole.values[1000:1010])
        np.testing.assert_array_equal(reader.read_range(1000, 1010, "IN 3"), whole.values[1000:1010, 1])
    assert whole.units == ["dB", "mV"] and whole.sweep_count == 1


def test_variable_length_sweeps_are_concatenated_not_padded(testdata: Path) -> None:
    path = testdata / "abf" / "2020_06_16_0001.abf"
    traces = neurofiles.load(path)
    segments = traces.metadata["segments"]
    assert [s["samples"] for s in segments] == [22040, 11040]
    assert len(traces) == 22040 + 11040 and not np.isnan(traces.values).any()
    with AbfReader(Source(path)) as reader:
        for k, seg in enumerate(segments):
            rows = slice(seg["row"], seg["row"] + seg["samples"])
            np.testing.assert_array_equal(traces.values[rows, 0], reader.read_sweep(k, 0))
            assert traces.times[rows][0] == pytest.approx(seg["start (s)"])
    assert segments[1]["start (s)"] == pytest.approx(59979 / 10000)


def test_summary_reads_the_header_only(testdata: Path) -> None:
    with AbfReader(Source(testdata / "abf" / "pclamp11_4ch.abf")) as reader:
        facts = reader.summary()
    assert facts["sweeps"] == 10 and facts["channels"] == ["IN 0 (pA)", "IN 1 (pA)", "IN 2 (pA)", "IN 3 (pA)"]


def test_abf1_and_abf2_of_the_same_recording_agree(testdata: Path) -> None:
    a = neurofiles.load(testdata / "abf" / "pclamp11_4ch.abf")
    b = neurofiles.load(testdata / "abf" / "pclamp11_4ch_abf1.abf")
    assert a.shape == b.shape and a.channel_names == b.channel_names
    # the same recording saved twice: the values agree to about one ADC step
    np.testing.assert_allclose(a.values, b.values, atol=0.002)


@pytest.mark.parametrize(("stem", "decimals"), [("18702001-step", 4), ("model_vc_ramp", 3)])
def test_abf_equals_its_atf_export(testdata: Path, stem: str, decimals: int) -> None:
    abf = neurofiles.load(testdata / "abf" / f"{stem}.abf")
    atf = neurofiles.load(testdata / "atf" / f"{stem}.atf")
    assert abf.sweep_count == atf.sweep_count and abf.channel_names == atf.channel_names
    assert abf.units == atf.units
    np.testing.assert_allclose(abf.times, atf.times, rtol=1e-6, atol=1e-9)
    if atf.sweep_starts is not None:
        np.testing.assert_allclose(abf.sweep_starts, atf.sweep_starts, rtol=1e-9, atol=1e-9)
    for s in range(atf.sweep_count):
        for c in atf.channel_names:
            x = abf.sweep(s)[c]
            y = atf.sweep(s)[c]
            # the ATF prints 6 significant digits: half a unit in the 6th digit, at least 10**-decimals / 2
            tol = np.maximum(np.abs(y) * 5e-6, 0.5 * 10.0 ** -(decimals + 2))
            assert np.all(np.abs(x - y) <= tol * 1.0001), (s, c, float(np.abs(x - y).max()))


@pytest.mark.parametrize(
    "name", ["14o16001_vc_pair_step.abf", "2018_12_09_pCLAMP11_0001.abf", "pclamp11_4ch.abf", "user-list-durations.abf"]
)
def test_digital_outputs_equal_pyabf_sweepD(testdata: Path, name: str) -> None:
    pyabf = need("pyabf", "test")
    path = testdata / "abf" / name
    theirs = pyabf.ABF(str(path))
    traces = neurofiles.load(path)
    digital = traces.metadata["digital outputs"]
    assert digital.dtype == np.uint8 and digital.shape == (len(traces), traces.sweep_count)
    assert digital.any()
    for s in range(traces.sweep_count):
        theirs.setSweep(s, 0)
        for k in range(8):
            np.testing.assert_array_equal((digital[:, s] >> k) & 1, theirs.sweepD(k))
    window = neurofiles.load(path, t_start=traces.times[100], t_stop=traces.times[600])
    np.testing.assert_array_equal(window.metadata["digital outputs"], digital[100:600])


def test_no_digital_outputs_is_none(testdata: Path) -> None:
    assert neurofiles.load(testdata / "abf" / "18702001-step.abf").metadata["digital outputs"] is None
