"""The selection rules: explicit format, magic, sniff, extension, refusals, ties, errors."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from neurofiles import (
    AmbiguousFormatError,
    FormatMismatchError,
    MissingDependencyError,
    MissingOptionError,
    NoReaderError,
    OptionError,
    PluginWarning,
    UnknownFormatError,
)
from neurofiles._framework.select import open_reader, rank
from neurofiles._framework.source import Source

from .conftest import make_registry


def choose(registry, path, **kw):
    reader, detection = open_reader(registry, Source(path, registry.header_size), **kw)
    return reader, detection


def write(tmp_path: Path, name: str, data: bytes) -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


def test_magic_beats_extension(registry, tmp_path):
    path = write(tmp_path, "x.num", b"ALPH0000")
    reader, detection = choose(registry, path)
    assert detection.format == "alpha"
    assert detection.reason.startswith("magic")


def test_magic_at_offset_is_found(registry, tmp_path):
    path = write(tmp_path, "x.bin", b"\x00\x00\x00\x00LATE")
    assert choose(registry, path)[1].format == "alpha-late"


def test_sniff_beats_weaker_sniff_and_names_confidence(registry, tmp_path):
    path = write(tmp_path, "x.dat", b"1 2\n3 4\n")
    reader, detection = choose(registry, path)
    assert detection.format == "digits"
    assert "0.80" in detection.reason
    assert [c.spec.name for c in detection.candidates] == ["digits", "digits-weak"]


def test_sniff_runs_for_unclaimed_extension(registry, tmp_path):
    path = write(tmp_path, "values.txt", b"12 13\n")
    assert choose(registry, path)[1].format == "digits"


def test_sniff_rejection_is_reported(registry, tmp_path):
    path = write(tmp_path, "x.dat", b"\x00\x01binary")
    with pytest.raises(NoReaderError) as info:
        choose(registry, path)
    reasons = dict(info.value.rejections)
    assert reasons["digits"] == "content sniff did not recognise the file"
    assert str(path) in str(info.value)


def test_longest_suffix_wins(registry, tmp_path):
    path = write(tmp_path, "archive.tar.gz", b"\x1f\x8b")
    assert choose(registry, path)[1].format == "targz"
    path = write(tmp_path, "single.gz", b"\x1f\x8b")
    assert choose(registry, path)[1].format == "gz"


def test_extension_is_case_insensitive(registry, tmp_path):
    path = write(tmp_path, "UPPER.TAR.GZ", b"z")
    assert choose(registry, path)[1].format == "targz"


def test_refusal_falls_through_to_next_candidate(registry, tmp_path):
    path = write(tmp_path, "x.ref", b"anything")
    reader, detection = choose(registry, path)
    assert detection.format == "accepter"
    assert ("refuser", "refused: this reader refuses every file") in detection.rejections


def test_explicit_format_wins_and_never_falls_back(registry, tmp_path):
    path = write(tmp_path, "x.alp", b"ALPH")
    assert choose(registry, path, format="gz")[1].format == "gz"
    with pytest.raises(FormatMismatchError, match="refuses every file") as info:
        choose(registry, path, format="refuser")
    assert isinstance(info.value, ValueError)


def test_unknown_format_suggests(registry, tmp_path):
    path = write(tmp_path, "x.alp", b"ALPH")
    with pytest.raises(UnknownFormatError, match="Did you mean 'alpha'") as info:
        choose(registry, path, format="alhpa")
    assert "alpha" in info.value.known


def test_tie_without_magic_is_ambiguous():
    registry = make_registry("twins_plugin")
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        path = write(Path(tmp), "x.num", b"1 2 3\n")
        with pytest.raises(AmbiguousFormatError, match="format='twin-a'") as info:
            choose(registry, path)
    assert set(info.value.candidates) == {"twin-a", "twin-b"}


def test_no_reader_lists_candidates_preview_and_hint(registry, tmp_path):
    path = write(tmp_path, "mystery.xyz", b"\x89PNG\r\n\x1a\n rest")
    with pytest.raises(NoReaderError) as info:
        choose(registry, path)
    message = str(info.value)
    assert "89 50 4e 47" in message and "|.PNG" in message
    assert "neurofiles.formats()" in message
    assert {name for name, _ in info.value.rejections} >= {"alpha", "gz", "accepter"}


def test_options_reach_the_reader_and_unknown_options_are_refused(registry, tmp_path):
    path = write(tmp_path, "x.alp", b"ALPH")
    reader, _ = choose(registry, path, options={"scale": 2.5})
    assert reader.read()["scale"] == 2.5
    with pytest.raises(OptionError, match="does not take option"):
        choose(registry, path, format="alpha", options={"scael": 1})
    with pytest.raises(NoReaderError, match="does not take option"):
        choose(registry, path, options={"scael": 1})


def test_real_bug_in_reader_propagates(registry, tmp_path):
    path = write(tmp_path, "x.bug", b"data")
    reader, _ = choose(registry, path)
    with pytest.raises(ZeroDivisionError):
        reader.read()


def test_file_object_source(registry):
    stream = io.BytesIO(b"ALPH payload")
    stream.seek(0)
    reader, detection = open_reader(registry, Source(stream, registry.header_size))
    assert detection.format == "alpha"
    assert reader.read()["size"] == len(b"ALPH payload")


def test_buggy_sniff_warns_and_others_still_work(tmp_path):
    with pytest.warns(PluginWarning, match="sniff"):
        registry = make_registry("formats_plugin", "sniff_bug_plugin")
        path = write(tmp_path, "x.dat", b"1 2\n")
        assert choose(registry, path)[1].format == "digits"


def test_rank_orders_magic_then_sniff_then_extension(registry, tmp_path):
    path = write(tmp_path, "x.dat", b"ALPH")
    candidates, _ = rank(registry, Source(path))
    assert [c.tier for c in candidates] == sorted((c.tier for c in candidates), reverse=True)
    assert candidates[0].spec.name == "alpha"


def test_explicit_only_format_is_never_detected_but_can_be_forced(registry, tmp_path):
    path = write(tmp_path, "raw.bin", b"\x00" * 16)
    with pytest.raises(NoReaderError) as info:
        choose(registry, path)
    assert dict(info.value.rejections)["rawonly"] == "chosen only explicitly, with format='rawonly'"
    assert choose(registry, path, format="rawonly")[1].format == "rawonly"


# -- plugin-author bugs (issue 12) ----------------------------------------------------------------


def test_sniff_module_missing_dependency_warns_and_is_a_missing_dependency_error(tmp_path):
    """Every plausible format unavailable: MissingDependencyError with the hint, and a PluginWarning."""
    registry = make_registry("sniff_missing_plugin")
    path = write(tmp_path, "x.nd", b"anything")
    with pytest.warns(PluginWarning, match=r"sniff no_such_module_for_sniff:sniff of format 'nodep'.*cannot be imported"):
        with pytest.raises(MissingDependencyError, match="pip install no-such-module"):
            choose(registry, path)


def test_sniff_module_missing_does_not_hide_a_reader_that_works(tmp_path):
    registry = make_registry("formats_plugin", "sniff_missing_plugin")
    path = write(tmp_path, "x.alp", b"ALPH")
    assert choose(registry, path)[1].format == "alpha"  # the .nd sniff is never imported for .alp


def test_sniff_module_with_import_bug_warns_and_scores_zero(tmp_path):
    registry = make_registry("sniff_missing_plugin")
    path = write(tmp_path, "x.ib", b"anything")
    with pytest.warns(PluginWarning, match=r"format 'sniffimportbug'.*NameError: a typo at import time"):
        with pytest.raises(NoReaderError):
            choose(registry, path)


def test_sniff_warning_points_at_the_callers_line(tmp_path):
    import neurofiles
    import warnings

    registry = make_registry("formats_plugin", "sniff_bug_plugin")
    path = write(tmp_path, "x.dat", b"1 2\n")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        choose(registry, path)
    assert [w.filename for w in caught if w.category is PluginWarning] == [__file__]
    assert neurofiles  # the helper above is this file, not core/_select.py


def test_reader_needing_an_option_says_so(tmp_path):
    registry = make_registry("needs_option_plugin")
    path = write(tmp_path, "x.opt", b"data")
    with pytest.raises(MissingOptionError, match=r"x\.opt: .*pass layout='a'") as info:
        choose(registry, path)
    assert info.value.options == ("layout",) and isinstance(info.value, OptionError)
    assert choose(registry, path, options={"layout": "b"})[0].read() == "b"
    with pytest.raises(MissingOptionError):
        choose(registry, path, format="needsopt")
