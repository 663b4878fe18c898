"""Everything the ABF plugin takes from neurofiles, in one place.

Every name is public: :mod:`neurofiles.plugin` for the toolkit (errors, the
reader base class, the result type) and top-level :func:`neurofiles.load`
for opening the companion stimulus files, so a toolkit refactoring touches
only this file.
"""

from neurofiles import load
from neurofiles.plugin import (
    CorruptFileError,
    FormatMismatch,
    FormatWarning,
    LimitExceededError,
    NeurofilesError,
    NotARegularFileError,
    OptionError,
    ReadError,
    Reader,
    Source,
    SourceNotFoundError,
    Traces,
    TruncatedFileError,
)

__all__ = [
    "CorruptFileError",
    "FormatMismatch",
    "FormatWarning",
    "LimitExceededError",
    "NeurofilesError",
    "NotARegularFileError",
    "OptionError",
    "ReadError",
    "Reader",
    "Source",
    "SourceNotFoundError",
    "Traces",
    "TruncatedFileError",
    "load",
]
