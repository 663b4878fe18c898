"""Address-event helpers for readers and writers of AER formats.

:data:`LAYOUTS`
    the sensor address layouts :meth:`Events.decode <neurofiles.Events.decode>`
    knows (``"dvs128"``, ``"davis240"``...), with their sensor sizes.
:func:`decode_addresses` / :func:`encode_addresses`
    raw jAER addresses to ``x``, ``y``, ``polarity`` and back.
:func:`tick_bounds`
    integer timestamp bounds ``[lo, hi)`` for a time window in seconds, so a
    reader can cut a window out of raw ticks without converting every one.
"""

from __future__ import annotations

from .._results.aer_decode import LAYOUTS, decode_addresses, encode_addresses
from .._results.events import _tick_bounds as tick_bounds

__all__ = ["LAYOUTS", "decode_addresses", "encode_addresses", "tick_bounds"]
