"""Progress bars on standard error: shown on a terminal, silent otherwise.

``set_progress(False)`` (or ``NEUROFILES_PROGRESS=0``) turns them off for the
whole library; ``set_progress(True)`` forces them on even without a terminal.
"""

from __future__ import annotations

import os
import sys
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from typing import TextIO, TypeVar

__all__ = ["Phase", "Progress", "progress", "set_progress"]

T = TypeVar("T")
_forced: bool | None = None
_bars_open = 0  # Progress bars drawn and not closed yet: a Phase line keeps quiet meanwhile
REFRESH_SECONDS = 0.1
MIN_SECONDS = 0.5  # work shorter than this never shows a bar


def set_progress(enabled: bool | None) -> None:
    """Turn progress bars on (True), off (False), or back to automatic (None)."""
    global _forced
    _forced = enabled


def _enabled(stream: TextIO) -> bool:
    if _forced is not None:
        return _forced
    env = os.environ.get("NEUROFILES_PROGRESS", "").strip().lower()
    if env in ("0", "false", "no", "off"):
        return False
    if env in ("1", "true", "yes", "on"):
        return True
    return bool(getattr(stream, "isatty", lambda: False)())


class Progress:
    """A counter that redraws one status line at most every 0.1 s."""

    def __init__(self, total: int | None, desc: str, unit: str = "", stream: TextIO | None = None) -> None:
        self.total = total
        self.desc = desc
        self.unit = unit
        self.stream = stream or sys.stderr
        self.enabled = _enabled(self.stream)
        self.count = 0
        self._start = time.monotonic()
        self._last = 0.0
        self._drawn = False

    def update(self, n: int = 1) -> None:
        """Advance by ``n`` and redraw if it is time."""
        self.count += n
        if not self.enabled:
            return
        now = time.monotonic()
        if now - self._start >= MIN_SECONDS and now - self._last >= REFRESH_SECONDS:
            self._last = now
            self._draw(now)

    def _draw(self, now: float) -> None:
        rate = self.count / max(now - self._start, 1e-9)
        if self.total:
            done = min(1.0, self.count / self.total)
            bar = "#" * int(done * 20)
            text = f"{self.desc} [{bar:<20}] {done:6.1%} {self.count}/{self.total}{self.unit} {rate:,.0f}{self.unit}/s"
        else:
            text = f"{self.desc} {self.count}{self.unit} {rate:,.0f}{self.unit}/s"
        global _bars_open
        self.stream.write("\r" + text)
        self.stream.flush()
        if not self._drawn:
            _bars_open += 1
        self._drawn = True

    def close(self) -> None:
        """End the status line if one was drawn."""
        global _bars_open
        if self._drawn:
            self._draw(time.monotonic())
            self.stream.write("\n")
            self.stream.flush()
            _bars_open -= 1
            self._drawn = False

    def __enter__(self) -> Progress:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def progress(items: Iterable[T], *, total: int | None = None, desc: str = "", unit: str = "") -> Iterator[T]:
    """Yield ``items`` while showing a bar (only on a terminal, unless forced)."""
    if total is None and hasattr(items, "__len__"):
        total = len(items)  # type: ignore[arg-type]
    with Progress(total, desc, unit) as bar:
        for item in items:
            yield item
            bar.update()


class Phase:
    """A status line for work without a counter of its own (a decode, a write by a library call).

    A background thread redraws ``desc`` with the elapsed time (and
    ``status()``, e.g. the bytes written so far) every 0.1 s, from 0.5 s
    on; shown only where :class:`Progress` bars are, and not while the work
    draws a :class:`Progress` bar of its own (a CSV write).
    """

    def __init__(self, desc: str, status: Callable[[], str] | None = None, stream: TextIO | None = None) -> None:
        self.desc = desc
        self.status = status
        self.stream = stream or sys.stderr
        self.enabled = _enabled(self.stream)
        self._start = time.monotonic()
        self._stop = threading.Event()
        self._drawn = False
        self._extra = ""
        self._thread: threading.Thread | None = None

    def _draw(self, final: bool = False) -> None:
        extra = self._extra
        if self.status is not None and not final:  # the work's traces may be gone once it is done
            try:
                extra = self._extra = " " + self.status()
            except Exception:  # noqa: BLE001 (a status that cannot be read just is not shown)
                pass
        elapsed = time.monotonic() - self._start
        self.stream.write(f"\r{self.desc}{extra} {elapsed:.1f} s ")
        self.stream.flush()
        self._drawn = True

    def _run(self) -> None:
        if self._stop.wait(MIN_SECONDS):
            return
        while not self._stop.is_set():
            if _bars_open <= 0:  # else the work draws a bar of its own
                self._draw()
            self._stop.wait(REFRESH_SECONDS)

    def __enter__(self) -> Phase:
        if self.enabled:
            self._thread = threading.Thread(target=self._run, name="neurofiles-progress", daemon=True)
            self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
        if self._drawn:
            self._draw(final=True)
            self.stream.write("done\n" if exc[0] is None else "\n")
            self.stream.flush()


Progress.__module__ = "neurofiles.plugin.io"  # its public name
