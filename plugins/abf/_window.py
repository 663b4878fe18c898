"""Time windows of an ABF read (reader options ``t_start``, ``t_stop``, ``relative``) as sample rows.

The window is half-open, ``t_start <= time < t_stop`` in seconds on the axis of
:attr:`Traces.times`, the same convention as the AER readers' windows and
:meth:`Events.window`: the time within the sweep for episodic and gap-free
files, the recording time for event-driven variable-length files.
``relative=True`` counts the bounds from the first sample's time.
"""

from __future__ import annotations

import math
import operator
from dataclasses import dataclass

import numpy as np

from ._deps import OptionError

__all__ = ["Window", "check_chunk_size", "check_window"]


@dataclass(frozen=True)
class Window:
    """Validated window options; both bounds None means "everything"."""

    t_start: float | None = None
    t_stop: float | None = None
    relative: bool = False

    @property
    def active(self) -> bool:
        """True when a bound is set."""
        return self.t_start is not None or self.t_stop is not None

    def rows(self, origin: float, first: float, count: int, tick: float) -> tuple[int, int]:
        """``[lo, hi)`` of the ``count`` rows at ``origin + i * tick`` s that fall inside the window.

        ``first`` is the time of the file's first sample (the origin of relative bounds).
        An empty window gives ``lo == hi``.
        """
        lo, hi = self.rows_of(np.array([origin]), np.array([count]), first, tick)
        return int(lo[0]), int(hi[0])

    def rows_of(
        self, origins: np.ndarray, counts: np.ndarray, first: float, tick: float
    ) -> tuple[np.ndarray, np.ndarray]:
        """:meth:`rows` of many runs of samples at once (one per event of a variable-length file).

        Bounds are rounded to whole samples by the rule of
        :func:`neurofiles.plugin.events.tick_bounds`: the first sample at or after the
        bound, a bound within 1e-9 (relative) of a sample time counting as it.
        """
        counts = np.asarray(counts, dtype=np.int64)
        shift = first if self.relative else 0.0

        def bound(t: float | None, default: np.ndarray) -> np.ndarray:
            if t is None:
                return default
            with np.errstate(over="ignore", invalid="ignore"):
                x = np.clip((t + shift - np.asarray(origins, dtype=np.float64)) / tick, -1.0, counts + 1.0)
            nearest = np.rint(x)
            k = np.where(np.abs(x - nearest) <= 1e-9 * np.maximum(1.0, np.abs(x)), nearest, np.ceil(x))
            return np.clip(k, 0, counts).astype(np.int64)

        lo = bound(self.t_start, np.zeros_like(counts))
        hi = bound(self.t_stop, counts)
        return lo, np.maximum(lo, hi)

    def as_dict(self) -> dict[str, object]:
        """Plain data for ``metadata["window"]``."""
        return {"t_start": self.t_start, "t_stop": self.t_stop, "relative": self.relative}


def _seconds(name: str, value: object) -> float | None:
    if value is None:
        return None
    accepted = "None or a finite number of seconds"
    if isinstance(value, (str, bytes, bool)):
        raise OptionError(f"{name}= must be {accepted}, got {value!r}")
    try:
        number = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError, OverflowError):
        raise OptionError(f"{name}= must be {accepted}, got {value!r}") from None
    if not math.isfinite(number):
        raise OptionError(f"{name}= must be {accepted}, got {value!r}")
    return number


def check_window(t_start: object, t_stop: object, relative: object) -> Window:
    """The :class:`Window` for the reader options; a bad value is an :class:`OptionError`."""
    if relative is not True and relative is not False:
        raise OptionError(f"relative= must be True or False, got {relative!r}")
    return Window(_seconds("t_start", t_start), _seconds("t_stop", t_stop), relative)


def check_chunk_size(value: object) -> int:
    """Rows per chunk for ``iter_chunks``: a whole number >= 1."""
    try:
        if isinstance(value, bool):
            raise TypeError
        size = operator.index(value)  # type: ignore[arg-type]
    except TypeError:
        raise OptionError(f"the chunk size must be a whole number >= 1, got {value!r}") from None
    if size < 1:
        raise OptionError(f"the chunk size must be a whole number >= 1, got {value!r}")
    return size
