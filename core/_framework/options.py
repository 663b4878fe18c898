"""The one option check: keyword options a reader, writer or backend takes, and the error for the others."""

from __future__ import annotations

import inspect
import re
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from .._errors import OptionError

__all__ = [
    "OptionText",
    "accepted_options",
    "check_options",
    "guess_option",
    "resolve_texts",
    "typed_options",
    "unknown_options",
]

_TRUE = ("true", "yes", "on")
_FALSE = ("false", "no", "off")
_TEXT_TYPES = {"str", "Path", "PathLike", "PurePath"}
_KNOWN = {"bool", "int", "float", "None"} | _TEXT_TYPES


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


def guess_option(text: str) -> Any:
    """A command-line option value of unknown type: a boolean, None, an integer, a float, else the text."""
    low = text.strip().lower()
    if low in _TRUE:
        return True
    if low in _FALSE:
        return False
    if low in ("none", "null"):
        return None
    for kind in (int, float):
        try:
            return kind(text)
        except ValueError:
            pass
    return text


def _declared(func: Callable[..., Any], name: str) -> set[str] | None:
    """The type names in the annotation of ``func``'s parameter ``name``; None when not declared."""
    try:
        param = inspect.signature(func).parameters.get(name)
    except (TypeError, ValueError):
        return None
    if param is None or param.annotation is inspect.Parameter.empty:
        return None
    ann = param.annotation
    text = ann if isinstance(ann, str) else ann.__name__ if isinstance(ann, type) else repr(ann)
    kinds = set(re.findall(r"[A-Za-z_]\w*", text)) & _KNOWN
    return kinds or None


def _from_text(kinds: set[str] | None, text: str) -> Any:
    if kinds is None:  # Any, a Literal, no annotation: the value's own look decides
        return guess_option(text)
    low = text.strip().lower()
    if "bool" in kinds and low in _TRUE + _FALSE:
        return low in _TRUE
    textual = bool(kinds & _TEXT_TYPES)
    if "None" in kinds and not textual and low in ("none", "null"):
        return None
    if kinds <= {"bool", "None"}:  # a flag: only the words of a boolean (or none) mean anything
        raise OptionError(f"takes true/false (yes/no, on/off), got {text!r}")
    for kind, name in ((int, "int"), (float, "float")):
        if name in kinds:
            try:
                return kind(text)
            except ValueError:
                pass
    if textual:
        return text  # declared text keeps its leading zeros, "1e3", "true"...
    return guess_option(text)  # not of the declared type: the callee's own check names the problem


def typed_options(func: Callable[..., Any], texts: Mapping[str, str]) -> dict[str, Any]:
    """Command-line option texts converted by the types ``func`` declares for them.

    A parameter annotated with ``str`` (or a path type) keeps the text as
    typed (``subject_id=001`` stays ``"001"``); ``bool``, ``int``, ``float``
    and ``None`` in the annotation are tried in that order; an option whose
    type is not declared (no annotation, ``Any``) is guessed by
    :func:`guess_option`. Options ``func`` does not take are guessed too
    (the caller's option check refuses them).
    """
    typed = {}
    for name, text in texts.items():
        try:
            typed[name] = _from_text(_declared(func, name), text)
        except OptionError as exc:
            raise OptionError(f"option {name} {exc}") from None
    return typed


class OptionText(str):
    """An option value as typed on the command line (``-O``/``-W``), not yet converted.

    :func:`resolve_texts` converts it by the type the reader or writer that
    finally takes it declares, so ``subject_id=001`` reaches a ``str`` option
    as ``"001"`` and ``tick=2e-7`` a ``float`` option as ``2e-07``.
    """

    __slots__ = ()


def resolve_texts(func: Callable[..., Any], options: Mapping[str, Any]) -> dict[str, Any]:
    """``options`` with every :class:`OptionText` value converted by :func:`typed_options` for ``func``."""
    texts = {k: str(v) for k, v in options.items() if isinstance(v, OptionText)}
    if not texts:
        return dict(options)
    return {**options, **typed_options(func, texts)}
