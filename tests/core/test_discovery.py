"""Entry-point discovery: isolation of broken plugins, env switches, built-ins declared."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from importlib.metadata import EntryPoint
from pathlib import Path

import pytest

try:
    import tomllib
except ModuleNotFoundError:  # Python < 3.11
    import tomli as tomllib  # type: ignore[no-redef]
from neurofiles import PluginLoadError, PluginWarning
from neurofiles._framework.discovery import GROUP, load_entry_points
from neurofiles._framework.registry import Registry

from tests.conftest import REPO

from .conftest import entry_point


def test_broken_plugins_are_recorded_and_others_survive():
    eps = [
        entry_point("formats_plugin", "good"),
        EntryPoint("missing", "no_such_module_xyz", GROUP),
        entry_point("raising_plugin", "raising"),
        entry_point("bad_spec_plugin", "badspec"),
        entry_point("wrong_hook_plugin", "wronghook"),
    ]
    registry = Registry()
    with pytest.warns(PluginWarning) as record:
        load_entry_points(registry, eps, builtin=False)
    broken = {b.plugin.name: b.error for b in registry.broken}
    assert set(broken) == {"missing", "raising", "badspec", "wronghook"}
    assert "ModuleNotFoundError" in broken["missing"]
    assert "hook exploded" in broken["raising"]
    assert "lower-case" in broken["badspec"]
    assert "unknown hook" in broken["wronghook"]
    assert "alpha" in registry.readers
    # a hook that raised half-way leaves nothing of itself behind
    assert "half-registered" not in registry.readers
    assert len(record) == 4 and all("NEUROFILES_STRICT_PLUGINS" in str(w.message) for w in record)


def test_strict_mode_raises(monkeypatch):
    monkeypatch.setenv("NEUROFILES_STRICT_PLUGINS", "1")
    with pytest.raises(PluginLoadError, match="no_such_module_xyz"):
        load_entry_points(Registry(), [EntryPoint("missing", "no_such_module_xyz", GROUP)], builtin=False)


def test_disabled_plugins_are_skipped(monkeypatch):
    monkeypatch.setenv("NEUROFILES_DISABLED_PLUGINS", "good, other")
    registry = Registry()
    load_entry_points(registry, [entry_point("formats_plugin", "good")], builtin=False)
    assert registry.readers == {} and registry.broken == []


def test_duplicate_name_keeps_the_first_in_deterministic_order_and_warns():
    # order: built-ins, then distribution name, then entry-point name; never install order
    eps = [entry_point("duplicate_plugin", "z-dup"), entry_point("formats_plugin", "a-good")]
    registry = Registry()
    with pytest.warns(PluginWarning, match="'z-dup'.*already provided by 'a-good'"):
        load_entry_points(registry, eps, builtin=False)
    assert registry.readers["alpha"][0].extensions == (".alp",)


def test_every_plugin_module_is_declared_as_an_entry_point():
    project = tomllib.loads((REPO / "pyproject.toml").read_text())
    declared = set(project["project"]["entry-points"][GROUP].values())
    on_disk = {
        f"neurofiles.plugins.{p.name}"
        for p in (REPO / "plugins").iterdir()
        if p.is_dir() and (p / "__init__.py").exists() and not p.name.startswith("_")
    }
    on_disk |= {
        f"neurofiles.plugins.{p.stem}" for p in (REPO / "plugins").glob("*.py") if not p.name.startswith("_")
    }
    assert on_disk == declared
    packages = set(project["tool"]["setuptools"]["packages"])
    assert {d for d in declared} <= packages


def test_builtin_entry_points_come_from_the_installed_distribution():
    from importlib.metadata import distribution

    eps = {ep.name: ep.value for ep in distribution("neurofiles").entry_points if ep.group == GROUP}
    project = tomllib.loads((REPO / "pyproject.toml").read_text())
    assert eps == project["project"]["entry-points"][GROUP]


# --- full stack, in fresh interpreters, with a real (fake) installed distribution ---

SCRIPT = """
import json, warnings, neurofiles
warnings.simplefilter("always")
with warnings.catch_warnings(record=True) as caught:
    from neurofiles._framework.discovery import get_registry
    registry = get_registry()
print(json.dumps({
    "formats": sorted(registry.readers),
    "broken": [b.plugin.name for b in registry.broken],
    "warnings": [str(w.message) for w in caught],
}))
"""


def make_site(tmp_path: Path) -> Path:
    """A site folder holding a broken plugin distribution and a good one."""
    site = tmp_path / "site"
    site.mkdir()
    (site / "broken_nf_plugin.py").write_text("raise ImportError('optional thing missing')\n")
    (site / "good_nf_plugin.py").write_text(
        "from neurofiles.plugin import ReaderSpec, hookimpl\n"
        "@hookimpl\n"
        "def neurofiles_register_formats(registry):\n"
        "    registry.add_reader(ReaderSpec(name='goodfmt', reader='good_nf_plugin:X', extensions=('.good',)))\n"
    )
    for dist, module in (("broken_nf_plugin", "broken_nf_plugin"), ("good_nf_plugin", "good_nf_plugin")):
        info = site / f"{dist}-1.0.dist-info"
        info.mkdir()
        (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {dist}\nVersion: 1.0\n")
        (info / "entry_points.txt").write_text(f"[{GROUP}]\n{dist} = {module}\n")
    return site


def run(tmp_path: Path, **env: str) -> dict:
    inherited = {k: v for k, v in os.environ.items() if not k.startswith("NEUROFILES_")}
    full_env = {**inherited, "PYTHONPATH": str(make_site(tmp_path)), **env}
    proc = subprocess.run([sys.executable, "-c", SCRIPT], capture_output=True, text=True, env=full_env, timeout=120)
    if proc.returncode != 0:
        return {"returncode": proc.returncode, "stderr": proc.stderr}
    return json.loads(proc.stdout)


def test_broken_third_party_plugin_does_not_break_builtins(tmp_path):
    result = run(tmp_path)
    assert result["broken"] == ["broken_nf_plugin"]
    assert "goodfmt" in result["formats"]
    assert any("optional thing missing" in w for w in result["warnings"])


def test_strict_mode_env_var_raises_in_a_real_process(tmp_path):
    result = run(tmp_path, NEUROFILES_STRICT_PLUGINS="1")
    assert result["returncode"] != 0
    assert "PluginLoadError" in result["stderr"] and "optional thing missing" in result["stderr"]


def test_disable_autoload_keeps_only_builtins(tmp_path):
    result = run(tmp_path, NEUROFILES_DISABLE_PLUGIN_AUTOLOAD="1")
    assert result["broken"] == [] and "goodfmt" not in result["formats"]


# -- plugin-author bugs (issue 12) ----------------------------------------------------------------


def test_strict_mode_message_does_not_say_skipped(monkeypatch):
    monkeypatch.setenv("NEUROFILES_STRICT_PLUGINS", "1")
    with pytest.raises(PluginLoadError) as info:
        load_entry_points(Registry(), [EntryPoint("missing", "no_such_module_xyz", GROUP)], builtin=False)
    message = str(info.value)
    assert "skipped" not in message and "to raise instead" not in message
    assert "failed to load" in message and "NEUROFILES_STRICT_PLUGINS is set" in message


def test_plugin_warning_points_at_the_callers_line():
    import warnings

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        load_entry_points(Registry(), [EntryPoint("missing", "no_such_module_xyz", GROUP)], builtin=False)
    assert [(w.category, w.filename) for w in caught] == [(PluginWarning, __file__)]


WARNING_SITE = """
import json, warnings, neurofiles
warnings.simplefilter("always")
with warnings.catch_warnings(record=True) as caught:
    neurofiles.formats()  # line 5 of this script
print(json.dumps([[w.filename, w.lineno, str(w.message)] for w in caught]))
"""


def test_plugin_warning_from_formats_names_the_users_line(tmp_path):
    inherited = {k: v for k, v in os.environ.items() if not k.startswith("NEUROFILES_")}
    env = {**inherited, "PYTHONPATH": str(make_site(tmp_path))}
    script = tmp_path / "user_script.py"
    script.write_text(WARNING_SITE)
    proc = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, env=env, timeout=120)
    assert proc.returncode == 0, proc.stderr
    caught = json.loads(proc.stdout)
    assert caught and all([f, n] == [str(script), 5] for f, n, _ in caught), caught
