"""Checks of the AER readers' option values; a bad value is an :class:`~neurofiles.OptionError`.

``OptionError`` is both a ``TypeError`` and a ``ValueError``, so callers that
caught either keep working. Each message names the option and what it accepts.
"""

from __future__ import annotations

import math
import operator

from neurofiles.plugin import OptionError

__all__ = ["check_bool", "check_layout", "check_positive_int", "check_seconds", "check_tick", "check_version"]

_VERSIONS = {"1": "1.0", "1.0": "1.0", "2": "2.0", "2.0": "2.0"}


def _number(name: str, value: object, accepted: str) -> float:
    if isinstance(value, (str, bytes, bool)) or value is None:
        raise OptionError(f"{name}= must be {accepted}, got {value!r}")
    try:
        return float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError, OverflowError):
        raise OptionError(f"{name}= must be {accepted}, got {value!r}") from None


def check_tick(tick: object) -> float | None:
    """``tick=``: None, or a finite number of seconds > 0."""
    if tick is None:
        return None
    accepted = "a finite number of seconds greater than 0 (e.g. 1e-6)"
    value = _number("tick", tick, accepted)
    if not (math.isfinite(value) and value > 0):
        raise OptionError(f"tick= must be {accepted}, got {tick!r}")
    return value


def check_seconds(name: str, value: object) -> float | None:
    """``t_start=`` / ``t_stop=``: None, or a finite number of seconds."""
    if value is None:
        return None
    accepted = "None or a finite number of seconds"
    number = _number(name, value, accepted)
    if not math.isfinite(number):
        raise OptionError(f"{name}= must be {accepted}, got {value!r}")
    return number


def check_version(version: object) -> str | None:
    """``version=``: None, ``"1.0"`` or ``"2.0"`` (also 1, 2, ``"aedat2"``...)."""
    if version is None:
        return None
    if isinstance(version, (str, int, float)) and not isinstance(version, bool):
        text = str(version).strip().lower().removeprefix("aedat").strip()
        if text in _VERSIONS:
            return _VERSIONS[text]
    raise OptionError(
        f"version= must be '1.0' or '2.0' (the record layout of files without a version line), got {version!r}"
    )


def check_layout(layout: object) -> str | None:
    """``decode=``: None or a known address layout name."""
    if layout is None:
        return None
    from neurofiles.plugin.events import LAYOUTS

    if isinstance(layout, str):
        key = layout.lower().replace("-", "").replace("_", "")
        if key in LAYOUTS:
            return layout
    raise OptionError(f"decode= must be None or one of {', '.join(map(repr, LAYOUTS))}, got {layout!r}")


def check_positive_int(name: str, value: object, *, allow_none: bool = False) -> int | None:
    """A whole number >= 1 (``max_packet_bytes=``, ``threads=``, ``max_entries=``...)."""
    if value is None and allow_none:
        return None
    accepted = "a whole number >= 1" + (" or None" if allow_none else "")
    if isinstance(value, bool):
        raise OptionError(f"{name}= must be {accepted}, got {value!r}")
    try:
        number = operator.index(value)  # type: ignore[arg-type]
    except TypeError:
        raise OptionError(f"{name}= must be {accepted}, got {value!r}") from None
    if number < 1:
        raise OptionError(f"{name}= must be {accepted}, got {value!r}")
    return number


def check_bool(name: str, value: object, *, allow_none: bool = False) -> bool | None:
    """``strict=`` / ``allow_outside=``: True or False."""
    if value is None and allow_none:
        return None
    if isinstance(value, bool):
        return value
    if type(value).__name__ == "bool_" or (isinstance(value, int) and value in (0, 1)):
        return bool(value)
    raise OptionError(f"{name}= must be True or False, got {value!r}")
