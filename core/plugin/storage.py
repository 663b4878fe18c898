"""Storage backends for the DataManager: base classes and the helpers every backend needs.

A backend subclasses :class:`StorageBackend` (bound to one data folder) and
:class:`SessionStore` (one open session: ``str`` keys, ``bytes`` values),
declares its :class:`Capabilities`, checks keys and session names with
:func:`check_key` / :func:`check_session_name`, lists its files with
:func:`walk_files` and caps the read handles it keeps open at
:func:`fd_budget`. The contract is ``spec/backends.md``.
"""

from __future__ import annotations

from .._backend import (
    BackendUnavailableError,
    Capabilities,
    CorruptSessionError,
    InvalidKeyError,
    InvalidNameError,
    SessionStore,
    StorageBackend,
    StoreManifestError,
    check_key,
    check_session_name,
    fd_budget,
    walk_files,
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
    "check_session_name",
    "fd_budget",
    "walk_files",
]
