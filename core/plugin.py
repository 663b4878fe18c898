"""Everything a plugin author needs, in one import.

A plugin is a module named by an entry point in the ``neurofiles.plugins``
group, implementing one or both registration hooks::

    from neurofiles.plugin import ReaderSpec, Signature, hookimpl

    @hookimpl
    def neurofiles_register_formats(registry):
        registry.add_reader(ReaderSpec(name="myformat", reader="mypkg._reader:MyReader",
                                       extensions=(".myf",), magic=(Signature(0, b"MYF1"),)))

See ``spec/plugins.md`` for the contract.
"""

from ._errors import (
    CorruptFileError,
    FormatMismatch,
    FormatWarning,
    LimitExceededError,
    MissingDependencyError,
    TruncatedFileError,
)
from ._backend import (
    BackendUnavailableError,
    Capabilities,
    CorruptSessionError,
    SessionStore,
    StorageBackend,
    check_key,
    check_session_name,
    walk_files,
)
from ._hookspecs import hookimpl
from ._reader import Reader
from ._registry import Registrar
from ._source import Source
from ._specs import BackendSpec, Probe, ReaderSpec, Signature, WriterSpec

__all__ = [
    "BackendSpec",
    "BackendUnavailableError",
    "Capabilities",
    "CorruptSessionError",
    "SessionStore",
    "StorageBackend",
    "check_key",
    "check_session_name",
    "walk_files",
    "CorruptFileError",
    "FormatMismatch",
    "FormatWarning",
    "LimitExceededError",
    "MissingDependencyError",
    "Probe",
    "Reader",
    "ReaderSpec",
    "Registrar",
    "Signature",
    "Source",
    "TruncatedFileError",
    "WriterSpec",
    "hookimpl",
]
