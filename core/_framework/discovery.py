"""Entry-point discovery: lazy, once per process, cached, each plugin isolated.

Built-in plugins are entry points of the ``neurofiles`` distribution itself
and load first; third-party entry points load on first need. Environment:

``NEUROFILES_STRICT_PLUGINS=1``
    a broken plugin raises :class:`PluginLoadError` instead of warning.
``NEUROFILES_DISABLE_PLUGIN_AUTOLOAD=1``
    only the built-in plugins load.
``NEUROFILES_DISABLED_PLUGINS=name,...``
    these entry-point names are skipped (built-ins included).
"""

from __future__ import annotations

import os
import sys
import threading
from collections.abc import Iterable
from types import ModuleType
from typing import TYPE_CHECKING, Any

from .._errors import PluginError, PluginLoadError, PluginWarning
from .registry import BrokenPlugin, PluginInfo, Registrar, Registry
from .warn import warn

if TYPE_CHECKING:
    from importlib.metadata import EntryPoint

__all__ = ["GROUP", "get_registry", "load_entry_points", "refresh_plugins"]

GROUP = "neurofiles.plugins"
DISTRIBUTION = "neurofiles"
ENV_STRICT = "NEUROFILES_STRICT_PLUGINS"
ENV_NO_AUTOLOAD = "NEUROFILES_DISABLE_PLUGIN_AUTOLOAD"
ENV_DISABLED = "NEUROFILES_DISABLED_PLUGINS"
HOOKS = ("neurofiles_register_formats", "neurofiles_register_backends")

_lock = threading.RLock()
_state: dict[str, Any] = {}


def _flag(name: str) -> bool:
    return os.environ.get(name, "").strip().lower() not in ("", "0", "false", "no")


def _metadata() -> ModuleType:
    if sys.version_info >= (3, 10):
        from importlib import metadata
    else:  # pragma: no cover - the backport is only installed below 3.10
        import importlib_metadata as metadata
    return metadata


def refresh_plugins() -> None:
    """Forget every discovered plugin; the next call scans entry points again."""
    with _lock:
        _state.clear()


def get_registry(*, third_party: bool = True) -> Registry:
    """The process-wide registry: built-ins, then (unless disabled) third parties."""
    with _lock:
        registry = _state.get("registry")
        if registry is None:
            registry = _state["registry"] = Registry()
            load_entry_points(registry, _own_entry_points(), builtin=True)
        if third_party and not _state.get("third_party") and not _flag(ENV_NO_AUTOLOAD):
            _state["third_party"] = True
            load_entry_points(registry, _other_entry_points(), builtin=False)
        return registry


def _own_entry_points() -> list[EntryPoint]:
    metadata = _metadata()
    try:
        dist = metadata.distribution(DISTRIBUTION)
    except metadata.PackageNotFoundError as exc:
        raise PluginError(
            "neurofiles is imported from a source tree that is not installed, so its built-in"
            " plugins cannot be found; run: pip install -e ."
        ) from exc
    return [ep for ep in dist.entry_points if ep.group == GROUP]


def _other_entry_points() -> list[EntryPoint]:
    metadata = _metadata()
    found = metadata.entry_points(group=GROUP)
    return [ep for ep in found if _dist_name(ep) != DISTRIBUTION]


def _dist_name(ep: EntryPoint) -> str:
    dist = getattr(ep, "dist", None)
    name = getattr(dist, "name", None) or (dist.metadata["Name"] if dist is not None else "")
    return (name or "").lower().replace("_", "-")


def load_entry_points(registry: Registry, entry_points: Iterable[EntryPoint], *, builtin: bool) -> None:
    """Load each entry point and run its registration hooks, isolating failures."""
    import pluggy

    from . import hookspecs as _hookspecs

    manager = pluggy.PluginManager(_hookspecs.PROJECT)
    manager.add_hookspecs(_hookspecs)
    disabled = {n.strip() for n in os.environ.get(ENV_DISABLED, "").split(",") if n.strip()}
    for ep in sorted(entry_points, key=lambda e: (_dist_name(e), e.name)):
        if ep.name in disabled:
            continue
        dist = getattr(ep, "dist", None)
        info = PluginInfo(
            name=ep.name,
            value=ep.value,
            distribution=_dist_name(ep),
            version=getattr(dist, "version", "") or "",
            builtin=builtin,
        )
        try:
            registry.commit(_register(manager, ep, info))
        except Exception as exc:  # isolation: one broken plugin must not break the rest
            _record_broken(registry, info, exc)


def _register(manager: Any, ep: EntryPoint, info: PluginInfo) -> Registrar:
    module = ep.load()
    manager.register(module, name=f"{info.distribution}:{info.name}")
    manager.check_pending()  # a misspelled hook name is an error, not a silent no-op
    staged = Registrar(info)
    for hook_name in HOOKS:
        for impl in getattr(manager.hook, hook_name).get_hookimpls():
            if impl.plugin is module:
                impl.function(registry=staged)
    return staged


def _record_broken(registry: Registry, info: PluginInfo, exc: Exception) -> None:
    error = f"{type(exc).__name__}: {exc}"
    registry.broken.append(BrokenPlugin(info, error))
    what = f"neurofiles plugin {info.name!r} ({info.value}, from {info.distribution or 'unknown'}) failed to load"
    if _flag(ENV_STRICT):
        raise PluginLoadError(f"{what}: {error} ({ENV_STRICT} is set, so this is an error).") from exc
    warn(f"{what} and was skipped: {error}. Set {ENV_STRICT}=1 to raise instead.", PluginWarning)
