"""The base class every format reader derives from."""

from __future__ import annotations

from types import TracebackType
from typing import Any, ClassVar

from .source import Source

__all__ = ["Reader"]


class Reader:
    """Reads one file of one format.

    Subclasses implement ``__init__(self, source, *, <explicit options>)``,
    which parses the header only and raises
    :class:`~neurofiles.FormatMismatch` if the file is not theirs, and
    :meth:`read`, which returns the result. Options are explicit keyword
    parameters (no ``**kwargs``), so unknown options are refused before
    anything is read.
    """

    #: Set by the registry to the format name that chose this reader.
    format_name: ClassVar[str] = ""

    def __init__(self, source: Source) -> None:
        self.source = source

    def read(self) -> Any:
        """Read the body and return the result object."""
        raise NotImplementedError

    def summary(self) -> dict[str, Any]:
        """Cheap facts from the header for ``neurofiles info`` (no body read)."""
        return {}

    def close(self) -> None:
        """Release any handle or memory map the reader holds."""

    def __enter__(self) -> Reader:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


Reader.__module__ = "neurofiles.plugin"  # its public name
