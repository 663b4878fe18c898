"""The one option check: keyword options a reader, writer or backend takes, and the error for the others."""

from __future__ import annotations

import inspect
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from .._errors import OptionError

__all__ = ["accepted_options", "check_options", "unknown_options"]


def accepted_options(func: Callable[..., Any], *, skip: int = 0, exclude: Iterable[str] = ()) -> set[str] | None:
    """Keyword options ``func`` takes after its first ``skip`` parameters; None if it takes ``**kwargs``."""
    params = list(inspect.signature(func).parameters.values())[skip:]
    if any(p.kind is inspect.Parameter.VAR_KEYWORD for p in params):
        return None
    taken = {p.name for p in params if p.kind in (p.KEYWORD_ONLY, p.POSITIONAL_OR_KEYWORD)}
    return taken - set(exclude)


def unknown_options(accepted: set[str] | frozenset[str] | None, options: Mapping[str, Any]) -> list[str]:
    """The names in ``options`` that ``accepted`` (None: anything) does not hold, sorted."""
    return [] if accepted is None else sorted(set(options) - set(accepted))


def check_options(
    what: str, accepted: set[str] | frozenset[str] | None, options: Mapping[str, Any]
) -> None:
    """Raise :class:`OptionError` naming the options ``what`` does not take, and the ones it does."""
    unknown = unknown_options(accepted, options)
    if unknown:
        takes = ", ".join(sorted(accepted or ())) or "none"
        raise OptionError(f"{what} does not take option(s) {', '.join(unknown)}; it takes: {takes}")
