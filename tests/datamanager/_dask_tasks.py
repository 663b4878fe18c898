"""Functions shipped to dask workers (importable by worker processes)."""

from __future__ import annotations

import os
from typing import Any


def open_files() -> int:
    return len(os.listdir("/proc/self/fd"))


def read_all_counting_fds(view: Any) -> tuple[int, int, int]:
    """Read every value of the partition; return (items, most descriptors open above the start, sessions)."""
    start = open_files()
    most = 0
    count = 0
    for _key, _value in view.iteritems():
        count += 1
        if count % 25 == 0:
            most = max(most, open_files() - start)
    return count, most, len(view.session_names())
