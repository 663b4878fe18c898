"""FileView: bytes-like reads of a file by offset, equal to the bytes, safe when the file shrinks."""

from __future__ import annotations

import os
import re

import neurofiles
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from neurofiles.plugin._file_view import WINDOW, FileView
from neurofiles._framework.source import Source


def _view(tmp_path, data: bytes) -> FileView:
    path = tmp_path / "view.bin"
    path.write_bytes(data)
    return FileView(Source(path), len(data))


@settings(max_examples=60, deadline=None)
@given(
    data=st.binary(min_size=0, max_size=3 * WINDOW + 10).map(lambda b: b.replace(b"\n", b"x")),
    newlines=st.lists(st.integers(0, 3 * WINDOW + 9), max_size=5),
    start=st.integers(-5, 3 * WINDOW + 20),
    end=st.one_of(st.none(), st.integers(0, 3 * WINDOW + 20)),
)
def test_slices_find_rfind_search_equal_bytes(tmp_path_factory, data, newlines, start, end) -> None:
    buf = bytearray(data)
    for at in newlines:
        if at < len(buf):
            buf[at : at + 1] = b"\n"
    data = bytes(buf)
    view = _view(tmp_path_factory.mktemp("v"), data)
    assert len(view) == len(data)
    assert view[start:end] == data[start:end]
    lo = max(start, 0)
    assert view.find(b"\n", lo, end) == data.find(b"\n", lo, end)
    assert view.rfind(b"\n", lo, end) == data.rfind(b"\n", lo, end)
    assert view.find(b"x\n", lo, end) == data.find(b"x\n", lo, end)
    match = re.compile(rb"\n").search(data, lo)
    assert view.search(re.compile(rb"\n"), lo) == (-1 if match is None else match.start())


def test_a_shrunk_file_is_a_truncated_file_error_not_a_crash(tmp_path) -> None:
    view = _view(tmp_path, b"line\n" * 50_000)
    assert view[:5] == b"line\n"
    os.truncate(tmp_path / "view.bin", 1000)
    with pytest.raises(neurofiles.TruncatedFileError) as info:
        view[2 * WINDOW : 2 * WINDOW + 10]
    assert info.value.offset == 1000 and "view.bin" in str(info.value)


def test_only_plain_slices(tmp_path) -> None:
    view = _view(tmp_path, b"abc")
    with pytest.raises(TypeError):
        view[::2]
    with pytest.raises(TypeError):
        view[0]  # type: ignore[index]
    assert "3 bytes" in repr(view)


def test_finding_line_ends_one_after_the_other_reads_each_window_once(tmp_path) -> None:
    # the line scan of text headers: before, every find() read a new 64 KiB window from its
    # start (one open and read per line: 30 s of CPU for 400,000 ATF lines of tabs)
    data = b"\t\t\n" * 100_000
    view = _view(tmp_path, data)
    opens = 0
    real_open = view.open

    def counting_open():  # type: ignore[no-untyped-def]
        nonlocal opens
        opens += 1
        return real_open()

    view.open = counting_open  # type: ignore[method-assign]
    pos = lines = 0
    while (end := view.find(b"\n", pos)) >= 0:
        pos, lines = end + 1, lines + 1
    assert lines == 100_000
    assert opens <= 2 * (len(data) // WINDOW + 1)
