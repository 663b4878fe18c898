"""A path swapped, grown or shrunk while it is read: correct data or a typed error, never a hang.

Every scenario runs in a subprocess with a timeout, so a regression (an open
of a FIFO that blocks forever) fails the test instead of hanging the run.
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
SAMPLE = REPO / "tests" / "samples" / "dvs128_small.aedat"
TIMEOUT = 120

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="FIFOs and symlinks are POSIX")


def run_script(code: str, tmp_path: Path, timeout: float = TIMEOUT) -> dict:
    """Run ``code`` in a fresh interpreter; it prints one JSON line. A hang is a failure."""
    try:
        proc = subprocess.run(
            [sys.executable, "-c", textwrap.dedent(code), str(SAMPLE), str(tmp_path)],
            capture_output=True,
            text=True,
            timeout=timeout,
        )
    except subprocess.TimeoutExpired:
        pytest.fail(f"the reads did not finish within {timeout} s: a read blocked (FIFO?)")
    assert proc.returncode == 0, proc.stderr[-3000:]
    return json.loads(proc.stdout.strip().splitlines()[-1])


def test_fifo_swapped_in_between_check_and_open_is_refused_not_waited_on(tmp_path):
    """The path is a regular file when checked, a FIFO when opened: the old code blocked forever."""
    result = run_script(
        """
        import json, os, shutil, stat, sys
        import neurofiles
        sample, tmp = sys.argv[1], sys.argv[2]
        path = os.path.join(tmp, "swap.aedat")
        shutil.copy(sample, path)
        real_stat = os.stat
        def stat_then_swap(target, *args, **kwargs):
            info = real_stat(target, *args, **kwargs)
            if os.fspath(target) == path and stat.S_ISREG(os.lstat(path).st_mode):
                os.unlink(path)
                os.mkfifo(path)  # swapped right after the check
            return info
        os.stat = stat_then_swap
        outcomes = []
        for call in (neurofiles.load, neurofiles.detect):
            try:
                call(path)
                outcomes.append("ok")
            except neurofiles.NeurofilesError as exc:
                outcomes.append(type(exc).__name__)
            os.stat = real_stat
            os.unlink(path)
            shutil.copy(sample, path)
            os.stat = stat_then_swap
        print(json.dumps(outcomes))
        """,
        tmp_path,
        timeout=60,
    )
    assert result == ["NotARegularFileError", "NotARegularFileError"]


def test_reopen_after_the_path_became_a_fifo_reads_the_file_checked(tmp_path):
    """Readers open the source again (windows, bodies): they must reach the file checked, not the FIFO."""
    result = run_script(
        """
        import json, os, shutil, sys
        from neurofiles._framework.source import Source
        sample, tmp = sys.argv[1], sys.argv[2]
        path = os.path.join(tmp, "later.aedat")
        shutil.copy(sample, path)
        source = Source(path)
        os.rename(path, path + ".moved")
        os.mkfifo(path)
        with source.open() as handle:
            same = handle.read() == open(sample, "rb").read()
        with source.open(buffered=False) as raw:
            raw_ok = raw.read(10) == open(sample, "rb").read(10)
        source.close()  # without the descriptor: reopened by name, and the FIFO is refused
        try:
            source.open()
            after_close = "opened"
        except Exception as exc:
            after_close = type(exc).__name__
        print(json.dumps([same, raw_ok, after_close]))
        """,
        tmp_path,
        timeout=60,
    )
    assert result == [True, True, "NotARegularFileError"]


SWAPPER = """
import json, os, shutil, sys, threading, time, warnings
import numpy as np
import neurofiles
sample, tmp = sys.argv[1], sys.argv[2]
warnings.simplefilter("ignore")
expected = neurofiles.load(sample)
stage = os.path.join(tmp, "stage")
os.mkdir(stage)
twin = os.path.join(tmp, "twin.aedat")
shutil.copy(sample, twin)
path = os.path.join(tmp, "target.aedat")
shutil.copy(sample, path)
stop = threading.Event()
kinds = {"regular": 0, "fifo": 0, "symlink": 0, "loop": 0, "gone": 0}

def swapper():
    k = 0
    while not stop.is_set():
        k += 1
        entry = os.path.join(stage, f"e{k}")
        kind = ("regular", "fifo", "symlink", "loop", "gone")[k % 5]
        if kind == "regular":
            shutil.copy(sample, entry)
        elif kind == "fifo":
            os.mkfifo(entry)
        elif kind == "symlink":
            os.symlink(twin, entry)
        elif kind == "loop":
            os.symlink(path, entry)  # the path pointing at itself
        if kind == "gone":
            try:
                os.unlink(path)
            except FileNotFoundError:
                pass
        else:
            os.replace(entry, path)
        kinds[kind] += 1
        time.sleep(0.0005)

thread = threading.Thread(target=swapper, daemon=True)
thread.start()
outcomes = {}
rounds, deadline, i = int(os.environ.get("ROUNDS", "300")), time.monotonic() + 60, 0
# at least `rounds` calls, and on until the swapper has made every kind once and a call succeeded
# (on a loaded machine the swapper thread may barely run during the first rounds)
while i < rounds or ((not all(kinds.values()) or "ok" not in outcomes) and time.monotonic() < deadline):
    i += 1
    call = (neurofiles.load, neurofiles.detect)[i % 2]
    try:
        result = call(path)
        if call is neurofiles.load:
            assert np.array_equal(result.timestamps, expected.timestamps)
            assert np.array_equal(result.addresses, expected.addresses)
        else:
            assert result.format == "aedat", result
        key = "ok"
    except neurofiles.NeurofilesError as exc:
        key = type(exc).__name__
    outcomes[key] = outcomes.get(key, 0) + 1
stop.set()
thread.join()
print(json.dumps({"outcomes": outcomes, "kinds": kinds}))
"""


def test_load_and_detect_while_the_path_is_swapped_between_file_fifo_and_symlinks(tmp_path):
    result = run_script(SWAPPER, tmp_path)
    outcomes = result["outcomes"]
    assert sum(outcomes.values()) >= 300
    assert set(outcomes) <= {"ok", "NotARegularFileError", "SourceNotFoundError", "ReadError"}, outcomes
    assert outcomes.get("ok", 0) > 0, outcomes
    assert all(n > 0 for n in result["kinds"].values()), result["kinds"]


GROWER = """
import json, os, random, shutil, sys, threading, warnings
import numpy as np
import neurofiles
sample, tmp = sys.argv[1], sys.argv[2]
warnings.simplefilter("ignore")
fmt = sys.argv[3] if len(sys.argv) > 3 else "aedat"
path = os.path.join(tmp, "moving." + fmt)
if fmt == "npz":
    neurofiles.save(path, neurofiles.load(sample))
else:
    shutil.copy(sample, path)
whole = open(path, "rb").read()
options = {"decode": False} if fmt == "aedat" else {}  # raw records: a prefix of them is a prefix
expected = neurofiles.load(path, **options)
stop = threading.Event()
rng = random.Random(5)

def mover():
    # the same inode, cut to a random length and then written back whole, over and over
    with open(path, "r+b", buffering=0) as handle:
        while not stop.is_set():
            handle.truncate(rng.randrange(len(whole)))
            handle.seek(0)
            handle.write(whole)

thread = threading.Thread(target=mover, daemon=True)
thread.start()
outcomes = {}
for i in range(200):
    try:
        got = neurofiles.load(path, **options)
        n = len(got.timestamps)
        assert n <= len(expected.timestamps)
        assert np.array_equal(got.timestamps, expected.timestamps[:n])
        assert np.array_equal(got.addresses, expected.addresses[:n])
        key = "whole" if n == len(expected.timestamps) else "prefix"
    except neurofiles.NeurofilesError as exc:
        key = type(exc).__name__
    outcomes[key] = outcomes.get(key, 0) + 1
stop.set()
thread.join()
print(json.dumps(outcomes))
"""


@pytest.mark.parametrize("fmt", ["aedat", "npz"])
def test_load_while_the_file_shrinks_and_grows(tmp_path, fmt):
    try:
        proc = subprocess.run(
            [sys.executable, "-c", GROWER, str(SAMPLE), str(tmp_path), fmt],
            capture_output=True,
            text=True,
            timeout=TIMEOUT,
        )
    except subprocess.TimeoutExpired:
        pytest.fail("loads of a changing file did not finish")
    assert proc.returncode == 0, proc.stderr[-3000:]  # no crash (a SIGBUS would be -7)
    outcomes = json.loads(proc.stdout.strip().splitlines()[-1])
    assert sum(outcomes.values()) == 200
    allowed = {"whole", "prefix", "TruncatedFileError", "FileChangedError", "CorruptFileError", "NoReaderError",
               "LimitExceededError"}
    assert set(outcomes) <= allowed, outcomes
