"""Spec objects: what a plugin declares about a format or backend.

Specs are cheap frozen dataclasses. They name the implementation by a dotted
path (``"package.module:Name"``) that is imported only when it is chosen.
"""

from __future__ import annotations

import importlib
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from .._errors import MissingDependencyError, PluginValidationError

__all__ = ["BackendSpec", "Probe", "ReaderSpec", "Signature", "WriterSpec", "import_object"]

_NAME = re.compile(r"^[a-z][a-z0-9]*(?:[-_][a-z0-9]+)*$")
_DOTTED = re.compile(r"^[A-Za-z_][\w.]*:[A-Za-z_][\w.]*$")
MAX_SIGNATURE_END = 65536


@dataclass(frozen=True)
class Signature:
    """Magic bytes expected at a byte offset of the file."""

    offset: int
    magic: bytes

    def __post_init__(self) -> None:
        if not isinstance(self.magic, bytes) or not self.magic:
            raise PluginValidationError(f"signature magic must be non-empty bytes, got {self.magic!r}")
        if not isinstance(self.offset, int) or self.offset < 0:
            raise PluginValidationError(f"signature offset must be an int >= 0, got {self.offset!r}")
        if self.end > MAX_SIGNATURE_END:
            raise PluginValidationError(f"signature ends at byte {self.end}, past {MAX_SIGNATURE_END}")

    @property
    def end(self) -> int:
        """Number of header bytes needed to test this signature."""
        return self.offset + len(self.magic)

    def matches(self, header: bytes) -> bool:
        """True if ``header`` holds the magic at the offset."""
        return header[self.offset : self.end] == self.magic


@dataclass(frozen=True)
class Probe:
    """What a sniff function sees: the header bytes, the file name and size."""

    header: bytes
    name: str
    size: int | None


def _check_name(kind: str, name: object) -> None:
    if not isinstance(name, str) or not _NAME.match(name):
        raise PluginValidationError(
            f"{kind} name must be lower-case letters, digits, '-' or '_', got {name!r}"
        )


def _check_dotted(kind: str, value: object) -> None:
    if not isinstance(value, str) or not _DOTTED.match(value):
        raise PluginValidationError(f"{kind} must be a 'package.module:Name' string, got {value!r}")


def _normalise_extensions(extensions: object) -> tuple[str, ...]:
    if isinstance(extensions, str) or not isinstance(extensions, (tuple, list)):
        raise PluginValidationError(f"extensions must be a tuple of strings, got {extensions!r}")
    result = []
    for ext in extensions:
        if not isinstance(ext, str) or not ext.startswith(".") or len(ext) < 2:
            raise PluginValidationError(f"extension must look like '.ext', got {ext!r}")
        result.append(ext.lower())
    return tuple(result)


def import_object(dotted: str, *, install_hint: str = "", needed_for: str = "") -> Any:
    """Import ``"package.module:Name"`` (or just ``"package.module"``) and return the object.

    An :class:`ImportError` becomes :class:`MissingDependencyError` carrying
    ``install_hint``; ``needed_for`` names what the optional package is for.
    """
    module_name, _, attr = dotted.partition(":")
    try:
        obj: Any = importlib.import_module(module_name)
    except ImportError as exc:
        package = module_name.split(".")[0]
        what = f"{needed_for} needs {package!r}" if needed_for else f"cannot import {module_name!r}"
        raise MissingDependencyError(f"{what} ({exc}).", install_hint=install_hint) from exc
    for part in attr.split(".") if attr else ():
        obj = getattr(obj, part)
    return obj


@dataclass(frozen=True)
class ReaderSpec:
    """Declares a reader.

    Parameters
    ----------
    name
        Format name users pass as ``format=`` (``"aedat"``).
    reader
        ``"package.module:Class"`` of a :class:`neurofiles.plugin.Reader` subclass.
    extensions
        Lower-case suffixes, multi-part allowed (``".aedat4"``, ``".tar.gz"``).
    magic
        Signatures; any match makes the reader a magic candidate.
    sniff
        ``"package.module:function"`` taking a :class:`Probe`, returning a
        confidence in [0, 1]; for formats without magic.
    priority
        Breaks ties between candidates of equal score (higher first).
    """

    name: str
    reader: str
    extensions: tuple[str, ...] = ()
    magic: tuple[Signature, ...] = ()
    sniff: str | None = None
    priority: int = 0
    description: str = ""
    install_hint: str = ""
    url: str = ""

    def __post_init__(self) -> None:
        _check_name("format", self.name)
        _check_dotted("reader", self.reader)
        object.__setattr__(self, "extensions", _normalise_extensions(self.extensions))
        if not isinstance(self.magic, tuple) or not all(isinstance(s, Signature) for s in self.magic):
            raise PluginValidationError(f"magic must be a tuple of Signature, got {self.magic!r}")
        if self.sniff is not None:
            _check_dotted("sniff", self.sniff)
        if not isinstance(self.priority, int):
            raise PluginValidationError(f"priority must be an int, got {self.priority!r}")

    @property
    def explicit_only(self) -> bool:
        """True if only ``format=`` can choose this reader (no extension, magic or sniff)."""
        return not (self.extensions or self.magic or self.sniff)

    def load_reader(self) -> type:
        """Import and return the reader class."""
        return import_object(self.reader, install_hint=self.install_hint)  # type: ignore[no-any-return]

    def load_sniff(self) -> Callable[[Probe], float] | None:
        """Import and return the sniff function, if any."""
        return None if self.sniff is None else import_object(self.sniff, install_hint=self.install_hint)


@dataclass(frozen=True)
class WriterSpec:
    """Declares a writer: ``writer(stream, data, *, path, **options) -> None``.

    ``accepts`` lists class names of the data it writes (matched against the
    data's type and its bases), used when several writers share an extension.
    """

    name: str
    writer: str
    extensions: tuple[str, ...] = ()
    accepts: tuple[str, ...] = ()
    priority: int = 0
    description: str = ""
    install_hint: str = ""

    def __post_init__(self) -> None:
        _check_name("format", self.name)
        _check_dotted("writer", self.writer)
        object.__setattr__(self, "extensions", _normalise_extensions(self.extensions))
        if not isinstance(self.accepts, tuple) or not all(isinstance(a, str) for a in self.accepts):
            raise PluginValidationError(f"accepts must be a tuple of class names, got {self.accepts!r}")

    def load_writer(self) -> Callable[..., None]:
        """Import and return the writer function."""
        return import_object(self.writer, install_hint=self.install_hint)  # type: ignore[no-any-return]

    def accepts_data(self, data: object) -> bool:
        """True if ``data`` is of a type listed in ``accepts`` (or nothing is listed)."""
        if not self.accepts:
            return True
        names = {cls.__name__ for cls in type(data).__mro__}
        return bool(names.intersection(self.accepts))


@dataclass(frozen=True)
class BackendSpec:
    """Declares a DataManager storage backend.

    ``backend`` is ``"package.module:Class"`` of a
    :class:`neurofiles.plugin.StorageBackend` subclass.
    """

    name: str
    backend: str
    description: str = ""
    install_hint: str = ""
    priority: int = 0

    def __post_init__(self) -> None:
        _check_name("backend", self.name)
        _check_dotted("backend", self.backend)

    def load_backend(self) -> type:
        """Import and return the backend class."""
        return import_object(self.backend, install_hint=self.install_hint)  # type: ignore[no-any-return]


for _cls in (BackendSpec, Probe, ReaderSpec, Signature, WriterSpec):
    _cls.__module__ = "neurofiles.plugin"  # their public name
del _cls
