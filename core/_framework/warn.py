"""Warnings attributed to the user's line, not to the neurofiles frame that noticed the problem."""

from __future__ import annotations

import sys
import warnings

__all__ = ["warn"]


def _internal(module: object) -> bool:
    return isinstance(module, str) and (module == "neurofiles" or module.startswith("neurofiles."))


def warn(message: str, category: type[Warning]) -> None:
    """Issue ``message`` as ``category``, pointing at the first caller outside neurofiles.

    How deep the library is when it notices a problem (a broken plugin found
    by ``load``, ``formats`` or the DataManager) does not change the line the
    warning names: it is the innermost frame whose module is neither
    ``neurofiles`` nor one of its submodules.
    """
    frame = sys._getframe(1)
    level = 2  # warnings.warn(stacklevel=2) names our caller
    while frame is not None and _internal(frame.f_globals.get("__name__")):
        frame = frame.f_back  # type: ignore[assignment]
        level += 1
    warnings.warn(message, category, stacklevel=level)
