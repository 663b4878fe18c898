"""The private neurofiles names the AER plugin needs that ``neurofiles.plugin`` does not export yet.

Kept in this one module so that moving them behind a public name is a one-file change.
"""

from __future__ import annotations

from neurofiles._aer_decode import IMU_DTYPE, IMU_FIELDS, TRIGGER_DTYPE, layout_for_chip
from neurofiles._events import _tick_bounds, stack_frames

__all__ = ["IMU_DTYPE", "IMU_FIELDS", "TRIGGER_DTYPE", "layout_for_chip", "stack_frames", "tick_bounds"]

tick_bounds = _tick_bounds
