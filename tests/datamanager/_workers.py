"""Worker processes for the concurrency and crash tests: ``python -m tests.datamanager._workers CMD ...``."""

from __future__ import annotations

import json
import os
import sys
import time

from neurofiles import DataManager, SessionBusyError


def writer(datapath: str, backend: str, session: str, count: int, progress: str | None) -> None:
    """Write ``count`` records ``r<i> = [i, session]``; after each flush, append the last i to ``progress``."""
    dm = DataManager("store", datapath, backend=backend)
    s = dm.session(session)
    report = open(progress, "a", buffering=1) if progress else None  # noqa: SIM115
    for i in range(count):
        s[f"r{i:06d}"] = [i, session]
        if (i + 1) % 100 == 0:
            s.flush()
            if report is not None:
                report.write(f"{i}\n")  # committed: everything up to i is durable
    s.close()
    if report is not None:
        report.write("done\n")
    print(json.dumps({"written": count}))


def increment(datapath: str, backend: str, times: int) -> None:
    """Increment the shared counter ``n`` under ``with s.lock()``."""
    dm = DataManager("store", datapath, backend=backend)
    s = dm.locking_session("shared")
    for _ in range(times):
        with s.lock():
            s["n"] = s.get("n", 0) + 1
    s.close()


def set_keys(datapath: str, backend: str, prefix: str, count: int) -> None:
    """Write ``count`` distinct keys into the shared locking session, one locked operation each."""
    dm = DataManager("store", datapath, backend=backend)
    s = dm.locking_session("shared")
    for i in range(count):
        s[f"{prefix}{i}"] = i
    s.close()


def hold_computer_session(datapath: str, backend: str, seconds: float) -> None:
    """Open the computer session, say so, keep it open."""
    dm = DataManager("store", datapath, backend=backend)
    s = dm.computer_session()
    s["who"] = os.getpid()
    s.flush()
    print("holding", os.getpid(), flush=True)
    time.sleep(seconds)
    s.close()


def try_computer_session(datapath: str, backend: str) -> None:
    dm = DataManager("store", datapath, backend=backend)
    start = time.monotonic()
    try:
        dm.computer_session()
    except SessionBusyError as exc:
        print(json.dumps({"busy": str(exc), "seconds": time.monotonic() - start}))
        return
    print(json.dumps({"busy": None}))


def crash(datapath: str, backend: str, where: str) -> None:
    """Write 100 records and flush, write 50 more, then ``kill -9`` itself at ``where``.

    ``setitem``: right after the 50th ``__setitem__`` returned (no flush).
    ``commit``: inside the next ``flush()``, as dbm.dumb starts writing an index file.
    ``first``: after 50 ``__setitem__`` calls and no flush at all.
    """
    import signal

    dm = DataManager("store", datapath, backend=backend)
    s = dm.session("victim")
    if where == "first":
        for i in range(50):
            s[f"r{i:06d}"] = [i, "victim"]
        os.kill(os.getpid(), signal.SIGKILL)
    for i in range(150):
        s[f"r{i:06d}"] = [i, "victim"]
        if i == 99:
            s.flush()
    if where == "setitem":
        os.kill(os.getpid(), signal.SIGKILL)
    import dbm.dumb

    def die(self: object, file: bytes) -> None:
        os.kill(os.getpid(), signal.SIGKILL)

    dbm.dumb._Database._chmod = die  # type: ignore[attr-defined, method-assign]
    s.flush()
    raise SystemExit("not killed")


def crash_mid_commit(datapath: str) -> None:
    """Log backend: flush 100 records, then die with ``kill -9`` after half of the next commit's bytes hit the file."""
    import signal

    dm = DataManager("store", datapath, backend="log")
    s = dm.session("victim")
    for i in range(150):
        s[f"r{i:06d}"] = [i, "victim"]
        if i == 99:
            s.flush()
    real_write = os.write

    def half_then_die(fd: int, data: bytes) -> int:
        if len(data) > 100:
            real_write(fd, data[: len(data) // 2])
            os.kill(os.getpid(), signal.SIGKILL)
        return real_write(fd, data)

    os.write = half_then_die  # type: ignore[assignment]
    s.flush()
    raise SystemExit("not killed")


def rerun(datapath: str, backend: str, tag: str, count: int, die_at: int, go: str | None) -> None:
    """A simulation script re-run with ``on_existing="replace"``: ``count`` keys ``k<i> = [i, tag]``.

    Waits for the file ``go`` to exist before writing (so two re-runs overlap);
    ``die_at >= 0`` kills the process with ``kill -9`` after that many keys (flushed).
    """
    import signal

    dm = DataManager("store", datapath, backend=backend)
    with dm.session(params={"g": 0.1, "seed": 1}, on_existing="replace") as s:
        print("open", s.name, flush=True)
        while go is not None and not os.path.exists(go):
            time.sleep(0.01)
        for i in range(count):
            s[f"k{i:04d}"] = [i, tag]
            if i % 50 == 49:
                s.flush()
            if i + 1 == die_at:
                s.flush()
                os.kill(os.getpid(), signal.SIGKILL)
        s["tag"] = tag
    print(json.dumps({"done": tag}))


def error_run(datapath: str, backend: str, go: str) -> None:
    """Wait for ``go``, then start a run of params ``{"g": 0.5}`` with ``on_existing="error"``."""
    from neurofiles import SessionExistsError

    dm = DataManager("store", datapath, backend=backend)
    print("ready", flush=True)
    while not os.path.exists(go):
        time.sleep(0.001)
    try:
        s = dm.session(params={"g": 0.5}, on_existing="error")
    except SessionExistsError:
        print("exists", flush=True)
        return
    s["x"] = os.getpid()
    s.close()
    print("started", flush=True)


def lock_crash(datapath: str) -> None:
    """Log backend, locking session ``shared``: commit ``w1``, then die (``kill -9``) halfway through the next commit."""
    import signal

    dm = DataManager("store", datapath, backend="log")
    s = dm.locking_session("shared")
    s["w1"] = 1
    real_write = os.write

    def half_then_die(fd: int, data: bytes) -> int:
        if len(data) > 100:
            real_write(fd, data[: len(data) // 2])
            os.kill(os.getpid(), signal.SIGKILL)
        return real_write(fd, data)

    os.write = half_then_die  # type: ignore[assignment]
    s["w2"] = "x" * 1000
    raise SystemExit("not killed")


def main(argv: list[str]) -> None:
    cmd, *args = argv
    if cmd == "writer":
        writer(args[0], args[1], args[2], int(args[3]), args[4] if len(args) > 4 else None)
    elif cmd == "increment":
        increment(args[0], args[1], int(args[2]))
    elif cmd == "setkeys":
        set_keys(args[0], args[1], args[2], int(args[3]))
    elif cmd == "hold":
        hold_computer_session(args[0], args[1], float(args[2]))
    elif cmd == "crash":
        crash(args[0], args[1], args[2])
    elif cmd == "crashmid":
        crash_mid_commit(args[0])
    elif cmd == "rerun":
        rerun(args[0], args[1], args[2], int(args[3]), int(args[4]), args[5] if len(args) > 5 else None)
    elif cmd == "errorrun":
        error_run(args[0], args[1], args[2])
    elif cmd == "lockcrash":
        lock_crash(args[0])
    elif cmd == "try":
        try_computer_session(args[0], args[1])
    else:
        raise SystemExit(f"unknown command {cmd!r}")


if __name__ == "__main__":
    main(sys.argv[1:])
