"""Storage backends for the DataManager: base classes and the helpers every backend needs.

A backend subclasses :class:`StorageBackend` (bound to one data folder) and
:class:`SessionStore` (one open session: ``str`` keys, ``bytes`` values),
declares its :class:`Capabilities`, checks keys and session names with
:func:`check_key` / :func:`check_session_name`, lists its files with
:func:`walk_files`, refuses store files that are links, FIFOs or devices
before a library opens them by name (:func:`check_regular`), turns an
``OSError`` of a write into a typed :class:`SessionWriteError` naming the
session (:func:`write_error`), and caps the read handles it keeps open at
:func:`fd_budget`. The contract is ``spec/backends.md``.
"""

from __future__ import annotations

from .._framework.backend import (
    BackendUnavailableError,
    Capabilities,
    CorruptSessionError,
    InvalidKeyError,
    InvalidNameError,
    SessionStore,
    StorageBackend,
    StoreManifestError,
    check_key,
    check_regular,
    check_session_name,
    fd_budget,
    walk_files,
    write_error,
)

__all__ = [
    "BackendUnavailableError",
    "Capabilities",
    "CorruptSessionError",
    "InvalidKeyError",
    "InvalidNameError",
    "SessionStore",
    "StorageBackend",
    "StoreManifestError",
    "check_key",
    "check_regular",
    "check_session_name",
    "fd_budget",
    "walk_files",
    "write_error",
]
