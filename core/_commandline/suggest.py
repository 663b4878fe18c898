"""Close names for a misspelt command, choice, option or format."""

from __future__ import annotations

import difflib
from collections.abc import Iterable

__all__ = ["did_you_mean", "suggest"]


def suggest(name: str, known: Iterable[str]) -> list[str]:
    """Names of ``known`` close to ``name`` (difflib, or containing it / contained in it), best first."""
    known = list(dict.fromkeys(known))
    close = difflib.get_close_matches(name, known, n=3, cutoff=0.6)
    low = name.lower()
    parts = [k for k in known if low and (low in k.lower() or k.lower() in low) and k not in close]
    return (close + parts)[:3]


def did_you_mean(name: str, known: Iterable[str], prefix: str = "") -> str:
    """`` (did you mean --format axon-atf?)`` or the empty string."""
    found = suggest(name, known)
    return f" (did you mean {' or '.join(prefix + f for f in found)}?)" if found else ""
