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

__all__ = ["command_sweep", "command_waveforms"]


def _epoch_chunk(e: Epoch, n: int, k: int, level: float, before: float) -> np.ndarray:
    """The first ``k`` of the ``n`` samples of one epoch at ``level``, the previous level being
    ``before`` (``k <= n``; only ``k`` samples are ever allocated, whatever ``n`` the header gives)."""
    period, width = e.pulse_period, max(e.pulse_width, 0)
    pulses = n // period if period > 0 else 0
    i = np.arange(k, dtype=np.float64)
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
    phase = np.arange(k, dtype=np.int64) % period
    inside = np.arange(k, dtype=np.int64) < pulses * period  # whole pulses only, as Clampex plays them
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


def command_sweep(dac: Dac, sweep: int, npts: int, first_level: float) -> tuple[np.ndarray, float]:
    """Sweep ``sweep`` of ``dac``'s epoch waveform (``npts`` samples) and the level it ends at.

    ``first_level`` is the level before the first epoch (holding, or the
    previous sweep's last level).
    """
    out = np.empty(npts)
    pos = min(npts // 64, npts)
    out[:pos] = first_level
    before = first_level
    level = dac.holding
    for e in dac.epochs:
        duration = max(e.duration + e.duration_inc * sweep, 0)
        level = e.level + e.level_inc * sweep
        stop = min(pos + duration, npts)
        if stop > pos:
            out[pos:stop] = _epoch_chunk(e, duration, stop - pos, level, before)
        pos = max(pos, stop)
        before = level
    last = level if dac.keep_last_level else dac.holding
    out[pos:] = last
    return out, last


def command_waveforms(dac: Dac, out: np.ndarray) -> None:
    """Fill ``out`` (samples x sweeps) with the command waveform of every sweep.

    A DAC with no waveform holds its holding level; one driven by a stimulus
    file (not read: it is another file) is NaN.
    """
    npts, sweeps = out.shape
    if not dac.waveform_enabled or dac.waveform_source == 0:
        out[...] = dac.holding
        return
    if dac.waveform_source != 1:
        out[...] = math.nan
        return
    first = dac.holding
    for k in range(sweeps):
        out[:, k], first = command_sweep(dac, k, npts, first)
