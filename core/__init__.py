"""neurofiles: open neuroscience data files with one call, collate simulation results.

>>> import neurofiles
>>> events = neurofiles.load("recording.aedat")      # doctest: +SKIP

Everything here is imported on first use, so ``import neurofiles`` stays
cheap: no pluggy, no importlib.metadata and no reader is imported until a
function needs it.
"""

from __future__ import annotations

import importlib

TYPE_CHECKING = False  # not typing.TYPE_CHECKING: importing typing would double the import time
# ``X as X``: the explicit re-export form type checkers need (``__all__`` below is computed)
if TYPE_CHECKING:
    from typing import Any

    from ._frontend.aer_api import iter_chunks as iter_chunks, load_aer as load_aer
    from ._frontend.api import (
        BackendInfo as BackendInfo,
        FormatInfo as FormatInfo,
        backends as backends,
        detect as detect,
        formats as formats,
        load as load,
        save as save,
    )
    from ._framework.discovery import refresh_plugins as refresh_plugins
    from ._frontend.plot import plot as plot
    from .plugin._progress import set_progress as set_progress
    from ._errors import (
        AmbiguousFormatError as AmbiguousFormatError,
        CorruptFileError as CorruptFileError,
        FormatError as FormatError,
        FormatMismatch as FormatMismatch,
        FormatMismatchError as FormatMismatchError,
        FormatWarning as FormatWarning,
        InvalidPathError as InvalidPathError,
        LimitExceededError as LimitExceededError,
        MissingDependencyError as MissingDependencyError,
        MissingOptionError as MissingOptionError,
        NeurofilesError as NeurofilesError,
        NeurofilesWarning as NeurofilesWarning,
        NoReaderError as NoReaderError,
        NoWriterError as NoWriterError,
        NotARegularFileError as NotARegularFileError,
        FileChangedError as FileChangedError,
        OptionError as OptionError,
        PluginError as PluginError,
        PluginLoadError as PluginLoadError,
        PluginValidationError as PluginValidationError,
        PluginWarning as PluginWarning,
        ReadError as ReadError,
        SourceNotFoundError as SourceNotFoundError,
        SourcePermissionError as SourcePermissionError,
        StorageError as StorageError,
        StorageWarning as StorageWarning,
        TruncatedFileError as TruncatedFileError,
        UnknownFormatError as UnknownFormatError,
        UnsupportedDataError as UnsupportedDataError,
        WriteError as WriteError,
        SessionWriteError as SessionWriteError,
        StoreFullError as StoreFullError,
        StoreReadOnlyError as StoreReadOnlyError,
        UnsafeStoreFileError as UnsafeStoreFileError,
        UnstorableKeyError as UnstorableKeyError,
    )
    from ._results.events import Events as Events
    from ._framework.select import Detection as Detection
    from ._framework.backend import (
        BackendUnavailableError as BackendUnavailableError,
        CorruptSessionError as CorruptSessionError,
        InvalidKeyError as InvalidKeyError,
        InvalidNameError as InvalidNameError,
        StoreManifestError as StoreManifestError,
    )
    from ._storage.codec import CorruptValueError as CorruptValueError, UnsupportedValueError as UnsupportedValueError
    from ._storage.datamanager import (
        DataManager as DataManager,
        PartitionSpec as PartitionSpec,
        MergeTypeError as MergeTypeError,
        UnknownBackendError as UnknownBackendError,
    )
    from ._storage.locking import LockTimeoutError as LockTimeoutError, SessionBusyError as SessionBusyError
    from ._storage.session import Session as Session, SessionClosedError as SessionClosedError
    from ._errors import RepeatedRunsWarning as RepeatedRunsWarning, SessionExistsError as SessionExistsError
    from ._results.traces import Traces as Traces
    from .plugins.atf.brian1 import read_atf as read_atf
    from .plugins.neuron.brian1 import read_neuron_dat as read_neuron_dat

_EXPORTS = {
    "load": "_frontend.api",
    "save": "_frontend.api",
    "detect": "_frontend.api",
    "formats": "_frontend.api",
    "backends": "_frontend.api",
    "FormatInfo": "_frontend.api",
    "BackendInfo": "_frontend.api",
    "Detection": "_framework.select",
    "Events": "_results.events",
    "load_aer": "_frontend.aer_api",
    "iter_chunks": "_frontend.aer_api",
    "Traces": "_results.traces",
    # Brian 1's format-specific readers live with their formats
    "read_neuron_dat": "plugins.neuron.brian1",
    "read_atf": "plugins.atf.brian1",
    "refresh_plugins": "_framework.discovery",
    "set_progress": "plugin._progress",
    "plot": "_frontend.plot",
    "AmbiguousFormatError": "_errors",
    "CorruptFileError": "_errors",
    "FormatError": "_errors",
    "FormatMismatch": "_errors",
    "FormatMismatchError": "_errors",
    "FormatWarning": "_errors",
    "InvalidPathError": "_errors",
    "LimitExceededError": "_errors",
    "MissingDependencyError": "_errors",
    "MissingOptionError": "_errors",
    "NeurofilesError": "_errors",
    "NeurofilesWarning": "_errors",
    "NoReaderError": "_errors",
    "NoWriterError": "_errors",
    "NotARegularFileError": "_errors",
    "FileChangedError": "_errors",
    "OptionError": "_errors",
    "PluginError": "_errors",
    "PluginLoadError": "_errors",
    "PluginValidationError": "_errors",
    "PluginWarning": "_errors",
    "ReadError": "_errors",
    "SourceNotFoundError": "_errors",
    "SourcePermissionError": "_errors",
    "StorageError": "_errors",
    "StorageWarning": "_errors",
    "TruncatedFileError": "_errors",
    "UnknownFormatError": "_errors",
    "UnsupportedDataError": "_errors",
    "WriteError": "_errors",
    "SessionWriteError": "_errors",
    "StoreFullError": "_errors",
    "StoreReadOnlyError": "_errors",
    "UnsafeStoreFileError": "_errors",
    "UnstorableKeyError": "_errors",
    "DataManager": "_storage.datamanager",
    "MergeTypeError": "_errors",
    "UnknownBackendError": "_errors",
    "Session": "_storage.session",
    "SessionClosedError": "_errors",
    "PartitionSpec": "_storage.datamanager",
    "BackendUnavailableError": "_errors",
    "CorruptSessionError": "_errors",
    "InvalidKeyError": "_errors",
    "InvalidNameError": "_errors",
    "StoreManifestError": "_errors",
    "CorruptValueError": "_errors",
    "UnsupportedValueError": "_errors",
    "LockTimeoutError": "_errors",
    "SessionBusyError": "_errors",
    "SessionExistsError": "_errors",
    "RepeatedRunsWarning": "_errors",
}

__all__ = sorted([*_EXPORTS, "__version__"])


def __getattr__(name: str) -> Any:
    if name == "__version__":
        from importlib.metadata import version

        return version("neurofiles")
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'neurofiles' has no attribute {name!r}")
    value = getattr(importlib.import_module(f".{module}", __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return __all__
