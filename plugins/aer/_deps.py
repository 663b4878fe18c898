"""The neurofiles toolkit names the AER plugin needs, gathered in one module.

All come from the public toolkit (``neurofiles.plugin.events``).
"""

from __future__ import annotations

from neurofiles.plugin.events import (
    IMU_DTYPE,
    IMU_FIELDS,
    LAYOUTS,
    TRIGGER_DTYPE,
    layout_for_chip,
    pending_records,
    piece_marks,
    restrict_streams,
    stack_frames,
    tick_bounds,
)

__all__ = ["IMU_DTYPE", "IMU_FIELDS", "LAYOUTS", "TRIGGER_DTYPE", "layout_for_chip", "pending_records", "piece_marks", "restrict_streams",
           "stack_frames", "tick_bounds"]
