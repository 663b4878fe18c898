"""Everything the ABF plugin takes from neurofiles, in one place.

Public names come from :mod:`neurofiles.plugin`; the result type and the
operating-system error classes come from the private modules the ATF plugin
uses too, so a toolkit refactoring touches only this file.
"""

from neurofiles import NotARegularFileError, ReadError
from neurofiles.plugin import (
    CorruptFileError,
    FormatMismatch,
    FormatWarning,
    LimitExceededError,
    Reader,
    Source,
    Traces,
    TruncatedFileError,
)

__all__ = [
    "CorruptFileError",
    "FormatMismatch",
    "FormatWarning",
    "LimitExceededError",
    "NotARegularFileError",
    "ReadError",
    "Reader",
    "Source",
    "Traces",
    "TruncatedFileError",
]
