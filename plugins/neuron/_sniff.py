"""Content sniffing for NEURON files: text layouts vs ``vwrite`` binary vs anything else.

``.dat`` is shared with headerless AER binary files, so content decides:
numeric text scores 0.9, a ``vwrite`` header whose record chain matches the
file size exactly scores 0.95 (0.7 when the chain leaves the probed header
and the reader must verify it), binary scores 0 for the text reader.
"""

from __future__ import annotations

import re

from neurofiles.plugin import Probe

from ._layout import EPS_MAGIC, PWM_HEADS, whole_fields, is_numeric_line
from ._text_reader import looks_binary
from ._vwrite import scan_records

__all__ = ["sniff_text", "sniff_vwrite"]

#: the head of a number cut by the probe
_NUMBER_HEAD = re.compile(rb"[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d*)?")
TEXT_CONFIDENCE = 0.9
VWRITE_EXACT = 0.95
VWRITE_PARTIAL = 0.7
EPS_CONFIDENCE = 0.5
DAMAGED_CONFIDENCE = 0.3  # numeric text with a stray line: read it, so the error names the line


def sniff_text(probe: Probe) -> float:
    """Confidence that the file is NEURON text output."""
    head = probe.header
    if not head.strip():
        return 0.0
    if head.lstrip().startswith(EPS_MAGIC):
        return EPS_CONFIDENCE  # chosen so that the reader can refuse it with a clear message
    if looks_binary(head):
        return 0.0
    lines = head.split(b"\n")
    if probe.size is None or len(head) < probe.size:
        # the last line may be cut by the probe: keep its whole fields (a single-line vector
        # longer than the probe is one cut line)
        cut = lines[-1]
        lines[-1] = whole_fields(cut)
        if not lines[-1].strip() and _NUMBER_HEAD.fullmatch(cut.strip()):
            lines[-1] = b"0"  # one number longer than the probe (4,300 digits): numeric as far as seen
    lines = [ln.strip() for ln in lines if ln.strip()]
    if not lines:
        return 0.0
    if lines[0] in PWM_HEADS:
        return TEXT_CONFIDENCE
    non_numeric = numeric = 0
    clean = True
    for line in lines[:40]:
        if is_numeric_line(line):
            numeric += 1
            continue
        non_numeric += 1
        if numeric > 1 or non_numeric > 2:  # text after the data started (a count line may come first)
            clean = False
    if not numeric or numeric < non_numeric:
        return 0.0
    return TEXT_CONFIDENCE if clean else DAMAGED_CONFIDENCE


def sniff_vwrite(probe: Probe) -> float:
    """Confidence that the file is a chain of ``Vector.vwrite`` records."""
    size = probe.size
    head = probe.header
    if size is None or size < 8 or len(head) < 8:
        return 0.0

    def read_at(offset: int, nbytes: int) -> bytes:
        return head[offset : offset + nbytes]

    known = len(head)
    found = scan_records(read_at, size, limit=known - 7)
    if isinstance(found, str):
        return 0.0
    end = found[-1].offset + found[-1].size
    if end == size:
        return VWRITE_EXACT
    return VWRITE_PARTIAL if end + 8 > known else 0.0
