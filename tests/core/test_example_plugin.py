"""The third-party proof: the example distribution in tests/example_plugin, installed for real."""

from __future__ import annotations

import io

import neurofiles
import numpy as np
import pytest

from tests.conftest import require_example_plugin


@pytest.fixture(scope="module", autouse=True)
def example_installed() -> None:
    require_example_plugin()


def spikes():
    from neurofiles_example._spikes import SpikeList

    return SpikeList(np.array([3, 1, 2]), np.array([0.5, 0.25, 1.0 / 3.0]))


def test_formats_lists_the_third_party_format_and_its_distribution():
    info = {f.name: f for f in neurofiles.formats()}["spikes"]
    assert info.distribution == "neurofiles-example" and info.version == "1.0.0"
    assert info.can_read and info.can_write and info.extensions == (".spk",)


def test_save_then_load_dispatches_to_the_plugin(tmp_path):
    path = tmp_path / "run.spk"
    neurofiles.save(path, spikes())
    loaded = neurofiles.load(path)
    assert type(loaded).__name__ == "SpikeList"
    np.testing.assert_array_equal(loaded.indices, [3, 1, 2])
    assert loaded.times.tolist() == [0.5, 0.25, 1.0 / 3.0]  # repr round-trips float64 exactly


def test_magic_finds_it_whatever_the_extension(tmp_path):
    path = tmp_path / "renamed.txt"
    neurofiles.save(path, spikes(), format="spikes")
    detection = neurofiles.detect(path)
    assert detection.format == "spikes" and detection.reason.startswith("magic")


def test_options_and_file_objects(tmp_path):
    stream = io.BytesIO()
    neurofiles.save(stream, spikes(), format="spikes")
    stream.seek(0)
    loaded = neurofiles.load(stream, scale=2.0)
    assert loaded.times[0] == 1.0
    with pytest.raises(neurofiles.OptionError, match="scale"):
        neurofiles.save(tmp_path / "x.spk", spikes(), scale=3)


def test_reader_errors_name_file_and_line(tmp_path):
    path = tmp_path / "bad.spk"
    path.write_bytes(b"#SPIKES 1\n1,0.5\nnot a row\n")
    with pytest.raises(neurofiles.CorruptFileError, match=r"bad\.spk: line 3: expected") as info:
        neurofiles.load(path)
    assert info.value.line == 3


def test_disabling_the_plugin_by_name(monkeypatch, tmp_path):
    path = tmp_path / "run.spk"
    neurofiles.save(path, spikes())
    monkeypatch.setenv("NEUROFILES_DISABLED_PLUGINS", "example-spikes")
    neurofiles.refresh_plugins()
    try:
        assert "spikes" not in {f.name for f in neurofiles.formats()}
        try:  # another reader may take it by content, but never the disabled one
            assert neurofiles.detect(path).format != "spikes"
        except neurofiles.NoReaderError:
            pass
    finally:
        monkeypatch.delenv("NEUROFILES_DISABLED_PLUGINS")
        neurofiles.refresh_plugins()
    assert neurofiles.load(path).indices.tolist() == [3, 1, 2]


# -- the hard case: a sniffed format sharing .dat with other formats, sniffed on unclaimed .txt -------

AMPLI = b"% AMPLI trace v1\n% dt = 0.5 s\n% channels = Vm (mV), Im (pA)\n-65\t12.5\n-64.5\t12\n-64\t11.5\n"


def test_sniffed_format_is_chosen_by_content_on_a_shared_extension(tmp_path):
    for name in ("run.dat", "run.txt"):
        path = tmp_path / name
        path.write_bytes(AMPLI)
        detection = neurofiles.detect(path)
        assert detection.format == "ampli" and detection.reason.startswith("sniff"), detection
        traces = neurofiles.load(path)
        assert traces.columns == ["Vm", "Im"] and traces.units == ["mV", "pA"]
        assert traces.times.tolist() == [0.0, 0.5, 1.0] and traces.values[:, 1].tolist() == [12.5, 12.0, 11.5]


def test_sniffed_format_does_not_steal_other_files_with_its_extension(testdata):
    from tests.conftest import SAMPLES, SPEC

    assert neurofiles.detect(SAMPLES / "neuron_clipboard.dat").format == "neuron-dat"
    # .txt is left unclaimed, so NEURON's own sniff still finds its PrintWindowManager exports
    assert neurofiles.detect(SPEC / "vectors" / "neuron" / "pwm_ascii.txt").format == "neuron-dat"
    assert neurofiles.detect(SAMPLES / "dvs128_small.aedat").format == "aedat"


def test_mine_but_needs_an_option(tmp_path):
    path = tmp_path / "nodt.txt"
    path.write_bytes(AMPLI.replace(b"% dt = 0.5 s\n", b""))
    with pytest.raises(neurofiles.MissingOptionError, match=r"nodt\.txt: .*pass dt=") as info:
        neurofiles.load(path)
    assert info.value.options == ("dt",)
    assert neurofiles.load(path, dt=0.25).times.tolist() == [0.0, 0.25, 0.5]


def test_writer_refuses_data_it_cannot_write_and_writes_nothing(tmp_path):
    events = neurofiles.Events(np.array([1, 2], dtype=np.int64), addresses=np.array([0, 1], dtype=np.uint32))
    target = tmp_path / "x.txt"
    with pytest.raises(neurofiles.UnsupportedDataError, match="takes Traces, got Events"):
        neurofiles.save(target, events, format="ampli")
    uneven = neurofiles.Traces(np.array([0.0, 1.0, 3.0]), np.zeros((3, 1)))
    with pytest.raises(neurofiles.UnsupportedDataError, match="evenly"):
        neurofiles.save(target, uneven, format="ampli")
    assert not target.exists() and list(tmp_path.iterdir()) == []


def test_sniffed_format_round_trips_and_reports_bad_lines(tmp_path):
    traces = neurofiles.Traces(np.arange(4) * 0.1 + 2.0, np.array([[1.5], [2.5], [3.5], [4.5]]), ["V"], ["mV"])
    path = tmp_path / "r.txt"
    neurofiles.save(path, traces)
    again = neurofiles.load(path)
    np.testing.assert_allclose(again.times, traces.times, rtol=1e-12)
    assert again.values.tolist() == traces.values.tolist() and again.units == ["mV"]
    path.write_bytes(path.read_bytes() + b"1.0\tnot-a-number\n")
    with pytest.raises(neurofiles.CorruptFileError, match=r"r\.txt: line 9"):
        neurofiles.load(path)


def test_sniff_module_is_light():
    import json
    import subprocess
    import sys

    code = (
        "import sys, json\n"
        "from neurofiles_example._ampli_sniff import sniff_ampli\n"
        "print(json.dumps([m for m in ('numpy', 'neurofiles_example._ampli') if m in sys.modules]))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert json.loads(out) == []


def test_example_plugin_uses_only_the_public_api():
    from tests.conftest import REPO
    from tests.core.test_plugin_api import private_imports

    assert private_imports(REPO / "tests" / "example_plugin" / "src") == []
