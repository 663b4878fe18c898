"""Run generated inputs in forked children under resource limits and classify the outcome.

The parent imports neurofiles and every optional codec once (and loads each
conformance vector so that lazy imports are done), then forks long-lived
workers. For each input a worker writes the files to a private folder on
``/dev/shm``, lowers its soft address-space limit (``RLIMIT_AS``: what it maps
now plus ``max(256 MiB, 10 x size + 88 MiB)``) and its soft CPU limit
(``RLIMIT_CPU``: 3 s + 2 us per byte), resets its peak-RSS counter
(``/proc/self/clear_refs``), calls ``neurofiles.load()``, restores the limits
and sends the verdict back through a pipe. A worker that runs out of memory,
exceeds its CPU time (SIGXCPU), misses its wall-clock deadline or dies from a
signal is replaced by a fresh fork, so one input cannot harm the next.

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
import struct
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
    #: bytes the reader may legitimately decompress from this input (what the generator packed, capped
    #: by the reader's documented decompression budget); twice this is added to the memory budget
    inflated: int = 0

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

    def memory_budget(self, size: int, inflated: int = 0) -> int:
        return int(self.memory_factor * size) + self.memory_constant + 2 * inflated


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


def _load_one(case: Case, folder: Path, limits: Limits) -> Outcome:
    """Load ``case`` in this (worker) process under per-input limits; the limits are lifted afterwards."""
    import neurofiles
    from neurofiles import NeurofilesError

    folder.mkdir(parents=True, exist_ok=True)
    for name, data in case.extra_files:
        (folder / name).write_bytes(data)
    path = folder / case.name
    path.write_bytes(case.data)
    size = case.size
    cpu = case.cpu_limit or limits.cpu_seconds(size)
    used = resource.getrusage(resource.RUSAGE_SELF)
    _, cpu_hard = resource.getrlimit(resource.RLIMIT_CPU)
    resource.setrlimit(resource.RLIMIT_CPU, (int(used.ru_utime + used.ru_stime + cpu) + 1, cpu_hard))
    _trim()
    base_vm = _status_kib("VmSize") * 1024
    cap = base_vm + max(limits.as_floor, limits.memory_budget(size, case.inflated) + 64 * MIB)
    _, as_hard = resource.getrlimit(resource.RLIMIT_AS)
    resource.setrlimit(resource.RLIMIT_AS, (cap, as_hard))
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
        klass = "MEMORY" if _is_memory(exc) else "UNTYPED"
        tb = traceback.extract_tb(exc.__traceback__)
        where = " <- ".join(f"{Path(f.filename).name}:{f.lineno}" for f in reversed(tb[-4:]))
        detail = f"{type(exc).__name__}: {str(exc)[:300]} [{where}]"
    finally:
        resource.setrlimit(resource.RLIMIT_AS, (as_hard, as_hard))
        resource.setrlimit(resource.RLIMIT_CPU, (cpu_hard, cpu_hard))
    seconds = time.perf_counter() - start
    peak = max(0, _status_kib("VmHWM") * 1024 - base_rss)
    if klass in ("ok", "typed") and peak > limits.memory_budget(size, case.inflated):
        ended = "a result" if klass == "ok" else detail
        klass, detail = "MEMORY", f"peak resident growth {peak / MIB:.1f} MiB for {size} input bytes ({ended})"
    if case.truth is not None:
        if klass == "ok":
            problem = compare(result, case.truth)
            if problem:
                klass, detail = "WRONG", problem
        elif klass == "typed":
            klass, detail = "WRONG", f"valid file refused: {detail}"
    del result
    shutil.rmtree(folder, ignore_errors=True)
    return Outcome(klass, detail[:2000], seconds, peak)


def _trim() -> None:
    """Give freed heap back to the system, so that the next input's peak is measured from a low base."""
    try:
        ctypes.CDLL("libc.so.6").malloc_trim(0)
    except (OSError, AttributeError):
        pass


def _send(fd: int, obj: Any) -> None:
    data = pickle.dumps(obj)
    view = memoryview(struct.pack("<Q", len(data)) + data)
    while view:
        view = view[os.write(fd, view):]


def _recv(fd: int) -> Any:
    def exactly(n: int) -> bytes:
        parts, got = [], 0
        while got < n:
            chunk = os.read(fd, min(n - got, 1 << 20))
            if not chunk:
                raise EOFError
            parts.append(chunk)
            got += len(chunk)
        return b"".join(parts)

    (length,) = struct.unpack("<Q", exactly(8))
    return pickle.loads(exactly(length))


def _worker_loop(inbox: int, outbox: int, folder: Path, limits: Limits) -> None:
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    while True:
        try:
            case = _recv(inbox)
        except EOFError:
            return
        try:
            outcome = _load_one(case, folder, limits)
        except MemoryError:
            outcome = Outcome("MEMORY", "MemoryError outside the load (while writing or checking)")
        _send(outbox, outcome)


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
class _Worker:
    pid: int
    inbox: int  # parent writes cases here
    outbox: int  # parent reads outcomes here
    served: int = 0
    case: Case | None = None
    started: float = 0.0
    deadline: float = 0.0


class Sandbox:
    """Long-lived forked workers, each loading one input at a time under per-input limits.

    The parent imports and warms everything once, then forks ``workers``
    processes. ``submit(case)`` hands a case to an idle worker (waiting for one
    first); ``on_done(case, outcome)`` receives each verdict. A worker that
    dies (signal, CPU limit) or misses its wall-clock deadline is replaced, and
    so is one that ran out of memory, or served ``recycle`` inputs. Call
    ``close()`` at the end.
    """

    def __init__(self, on_done: Callable[[Case, Outcome], None], workers: int = 2,
                 limits: Limits | None = None, warm: bool = True, recycle: int = 2000) -> None:
        self.on_done = on_done
        self.limits = limits or Limits()
        self.recycle = recycle
        self.root = SHM / f"neurofiles-fuzz-{os.getpid()}"
        _limit_malloc_arenas()
        if warm:
            warm_up()
        gc.collect()
        gc.freeze()  # workers then do not touch (and copy) the parent's objects when collecting
        self.workers: list[_Worker] = [self._spawn(k) for k in range(max(1, workers))]

    def _spawn(self, slot: int) -> _Worker:
        to_worker_r, to_worker_w = os.pipe()
        from_worker_r, from_worker_w = os.pipe()
        pid = os.fork()
        if pid == 0:
            code = 0
            try:
                os.close(to_worker_w)
                os.close(from_worker_r)
                for other in getattr(self, "workers", []):  # siblings' pipes: keep only our own
                    for fd in (other.inbox, other.outbox):
                        try:
                            os.close(fd)
                        except OSError:
                            pass
                _worker_loop(to_worker_r, from_worker_w, self.root / f"w{slot}-{os.getpid()}", self.limits)
            except BaseException:
                code = 3
            finally:
                os._exit(code)
        os.close(to_worker_r)
        os.close(from_worker_w)
        return _Worker(pid, to_worker_w, from_worker_r)

    def submit(self, case: Case) -> None:
        while True:
            idle = [w for w in self.workers if w.case is None]
            if idle:
                break
            self._poll()
        worker = idle[0]
        worker.case = case
        worker.started = time.monotonic()
        worker.deadline = worker.started + 4 * (case.cpu_limit or self.limits.cpu_seconds(case.size)) + 10
        try:
            _send(worker.inbox, case)
        except OSError:  # the worker died between inputs
            self._replace(worker, None)
            self.submit(case)

    def drain(self) -> None:
        while any(w.case is not None for w in self.workers):
            self._poll()

    def close(self) -> None:
        self.drain()
        for worker in self.workers:
            os.close(worker.inbox)
            os.close(worker.outbox)
            try:
                os.kill(worker.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            os.waitpid(worker.pid, 0)
        shutil.rmtree(self.root, ignore_errors=True)

    def _poll(self) -> None:
        busy = [w for w in self.workers if w.case is not None]
        if not busy:
            return
        timeout = max(0.0, min(w.deadline for w in busy) - time.monotonic())
        ready, _, _ = select.select([w.outbox for w in busy], [], [], min(timeout, 1.0))
        for worker in busy:
            if worker.outbox in ready:
                try:
                    outcome: Outcome = _recv(worker.outbox)
                except EOFError:
                    self._replace(worker, self._death(worker))
                    continue
                case = worker.case
                worker.case = None
                worker.served += 1
                if outcome.klass in ("MEMORY", "HANG", "CRASH") or worker.served >= self.recycle:
                    self._replace(worker, None, case)
                assert case is not None
                self.on_done(case, outcome)
            elif time.monotonic() > worker.deadline:
                os.kill(worker.pid, signal.SIGKILL)
                elapsed = time.monotonic() - worker.started
                self._replace(worker, Outcome("HANG", f"wall clock over {worker.deadline - worker.started:.0f} s",
                                              elapsed))

    def _death(self, worker: _Worker) -> Outcome:
        _, status = os.waitpid(worker.pid, 0)
        worker.pid = 0
        elapsed = time.monotonic() - worker.started
        assert worker.case is not None
        if os.WIFSIGNALED(status):
            sig = os.WTERMSIG(status)
            if sig == signal.SIGXCPU:
                cpu = worker.case.cpu_limit or self.limits.cpu_seconds(worker.case.size)
                return Outcome("HANG", f"over the CPU limit ({cpu:.1f} s)", elapsed)
            return Outcome("CRASH", f"killed by signal {signal.Signals(sig).name}", elapsed)
        code = os.WEXITSTATUS(status)
        return Outcome("MEMORY" if code == 3 else "CRASH",
                       f"worker exited with status {code} without a verdict (likely out of address space)", elapsed)

    def _replace(self, worker: _Worker, outcome: Outcome | None, case: Case | None = None) -> None:
        """Retire ``worker`` (reporting ``outcome`` for its case, if given) and fork a fresh one in its slot."""
        case = case or worker.case
        os.close(worker.inbox)
        os.close(worker.outbox)
        if worker.pid:
            try:
                os.kill(worker.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            os.waitpid(worker.pid, 0)
        slot = self.workers.index(worker)
        self.workers[slot] = self._spawn(slot)
        if outcome is not None and case is not None:
            self.on_done(case, outcome)


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
