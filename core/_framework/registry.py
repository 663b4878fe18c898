"""The registry: every spec that plugins declared, and the plugins that failed."""

from __future__ import annotations

from dataclasses import dataclass, field

from .._errors import PluginValidationError, PluginWarning
from .specs import BackendSpec, ReaderSpec, WriterSpec
from .warn import warn

__all__ = ["BrokenPlugin", "PluginInfo", "Registrar", "Registry"]

MIN_HEADER = 4096
MAX_HEADER = 65536


@dataclass(frozen=True)
class PluginInfo:
    """Where a spec came from: the entry point and its distribution."""

    name: str
    value: str
    distribution: str = ""
    version: str = ""
    builtin: bool = False


@dataclass(frozen=True)
class BrokenPlugin:
    """A plugin that failed to load, and why."""

    plugin: PluginInfo
    error: str


@dataclass
class Registrar:
    """Handed to a plugin's registration hook; stages that plugin's specs."""

    plugin: PluginInfo
    readers: list[ReaderSpec] = field(default_factory=list)
    writers: list[WriterSpec] = field(default_factory=list)
    backends: list[BackendSpec] = field(default_factory=list)

    def add_reader(self, spec: ReaderSpec) -> None:
        """Declare a reader."""
        self._add(self.readers, spec, ReaderSpec)

    def add_writer(self, spec: WriterSpec) -> None:
        """Declare a writer."""
        self._add(self.writers, spec, WriterSpec)

    def add_backend(self, spec: BackendSpec) -> None:
        """Declare a storage backend."""
        self._add(self.backends, spec, BackendSpec)

    def _add(self, staged: list, spec: object, kind: type) -> None:  # type: ignore[type-arg]
        if not isinstance(spec, kind):
            raise PluginValidationError(
                f"plugin {self.plugin.name!r}: expected a {kind.__name__}, got {type(spec).__name__}"
            )
        if any(s.name == spec.name for s in staged):  # type: ignore[attr-defined]
            raise PluginValidationError(
                f"plugin {self.plugin.name!r} declares {kind.__name__} {spec.name!r} twice"  # type: ignore[attr-defined]
            )
        staged.append(spec)


class Registry:
    """Specs by name, with the plugin each came from.

    On a name clash the first registration wins (built-ins load first) and a
    :class:`PluginWarning` names the loser.
    """

    def __init__(self) -> None:
        self.readers: dict[str, tuple[ReaderSpec, PluginInfo]] = {}
        self.writers: dict[str, tuple[WriterSpec, PluginInfo]] = {}
        self.backends: dict[str, tuple[BackendSpec, PluginInfo]] = {}
        self.plugins: list[PluginInfo] = []
        self.broken: list[BrokenPlugin] = []

    def commit(self, staged: Registrar) -> None:
        """Add every spec a plugin staged."""
        self.plugins.append(staged.plugin)
        for table, specs in (
            (self.readers, staged.readers),
            (self.writers, staged.writers),
            (self.backends, staged.backends),
        ):
            for spec in specs:
                if spec.name in table:
                    owner = table[spec.name][1]
                    warn(
                        f"plugin {staged.plugin.name!r} ({staged.plugin.distribution}) declares "
                        f"{spec.name!r}, already provided by {owner.name!r} ({owner.distribution});"
                        " keeping the first",
                        PluginWarning,
                    )
                    continue
                table[spec.name] = (spec, staged.plugin)  # type: ignore[assignment]

    @property
    def header_size(self) -> int:
        """Bytes to read once so that every registered signature can be tested."""
        ends = [sig.end for spec, _ in self.readers.values() for sig in spec.magic]
        return min(MAX_HEADER, max([MIN_HEADER, *ends]))


Registrar.__module__ = "neurofiles.plugin"  # its public name
