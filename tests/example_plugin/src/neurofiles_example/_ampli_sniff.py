"""Content sniff for AMPLI traces, kept apart from the reader on purpose.

neurofiles imports a sniff function for *every* file whose extension the
format claims (``.dat`` here, shared with other formats) and for every file
whose extension no format claims (``.txt``), so this module imports nothing but ``neurofiles.plugin`` and looks only at
the probe's header bytes.
"""

from __future__ import annotations

from neurofiles.plugin import Probe

__all__ = ["sniff_ampli"]

FIRST_LINE = b"% AMPLI trace"
#: Above the 0.9 NEURON's text sniff gives any numeric table, so an AMPLI file
#: (whose numeric block NEURON's reader could also parse) is ours, and below the
#: 1.0 that would claim certainty a sniff never has.
CONFIDENCE = 0.95


def sniff_ampli(probe: Probe) -> float:
    """0.95 if the first non-blank line starts with ``% AMPLI trace``, else 0 (not ours)."""
    head = probe.header
    if head.startswith(b"\xef\xbb\xbf"):  # a UTF-8 byte-order mark some editors add
        head = head[3:]
    return CONFIDENCE if head.lstrip(b" \t\r\n").startswith(FIRST_LINE) else 0.0
