"""APS frames as a ``streams["frames"]`` mapping: its per-frame fields, and stacking per-frame dicts into it.

Kept apart from :mod:`.events` so that both ``events`` and ``aer_decode`` can use it without importing each other.
"""

from __future__ import annotations

from typing import Any

import numpy as np

__all__ = ["FRAME_FIELDS", "stack_frames"]

#: Per-frame arrays of a ``streams["frames"]`` mapping (besides ``images``), all of length ``n``.
FRAME_FIELDS = ("timestamps", "frame_start", "frame_end", "exposure_start", "exposure_end",
                "position_x", "position_y", "width", "height")


def stack_frames(frames: list[dict[str, Any]], height: int, width: int) -> dict[str, np.ndarray[Any, Any]]:
    """A ``streams["frames"]`` mapping from per-frame dicts (``image`` plus :data:`FRAME_FIELDS`).

    Every image is placed at the top-left of a ``height x width`` canvas (regions keep their own
    ``width``/``height`` fields). All images must share dtype and channel count.
    """
    n = len(frames)
    first = np.asarray(frames[0]["image"]) if n else np.empty((0, 0), np.uint8)
    extra = first.shape[2:]
    images = np.zeros((n, height, width, *extra), dtype=first.dtype)
    out: dict[str, np.ndarray[Any, Any]] = {"images": images}
    for name in FRAME_FIELDS:
        out[name] = np.empty(n, np.int64 if name in FRAME_FIELDS[:5] else np.int32)
    for i, frame in enumerate(frames):
        image = np.asarray(frame["image"])
        h, w = image.shape[:2]
        images[i, :h, :w] = image
        for name in FRAME_FIELDS:
            out[name][i] = frame.get(name, -1)
    return out
