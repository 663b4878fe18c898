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
if TYPE_CHECKING:
    from typing import Any

    from ._aer_api import iter_chunks, load_aer
    from ._api import BackendInfo, FormatInfo, backends, detect, formats, load, save
    from ._discovery import refresh_plugins
    from ._plot import plot
    from ._progress import set_progress
    from ._errors import (
        AmbiguousFormatError,
        CorruptFileError,
        FormatError,
        FormatMismatch,
        FormatMismatchError,
        FormatWarning,
        LimitExceededError,
        MissingDependencyError,
        MissingOptionError,
        NeurofilesError,
        NeurofilesWarning,
        NoReaderError,
        NoWriterError,
        NotARegularFileError,
        OptionError,
        PluginError,
        PluginLoadError,
        PluginValidationError,
        PluginWarning,
        ReadError,
        SourceNotFoundError,
        SourcePermissionError,
        StorageError,
        StorageWarning,
        TruncatedFileError,
        UnknownFormatError,
        UnsupportedDataError,
        WriteError,
    )
    from ._events import Events
    from ._select import Detection
    from ._backend import (
        BackendUnavailableError,
        CorruptSessionError,
        InvalidKeyError,
        InvalidNameError,
        StoreManifestError,
    )
    from ._codec import CorruptValueError, UnsupportedValueError
    from ._collate import PartitionSpec
    from ._datamanager import DataManager, MergeTypeError, UnknownBackendError
    from ._locking import LockTimeoutError, SessionBusyError
    from ._session import Session, SessionClosedError
    from ._traces import Traces
    from .plugins.atf.brian1 import read_atf
    from .plugins.neuron.brian1 import read_neuron_dat

_EXPORTS = {
    "load": "_api",
    "save": "_api",
    "detect": "_api",
    "formats": "_api",
    "backends": "_api",
    "FormatInfo": "_api",
    "BackendInfo": "_api",
    "Detection": "_select",
    "Events": "_events",
    "load_aer": "_aer_api",
    "iter_chunks": "_aer_api",
    "Traces": "_traces",
    # Brian 1's format-specific readers live with their formats
    "read_neuron_dat": "plugins.neuron.brian1",
    "read_atf": "plugins.atf.brian1",
    "refresh_plugins": "_discovery",
    "set_progress": "_progress",
    "plot": "_plot",
    "AmbiguousFormatError": "_errors",
    "CorruptFileError": "_errors",
    "FormatError": "_errors",
    "FormatMismatch": "_errors",
    "FormatMismatchError": "_errors",
    "FormatWarning": "_errors",
    "LimitExceededError": "_errors",
    "MissingDependencyError": "_errors",
    "MissingOptionError": "_errors",
    "NeurofilesError": "_errors",
    "NeurofilesWarning": "_errors",
    "NoReaderError": "_errors",
    "NoWriterError": "_errors",
    "NotARegularFileError": "_errors",
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
    "DataManager": "_datamanager",
    "MergeTypeError": "_datamanager",
    "UnknownBackendError": "_datamanager",
    "Session": "_session",
    "SessionClosedError": "_session",
    "PartitionSpec": "_collate",
    "BackendUnavailableError": "_backend",
    "CorruptSessionError": "_backend",
    "InvalidKeyError": "_backend",
    "InvalidNameError": "_backend",
    "StoreManifestError": "_backend",
    "CorruptValueError": "_codec",
    "UnsupportedValueError": "_codec",
    "LockTimeoutError": "_locking",
    "SessionBusyError": "_locking",
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
