"""How the CLI fails: usage errors exit 2, every failure names its file, nothing partial is written."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys

import neurofiles
import pytest

from .conftest import SAMPLES, assert_clean_failure, need, run_cli

SAMPLE = SAMPLES / "dvs128_small.aedat"


def make_index(tmp_path, n: int = 3):
    """An ``.aeidx`` listing ``n`` copies of the shipped AEDAT sample."""
    names = []
    for i in range(n):
        shutil.copy(SAMPLE, tmp_path / f"rec{i}.aedat")
        names.append(f"rec{i}.aedat")
    index = tmp_path / "set.aeidx"
    index.write_text("\n".join(names) + "\n")
    return index


def test_multi_output_convert_checks_every_destination_before_writing(tmp_path):
    index = make_index(tmp_path)
    out = tmp_path / "out"
    out.mkdir()
    (out / "o_1.npz").write_bytes(b"keep")
    proc = run_cli("convert", str(index), str(out / "o.npz"))
    assert_clean_failure(proc, "convert")
    assert "o_1.npz" in proc.stderr and "--force" in proc.stderr
    assert sorted(p.name for p in out.iterdir()) == ["o_1.npz"]  # no o_0.npz, no temporary file
    assert (out / "o_1.npz").read_bytes() == b"keep"
    proc = run_cli("convert", str(index), str(out / "o.npz"), "--force")
    assert proc.returncode == 0, proc.stderr
    assert sorted(p.name for p in out.iterdir()) == ["o_0.npz", "o_1.npz", "o_2.npz"]
    assert len(neurofiles.load(out / "o_1.npz")) == len(neurofiles.load(SAMPLE))


@pytest.mark.parametrize("flag", ["-O", "-W", "--option", "--write-option"])
@pytest.mark.parametrize("value", ["noequals", "=1", "1x=2"])
def test_malformed_key_value_is_a_usage_error(tmp_path, flag, value):
    proc = run_cli("convert", str(SAMPLE), str(tmp_path / "o.npz"), flag, value)
    assert proc.returncode == 2, (proc.returncode, proc.stderr)
    assert "usage:" in proc.stderr and "KEY=VALUE" in proc.stderr
    assert not (tmp_path / "o.npz").exists()


def test_malformed_reader_option_of_info_and_plot_is_a_usage_error(tmp_path):
    assert run_cli("info", str(SAMPLE), "-O", "noequals").returncode == 2
    assert run_cli("plot", str(SAMPLE), "-o", str(tmp_path / "p.png"), "-O", "x").returncode == 2


PATCHED = (
    "import sys, neurofiles._commandline.data as d\n"
    "def boom(*a, **k):\n"
    "    raise {error}\n"
    "d.load_with_progress = boom\n"
    "import neurofiles._frontend.api as api\n"
    "def boom_reader(*a, **k):\n"
    "    raise {error}\n"
    "api.open_reader_for = boom_reader\n"
    "from neurofiles._commandline.main import main\n"
    "sys.exit(main(sys.argv[1:]))\n"
)


@pytest.mark.parametrize(
    ("error", "message"),
    [
        ("MemoryError()", "out of memory while processing this file"),
        ("MemoryError('Unable to allocate 8.00 TiB')", "out of memory"),
        ("RecursionError('deep')", "too deeply nested"),
        ("KeyError('x')", "internal error KeyError"),
        ("ValueError('bad value')", "bad value"),
    ],
)
def test_any_failure_names_the_file(tmp_path, error, message):
    code = PATCHED.format(error=error)
    for args in (["convert", str(SAMPLE), str(tmp_path / "o.npz")], ["info", str(SAMPLE)]):
        proc = subprocess.run(
            [sys.executable, "-c", code, *args], capture_output=True, text=True, timeout=120,
            env={**os.environ, "NEUROFILES_PROGRESS": "0"},
        )
        assert_clean_failure(proc, args[0])
        assert f"neurofiles {args[0]}: {SAMPLE}: " in proc.stderr, proc.stderr
        assert message in proc.stderr


@pytest.mark.parametrize("kind", ["loop", "long", "notdir"])
def test_bad_paths_are_one_message_naming_them(tmp_path, kind):
    if kind == "loop":
        path = tmp_path / "loop.aedat"
        path.symlink_to(path)
        reason = "symbolic links"
    elif kind == "long":
        path = tmp_path / ("x" * 300 + ".aedat")
        reason = "file name too long"
    else:
        (tmp_path / "file").write_bytes(b"x")
        path = tmp_path / "file" / "x.aedat"
        reason = "not a folder"
    for args in (["info", str(path)], ["convert", str(path), str(tmp_path / "o.npz")]):
        proc = run_cli(*args)
        assert_clean_failure(proc, args[0])
        assert f"{path}: " in proc.stderr and reason in proc.stderr, proc.stderr
    if kind == "loop":  # as an output: a loop in a folder of the path (a looping link itself is replaced)
        (tmp_path / "loopdir").symlink_to(tmp_path / "loopdir")
        output = tmp_path / "loopdir" / "o.npz"
    else:
        output = path.with_suffix(".npz")
    proc = run_cli("convert", str(SAMPLE), str(output), "--force")
    assert_clean_failure(proc, "convert")
    assert str(output) in proc.stderr, proc.stderr


def test_a_fifo_output_is_refused_not_opened(tmp_path):
    fifo = tmp_path / "o.npz"
    os.mkfifo(fifo)
    proc = run_cli("convert", str(SAMPLE), str(fifo), "--force")  # would hang if it opened the FIFO
    assert_clean_failure(proc, "convert")
    assert "FIFO" in proc.stderr and fifo.is_fifo()


def test_a_killed_converts_temporary_file_is_removed_by_the_next_run(tmp_path):
    out = tmp_path / "o.npz"
    writer = (
        "import sys, time\n"
        "from neurofiles._frontend.atomic import write_atomic\n"
        "def slow(stream, path):\n"
        "    stream.write(b'partial'); stream.flush(); print('writing', flush=True); time.sleep(120)\n"
        "write_atomic(sys.argv[1], slow)\n"
    )
    child = subprocess.Popen([sys.executable, "-c", writer, str(out)], stdout=subprocess.PIPE, text=True)
    try:
        assert child.stdout.readline().strip() == "writing"
        (temp,) = [p for p in tmp_path.iterdir() if p.name.startswith(".o.npz.")]
        old = temp.stat().st_mtime - 7200
        os.utime(temp, (old, old))
        # a live writer's temporary file is locked: never removed, however old
        assert run_cli("convert", str(SAMPLE), str(out)).returncode == 0
        assert temp.exists()
        out.unlink()
    finally:
        child.kill()
        child.wait()
    assert temp.exists()  # what a killed convert leaves behind
    young = tmp_path / ".o.npz.abcd1234.tmp"
    young.write_bytes(b"young")  # too recent to be called stale
    assert run_cli("convert", str(SAMPLE), str(out)).returncode == 0
    assert not temp.exists() and young.exists() and out.exists()


def test_plot_writes_atomically_never_through_a_symlink_or_into_a_fifo(tmp_path):
    need("matplotlib", "plot")
    victim = tmp_path / "victim.txt"
    victim.write_bytes(b"keep me")
    link = tmp_path / "plot.png"
    link.symlink_to(victim)
    proc = run_cli("plot", str(SAMPLE), "-o", str(link))
    assert proc.returncode == 0, proc.stderr
    assert victim.read_bytes() == b"keep me"  # the old savefig(path) truncated and wrote the link's target
    assert not link.is_symlink() and link.read_bytes().startswith(b"\x89PNG")
    fifo = tmp_path / "fifo.png"
    os.mkfifo(fifo)
    proc = run_cli("plot", str(SAMPLE), "-o", str(fifo))  # the old savefig(path) blocked on the FIFO
    assert_clean_failure(proc, "plot")
    assert "FIFO" in proc.stderr and fifo.is_fifo()
    proc = run_cli("plot", str(SAMPLE), "-o", str(tmp_path / "p.unknownimage"))
    assert_clean_failure(proc, "plot")
    assert "cannot save a plot as .unknownimage" in proc.stderr
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []
