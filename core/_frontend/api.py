"""The top-level functions: ``load``, ``save``, ``detect``, ``formats``, ``backends``."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import IO, Any

from .atomic import write_many
from .._framework.discovery import get_registry
from .._errors import UnsupportedDataError
from .._framework.lookup import accepted_options, check_options, choose_writer, data_hint
from .._framework.options import resolve_texts
from .._framework.reader import Reader
from .._framework.registry import Registry
from .._framework.select import Detection, open_reader
from .._framework.source import Source, SourceLike
from .._framework.specs import Signature

__all__ = ["BackendInfo", "FormatInfo", "backends", "detect", "formats", "load", "save"]


def _registry_for(format: str | None) -> Registry:
    """Fast path: a built-in ``format=`` needs no third-party scan."""
    if format is not None:
        builtin = get_registry(third_party=False)
        if format in builtin.readers or format in builtin.writers:
            return builtin
    return get_registry()


def open_reader_for(
    source: SourceLike, *, format: str | None = None, options: dict[str, Any] | None = None
) -> tuple[Reader, Detection]:
    """Normalise ``source``, choose its reader and construct it (header only); the caller closes it."""
    registry = _registry_for(format)
    normalised = Source(source, registry.header_size)
    try:
        return open_reader(registry, normalised, format=format, options=options)
    except BaseException:
        normalised.close()
        raise


@contextlib.contextmanager
def _reading(source: SourceLike, format: str | None, options: dict[str, Any]) -> Iterator[tuple[Reader, Detection]]:
    """The reader and detection for ``source``; closes the reader and releases the file after."""
    reader, detection = open_reader_for(source, format=format, options=options)
    try:
        with reader:
            yield reader, detection
    finally:
        reader.source.close()


def load(source: SourceLike, *, format: str | None = None, **options: Any) -> Any:
    """Read a file with the reader that fits it, and return the result.

    Parameters
    ----------
    source
        A path (``str`` or ``os.PathLike``) or a seekable binary file object.
    format
        Force a format by name (see :func:`formats`); never falls back.
    **options
        Passed to the reader (e.g. ``tick=`` for AER files).

    Raises
    ------
    SourceNotFoundError
        The path does not exist (a ``FileNotFoundError``, checked before any guessing).
    SourcePermissionError, NotARegularFileError, ReadError
        The path cannot be read, is a directory/FIFO/device, or cannot be
        opened for another reason (symlink loop, name too long...); ``errno`` is kept.
    InvalidPathError
        The path holds a NUL character (also a ``ValueError``).
    NoReaderError, AmbiguousFormatError, UnknownFormatError
        No reader, or more than one, fits the file.
    FileChangedError
        The file's size or modification time changed while it was read.
    """
    with _reading(source, format, options) as (reader, _):
        result = reader.read()
        reader.source.check_unchanged()
        return result


def detect(source: SourceLike, *, format: str | None = None, **options: Any) -> Detection:
    """Say which reader :func:`load` would choose and why, reading only the header."""
    with _reading(source, format, options) as (_, detection):
        return detection


def summarize(source: SourceLike, *, format: str | None = None, **options: Any) -> tuple[Detection, dict[str, Any]]:
    """The detection plus the chosen reader's header summary (used by ``neurofiles info``)."""
    with _reading(source, format, options) as (reader, detection):
        return detection, reader.summary()


@dataclass(frozen=True)
class FormatInfo:
    """A registered format: what it reads and writes, and which plugin provides it.

    ``extensions`` are the ones its reader claims, ``write_extensions`` the
    ones :func:`save` chooses its writer by (they may differ: AEDAT reads
    headerless ``.dat`` files but writes ``.aedat``).
    """

    name: str
    extensions: tuple[str, ...]
    magic: tuple[Signature, ...]
    can_read: bool
    can_write: bool
    plugin: str
    distribution: str
    version: str
    description: str
    write_extensions: tuple[str, ...] = ()


@dataclass(frozen=True)
class BackendInfo:
    """A registered DataManager storage backend."""

    name: str
    plugin: str
    distribution: str
    version: str
    description: str


def formats() -> list[FormatInfo]:
    """Every installed format, sorted by name."""
    registry = get_registry()
    result = []
    for name in sorted(set(registry.readers) | set(registry.writers)):
        reader = registry.readers.get(name)
        writer = registry.writers.get(name)
        spec, plugin = reader or writer  # type: ignore[misc]
        result.append(
            FormatInfo(
                name=name,
                extensions=reader[0].extensions if reader else (),
                magic=reader[0].magic if reader else (),
                can_read=reader is not None,
                can_write=writer is not None,
                plugin=plugin.name,
                distribution=plugin.distribution,
                version=plugin.version,
                description=spec.description,
                write_extensions=writer[0].extensions if writer else (),
            )
        )
    return result


def backends() -> list[BackendInfo]:
    """Every installed storage backend, sorted by name."""
    registry = get_registry()
    return [
        BackendInfo(name, plugin.name, plugin.distribution, plugin.version, spec.description)
        for name, (spec, plugin) in sorted(registry.backends.items())
    ]


def save(dest: str | os.PathLike[str] | IO[bytes], data: Any, *, format: str | None = None, **options: Any) -> None:
    """Write ``data`` to ``dest`` with the writer chosen by ``format`` or the extension.

    A path is written atomically: to a temporary file in the same folder,
    then renamed, so a failure never leaves a partial file behind and no
    existing file is written through (a symbolic link at ``dest`` is
    replaced, a FIFO or device refused). See :mod:`neurofiles._frontend.atomic`.
    """
    save_many([(dest, data)], format=format, **options)


def save_many(
    jobs: Sequence[tuple[str | os.PathLike[str] | IO[bytes], Any]], *, format: str | None = None, **options: Any
) -> None:
    """:func:`save` of several ``(dest, data)`` pairs, all or nothing for the paths among them.

    Every writer and destination is checked before anything is written;
    the files appear together once all are written.
    """
    registry = _registry_for(format)
    paths = []
    for dest, data in jobs:
        is_path = isinstance(dest, (str, os.PathLike))
        name = os.fspath(dest) if is_path else str(getattr(dest, "name", ""))  # type: ignore[arg-type]
        spec = choose_writer(registry, name, data, format)
        writer = spec.load_writer()
        check_options(f"writer {spec.name!r}", accepted_options(writer, skip=2, exclude={"path"}), options)
        write = _bind(writer, data, options, "" if format is not None else data_hint(registry, data))
        if not is_path:
            write(dest, None)
        else:
            paths.append((dest, write))
    write_many(paths)  # type: ignore[arg-type]


def _bind(writer: Any, data: Any, options: dict[str, Any], hint: str) -> Any:
    """``write(stream, path)`` for :func:`write_many`; a writer refusing the data also says what would take it."""

    typed = resolve_texts(writer, options)  # -W texts converted by the types the writer declares

    def write(stream: Any, path: Any) -> None:
        try:
            writer(stream, data, path=path, **typed)
        except UnsupportedDataError as exc:
            if not hint:
                raise
            raise UnsupportedDataError(f"{exc}.{hint}" if not str(exc).endswith(".") else f"{exc}{hint}") from exc

    return write

for _cls in (FormatInfo, BackendInfo):
    _cls.__module__ = "neurofiles"  # their public name
del _cls
