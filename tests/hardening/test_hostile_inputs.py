"""Hostile inputs: each gives a typed error (or a valid result) fast, within bounded memory.

The matrix of input -> outcome is mirrored in spec/hardening.md.
"""

from __future__ import annotations

import os
import struct
import subprocess
import sys
import textwrap
import time
import tracemalloc
import warnings
from pathlib import Path

import neurofiles
import pytest
from neurofiles import NeurofilesError

MAX_SECONDS = 5.0
MAX_PEAK_BYTES = 64 * 2**20


def outcome(path: Path, **options) -> str:
    """Load under a time and memory bound; return 'ok' or the error type name."""
    tracemalloc.start()
    start = time.perf_counter()
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            neurofiles.load(path, **options)
        result = "ok"
    except NeurofilesError as exc:
        result = type(exc).__name__
    finally:
        elapsed = time.perf_counter() - start
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
    assert elapsed < MAX_SECONDS, f"{path.name}: {elapsed:.1f} s"
    assert peak < MAX_PEAK_BYTES, f"{path.name}: peak {peak / 2**20:.0f} MiB"
    return result


def write(tmp_path: Path, name: str, data: bytes) -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


# --- huge declared counts: refused before allocating -----------------------------------------

def test_atf_header_record_count_of_10_to_12(tmp_path):
    path = write(tmp_path, "huge.atf", b'ATF\t1.0\n1000000000000\t2\n"Time (s)"\t"Trace #1 (mV)"\n0\t1\n')
    assert outcome(path) in {"CorruptFileError", "LimitExceededError", "TruncatedFileError"}


def test_atf_column_count_of_10_to_12(tmp_path):
    path = write(tmp_path, "wide.atf", b'ATF\t1.0\n0\t1000000000000\n"Time (s)"\t"Trace #1 (mV)"\n0\t1\n')
    assert outcome(path) in {"CorruptFileError", "LimitExceededError"}


def test_neuron_count_line_of_10_to_15(tmp_path):
    # a count no file of this size could hold is refused outright, naming the line
    path = write(tmp_path, "huge.dat", b"label:v\n1000000000000000\n0\t1\n1\t2\n")
    with pytest.raises(neurofiles.LimitExceededError, match="line 2"):
        neurofiles.load(path)
    # a plausible but wrong count is reported and every row found is kept
    path = write(tmp_path, "off.dat", b"label:v\n3\n0\t1\n1\t2\n")
    with pytest.warns(neurofiles.FormatWarning):
        traces = neurofiles.load(path)
    assert traces.values.shape == (2, 1)
    assert outcome(path, strict=True) == "CorruptFileError"


def test_neuron_vwrite_count_past_end_of_file(tmp_path):
    path = write(tmp_path, "v.dat", struct.pack("<ii", 2**31 - 1, 4) + b"\x00" * 64)
    assert outcome(path, format="neuron-vwrite") in {
        "CorruptFileError", "TruncatedFileError", "LimitExceededError", "FormatMismatchError"
    }


def _aedat31_packet(event_type: int, size: int, capacity: int, number: int) -> bytes:
    return struct.pack("<hhiiiiii", event_type, 0, size, 4, 0, capacity, number, number)


def test_aedat31_packet_capacity_past_end_of_file(tmp_path):
    header = b"#!AER-DAT3.1\r\n#Format: RAW\r\n#!END-HEADER\r\n"
    body = _aedat31_packet(1, 8, 2**30, 2**30) + b"\x00" * 16
    assert outcome(write(tmp_path, "big.aedat", header + body)) in {
        "CorruptFileError", "TruncatedFileError", "LimitExceededError", "ok"
    }


def test_aedat4_ioheader_size_past_end_of_file(tmp_path):
    path = write(tmp_path, "big.aedat4", b"#!AER-DAT4.0\r\n" + struct.pack("<I", 2**31) + b"\x00" * 32)
    assert outcome(path) in {"CorruptFileError", "TruncatedFileError", "LimitExceededError"}


def test_aedat4_flatbuffer_offsets_pointing_anywhere(tmp_path):
    body = struct.pack("<I", 2**31 - 1) + b"IOHE" + b"\xff" * 56
    path = write(tmp_path, "wild.aedat4", b"#!AER-DAT4.0\r\n" + struct.pack("<I", len(body)) + body)
    assert outcome(path) in {"CorruptFileError", "TruncatedFileError", "LimitExceededError"}


# --- empty and odd files -----------------------------------------------------------------------

@pytest.mark.parametrize("name", ["empty.aedat", "empty.dat", "empty.atf", "empty.aeidx", "empty.aedat4"])
def test_zero_byte_files(tmp_path, name):
    result = outcome(write(tmp_path, name, b""))
    assert result != "MemoryError"


@pytest.mark.parametrize("name", ["x.aedat", "x.dat", "x.atf", "x.aeidx", "x.aedat4"])
def test_binary_garbage_with_every_extension(tmp_path, name):
    outcome(write(tmp_path, name, os.urandom(3000)))


def test_aer_magic_followed_by_garbage(tmp_path):
    for version in (b"1.0", b"2.0", b"3.1", b"4.0", b"9.9", b"x"):
        outcome(write(tmp_path, "m.aedat", b"#!AER-DAT" + version + b"\r\n" + os.urandom(999)))


# --- .aeidx escapes ------------------------------------------------------------------------------

def _index(tmp_path: Path, *entries: str) -> Path:
    folder = tmp_path / "index"
    folder.mkdir(exist_ok=True)
    return write(folder, "list.aeidx", "".join(e + "\n" for e in entries).encode())


def test_aeidx_refuses_parent_absolute_symlink_and_itself(tmp_path):
    outside = write(tmp_path, "outside.aedat", b"#!AER-DAT2.0\r\n#End Of ASCII Header\r\n")
    (tmp_path / "index").mkdir()
    os.symlink(outside, tmp_path / "index" / "link.aedat")
    for entry in ("../outside.aedat", str(outside), "link.aedat", "list.aeidx"):
        path = _index(tmp_path, entry)
        with pytest.raises(NeurofilesError):
            neurofiles.load(path)


def test_aeidx_with_a_million_entries_is_bounded(tmp_path):
    path = _index(tmp_path, *(f"f{i}.aedat" for i in range(10**6)))
    assert outcome(path) in {"LimitExceededError", "CorruptFileError", "SourceNotFoundError", "ReadError"}


# --- files that change under the reader ---------------------------------------------------------

SHRINK = textwrap.dedent(
    """
    import os, sys, warnings
    import neurofiles
    from neurofiles._frontend.api import _registry_for
    from neurofiles._framework.select import open_reader
    from neurofiles._framework.source import Source
    path, cut, when = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    registry = _registry_for(None)
    source = Source(path, registry.header_size)
    try:
        if when == "before header":  # detected at full size, then cut before the reader scans its header
            os.truncate(path, cut)
        reader, _ = open_reader(registry, source)
        if when == "after header":
            os.truncate(path, cut)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            reader.read()
        print("ok")
    except neurofiles.NeurofilesError as exc:
        print(type(exc).__name__)
    """
)


def _generated_aedat2(tmp_path: Path, testdata: Path) -> Path:
    import numpy as np

    from neurofiles._results.events import Events

    path = tmp_path / "shrinks.aedat"
    neurofiles.save(path, Events(np.arange(200_000), addresses=np.arange(200_000) % 1000))
    return path


def _copy(name: str):
    def make(tmp_path: Path, testdata: Path) -> Path:
        import shutil

        return Path(shutil.copy(testdata / name, tmp_path / Path(name).name))

    return make


@pytest.mark.parametrize(
    "make",
    [_generated_aedat2, _copy("aer/davis.aedat4"), _copy("atf/TRIPPLE.atf"), _copy("neuron/iclamp.dat")],
    ids=["aedat2", "aedat4", "atf", "neuron-dat"],
)
@pytest.mark.parametrize("when", ["after header", "before header"])
def test_file_shrinking_while_read_does_not_crash_the_interpreter(tmp_path, testdata, make, when):
    path = make(tmp_path, testdata)
    cut = str(min(5000, path.stat().st_size // 3))
    proc = subprocess.run(
        [sys.executable, "-c", SHRINK, str(path), cut, when], capture_output=True, text=True, timeout=120
    )
    assert proc.returncode == 0, f"interpreter died (signal {-proc.returncode}): {proc.stderr[-500:]}"
    assert proc.stdout.split()[0] in {"ok", "TruncatedFileError", "CorruptFileError", "ReadError"}
