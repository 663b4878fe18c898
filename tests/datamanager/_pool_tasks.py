"""Functions run in ``multiprocessing.Pool`` workers (importable by ``spawn`` and ``forkserver`` children)."""

from __future__ import annotations

import os
from typing import Any

from neurofiles import DataManager


def brian_task(args: tuple[DataManager, int]) -> tuple[int, int]:
    """Brian 1's ``run_tasks`` pattern: the worker gets the DataManager and writes a new session."""
    dm, i = args
    with dm.session() as s:
        s["rate"] = [float(i)]
        s["pid"] = os.getpid()
    return i, os.getpid()


def shared_increment(args: tuple[Any, int]) -> int:
    """Increment ``n`` of a pickled locking session ``times`` times under acquire()/release()."""
    session, times = args
    for _ in range(times):
        session.acquire()
        try:
            session["n"] = session.get("n", 0) + 1
        finally:
            session.release()
    session.close()
    return os.getpid()


def collate(dm: DataManager) -> list[Any]:
    """Read back in the worker: the reopened manager sees every session."""
    return sorted(dm.get_merged("rate"))
