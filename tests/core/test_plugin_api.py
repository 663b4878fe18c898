"""The public plugin toolkit: pinned names, light import, public class names, and no private imports in plugins/.

The source scan enforces the rule the built-in plugins live by: they use
``neurofiles.plugin`` (and its public submodules) and public top-level
``neurofiles`` names only, exactly like a third-party plugin.
"""

from __future__ import annotations

import ast
import importlib
import json
import subprocess
import sys
from pathlib import Path

import neurofiles
import neurofiles.plugin
import pytest

from tests.conftest import REPO

PLUGINS = REPO / "plugins"

#: the names of ``neurofiles.plugin`` before the toolkit existed: a third-party plugin may use any of them
LEGACY = [
    "BackendSpec", "BackendUnavailableError", "Capabilities", "CorruptFileError", "CorruptSessionError",
    "FormatMismatch", "FormatWarning", "LimitExceededError", "MissingDependencyError", "Probe", "Reader",
    "ReaderSpec", "Registrar", "SessionStore", "Signature", "Source", "StorageBackend", "TruncatedFileError",
    "WriterSpec", "check_key", "check_session_name", "hookimpl", "walk_files",
]  # fmt: skip

EXPECTED = {
    "neurofiles.plugin": sorted(
        LEGACY
        + [
            "Events", "Traces", "as_traces", "import_object", "InvalidKeyError", "InvalidNameError",
            "MissingOptionError", "NeurofilesError", "OptionError", "StorageError", "StorageWarning",
            "StoreManifestError", "UnsupportedDataError", "WriteError", "NotARegularFileError", "FileChangedError", "ReadError",
            "SessionWriteError", "SourceNotFoundError", "SourcePermissionError", "StoreFullError",
            "StoreReadOnlyError", "UnsafeStoreFileError", "UnstorableKeyError",
        ]
    ),  # fmt: skip
    "neurofiles.plugin.io": ["FileView", "Progress", "progress", "read_at", "shrank"],
    "neurofiles.plugin.text": [
        "ENGINES", "Buffer", "TableBlock", "check_engine", "detect_separator", "fast_engine_available",
        "first_nonblank", "format_number", "format_rows", "line_at", "native_available", "parse_block",
        "read_buffer", "read_whole", "skip_blank_lines", "split_fields", "LINE_PROBE", "MAX_COLUMNS", "MAX_HEADER_LINE",
        "check_columns", "count_fields", "line_head", "text_column",
    ],  # fmt: skip
    "neurofiles.plugin.tabular": [
        "Table", "dumps", "from_table", "jsonable_metadata", "kind_of", "split_label", "to_table",
    ],  # fmt: skip
    "neurofiles.plugin.events": [
        "IMU_DTYPE", "IMU_FIELDS", "LAYOUTS", "TRIGGER_DTYPE", "decode_addresses", "encode_addresses",
        "layout_for_chip", "pending_records", "piece_marks", "restrict_streams", "stack_frames", "tick_bounds",
    ],  # fmt: skip
    "neurofiles.plugin.units": ["seconds_per", "uniform_rate"],
    "neurofiles.plugin.storage": [
        "BackendUnavailableError", "Capabilities", "CorruptSessionError", "InvalidKeyError", "InvalidNameError",
        "SessionStore", "StorageBackend", "StoreManifestError", "check_key", "check_session_name", "fd_budget",
        "walk_files", "check_regular", "write_error", "open_regular",
    ],  # fmt: skip
}


@pytest.mark.parametrize("module", sorted(EXPECTED))
def test_toolkit_all_is_pinned_and_resolves(module):
    mod = importlib.import_module(module)
    assert sorted(mod.__all__) == sorted(EXPECTED[module])
    for name in mod.__all__:
        assert getattr(mod, name) is not None, name


def test_legacy_plugin_names_still_import():
    namespace: dict[str, object] = {}
    exec(f"from neurofiles.plugin import {', '.join(LEGACY)}", namespace)  # noqa: S102
    assert all(namespace[name] is getattr(neurofiles.plugin, name) for name in LEGACY)


def test_toolkit_objects_are_the_ones_the_library_uses():
    """One class per concept: the toolkit hands out the very objects the framework checks against."""
    from neurofiles.plugin.io import read_at  # noqa: F401

    assert neurofiles.plugin.Events is neurofiles.Events
    assert neurofiles.plugin.Traces is neurofiles.Traces
    assert neurofiles.plugin.CorruptFileError is neurofiles.CorruptFileError
    assert neurofiles.plugin.storage.StorageBackend is neurofiles.plugin.StorageBackend


def test_registration_import_stays_light():
    """A registration module imports ``neurofiles.plugin``; that must not import numpy or any reader."""
    code = (
        "import sys, json\n"
        "from neurofiles.plugin import ReaderSpec, Signature, hookimpl, CorruptFileError, Reader\n"
        "print(json.dumps([m for m in ('numpy', 'neurofiles.plugins', 'neurofiles._results.events') if m in sys.modules]))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert json.loads(out) == []


# -- public class names -------------------------------------------------------------------------


def _public_classes() -> list[tuple[str, str]]:
    found = [("neurofiles", n) for n in neurofiles.__all__ if isinstance(getattr(neurofiles, n), type)]
    for module in EXPECTED:
        mod = importlib.import_module(module)
        found += [(module, n) for n in mod.__all__ if isinstance(getattr(mod, n), type)]
    return found


def _reports_public_module(cls: type, name: str) -> bool:
    """A class shown in ``neurofiles`` reports ``neurofiles``; a toolkit class a public module exporting it."""
    if name in neurofiles.__all__:
        return cls.__module__ == "neurofiles"
    parts = cls.__module__.split(".")
    if parts[:2] != ["neurofiles", "plugin"] or any(p.startswith("_") for p in parts):
        return False
    return getattr(importlib.import_module(cls.__module__), name, None) is cls


PENDING: set[str] = set()


@pytest.mark.parametrize(
    ("module", "name"),
    [
        pytest.param(m, n, marks=pytest.mark.xfail(strict=True, reason="phase 2")) if n in PENDING else (m, n)
        for m, n in _public_classes()
    ],
    ids=lambda v: v,
)
def test_public_class_reports_a_public_module(module, name):
    cls = getattr(importlib.import_module(module), name)
    assert _reports_public_module(cls, name), f"{module}.{name} says {cls.__module__}"


def test_public_classes_pickle_through_their_public_name():
    import pickle

    err = neurofiles.CorruptFileError("bad", path="f.dat", line=3)
    again = pickle.loads(pickle.dumps(err))
    assert type(again) is neurofiles.CorruptFileError and str(again) == str(err)


# -- the source scan ----------------------------------------------------------------------------


def private_imports(root: Path) -> list[str]:
    """Every import under ``root`` (a folder of plugin packages) of a private neurofiles module.

    Private means: ``neurofiles._x`` (or ``from neurofiles import _x``), a
    relative import reaching above the plugin's own package, another plugin's
    module whose path has a ``_`` part (or ``from neurofiles.plugins.other import _x``),
    and dotted strings naming such modules (``"neurofiles._frontend.api:load"``).
    """
    found = []
    for path in sorted(root.rglob("*.py")):
        rel = path.relative_to(root)
        own = rel.parts[0] if len(rel.parts) > 1 else None
        depth = len(rel.parts) - 1  # packages between plugins/ and the file
        tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
        for node in ast.walk(tree):
            modules: list[tuple[str, list[str]]] = []
            if isinstance(node, ast.Import):
                modules = [(a.name, []) for a in node.names]
            elif isinstance(node, ast.ImportFrom):
                if node.level:
                    if node.level > depth:  # climbs out of the plugin's own package
                        found.append(f"{rel}:{node.lineno}: relative import above the plugin ({'.' * node.level}{node.module or ''})")
                    continue
                modules = [(node.module or "", [a.name for a in node.names])]
            elif isinstance(node, ast.Constant) and isinstance(node.value, str) and node.value.startswith("neurofiles."):
                modules = [(node.value.partition(":")[0], [])]
            for module, names in modules:
                problem = _private(module, names, own)
                if problem:
                    found.append(f"{rel}:{node.lineno}: {problem}")
    return found


def _private(module: str, names: list[str], own: str | None) -> str | None:
    parts = module.split(".")
    if parts[0] != "neurofiles":
        return None
    if parts[1:2] == ["plugins"] and len(parts) > 2:
        if parts[2] == own:
            return None
        targets = [*parts[3:]] + names
        return f"{module} ({', '.join(names)}): private module of plugin {parts[2]!r}" if any(
            p.startswith("_") for p in targets if p not in ("__version__",)
        ) else None
    inner = parts[1:] + ([n for n in names if n.startswith("_")] if len(parts) == 1 else [])
    if any(p.startswith("_") for p in inner):
        return f"{module} ({', '.join(names)}): private neurofiles module"
    return None


def test_scan_finds_what_it_must(tmp_path):
    """The scanner is not vacuous: each kind of private import is reported."""
    pkg = tmp_path / "mine"
    pkg.mkdir()
    (pkg / "__init__.py").write_text(
        "from neurofiles._errors import CorruptFileError\n"
        "import neurofiles._frontend.api\n"
        "from neurofiles import _events\n"
        "from neurofiles.plugins.other import _flavours\n"
        "from neurofiles.plugins.other._backend import X\n"
        "from ... import _select\n"
        "SPEC = 'neurofiles._frontend.api:load'\n"
        # allowed
        "from neurofiles.plugin import Reader\n"
        "from neurofiles.plugin.text import parse_block\n"
        "from neurofiles.plugins.mine import _own\n"
        "from neurofiles.plugins.other import public_helpers\n"
        "from . import _sibling\n"
        "import neurofiles\n"
    )
    found = private_imports(tmp_path)
    assert len(found) == 7, found


def test_builtin_plugins_import_only_the_public_api():
    found = private_imports(PLUGINS)
    assert found == [], f"{len(found)} private imports in plugins/:\n" + "\n".join(found)
