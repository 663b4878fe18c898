"""Issue 16, plots: relative time, decoded rasters, tick note, ON/OFF images, empty files, traces panels."""

from __future__ import annotations

import argparse

import neurofiles
import numpy as np
import pytest

from .conftest import need, run_cli


@pytest.fixture(autouse=True)
def _matplotlib():
    need("matplotlib", "plot")


def _title(figure) -> str:
    return figure._suptitle.get_text()


def test_aedat4_raster_starts_at_zero_with_the_absolute_start_in_the_title(testdata):
    events = neurofiles.load(testdata / "aer" / "davis.aedat4")
    figure = neurofiles.plot(events, kind="raster")
    ax = figure.axes[0]
    left, right = ax.get_xlim()
    assert left == pytest.approx(0.0, abs=1e-9) and right == pytest.approx(events.duration, rel=1e-3)
    assert figure.axes[-1].get_xlabel() == "time from the first event (s)"  # below the IMU panel
    assert "start 2021-10-11 12:01:30.975950 UTC" in _title(figure)
    absolute = neurofiles.plot(events, kind="raster", relative=False).axes
    assert absolute[0].get_xlim()[0] > 1.6e9 and absolute[-1].get_xlabel() == "time (s)"


def test_davis_raster_plots_pixels_with_the_imu_apart(testdata):
    events = neurofiles.load(testdata / "aer" / "IMU_translBoxes.aedat")
    figure = neurofiles.plot(events, kind="raster")
    raster, imu = figure.axes[:2]
    assert raster.get_ylabel() == "pixel index (y x 240 + x)"
    ids = np.concatenate([c.get_offsets()[:, 1] for c in raster.collections])
    assert ids.max() < 240 * 180 and len(ids) == 162771  # IMU words (bit 31) are not in the raster
    assert [t.get_text() for t in raster.get_legend().get_texts()] == ["ON", "OFF"]
    assert imu.get_ylabel().startswith("IMU accelerometer") and len(imu.lines) == 3


def test_a_guessed_tick_is_said_in_the_title(testdata, tmp_path):
    events = neurofiles.load(testdata / "aer" / "sound_mono_32ch_ONOFF_addr2b_ts02.aedat")
    assert "tick not stated by the file: 1e-06 s assumed" in _title(neurofiles.plot(events))
    stated = neurofiles.load(testdata / "aer" / "alex_walking_again.aedat")
    assert "tick" not in _title(neurofiles.plot(stated))


def test_event_images_separate_on_and_off_with_integer_colourbars(testdata):
    figure = neurofiles.plot(neurofiles.load(testdata / "aer" / "davis.aedat4"))
    images = [ax for ax in figure.axes if ax.images]
    assert [ax.get_title().split(" (")[0] for ax in images] == ["ON events", "OFF events"]
    bars = [ax for ax in figure.axes if not ax.images]
    assert len(bars) == 2
    for bar in bars:
        ticks = [t for t in bar.get_yticks() if bar.get_ylim()[0] <= t <= bar.get_ylim()[1]]
        assert ticks and all(float(t).is_integer() for t in ticks)


def test_an_empty_file_says_no_events(testdata, tmp_path):
    empty = neurofiles.load(testdata / "aer" / "sample_aedat_header.aedat")
    figure = neurofiles.plot(empty, title="x")
    assert _title(figure) == "x: no events" and figure.axes[0].texts[0].get_text() == "no events"
    assert not figure.axes[0].images
    proc = run_cli("plot", str(testdata / "aer" / "sample_aedat_header.aedat"), "-o", str(tmp_path / "e.png"))
    assert proc.returncode == 0 and (tmp_path / "e.png").stat().st_size > 1000


def test_an_index_plot_is_titled_with_the_recording(testdata, tmp_path, monkeypatch):
    from neurofiles._commandline import data as _cli_data
    from neurofiles._frontend import plot as _plot

    seen = {}
    original = _plot.plot

    def spy(data, **kw):
        seen.update(kw)
        return original(data, **kw)

    monkeypatch.setattr(_plot, "plot", spy)
    args = argparse.Namespace(
        path=str(testdata / "aer" / "synthetic_pair.aeidx"), output=str(tmp_path / "i.png"), format=None,
        option=None, t_start=None, t_stop=None, kind="auto", layout=None, recording=1, title=None,
        absolute_time=False, dpi=50,
    )
    _cli_data.run_plot(args)
    assert seen["title"] == "rotated_cam255_right_clamp_test1.aedat (recording 1 of synthetic_pair.aeidx)"
    proc = run_cli("plot", args.path, "-o", str(tmp_path / "j.png"), "--recording", "5")
    assert proc.returncode == 1 and "--recording 5: the index lists 2 recording(s)" in proc.stderr


def test_few_sweeps_get_a_legend_many_a_colour_scale(testdata):
    few = neurofiles.plot(neurofiles.load(testdata / "atf" / "18702001-step.atf"))
    assert len(few.axes[0].get_legend().get_texts()) == 3
    many = neurofiles.plot(neurofiles.load(testdata / "atf" / "model_vc_ramp.atf"))
    assert many.axes[0].get_legend() is None and len(many.axes[0].lines) == 50
    assert any(ax.get_ylabel() == "sweep" for ax in many.axes)


def test_every_channel_is_drawn(testdata):
    traces = neurofiles.load(testdata / "atf" / "TRIPPLE.atf")
    figure = neurofiles.plot(traces)
    labels = [ax.get_ylabel() for ax in figure.axes if ax.get_visible() and ax.lines]
    assert len(labels) == 11 and sorted(labels)[-1] == "Signal 10 (mV)"
    assert labels == [ax.get_ylabel() for ax in figure.axes if ax.lines]  # all in use, none hidden
    assert "11 channels" in _title(figure)


def test_the_command_waveform_has_its_own_panel(testdata):
    traces = neurofiles.load(testdata / "abf" / "pclamp11_4ch.abf")
    figure = neurofiles.plot(traces)
    visible = [ax for ax in figure.axes if ax.get_visible() and ax.lines]
    assert [ax.get_ylabel() for ax in visible[:4]] == [f"IN {i} (pA)" for i in range(4)]
    command = visible[-1]
    assert command.get_ylabel() == "command Cmd 0 (mV)" and command.get_title(loc="right") == "command waveform"
    assert len(command.lines) == traces.sweep_count and command.get_ylim() == pytest.approx((-11, 11), abs=1)
    assert command.get_xlabel() == "Time (s)" and visible[0].get_legend() is not None  # 10 sweeps: a legend


def test_a_command_waveform_the_file_does_not_hold_is_said(testdata):
    figure = neurofiles.plot(neurofiles.load(testdata / "abf" / "171116sh_0015-ATFwaveform.abf"))
    command = [ax for ax in figure.axes if ax.get_visible() and ax.lines][-1]
    assert command.texts[0].get_text() == "command waveform not stored in this file"


def test_neuron_time_axis_names_its_unit(testdata):
    figure = neurofiles.plot(neurofiles.load(testdata / "neuron" / "iclamp.dat"))
    assert figure.axes[0].get_xlabel().startswith("x (ms")
