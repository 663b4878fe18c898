"""Address-event helpers for readers and writers of AER formats.

:data:`LAYOUTS`
    the sensor address layouts :meth:`Events.decode <neurofiles.Events.decode>`
    knows (``"dvs128"``, ``"davis240"``...), with their sensor sizes.
:func:`decode_addresses` / :func:`encode_addresses`
    raw jAER addresses to ``x``, ``y``, ``polarity`` and back.
:func:`layout_for_chip`
    the address layout a jAER chip or DV camera name (from a file header) implies, or None.
:data:`IMU_DTYPE` / :data:`IMU_FIELDS` / :data:`TRIGGER_DTYPE`
    the structured dtypes of the ``imu`` and ``triggers`` streams, shared by every AER reader.
:func:`stack_frames`
    per-frame dicts (``image`` plus frame fields) to one ``streams["frames"]`` mapping.
:func:`pending_records` / :func:`restrict_streams`
    what chunked DAVIS decoding carries to the next piece; every stream cut to a tick window.
:func:`tick_bounds`
    integer timestamp bounds ``[lo, hi)`` for a time window in seconds, so a
    reader can cut a window out of raw ticks without converting every one.
"""

from __future__ import annotations

from .._results.aer_decode import (
    IMU_DTYPE,
    IMU_FIELDS,
    LAYOUTS,
    TRIGGER_DTYPE,
    decode_addresses,
    encode_addresses,
    layout_for_chip,
    pending_records,
    piece_marks,
)
from .._results.events import _tick_bounds as tick_bounds
from .._results.events import restrict_streams
from .._results.frames import stack_frames

__all__ = [
    "IMU_DTYPE",
    "IMU_FIELDS",
    "LAYOUTS",
    "TRIGGER_DTYPE",
    "decode_addresses",
    "encode_addresses",
    "layout_for_chip",
    "pending_records",
    "piece_marks",
    "restrict_streams",
    "stack_frames",
    "tick_bounds",
]
