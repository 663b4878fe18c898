"""Everything a plugin author needs: the public plugin toolkit.

A plugin is a module named by an entry point in the ``neurofiles.plugins``
group, implementing one or both registration hooks::

    from neurofiles.plugin import ReaderSpec, Signature, hookimpl

    @hookimpl
    def neurofiles_register_formats(registry):
        registry.add_reader(ReaderSpec(name="myformat", reader="mypkg._reader:MyReader",
                                       extensions=(".myf",), magic=(Signature(0, b"MYF1"),)))

The built-in plugins (``neurofiles.plugins.*``) use nothing but this package
and its submodules; neither may a third-party plugin need anything else.

This module (light: importing it pulls in neither numpy nor a reader)
    registration (``hookimpl``, ``Registrar``, the specs, ``Signature``, ``Probe``),
    the reader base class and its ``Source``, the storage backend base classes,
    ``import_object`` for optional dependencies with install hints, every error
    and warning a plugin raises, and (imported on first use) the result types
    ``Events`` and ``Traces``.
:mod:`neurofiles.plugin.io`
    positioned reads that detect a file shrinking under the reader
    (``read_at``, ``FileView``) and progress bars (``Progress``).
:mod:`neurofiles.plugin.text`
    the numeric text-table parser and its engines (native C, pyarrow, numpy),
    its limits for hostile text, and the writer helpers (``format_rows``).
:mod:`neurofiles.plugin.tabular`
    results as named columns and back (``to_table``, ``from_table``, ``Table``).
:mod:`neurofiles.plugin.events`
    address-event helpers: AER address layouts, their encoder, tick windows.
:mod:`neurofiles.plugin.units`
    time units in seconds (``seconds_per``) and evenly spaced times (``uniform_rate``).
:mod:`neurofiles.plugin.storage`
    storage backends: base classes, key and name checks, file walking,
    store-file checks, typed write errors, file-descriptor budget.

See ``spec/plugins.md`` for the contract and the plugin-author guide.
"""

from __future__ import annotations

import importlib

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
    check_session_name,
    walk_files,
)
from .._errors import (
    CorruptFileError,
    FileChangedError,
    FormatMismatch,
    FormatWarning,
    LimitExceededError,
    MissingDependencyError,
    MissingOptionError,
    NeurofilesError,
    NotARegularFileError,
    OptionError,
    ReadError,
    SessionWriteError,
    SourceNotFoundError,
    SourcePermissionError,
    StorageError,
    StorageWarning,
    StoreFullError,
    StoreReadOnlyError,
    TruncatedFileError,
    UnsafeStoreFileError,
    UnstorableKeyError,
    UnsupportedDataError,
    WriteError,
)
from .._framework.hookspecs import hookimpl
from .._framework.reader import Reader
from .._framework.registry import Registrar
from .._framework.source import Source
from .._framework.specs import BackendSpec, Probe, ReaderSpec, Signature, WriterSpec, import_object

TYPE_CHECKING = False  # not typing.TYPE_CHECKING: keep this module as light as a registration module
if TYPE_CHECKING:
    from typing import Any

    from .._results.events import Events
    from .._results.traces import Traces, as_traces

#: names imported on first use (they need numpy)
_LAZY = {"Events": "neurofiles._results.events", "Traces": "neurofiles._results.traces", "as_traces": "neurofiles._results.traces"}

__all__ = [
    # registration
    "BackendSpec",
    "Probe",
    "ReaderSpec",
    "Registrar",
    "Signature",
    "WriterSpec",
    "hookimpl",
    # readers and results
    "Events",
    "Reader",
    "Source",
    "Traces",
    "as_traces",
    "import_object",
    # storage backends
    "Capabilities",
    "SessionStore",
    "StorageBackend",
    "check_key",
    "check_session_name",
    "walk_files",
    # errors and warnings a plugin raises
    "BackendUnavailableError",
    "CorruptFileError",
    "CorruptSessionError",
    "FormatMismatch",
    "FormatWarning",
    "InvalidKeyError",
    "InvalidNameError",
    "LimitExceededError",
    "MissingDependencyError",
    "MissingOptionError",
    "NeurofilesError",
    "NotARegularFileError",
    "FileChangedError",
    "OptionError",
    "ReadError",
    "SessionWriteError",
    "SourceNotFoundError",
    "SourcePermissionError",
    "StorageError",
    "StorageWarning",
    "StoreFullError",
    "StoreManifestError",
    "StoreReadOnlyError",
    "TruncatedFileError",
    "UnsafeStoreFileError",
    "UnstorableKeyError",
    "UnsupportedDataError",
    "WriteError",
]


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'neurofiles.plugin' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})
