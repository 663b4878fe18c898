"""The command waveform of a DAC, per sweep, synthesised from its epoch table.

Clampex plays, in each sweep: a first 1/64 of the sweep at the holding level
(or, when the DAC keeps the last level between sweeps, the last epoch level
of the previous sweep), then each enabled epoch for ``duration +
sweep * duration_inc`` samples at ``level + sweep * level_inc`` (a ramp starts
from the previous level; pulse trains use the pulse period and width), then
the holding level (or the last epoch level) to the end of the sweep.
"""

from __future__ import annotations

import math

import numpy as np

from ._model import Dac, Epoch

__all__ = ["command_sweep", "command_waveforms", "digital_outputs", "digital_sweep"]


def _epoch_chunk(e: Epoch, n: int, j: int, k: int, level: float, before: float) -> np.ndarray:
    """Samples ``j .. j + k`` of the ``n`` samples of one epoch at ``level``, the previous level being
    ``before`` (``j + k <= n``; only ``k`` samples are ever allocated, whatever ``n`` the header gives)."""
    period, width = e.pulse_period, max(e.pulse_width, 0)
    pulses = n // period if period > 0 else 0
    index = np.arange(j, j + k, dtype=np.int64)
    i = index.astype(np.float64)
    kind = e.type
    if kind == 1:  # step
        return np.full(k, level)
    if kind == 2:  # ramp from the previous level, as numpy.linspace(before, level, n)
        return before + (level - before) * (i / (n - 1)) if n > 1 else np.full(k, before)
    if kind == 5:  # cosine train, one cycle per pulse period
        delta = level - before
        angle = (i / (n - 1) if n > 1 else i) * (2 * pulses * np.pi) + np.pi
        return before + np.cos(angle) * delta / 2 + delta / 2
    if kind not in (3, 4, 7):
        return np.full(k, math.nan)
    if period <= 0:
        return np.full(k, math.nan if kind == 4 else before)
    phase = index % period
    inside = index < pulses * period  # whole pulses only, as Clampex plays them
    width = min(width, period)
    if kind == 3:  # pulse train: ``width`` samples at ``level`` every ``period``
        return np.where(inside & (phase < width), level, before)
    if kind == 7:  # biphasic train: first half of the width up, second half down
        half = width // 2
        rising = inside & (phase < half)
        falling = inside & (phase >= half) & (phase < width)
        return np.where(rising, level, np.where(falling, 2 * before - level, before))
    # triangle train: up over ``width`` samples, down over the rest of the period
    up_n, down_n = width, period - width
    up = before + (level - before) * (phase / (up_n - 1) if up_n > 1 else 0.0 * phase)
    down = level + (before - level) * ((phase - up_n) / (down_n - 1) if down_n > 1 else 0.0 * phase)
    return np.where(inside, np.where(phase < up_n, up, down), math.nan)


def command_sweep(
    dac: Dac, sweep: int, npts: int, first_level: float, start: int = 0, stop: int | None = None
) -> tuple[np.ndarray, float]:
    """Samples ``start:stop`` of sweep ``sweep`` of ``dac``'s epoch waveform (``npts`` samples) and
    the level the sweep ends at.

    ``first_level`` is the level before the first epoch (holding, or the
    previous sweep's last level). Only ``stop - start`` samples are allocated.
    """
    stop = npts if stop is None else min(max(stop, 0), npts)
    start = min(max(start, 0), stop)
    out = np.empty(stop - start)
    pos = npts // 64

    def fill(a: int, b: int, value: float) -> None:
        a, b = max(a, start), min(b, stop)
        if b > a:
            out[a - start : b - start] = value

    fill(0, pos, first_level)
    before = first_level
    level = dac.holding
    for e in dac.epochs:
        duration = max(e.duration + e.duration_inc * sweep, 0)
        level = e.level + e.level_inc * sweep
        end = min(pos + duration, npts)
        a, b = max(pos, start), min(end, stop)
        if b > a:
            out[a - start : b - start] = _epoch_chunk(e, duration, a - pos, b - a, level, before)
        pos = max(pos, end)
        before = level
    last = level if dac.keep_last_level else dac.holding
    fill(pos, npts, last)
    return out, last


def command_waveforms(dac: Dac, out: np.ndarray, npts: int | None = None, start: int = 0) -> None:
    """Fill ``out`` (samples x sweeps) with samples ``start : start + len(out)`` of the command
    waveform of every sweep of ``npts`` samples (default: ``len(out)``).

    A DAC with no waveform holds its holding level; one driven by a stimulus
    file (not read: it is another file) is NaN.
    """
    rows, sweeps = out.shape
    npts = rows if npts is None else npts
    if not dac.waveform_enabled or dac.waveform_source == 0:
        out[...] = dac.holding
        return
    if dac.waveform_source != 1:
        out[...] = math.nan
        return
    first = dac.holding
    for k in range(sweeps):
        out[:, k], first = command_sweep(dac, k, npts, first, start, start + rows)


def digital_sweep(dac: Dac, sweep: int, npts: int, start: int = 0, stop: int | None = None) -> np.ndarray:
    """Samples ``start:stop`` of the digital output pattern of sweep ``sweep`` (uint8, bit k = output k).

    Each epoch holds its 8-bit pattern for its samples (``duration + sweep *
    duration_inc``, as in :func:`command_sweep`); the first 1/64 of the sweep and
    the samples after the last epoch are 0, as pyabf's ``sweepD`` has them.
    """
    stop = npts if stop is None else min(max(stop, 0), npts)
    start = min(max(start, 0), stop)
    out = np.zeros(stop - start, dtype=np.uint8)
    pos = npts // 64
    for e in dac.epochs:
        end = min(pos + max(e.duration + e.duration_inc * sweep, 0), npts)
        a, b = max(pos, start), min(end, stop)
        if b > a:
            out[a - start : b - start] = e.digital & 0xFF
        pos = max(pos, end)
    return out


def digital_outputs(dacs: list[Dac], sweeps: int, npts: int, start: int, rows: int) -> np.ndarray | None:
    """The digital outputs of every sweep, rows ``start .. start + rows``: uint8 (rows x sweeps),
    bit k = digital output k; None when no epoch sets a digital output."""
    active = [d for d in dacs if d.waveform_enabled and d.waveform_source == 1 and any(e.digital for e in d.epochs)]
    if not active or rows <= 0:
        return None
    out = np.zeros((rows, sweeps), dtype=np.uint8)
    for d in active:
        for k in range(sweeps):
            out[:, k] |= digital_sweep(d, k, npts, start, start + rows)
    return out
