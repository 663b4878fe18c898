"""Progress bars: silent off a terminal, drawn when forced, switchable library-wide."""

from __future__ import annotations

import io

import pytest

from neurofiles.plugin import _progress
from neurofiles.plugin._progress import Progress, progress, set_progress


class FakeTTY(io.StringIO):
    def isatty(self) -> bool:
        return True


@pytest.fixture(autouse=True)
def reset(monkeypatch):
    monkeypatch.delenv("NEUROFILES_PROGRESS", raising=False)
    monkeypatch.setattr(_progress, "MIN_SECONDS", 0.0)
    monkeypatch.setattr(_progress, "REFRESH_SECONDS", 0.0)
    yield
    set_progress(None)


def test_silent_when_not_a_terminal():
    stream = io.StringIO()
    with Progress(10, "load", stream=stream) as bar:
        bar.update(10)
    assert stream.getvalue() == ""


def test_drawn_on_a_terminal_with_percentage_and_newline():
    stream = FakeTTY()
    with Progress(4, "convert", " ev", stream=stream) as bar:
        for _ in range(4):
            bar.update()
    out = stream.getvalue()
    assert out.startswith("\rconvert [") and "100.0%" in out and "4/4 ev" in out and out.endswith("\n")


def test_library_switch_and_environment_turn_it_off(monkeypatch):
    set_progress(False)
    stream = FakeTTY()
    with Progress(2, "x", stream=stream) as bar:
        bar.update(2)
    assert stream.getvalue() == ""
    set_progress(None)
    monkeypatch.setenv("NEUROFILES_PROGRESS", "0")
    assert not Progress(1, "x", stream=FakeTTY()).enabled
    monkeypatch.setenv("NEUROFILES_PROGRESS", "1")
    assert Progress(1, "x", stream=io.StringIO()).enabled


def test_progress_yields_every_item_unchanged(capsys):
    set_progress(True)
    assert list(progress(range(5), desc="items")) == [0, 1, 2, 3, 4]
    assert "5/5" in capsys.readouterr().err
