"""Chunked decoding of AEDAT 1.0/2.0 records that keeps frames and IMU samples crossing a chunk boundary.

A DAVIS APS frame is read out over many records (and an IMU sample over 7 words), so a piece of
the file can end inside one. :class:`DecodeCarry` decodes piece by piece and hands the records
such a frame or sample still needs (``pending_records``) to the next piece, so the pieces together
give the frames, IMU samples, triggers and events of a whole load.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
from neurofiles.plugin import Events

from ._deps import LAYOUTS, pending_records, piece_marks

__all__ = ["DecodeCarry", "merge_streams"]


class DecodeCarry:
    """Decode consecutive pieces of raw events with one ``layout``, carrying unfinished frames/IMU samples.

    The carried records are kept as a list of arrays: a piece that neither starts nor ends a
    frame nor holds IMU words is decoded alone and its APS samples are appended to the carry,
    so a frame spread over many small pieces costs linear, not quadratic, time.
    """

    def __init__(self, layout: str) -> None:
        self.layout = layout
        key = layout.lower().replace("-", "").replace("_", "")  # spelled as decode= accepts it
        self.davis = key in LAYOUTS and LAYOUTS[key][0] == "davis"
        self.addresses: list[np.ndarray[Any, Any]] = []
        self.timestamps: list[np.ndarray[Any, Any]] = []
        self.aps_inside = 0  # carried APS samples inside the sensor (already listed in an ``aps`` stream)

    @property
    def pending(self) -> bool:
        """True while an APS frame or IMU sample begun in an earlier piece is not complete."""
        return bool(self.addresses)

    def earliest(self) -> int | None:
        """Smallest timestamp among the carried records (a pending frame's start, a pending IMU sample's)."""
        return min(int(t.min()) for t in self.timestamps if len(t)) if self.pending else None

    def feed(self, piece: Events) -> Events:
        """The decoded events of ``piece``, with the frames and IMU samples that complete in it."""
        if not self.davis:
            return piece.decode(self.layout)
        a = piece.addresses
        assert a is not None
        if self.addresses:
            closes, inside = piece_marks(a, self.layout)
            if not closes:  # nothing here can complete what is carried: carry this piece's APS samples too
                decoded = piece.decode(self.layout)
                aps = (a & 0x80000000) != 0  # no IMU word in this piece: every such record is an APS sample
                if aps.any():
                    self.addresses.append(a[aps])
                    self.timestamps.append(piece.timestamps[aps])
                    self.aps_inside += inside
                return decoded
        carried = self.aps_inside
        if self.addresses:
            piece = Events(np.concatenate([*self.timestamps, piece.timestamps]),
                           addresses=np.concatenate([*self.addresses, a]), tick=piece.tick, metadata=piece.metadata)
        decoded = piece.decode(self.layout)
        aps_stream = decoded.streams.get("aps")
        if carried and isinstance(aps_stream, Mapping):  # those samples were listed with an earlier piece
            decoded.streams["aps"] = {k: v[carried:] for k, v in aps_stream.items()}
        assert piece.addresses is not None
        keep, self.aps_inside = pending_records(piece.addresses, self.layout)
        self.addresses = [piece.addresses[keep]] if len(keep) else []
        self.timestamps = [piece.timestamps[keep]] if len(keep) else []
        return decoded


def merge_streams(first: Mapping[str, Any], later: Mapping[str, Any]) -> dict[str, Any]:
    """``first``'s streams followed by ``later``'s (structured arrays and per-item mappings concatenated)."""
    out = dict(first)
    for name, content in later.items():
        have = out.get(name)
        if have is None:
            out[name] = content
        elif isinstance(have, np.ndarray) and isinstance(content, np.ndarray):
            out[name] = np.concatenate((have, content))
        elif isinstance(have, Mapping) and isinstance(content, Mapping):
            out[name] = {k: (np.concatenate((v, content[k])) if isinstance(v, np.ndarray) and k in content else v)
                         for k, v in have.items()}
    return out
