"""The one lookup: readers and writers by name, a writer by destination and data, the option check."""

from __future__ import annotations

import neurofiles
import numpy as np
import pytest
from neurofiles import AmbiguousFormatError, NoWriterError, OptionError, UnknownFormatError
from neurofiles._framework.discovery import get_registry
from neurofiles._framework.lookup import accepted_options, check_options, choose_writer, reader_by_name, writer_by_name

from .conftest import make_registry


def events() -> neurofiles.Events:
    return neurofiles.Events(np.array([1, 2], dtype=np.int64), addresses=np.array([3, 4], dtype=np.uint32))


def traces() -> neurofiles.Traces:
    return neurofiles.Traces(np.array([0.0, 0.1]), np.array([[1.0], [2.0]]))


def test_events_to_dat_says_what_was_tried_and_what_would_work():
    with pytest.raises(NoWriterError) as info:
        choose_writer(get_registry(third_party=False), "x.dat", events(), None)
    message = str(info.value)
    assert "unknown format \"(none" not in message and "(none for" not in message
    assert message.startswith("x.dat: no writer for '.dat' files takes Events (tried: neuron-dat writes Traces, tuple, ndarray).")
    assert "Formats that write Events: aedat (.aedat, .aedat2)" in message and "format=" in message
    assert "aedat" in info.value.writers and isinstance(info.value, UnknownFormatError)


def test_traces_to_aedat_says_what_was_tried_and_what_would_work(tmp_path):
    """The aedat writer takes any data it can convert, so it is tried; its refusal names the formats that fit."""
    with pytest.raises(neurofiles.UnsupportedDataError, match=r"the aedat writer takes Events.*got Traces"
                       r".*Formats that write Traces: .*neuron-dat \(\.dat\)") as info:
        neurofiles.save(tmp_path / "y.aedat", traces())
    assert isinstance(info.value, TypeError) and isinstance(info.value, ValueError)
    assert list(tmp_path.iterdir()) == []


def test_unknown_extension_and_no_extension():
    registry = get_registry(third_party=False)
    with pytest.raises(NoWriterError, match=r"^a\.xyz: no format writes '\.xyz' files\. Formats that write Traces: "):
        choose_writer(registry, "a.xyz", traces(), None)
    with pytest.raises(NoWriterError, match="no extension to choose a writer by"):
        choose_writer(registry, "noext", traces(), None)


def test_save_uses_the_lookup(tmp_path):
    with pytest.raises(NoWriterError, match="Formats that write Events"):
        neurofiles.save(tmp_path / "x.dat", events())
    assert list(tmp_path.iterdir()) == []


def test_writer_by_name_for_read_only_and_unknown_formats():
    registry = make_registry("formats_plugin")
    assert writer_by_name(registry, "text").name == "text"
    with pytest.raises(NoWriterError, match="format 'alpha' can be read but not written. Formats that write: "):
        writer_by_name(registry, "alpha")
    with pytest.raises(NoWriterError, match="Did you mean 'text'"):
        writer_by_name(registry, "texd")


def test_reader_by_name_suggests():
    registry = make_registry("formats_plugin")
    assert reader_by_name(registry, "alpha")[0].name == "alpha"
    with pytest.raises(UnknownFormatError, match="Did you mean 'alpha'"):
        reader_by_name(registry, "alpah")


def test_tie_between_writers_is_ambiguous():
    registry = make_registry("formats_plugin", "twin_writers_plugin")
    with pytest.raises(AmbiguousFormatError, match="choose one with format="):
        choose_writer(registry, "a.twin", "x", None)


def test_one_option_check():
    def writer(stream, data, *, path=None, digits=None, sep="\t"):  # noqa: ARG001
        pass

    accepted = accepted_options(writer, skip=2, exclude={"path"})
    assert accepted == {"digits", "sep"}
    check_options("writer 'w'", accepted, {"digits": 3})
    with pytest.raises(OptionError, match="writer 'w' does not take option\\(s\\) digts; it takes: digits, sep"):
        check_options("writer 'w'", accepted, {"digts": 3})
    assert accepted_options(lambda stream, data, **kw: None, skip=2) is None
    check_options("anything", None, {"whatever": 1})


@pytest.mark.parametrize(
    ("dest", "data", "format"),
    [
        ("x.dat", "not traces", "neuron-dat"),
        ("x.atf", {"a": 1}, "axon-atf"),
        ("x.npz", "text", "npz"),
        ("x.csv", [1, 2, 3], "csv"),
        ("x.aeidx", 42, "aeidx"),
        ("x.aedat", traces, None),  # replaced by Traces below
    ],
)
def test_built_in_writers_refuse_data_with_unsupported_data_error(tmp_path, dest, data, format):
    data = traces() if data is traces else data
    with pytest.raises(neurofiles.UnsupportedDataError):
        neurofiles.save(tmp_path / dest, data, format=format)
    assert list(tmp_path.iterdir()) == []
