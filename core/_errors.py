"""The exception and warning tree of neurofiles: every exception and warning class is defined here.

Every error raised on purpose derives from :class:`NeurofilesError`, and also
from the standard type a caller would already catch::

    NeurofilesError
    ├── FormatError (ValueError) ........... what a file holds, or which format it is
    │   ├── UnknownFormatError ............. ``format=`` names no registered format
    │   │   └── NoWriterError .............. no installed writer takes this data for this destination
    │   ├── AmbiguousFormatError ........... two readers claim a file equally
    │   ├── NoReaderError .................. no reader accepted the file
    │   ├── FormatMismatchError ............ the forced ``format=`` refused the file
    │   └── CorruptFileError ............... the chosen reader found bad content
    │       ├── TruncatedFileError ......... the file ends inside a record or packet
    │       └── LimitExceededError ......... a header asks for more than the limits allow
    ├── UnsupportedDataError (TypeError, ValueError)  a writer cannot store this data
    ├── OptionError (TypeError, ValueError)  an option not taken, or a bad option value
    │   └── MissingOptionError ............. a reader knows the file but needs an option to read it
    ├── ReadError (OSError) ................ the file could not be read at all
    │   ├── SourceNotFoundError (FileNotFoundError)
    │   ├── SourcePermissionError (PermissionError)
    │   ├── NotARegularFileError ........... a directory, FIFO or device
    │   └── FileChangedError ............... the file was rewritten or truncated while it was read
    ├── WriteError (OSError) ............... a file could not be written
    ├── InvalidPathError (ValueError) ...... a path no system accepts (an embedded NUL)
    ├── PluginError ........................ plugin discovery and registration
    │   ├── PluginLoadError (RuntimeError) . an entry point failed to import or register
    │   ├── PluginValidationError (ValueError)  a bad or duplicate spec
    │   └── MissingDependencyError (ImportError)  an optional extra is not installed
    └── StorageError ....................... DataManager and storage backends
        ├── InvalidKeyError (TypeError) .... a non-string key
        ├── InvalidNameError (ValueError) .. a key or name escaping the folder
        │   └── UnstorableKeyError (also InvalidKeyError)  a key this backend cannot store
        ├── UnsafeStoreFileError (OSError) . a store file that is a link, FIFO or device
        ├── SessionWriteError (OSError) .... a session could not be written
        │   ├── StoreFullError ............. no space left on the device
        │   └── StoreReadOnlyError (PermissionError)  a read-only store
        ├── CorruptSessionError (ValueError) a session file that cannot be read
        ├── StoreManifestError (ValueError)  a bad or contradicted _store.json
        ├── BackendUnavailableError (ImportError)  e.g. a missing dbm flavour
        ├── UnsupportedValueError (TypeError)  the codec cannot encode a value
        ├── CorruptValueError (ValueError) . stored bytes that do not decode
        ├── LockTimeoutError (TimeoutError)  a lock not obtained in time
        ├── SessionBusyError (BlockingIOError)  a session held by another process
        ├── SessionClosedError (ValueError)  use after close
        ├── SessionExistsError (FileExistsError)  a run of these params exists (on_existing="error")
        ├── UnknownBackendError (LookupError)  no backend of that name
        └── MergeTypeError (TypeError) ..... get_merged on non-list values

    FormatMismatch ......................... raised by a reader to say "not my file";
                                             caught by the selection, never seen by users

    NeurofilesWarning (UserWarning)
    ├── PluginWarning ...................... a broken plugin was skipped
    ├── FormatWarning ...................... data were read but something was off
    └── StorageWarning ..................... a session was skipped during collation
        └── RepeatedRunsWarning ............ several sessions carry equal params (re-runs)

Errors about a file carry ``path``, and where it applies ``offset`` (bytes)
or ``line`` (1-based), and put them at the front of the message.
"""

from __future__ import annotations

import os
from collections.abc import Sequence

__all__ = [
    "AmbiguousFormatError",
    "BackendUnavailableError",
    "CorruptFileError",
    "CorruptSessionError",
    "CorruptValueError",
    "FormatError",
    "FormatMismatch",
    "FormatMismatchError",
    "FileChangedError",
    "FormatWarning",
    "InvalidKeyError",
    "InvalidNameError",
    "InvalidPathError",
    "LimitExceededError",
    "LockTimeoutError",
    "MergeTypeError",
    "MissingDependencyError",
    "MissingOptionError",
    "NeurofilesError",
    "NeurofilesWarning",
    "NoReaderError",
    "NoWriterError",
    "NotARegularFileError",
    "OptionError",
    "PluginError",
    "PluginLoadError",
    "PluginValidationError",
    "PluginWarning",
    "ReadError",
    "RepeatedRunsWarning",
    "SessionBusyError",
    "SessionClosedError",
    "SessionExistsError",
    "SessionWriteError",
    "SourceNotFoundError",
    "SourcePermissionError",
    "StorageError",
    "StorageWarning",
    "StoreFullError",
    "StoreManifestError",
    "StoreReadOnlyError",
    "TruncatedFileError",
    "UnknownBackendError",
    "UnknownFormatError",
    "UnsafeStoreFileError",
    "UnstorableKeyError",
    "UnsupportedDataError",
    "UnsupportedValueError",
    "WriteError",
]


def _where(path: object, offset: int | None, line: int | None) -> str:
    """Render ``path``, ``offset`` and ``line`` as a message prefix."""
    parts = [] if path is None else [os.fspath(path) if isinstance(path, os.PathLike) else str(path)]
    if line is not None:
        parts.append(f"line {line}")
    if offset is not None:
        parts.append(f"byte {offset}")
    return ": ".join(parts) + ": " if parts else ""


class NeurofilesError(Exception):
    """Base class of every error neurofiles raises on purpose."""


class _FileProblem(NeurofilesError):
    """An error about a given file, at an optional byte offset or line."""

    def __init__(
        self,
        message: str,
        *,
        path: object = None,
        offset: int | None = None,
        line: int | None = None,
    ) -> None:
        self.path = path
        self.offset = offset
        self.line = line
        self.reason = message
        super().__init__(_where(path, offset, line) + message)


class FormatError(_FileProblem, ValueError):
    """A problem with what a file holds, or with which format it is."""


class UnknownFormatError(FormatError):
    """``format=`` names no registered format."""

    def __init__(self, name: str, known: Sequence[str], suggestions: Sequence[str] = ()) -> None:
        self.name = name
        self.known = tuple(known)
        hint = f" Did you mean {', '.join(map(repr, suggestions))}?" if suggestions else ""
        super().__init__(
            f"unknown format {name!r}.{hint} Known formats: {', '.join(self.known) or '(none)'};"
            " see neurofiles.formats()."
        )


class NoWriterError(UnknownFormatError):
    """No installed writer takes this data for this destination (or ``format=`` names no writer).

    The message says which writers were tried and which formats would write
    the data; ``writers`` holds the names of those formats.
    """

    def __init__(self, message: str, *, path: object = None, writers: Sequence[str] = ()) -> None:
        self.name = ""
        self.known = self.writers = tuple(writers)
        FormatError.__init__(self, message, path=path)


class AmbiguousFormatError(FormatError):
    """Two or more readers claim a file equally; the caller must choose."""

    def __init__(self, message: str, *, path: object = None, candidates: Sequence[str] = ()) -> None:
        self.candidates = tuple(candidates)
        super().__init__(message, path=path)


class NoReaderError(FormatError):
    """No registered reader accepted the file; ``rejections`` says why, per candidate."""

    def __init__(
        self,
        message: str,
        *,
        path: object = None,
        rejections: Sequence[tuple[str, str]] = (),
    ) -> None:
        self.rejections = tuple(rejections)
        super().__init__(message, path=path)


class FormatMismatchError(FormatError):
    """The reader forced with ``format=`` says the file is not in its format."""


class CorruptFileError(FormatError):
    """The chosen reader found content it cannot accept."""


class TruncatedFileError(CorruptFileError):
    """The file ends inside a record, packet or header."""


class LimitExceededError(CorruptFileError):
    """A header asks for more memory or items than the reader's limits allow."""


class OptionError(NeurofilesError, TypeError, ValueError):
    """A keyword option that is not accepted, or an option value that is not valid.

    A ``TypeError`` (like Python's own unexpected keyword argument) and a
    ``ValueError`` (like a bad argument value), so either ``except`` catches it.
    """


class MissingOptionError(OptionError):
    """Raised by a reader's constructor: "this is my format, but I need ``option`` to read it".

    For files whose format is certain but whose layout cannot be told from the
    bytes alone (an AEDAT file without a version line, for example). During
    detection the next candidate is still tried; if no other reader accepts
    the file, the caller gets this error (naming the file and the option to
    pass) instead of :class:`NoReaderError`. With ``format=`` it propagates.
    """

    def __init__(self, message: str, *, path: object = None, options: Sequence[str] = ()) -> None:
        self.path = path
        self.options = tuple(options)
        super().__init__(_where(path, None, None) + message)


class UnsupportedDataError(NeurofilesError, TypeError, ValueError):
    """A writer was given data it cannot write: the wrong result type, or values its format cannot hold.

    A ``TypeError`` (wrong kind of data) and a ``ValueError`` (values out of
    the format's range), so either ``except`` catches it. Nothing is written.
    """


class ReadError(_FileProblem, OSError):
    """The file could not be read at the operating-system level."""


class SourceNotFoundError(ReadError, FileNotFoundError):
    """The path does not exist."""


class SourcePermissionError(ReadError, PermissionError):
    """The path exists but may not be read."""


class NotARegularFileError(ReadError):
    """The path is a directory, FIFO, socket or device, not a regular file."""


class FileChangedError(ReadError):
    """The file's size or modification time changed while it was read: what was read may mix two versions."""


class WriteError(_FileProblem, OSError):
    """A file could not be written; nothing partial was left behind."""


class InvalidPathError(_FileProblem, ValueError):
    """A path that no system accepts (a NUL character in it), to read or to write."""


class PluginError(NeurofilesError):
    """A problem with plugin discovery or registration."""


class PluginLoadError(PluginError, RuntimeError):
    """An entry point failed to import, or its registration hook raised."""


class PluginValidationError(PluginError, ValueError):
    """A plugin registered an invalid or duplicate spec."""


class MissingDependencyError(PluginError, ImportError):
    """An optional dependency is missing; ``install_hint`` says how to get it."""

    def __init__(self, message: str, *, install_hint: str = "") -> None:
        self.install_hint = install_hint
        full = f"{message} Install it with: {install_hint}" if install_hint else message
        super().__init__(full)


class StorageError(NeurofilesError):
    """A problem in the DataManager or one of its storage backends."""


class InvalidKeyError(StorageError, TypeError):
    """A session key that is not a ``str``."""


class InvalidNameError(StorageError, ValueError):
    """A key or session name that is empty, holds NUL, or would escape the data folder."""


class CorruptSessionError(StorageError, ValueError):
    """A session's files cannot be read (crashed before its first commit, garbage, foreign)."""

    def __init__(self, message: str, *, path: object = None) -> None:
        self.path = path
        super().__init__(f"{path}: {message}" if path is not None else message)


class StoreManifestError(StorageError, ValueError):
    """The store manifest is missing, unreadable, or disagrees with what was asked."""


class BackendUnavailableError(StorageError, ImportError):
    """The store needs a backend (or a flavour of one) that this Python lacks."""

    def __init__(self, message: str, *, install_hint: str = "") -> None:
        self.install_hint = install_hint
        super().__init__(f"{message} Fix: {install_hint}" if install_hint else message)


class UnsupportedValueError(StorageError, TypeError):
    """The codec cannot encode a value of this type."""


class CorruptValueError(StorageError, ValueError):
    """Stored bytes could not be decoded."""


class LockTimeoutError(StorageError, TimeoutError):
    """A lock was not acquired within the timeout."""


class SessionBusyError(StorageError, BlockingIOError):
    """A session is held for writing by another process (``computer_session``)."""


class SessionClosedError(StorageError, ValueError):
    """An operation on a session that was closed."""


class SessionExistsError(StorageError, FileExistsError):
    """``session(params=..., on_existing="error")``: a run with the same parameters is already stored."""


class UnknownBackendError(StorageError, LookupError):
    """No installed plugin provides the backend a caller or a manifest names."""


class MergeTypeError(StorageError, TypeError):
    """``get_merged`` met a value that is not a list or a tuple."""


class UnstorableKeyError(InvalidKeyError, InvalidNameError):
    """A ``str`` key that cannot be stored (a lone surrogate has no UTF-8 form); both a TypeError and a ValueError."""


class UnsafeStoreFileError(StorageError, OSError):
    """A store file that is a symbolic link, a FIFO, a device, or someone else's: never opened or written."""


class SessionWriteError(StorageError, OSError):
    """Writing a session failed (the message names the session and its file)."""


class StoreFullError(SessionWriteError):
    """The disk (or the file-size limit) is full: the write was refused, nothing committed was lost."""


class StoreReadOnlyError(SessionWriteError, PermissionError):
    """The store's folder or the session file cannot be written."""


class FormatMismatch(NeurofilesError):
    """Raised by a reader's constructor to say "this file is not mine".

    The selection records the reason and tries the next candidate. When the
    user forced the format, it is re-raised as :class:`FormatMismatchError`.
    """


class NeurofilesWarning(UserWarning):
    """Base class of neurofiles warnings."""


class PluginWarning(NeurofilesWarning):
    """A plugin could not be loaded and was skipped."""


class FormatWarning(NeurofilesWarning):
    """A file was read, but something in it was off (leftover bytes, count mismatch)."""


class StorageWarning(NeurofilesWarning):
    """A session could not be read and was skipped."""


class RepeatedRunsWarning(StorageWarning):
    """Several sessions carry equal parameters (a script re-run): ``table(latest=True)`` keeps the newest."""


# Users see ``neurofiles.CorruptFileError``, not the private module that defines it
# (tracebacks, reprs, pickles: ``neurofiles`` resolves every one of these names).
for _name in __all__:
    globals()[_name].__module__ = "neurofiles"
del _name
