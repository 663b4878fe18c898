"""The public surface: ``__all__`` pinned, lazy import, the exception tree."""

from __future__ import annotations

import json
import subprocess
import sys

import neurofiles
import pytest
from neurofiles import _errors

EXPECTED = sorted(
    [
        # reading and writing
        "load", "save", "detect", "formats", "backends", "FormatInfo", "BackendInfo", "Detection",
        "refresh_plugins", "set_progress", "Events", "Traces", "iter_chunks", "plot", "__version__",
        # the classic (Brian 1) names
        "load_aer", "read_neuron_dat", "read_atf", "DataManager", "Session", "PartitionSpec",
        # errors and warnings
        "AmbiguousFormatError", "CorruptFileError", "FormatError", "FormatMismatch", "FormatMismatchError",
        "FormatWarning", "LimitExceededError", "MissingDependencyError", "MissingOptionError", "NeurofilesError", "NeurofilesWarning",
        "NoReaderError", "NoWriterError", "NotARegularFileError", "OptionError", "PluginError", "PluginLoadError",
        "PluginValidationError", "PluginWarning", "ReadError", "SourceNotFoundError", "SourcePermissionError",
        "StorageError", "StorageWarning", "TruncatedFileError", "UnknownFormatError", "UnsupportedDataError", "WriteError",
        "BackendUnavailableError", "CorruptSessionError", "CorruptValueError", "InvalidKeyError",
        "InvalidNameError", "LockTimeoutError", "MergeTypeError", "SessionBusyError", "SessionClosedError",
        "StoreManifestError", "UnknownBackendError", "UnsupportedValueError",
        "SessionWriteError", "StoreFullError", "StoreReadOnlyError", "UnsafeStoreFileError", "UnstorableKeyError",
        "InvalidPathError", "FileChangedError",
        "SessionExistsError", "RepeatedRunsWarning",
    ]
)


def test_all_is_pinned_and_every_name_resolves():
    assert neurofiles.__all__ == EXPECTED
    for name in neurofiles.__all__:
        assert getattr(neurofiles, name) is not None


def test_unknown_attribute_is_an_attribute_error():
    with pytest.raises(AttributeError, match="no attribute 'nope'"):
        neurofiles.nope  # noqa: B018


def test_version_matches_distribution():
    from importlib.metadata import version

    assert neurofiles.__version__ == version("neurofiles")


def test_import_is_lazy():
    code = (
        "import sys, json, neurofiles\n"
        "heavy = ['pluggy', 'importlib.metadata', 'importlib_metadata', 'numpy', 'neurofiles.plugins']\n"
        "print(json.dumps([m for m in heavy if m in sys.modules]))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert json.loads(out) == []


@pytest.mark.parametrize(
    ("error", "stdlib"),
    [
        (_errors.FormatError, ValueError),
        (_errors.CorruptFileError, ValueError),
        (_errors.NoReaderError, ValueError),
        (_errors.ReadError, OSError),
        (_errors.FileChangedError, OSError),
        (_errors.SourceNotFoundError, FileNotFoundError),
        (_errors.SourcePermissionError, PermissionError),
        (_errors.InvalidPathError, ValueError),
        (_errors.WriteError, OSError),
        (_errors.MissingDependencyError, ImportError),
        (_errors.OptionError, TypeError),
        (_errors.PluginValidationError, ValueError),
    ],
)
def test_errors_derive_from_the_stdlib_type_users_catch(error, stdlib):
    assert issubclass(error, stdlib) and issubclass(error, neurofiles.NeurofilesError)


def test_every_error_in_the_module_is_in_the_tree_and_documented():
    doc = _errors.__doc__ or ""
    for name in _errors.__all__:
        obj = getattr(_errors, name)
        assert name in doc, f"{name} missing from the tree drawn in the module docstring"
        root = neurofiles.NeurofilesWarning if issubclass(obj, Warning) else neurofiles.NeurofilesError
        assert issubclass(obj, root)


def test_file_errors_name_file_and_position():
    err = _errors.CorruptFileError("bad count", path="a/b.dat", line=7)
    assert str(err) == "a/b.dat: line 7: bad count" and err.line == 7
    err = _errors.TruncatedFileError("record cut", path="x.aedat", offset=1234)
    assert str(err) == "x.aedat: byte 1234: record cut" and err.offset == 1234


def test_missing_dependency_carries_install_hint():
    err = _errors.MissingDependencyError("lz4 is needed.", install_hint='pip install "neurofiles[aedat4]"')
    assert "pip install" in str(err) and err.install_hint.endswith('[aedat4]"')


def test_every_public_error_is_drawn_in_the_tree():
    doc = _errors.__doc__ or ""
    for name in neurofiles.__all__:
        obj = getattr(neurofiles, name)
        if isinstance(obj, type) and issubclass(obj, (neurofiles.NeurofilesError, Warning)):
            assert name in doc, f"{name} missing from the tree in core/_errors.py"


def test_every_exception_class_is_defined_in_the_errors_module():
    """One error tree: no exception or warning class is defined anywhere else in core/."""
    import ast

    from tests.conftest import REPO

    elsewhere = []
    for path in sorted((REPO / "core").rglob("*.py")):
        if path.name == "_errors.py":
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ClassDef) and any(
                getattr(b, "id", getattr(b, "attr", "")).endswith(("Error", "Exception", "Warning", "Mismatch"))
                for b in node.bases
            ):
                elsewhere.append(f"{path.relative_to(REPO)}: {node.name}")
    assert elsewhere == [], elsewhere


def test_every_error_class_is_a_top_level_name():
    """Error classes report ``__module__ == "neurofiles"``, so each must resolve there (pickling, tracebacks)."""
    import pickle

    for name in _errors.__all__:
        cls = getattr(_errors, name)
        assert cls.__module__ == "neurofiles" and getattr(neurofiles, name) is cls, name
    err = neurofiles.StoreFullError("disk full")
    assert type(pickle.loads(pickle.dumps(err))) is neurofiles.StoreFullError
