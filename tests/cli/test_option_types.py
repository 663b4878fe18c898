"""``-O``/``-W`` values are converted by the type the reader or writer declares, not guessed.

``-W subject_id=001`` used to reach the NWB writer as the integer 1.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Optional, Union

import numpy as np
from neurofiles._framework.options import guess_option, typed_options

from tests.cli.conftest import need, run_cli


def _declares(
    text: str,
    number: int,
    ratio: float | None,
    flag: bool,
    folder: Union[str, Path, bool, None],
    either: "int | str",
    maybe: Optional[int],
    anything: Any,
    bare,  # type: ignore[no-untyped-def]
) -> None:
    """A callee with declared option types."""


def test_typed_options_convert_by_the_declared_type() -> None:
    got = typed_options(
        _declares,
        {
            "text": "001", "number": "007", "ratio": "1e3", "flag": "yes", "folder": "false",
            "either": "08", "maybe": "none", "anything": "0042", "bare": "true", "unknown": "010",
        },
    )
    assert got == {
        "text": "001", "number": 7, "ratio": 1000.0, "flag": True, "folder": False,
        "either": 8, "maybe": None, "anything": 42, "bare": True, "unknown": 10,
    }
    assert type(got["ratio"]) is float and type(got["number"]) is int
    assert typed_options(_declares, {"text": "true", "folder": "007", "number": "abc"}) == {
        "text": "true", "folder": "007", "number": "abc",  # a bad int is left for the callee to refuse
    }
    assert guess_option("001") == 1 and guess_option("null") is None


def test_runtime_annotations_too() -> None:
    def callee(a: object, b: object, c: object, d: object) -> None:
        """Annotations evaluated at run time (a plugin without ``from __future__ import annotations``)."""

    callee.__annotations__ = {"a": Optional[str], "b": int, "c": Union[float, None], "d": bool}
    assert typed_options(callee, {"a": "001", "b": "002", "c": "3", "d": "off"}) == {
        "a": "001", "b": 2, "c": 3.0, "d": False,
    }


def test_cli_keeps_the_text_of_a_string_reader_option(testdata: Path, tmp_path: Path) -> None:
    # stimulus_folder is declared str | PathLike | bool | None: "007" is a folder name, not 7
    source = testdata / "abf" / "171116sh_0015-ATFwaveform.abf"
    proc = run_cli("info", str(source), "-O", "stimulus_folder=007", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    proc = run_cli("info", str(source), "-O", "stimulus_folder=false", "-O", "t_start=0.5", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr


def test_cli_writer_options_keep_leading_zeros(testdata: Path, tmp_path: Path) -> None:
    pynwb = need("pynwb", "nwb")
    out = tmp_path / "x.nwb"
    proc = run_cli(
        "convert", str(testdata / "abf" / "18702001-step.abf"), str(out),
        "-W", "subject_id=001", "-W", "species=Mus musculus", "-W", "age=P0090D", "-W", "cell_id=0",
    )
    assert proc.returncode == 0, proc.stderr
    with pynwb.NWBHDF5IO(str(out), "r") as io:
        nwb = io.read()
        assert nwb.subject.subject_id == "001"
        assert nwb.subject.age == "P0090D"


def test_cli_bool_writer_option_still_a_bool(testdata: Path, tmp_path: Path) -> None:
    out = tmp_path / "x.npz"
    proc = run_cli("convert", str(testdata / "abf" / "18702001-step.abf"), str(out), "-W", "compress=true")
    assert proc.returncode == 0, proc.stderr
    import zipfile

    with zipfile.ZipFile(out) as z:
        assert all(i.compress_type == zipfile.ZIP_DEFLATED for i in z.infolist())
    assert np.load(out, allow_pickle=False) is not None


def test_a_flag_that_is_not_a_boolean_word_is_refused() -> None:
    import pytest
    from neurofiles import OptionError

    with pytest.raises(OptionError, match="option flag takes true/false.*'maybe'"):
        typed_options(_declares, {"flag": "maybe"})


def test_cli_refuses_a_bool_writer_option_that_is_no_boolean(testdata: Path, tmp_path: Path) -> None:
    # "maybe" used to reach write_npz as a truthy string: a compressed archive nobody asked for
    out = tmp_path / "x.npz"
    proc = run_cli("convert", str(testdata / "abf" / "18702001-step.abf"), str(out), "-W", "compress=maybe")
    assert proc.returncode != 0 and "compress" in proc.stderr and "maybe" in proc.stderr, proc.stderr
    assert not out.exists()
