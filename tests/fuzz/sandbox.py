"""Run generated inputs in forked children under resource limits and classify the outcome.

The parent process is a fork server: it imports neurofiles and every optional
codec once (and loads one sample of each format so that lazy imports are done),
then forks one short-lived child per input. The child writes the input's files
to a private folder on ``/dev/shm``, caps its address space and CPU time, calls
``neurofiles.load()`` and sends a small verdict back through a pipe. Forking a
warmed-up interpreter costs about a millisecond, and a child that exhausts its
memory, hangs or dies from a signal cannot harm the next input.

Outcome classes (:data:`BAD` are property violations):

``ok``       a result (and, when the generator knows the truth, the right one)
``typed``    a ``NeurofilesError`` whose message names the file
``UNNAMED``  a ``NeurofilesError`` that does not name the file
``UNTYPED``  any other exception
``HANG``     over the CPU limit (``RLIMIT_CPU``) or the wall-clock limit
``MEMORY``   over the address-space cap, a ``MemoryError``, or a peak resident
             growth above ``10 x file size + 24 MiB`` (also when the
             load ends in a typed error: a refusal must be cheap too)
``CRASH``    the child died from a signal
``WRONG``    the generator knows what the file holds and the result differs,
             or a valid file was refused
"""

from __future__ import annotations

import ctypes
import gc
import os
import pickle
import resource
import select
import shutil
import signal
import time
import traceback
import warnings
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

BAD = ("UNTYPED", "HANG", "MEMORY", "CRASH", "WRONG", "UNNAMED")
CLASSES = ("ok", "typed") + BAD

MIB = 1 << 20
#: resident growth allowed on top of 10 x the input size
MEMORY_CONSTANT = 24 * MIB
#: address space allowed on top of what the forked child already maps
AS_FLOOR = 256 * MIB
CPU_BASE_SECONDS = 3.0
CPU_SECONDS_PER_BYTE = 2e-6
SHM = Path("/dev/shm") if Path("/dev/shm").is_dir() else Path("/tmp")


@dataclass(frozen=True)
class Truth:
    """What a correct reader returns for a generated file.

    ``kind`` is ``"traces"`` (arrays ``values`` 2-D and ``times`` 1-D or None),
    ``"events"`` (any of ``timestamps``, ``addresses``, ``x``, ``y``,
    ``polarity``) or ``"list"`` (``items`` is a tuple of Truth, one per entry).
    """

    kind: str
    arrays: tuple[tuple[str, Any], ...] = ()
    items: tuple[Truth, ...] = ()


@dataclass(frozen=True)
class Case:
    """One generated input: its files, how to load it and, when known, its content."""

    family: str
    variant: str
    name: str
    data: bytes
    force: str | None = None
    truth: Truth | None = None
    extra_files: tuple[tuple[str, bytes], ...] = ()
    options: tuple[tuple[str, Any], ...] = ()
    note: str = ""
    #: CPU seconds allowed, when the generator knows the input must be cheap (else from Limits)
    cpu_limit: float | None = None

    @property
    def size(self) -> int:
        return len(self.data) + sum(len(d) for _, d in self.extra_files)


@dataclass
class Outcome:
    klass: str
    detail: str = ""
    seconds: float = 0.0
    peak_bytes: int = 0


@dataclass
class Limits:
    cpu_base: float = CPU_BASE_SECONDS
    cpu_per_byte: float = CPU_SECONDS_PER_BYTE
    memory_constant: int = MEMORY_CONSTANT
    as_floor: int = AS_FLOOR
    memory_factor: float = 10.0

    def cpu_seconds(self, size: int) -> float:
        return self.cpu_base + self.cpu_per_byte * size

    def memory_budget(self, size: int) -> int:
        return int(self.memory_factor * size) + self.memory_constant


# ----------------------------------------------------------------------------- truth comparison

def _mismatch(label: str, got: Any, want: Any) -> str | None:
    if want is None:
        return None if got is None else f"{label}: expected None, got an array of shape {np.shape(got)}"
    if got is None:
        return f"{label}: expected {np.shape(want)} values, got None"
    got_a, want_a = np.asarray(got), np.asarray(want)
    if got_a.shape != want_a.shape:
        return f"{label}: shape {got_a.shape}, expected {want_a.shape}"
    if got_a.dtype.kind == "f" or want_a.dtype.kind == "f":
        g, w = got_a.astype(np.float64), want_a.astype(np.float64)
        same = (g == w) | (np.isnan(g) & np.isnan(w))
    else:
        same = got_a.astype(np.int64) == want_a.astype(np.int64)
    if bool(np.all(same)):
        return None
    where = np.argwhere(~same)[0]
    idx = tuple(int(i) for i in where)
    return f"{label}{list(idx)}: got {got_a[idx]!r}, expected {want_a[idx]!r} ({int((~same).sum())} cells differ)"


def compare(result: Any, truth: Truth) -> str | None:
    """Return a description of the first difference between ``result`` and ``truth``, or None."""
    if truth.kind == "list":
        if not isinstance(result, list) or len(result) != len(truth.items):
            return f"expected a list of {len(truth.items)} results, got {type(result).__name__}"
        for k, (got, want) in enumerate(zip(result, truth.items)):
            problem = compare(got, want)
            if problem:
                return f"entry {k}: {problem}"
        return None
    expected_type = "Traces" if truth.kind == "traces" else "Events"
    if type(result).__name__ != expected_type:
        return f"expected {expected_type}, got {type(result).__name__}"
    for name, want in truth.arrays:
        problem = _mismatch(name, getattr(result, name, None), want)
        if problem:
            return problem
    return None


# ----------------------------------------------------------------------------- the child

def _status_kib(key: str) -> int:
    with open("/proc/self/status", "rb") as stream:
        for line in stream:
            if line.startswith(key.encode()):
                return int(line.split()[1])
    return 0


def _names_file(exc: BaseException, name: str, folder: Path) -> bool:
    """True when the message names the input (or, for an index, a file in its folder)."""
    text = str(exc) + " " + str(getattr(exc, "path", "") or "")
    return name in text or str(folder) in text


def _chain(exc: BaseException) -> Iterator[BaseException]:
    seen: set[int] = set()
    cur: BaseException | None = exc
    while cur is not None and id(cur) not in seen:
        seen.add(id(cur))
        yield cur
        cur = cur.__cause__ or cur.__context__


def _is_memory(exc: BaseException) -> bool:
    return any(
        isinstance(e, MemoryError) or (isinstance(e, RuntimeError) and "new thread" in str(e)) for e in _chain(exc)
    )


def _child(case: Case, folder: Path, limits: Limits, write_fd: int) -> None:
    import gc

    import neurofiles
    from neurofiles import NeurofilesError

    gc.disable()  # fewer copy-on-write faults; the child lives for one load
    folder.mkdir(parents=True)
    for name, data in case.extra_files:
        (folder / name).write_bytes(data)
    path = folder / case.name
    path.write_bytes(case.data)
    size = case.size
    cpu = case.cpu_limit or limits.cpu_seconds(size)
    resource.setrlimit(resource.RLIMIT_CPU, (int(cpu) + 1, int(cpu) + 2))
    base_vm = _status_kib("VmSize") * 1024
    cap = base_vm + max(limits.as_floor, limits.memory_budget(size) + 64 * MIB)
    resource.setrlimit(resource.RLIMIT_AS, (cap, cap))
    try:
        with open("/proc/self/clear_refs", "w") as stream:
            stream.write("5")
    except OSError:
        pass
    base_rss = _status_kib("VmRSS") * 1024
    start = time.perf_counter()
    result: Any = None
    klass, detail = "ok", ""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            result = neurofiles.load(path, format=case.force, **dict(case.options))
    except NeurofilesError as exc:
        if _is_memory(exc):
            klass, detail = "MEMORY", f"{type(exc).__name__} caused by MemoryError: {exc}"
        elif _names_file(exc, case.name, folder):
            klass, detail = "typed", type(exc).__name__
        else:
            klass, detail = "UNNAMED", f"{type(exc).__name__}: {exc}"
    except BaseException as exc:  # the property under test: nothing else may escape
        if _is_memory(exc):
            klass = "MEMORY"
        elif isinstance(exc, RecursionError):
            klass = "UNTYPED"
        else:
            klass = "UNTYPED"
        tb = traceback.extract_tb(exc.__traceback__)
        where = " <- ".join(f"{Path(f.filename).name}:{f.lineno}" for f in reversed(tb[-4:]))
        detail = f"{type(exc).__name__}: {str(exc)[:300]} [{where}]"
    seconds = time.perf_counter() - start
    peak = max(0, _status_kib("VmHWM") * 1024 - base_rss)
    if klass in ("ok", "typed") and peak > limits.memory_budget(size):
        ended = "a result" if klass == "ok" else detail
        klass, detail = "MEMORY", f"peak resident growth {peak / MIB:.1f} MiB for {size} input bytes ({ended})"
    if case.truth is not None:
        if klass == "ok":
            problem = compare(result, case.truth)
            if problem:
                klass, detail = "WRONG", problem
        elif klass == "typed":
            klass, detail = "WRONG", f"valid file refused: {detail}"
    payload = pickle.dumps(Outcome(klass, detail[:2000], seconds, peak))
    os.write(write_fd, payload)


# ----------------------------------------------------------------------------- the server

def _limit_malloc_arenas() -> None:
    """One malloc arena: threads then do not each reserve 64 MiB of address space."""
    try:
        libc = ctypes.CDLL("libc.so.6")
        libc.mallopt(-8, 1)  # M_ARENA_MAX
    except (OSError, AttributeError):
        pass


def warm_up() -> None:
    """Import everything a reader may import lazily, in the parent, once."""
    import neurofiles  # noqa: F401

    for module in ("lz4.frame", "zstandard", "pyarrow.csv", "neurofiles._textparse", "zipfile", "zlib"):
        try:
            __import__(module)
        except ImportError:
            pass
    repo = Path(__file__).resolve().parents[2]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for path in sorted((repo / "spec" / "vectors").rglob("*")):
            if path.suffix in (".json", ".py", ".md") or not path.is_file():
                continue
            try:
                neurofiles.load(path)
            except Exception:
                pass


@dataclass
class _Running:
    case: Case
    pid: int
    fd: int
    folder: Path
    started: float
    deadline: float
    chunks: list[bytes] = field(default_factory=list)


class Sandbox:
    """A fork server running up to ``workers`` children at a time.

    ``submit(case)`` forks a child (waiting for a free slot first); finished
    cases are passed to ``on_done(case, outcome)``. Call ``drain()`` at the end.
    """

    def __init__(self, on_done: Callable[[Case, Outcome], None], workers: int = 2,
                 limits: Limits | None = None, warm: bool = True) -> None:
        self.on_done = on_done
        self.workers = max(1, workers)
        self.limits = limits or Limits()
        self.root = SHM / f"neurofiles-fuzz-{os.getpid()}"
        self.running: dict[int, _Running] = {}
        self._counter = 0
        _limit_malloc_arenas()
        if warm:
            warm_up()
        gc.collect()
        gc.freeze()  # children then do not touch (and copy) the parent's objects when collecting

    def submit(self, case: Case) -> None:
        while len(self.running) >= self.workers:
            self._poll(block=True)
        self._counter += 1
        folder = self.root / str(self._counter)
        read_fd, write_fd = os.pipe()
        pid = os.fork()
        if pid == 0:  # child
            code = 0
            try:
                os.close(read_fd)
                signal.signal(signal.SIGINT, signal.SIG_DFL)
                _child(case, folder, self.limits, write_fd)
            except BaseException:
                code = 3
            finally:
                os._exit(code)
        os.close(write_fd)
        now = time.monotonic()
        wall = 4 * (case.cpu_limit or self.limits.cpu_seconds(case.size)) + 10
        self.running[read_fd] = _Running(case, pid, read_fd, folder, now, now + wall)

    def drain(self) -> None:
        while self.running:
            self._poll(block=True)

    def close(self) -> None:
        self.drain()
        shutil.rmtree(self.root, ignore_errors=True)

    def _poll(self, block: bool) -> None:
        if not self.running:
            return
        now = time.monotonic()
        timeout = max(0.0, min(r.deadline for r in self.running.values()) - now) if block else 0.0
        ready, _, _ = select.select(list(self.running), [], [], min(timeout, 1.0))
        for fd in ready:
            run = self.running[fd]
            chunk = os.read(fd, 65536)
            if chunk:
                run.chunks.append(chunk)
            else:
                self._finish(run, timed_out=False)
        now = time.monotonic()
        for run in [r for r in self.running.values() if r.deadline < now]:
            try:
                os.kill(run.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            self._finish(run, timed_out=True)

    def _finish(self, run: _Running, timed_out: bool) -> None:
        del self.running[run.fd]
        _, status = os.waitpid(run.pid, 0)
        os.close(run.fd)
        shutil.rmtree(run.folder, ignore_errors=True)
        elapsed = time.monotonic() - run.started
        payload = b"".join(run.chunks)
        if timed_out:
            outcome = Outcome("HANG", f"wall clock over {run.deadline - run.started:.0f} s", elapsed)
        elif payload:
            outcome = pickle.loads(payload)
        elif os.WIFSIGNALED(status):
            sig = os.WTERMSIG(status)
            if sig == signal.SIGXCPU:
                cpu = run.case.cpu_limit or self.limits.cpu_seconds(run.case.size)
                outcome = Outcome("HANG", f"over the CPU limit ({cpu:.1f} s)", elapsed)
            else:
                outcome = Outcome("CRASH", f"killed by signal {signal.Signals(sig).name}", elapsed)
        else:
            code = os.WEXITSTATUS(status)
            outcome = Outcome("MEMORY" if code == 3 else "CRASH",
                              f"child exited with status {code} without a verdict (likely out of address space)",
                              elapsed)
        self.on_done(run.case, outcome)


def run_cases(cases: list[Case], workers: int = 2, limits: Limits | None = None) -> list[tuple[Case, Outcome]]:
    """Run ``cases`` and return ``(case, outcome)`` pairs in completion order."""
    done: list[tuple[Case, Outcome]] = []
    box = Sandbox(lambda c, o: done.append((c, o)), workers, limits)
    try:
        for case in cases:
            box.submit(case)
    finally:
        box.close()
    return done
