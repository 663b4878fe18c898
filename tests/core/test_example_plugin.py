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
