"""The AEDAT 2.0 body uses a second core only when no other process is running on it."""

from __future__ import annotations

import subprocess
import sys
import time

import pytest
from neurofiles.plugins.aer import _body

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")


def test_own_threads_are_not_counted_as_other_load() -> None:
    # numpy's BLAS threads and this thread are this process's: never "another busy core"
    assert _body._own_running() >= 1
    assert _body._other_runnable() >= 0


def test_a_busy_process_is_seen() -> None:
    hog = subprocess.Popen([sys.executable, "-c", "while True: pass"])
    try:
        time.sleep(0.3)
        seen = [_body._other_runnable() for _ in range(50)]
    finally:
        hog.kill()
        hog.wait()
    assert max(seen) >= 1, seen  # the spinning child is runnable whenever we look
