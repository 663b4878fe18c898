"""Content sniff for AER files without a ``#!AER-DAT`` line (headerless ``.dat`` / ``.aedat``).

Confidence stays at or below 0.6 so that formats with stronger evidence
(NEURON binary ``vwrite`` files sniff at about 0.95) win, and is 0 for text
(NEURON text ``.dat`` files), empty files and names that are not AER names.
"""

from __future__ import annotations

from neurofiles.plugin import Probe

__all__ = ["sniff_headerless"]

_AER_SUFFIXES = (".dat", ".aedat", ".aedat2")
_TEXT = frozenset(range(0x20, 0x7F)) | frozenset(b"\t\n\r") | frozenset(range(0x80, 0x100))


def _is_text(data: bytes) -> bool:
    return all(b in _TEXT for b in data)


def _skip_comment_lines(header: bytes) -> int:
    """Offset after leading ``#`` text lines (0 if none)."""
    pos = 0
    while header[pos : pos + 1] == b"#":
        nl = header.find(b"\n", pos)
        if nl < 0 or not _is_text(header[pos:nl]):
            break
        pos = nl + 1
    return pos


def _decreases(body: bytes, record: int) -> tuple[int, int]:
    """(decreasing steps, pairs) of big-endian int32 timestamps for ``record``-byte records."""
    n = len(body) // record
    ts = [int.from_bytes(body[i * record + record - 4 : (i + 1) * record], "big", signed=True) for i in range(n)]
    return sum(1 for a, b in zip(ts, ts[1:]) if b < a), max(0, n - 1)


def sniff_headerless(probe: Probe) -> float:
    """Confidence (0..0.6) that ``probe`` is a headerless or version-less AER file."""
    header = probe.header
    if header.startswith(b"#!AER-DAT"):
        return 1.0
    if not header or probe.size == 0:
        return 0.0
    if not probe.name.lower().endswith(_AER_SUFFIXES):
        return 0.0
    start = _skip_comment_lines(header)
    body = header[start:]
    if not body or _is_text(body[:1024]):
        return 0.0  # text (e.g. NEURON .dat), or a comment-only file
    size_ok = probe.size is None or any((probe.size - start) % r == 0 for r in (6, 8))
    sample = body[: 6 * 8 * 40]
    monotonic = False
    for record in (6, 8):
        down, pairs = _decreases(sample, record)
        if pairs >= 4 and down == 0:
            monotonic = True
    score = 0.3 + (0.15 if size_ok else 0.0) + (0.15 if monotonic else 0.0)
    return round(score, 2)
