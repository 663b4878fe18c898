"""Plots of a real AER file and a real ATF file: written, non-blank, with real structure and units."""

from __future__ import annotations

import subprocess
import sys

import neurofiles
import numpy as np
import pytest

from .conftest import assert_clean_failure, need, run_cli


def _image_stats(path):
    from matplotlib.image import imread

    rgb = imread(path)[..., :3]
    grey = rgb.mean(axis=2)
    background = np.median(grey)
    return float(grey.var()), float(np.mean(np.abs(grey - background) > 0.1))


def test_dvs_accumulation_image_shows_the_walker(testdata, tmp_path):
    need("matplotlib", "plot")
    events = neurofiles.load(testdata / "aer" / "alex_walking_again.aedat")
    figure = neurofiles.plot(events, title="alex")
    ax = figure.axes[0]
    assert (ax.get_xlabel(), ax.get_ylabel()) == ("x (pixel)", "y (pixel)")
    counts = np.asarray(ax.images[0].get_array())
    decoded = events.decode("dvs128")
    on, off = (np.asarray(ax.images[0].get_array()) for ax in figure.axes if ax.images)
    assert on.sum() == decoded.polarity.sum() and off.sum() == len(decoded) - decoded.polarity.sum()
    counts = on + off
    assert counts.shape == (128, 128) and counts.sum() == len(decoded)
    # a person walks through the middle of the field: the centre columns fire far more than the edges
    assert counts[:, 40:70].mean() > 5 * counts[:, 95:].mean()
    out = tmp_path / "alex.png"
    figure.savefig(out)
    variance, inked = _image_stats(out)
    assert variance > 0.01 and inked > 0.08  # ON (reds) and OFF (blues) panels start from white


def test_raster_of_headerless_cochlea_file(testdata, tmp_path):
    need("matplotlib", "plot")
    path = testdata / "aer" / "sound_mono_32ch_ONOFF_addr2b_ts02.aedat"
    out = tmp_path / "nas.png"
    proc = run_cli("plot", str(path), "-o", str(out))
    assert proc.returncode == 0, proc.stderr
    figure = neurofiles.plot(neurofiles.load(path))
    ax = figure.axes[0]
    assert (ax.get_xlabel(), ax.get_ylabel()) == ("time from the first event (s)", "address")
    offsets = ax.collections[0].get_offsets()
    assert len(offsets) == 49864 and offsets[:, 1].max() == 63
    variance, inked = _image_stats(out)
    assert variance > 0.005 and inked > 0.02


def test_atf_traces_have_units_and_every_sweep(testdata, tmp_path):
    need("matplotlib", "plot")
    path = testdata / "atf" / "18702001-step.atf"
    out = tmp_path / "step.png"
    proc = run_cli("plot", str(path), "-o", str(out), "--title", "step")
    assert proc.returncode == 0, proc.stderr
    traces = neurofiles.load(path)
    figure = neurofiles.plot(traces)
    current, command = figure.axes[0], figure.axes[1]
    assert current.get_ylabel() == "IN 0 (pA)" and command.get_ylabel() == "IN 1 (A)"
    assert command.get_xlabel() == "Time (s)"
    assert len(current.lines) == 3 and len(command.lines) == 3
    # three different step amplitudes on the second channel
    plateaus = sorted(float(np.median(line.get_ydata()[8000:14000])) for line in command.lines)
    assert plateaus[0] < plateaus[1] < plateaus[2]
    variance, inked = _image_stats(out)
    assert variance > 0.002 and inked > 0.01
    assert out.stat().st_size > 20000


def test_a_results_table_is_refused(testdata):
    need("matplotlib", "plot")
    with pytest.raises(neurofiles.OptionError, match="table of results.*not a time series"):
        neurofiles.plot(neurofiles.load(testdata / "atf" / "test.atf"))


def test_kind_and_layout_options(testdata):
    need("matplotlib", "plot")
    events = neurofiles.load(testdata / "aer" / "alex_walking_again.aedat")
    assert neurofiles.plot(events, kind="raster").axes[0].get_ylabel() == "pixel index (y x 128 + x)"
    nas = neurofiles.load(testdata / "aer" / "sound_mono_32ch_ONOFF_addr2b_ts02.aedat")
    with pytest.raises(ValueError, match="layout="):
        neurofiles.plot(nas, kind="image")
    with pytest.raises(ValueError, match="Traces"):
        neurofiles.plot(events, kind="traces")


def test_without_matplotlib_the_hint_names_the_extra(tmp_path):
    sample = tmp_path / "s.npz"
    neurofiles.save(sample, neurofiles.Events([1, 2], addresses=[3, 4]))
    code = (
        "import sys; sys.modules['matplotlib'] = None; sys.modules['matplotlib.figure'] = None\n"
        "from neurofiles._commandline.main import main\n"
        f"sys.exit(main(['plot', {str(sample)!r}, '-o', 'x.png']))\n"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code], check=False, capture_output=True, text=True, timeout=60, cwd=tmp_path
    )
    assert_clean_failure(proc, "plot")
    assert 'pip install "neurofiles[plot]"' in proc.stderr
    assert not (tmp_path / "x.png").exists()
