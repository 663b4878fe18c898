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


def _epoch_chunk(e: Epoch, n: int, level: float, before: float) -> np.ndarray:
    """``n`` samples of one epoch at ``level``, the previous level being ``before``."""
    period, width = e.pulse_period, e.pulse_width
    pulses = n // period if period > 0 else 0
    kind = e.type
    if kind == 1:  # step
        return np.full(n, level)
    if kind == 2:  # ramp
        return np.linspace(before, level, n)
    if kind == 3:  # pulse train
        chunk = np.full(n, before)
        for k in range(pulses):
            chunk[k * period : k * period + max(width, 0)] = level
        return chunk
    if kind == 4:  # triangle train
        chunk = np.full(n, math.nan)
        for k in range(pulses):
            a, b, c = k * period, k * period + max(width, 0), (k + 1) * period
            chunk[a:b] = np.linspace(before, level, max(b - a, 0))[: max(min(b, n) - a, 0)]
            chunk[b:c] = np.linspace(level, before, max(c - b, 0))[: max(min(c, n) - b, 0)]
        return chunk
    if kind == 5:  # cosine train
        delta = level - before
        phase = np.linspace(0, 2 * pulses * np.pi, n) + np.pi
        return before + np.cos(phase) * delta / 2 + delta / 2
    if kind == 7:  # biphasic train
        chunk = np.full(n, before)
        delta = level - before
        for k in range(pulses):
            a = k * period
            c = a + max(width, 0)
            b = (a + c) // 2
            chunk[a:b] = before + delta
            chunk[b:c] = before - delta
        return chunk
    return np.full(n, math.nan)


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
            out[pos:stop] = _epoch_chunk(e, duration, level, before)[: stop - pos]
        pos = max(pos, stop)
        before = level
    last = level if dac.keep_last_level else dac.holding
    out[pos:] = last
    return out, last


def command_waveforms(dac: Dac, sweeps: int, npts: int) -> np.ndarray:
    """The command waveform of every sweep, shape (npts, sweeps).

    A DAC with no waveform holds its holding level; one driven by a stimulus
    file (not read: it is another file) is NaN.
    """
    out = np.empty((npts, sweeps))
    if not dac.waveform_enabled or dac.waveform_source == 0:
        out[:] = dac.holding
        return out
    if dac.waveform_source != 1:
        out[:] = math.nan
        return out
    first = dac.holding
    for k in range(sweeps):
        out[:, k], last = command_sweep(dac, k, npts, first)
        first = last
    return out
