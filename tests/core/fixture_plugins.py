"""Small plugins used to test selection and discovery through real entry points.

Each ``*_plugin`` object below is a registration module stand-in: an object
with hook functions, loaded by ``EntryPoint.load()`` like a real plugin.
"""

from __future__ import annotations

from types import SimpleNamespace

from neurofiles.plugin import (
    FormatMismatch,
    MissingOptionError,
    Probe,
    Reader,
    ReaderSpec,
    Signature,
    Source,
    WriterSpec,
    hookimpl,
)

HERE = "tests.core.fixture_plugins"


class NamedReader(Reader):
    """Accepts anything; read() returns the format name and options."""

    def __init__(self, source: Source, *, scale: float = 1.0) -> None:
        super().__init__(source)
        self.scale = scale

    def read(self) -> dict[str, object]:
        return {"format": self.format_name, "scale": self.scale, "size": self.source.size}

    def summary(self) -> dict[str, object]:
        return {"size": self.source.size}


class RefusingReader(Reader):
    """Always says "not mine"."""

    def __init__(self, source: Source) -> None:
        raise FormatMismatch("this reader refuses every file")


class BuggyReader(Reader):
    """Has a real bug in read()."""

    def __init__(self, source: Source) -> None:
        super().__init__(source)

    def read(self) -> None:
        raise ZeroDivisionError("a real bug inside a reader")


class NeedsOptionReader(Reader):
    """Knows the file but needs ``layout=`` to read it."""

    def __init__(self, source: Source, *, layout: str | None = None) -> None:
        if layout is None:
            raise MissingOptionError("a .opt file does not say its layout: pass layout='a' or 'b'",
                                     path=source.name, options=("layout",))
        super().__init__(source)
        self.layout = layout

    def read(self) -> str:
        return self.layout


def sniff_digits(probe: Probe) -> float:
    """High confidence for ASCII digit files."""
    text = probe.header.strip()
    return 0.8 if text and all(48 <= b <= 57 or b in b" \n\r\t" for b in text) else 0.0


def sniff_digits_weaker(probe: Probe) -> float:
    return sniff_digits(probe) / 2


def sniff_raises(probe: Probe) -> float:
    raise RuntimeError("sniff bug")


def write_text(stream, data, *, path=None, upper: bool = False) -> None:
    text = str(data)
    stream.write((text.upper() if upper else text).encode())


def write_fails_midway(stream, data, *, path=None) -> None:
    stream.write(b"partial")
    raise OSError(28, "No space left on device")


def _reader(name: str, cls: str = "NamedReader", **kw: object) -> ReaderSpec:
    return ReaderSpec(name=name, reader=f"{HERE}:{cls}", **kw)  # type: ignore[arg-type]


@hookimpl
def _formats(registry) -> None:
    registry.add_reader(_reader("alpha", extensions=(".alp",), magic=(Signature(0, b"ALPH"),)))
    registry.add_reader(_reader("alpha-late", extensions=(".alp",), magic=(Signature(4, b"LATE"),)))
    registry.add_reader(_reader("digits", extensions=(".num", ".dat"), sniff=f"{HERE}:sniff_digits"))
    registry.add_reader(_reader("digits-weak", extensions=(".dat",), sniff=f"{HERE}:sniff_digits_weaker"))
    registry.add_reader(_reader("gz", extensions=(".gz",)))
    registry.add_reader(_reader("targz", extensions=(".tar.gz",)))
    registry.add_reader(_reader("refuser", "RefusingReader", extensions=(".ref",), priority=5))
    registry.add_reader(_reader("accepter", extensions=(".ref",)))
    registry.add_reader(_reader("buggy", "BuggyReader", extensions=(".bug",)))
    registry.add_reader(_reader("rawonly"))
    registry.add_writer(WriterSpec(name="text", writer=f"{HERE}:write_text", extensions=(".txt",)))
    registry.add_writer(WriterSpec(name="failing", writer=f"{HERE}:write_fails_midway", extensions=(".fail",)))


@hookimpl
def _twins(registry) -> None:
    registry.add_reader(_reader("twin-a", extensions=(".num",), sniff=f"{HERE}:sniff_digits"))
    registry.add_reader(_reader("twin-b", extensions=(".num",), sniff=f"{HERE}:sniff_digits"))


@hookimpl
def _raises(registry) -> None:
    registry.add_reader(_reader("half-registered", extensions=(".half",)))
    raise RuntimeError("hook exploded after registering one spec")


@hookimpl
def _bad_spec(registry) -> None:
    registry.add_reader(_reader("Bad Name!", extensions=(".x",)))


@hookimpl
def _sniff_bug(registry) -> None:
    registry.add_reader(_reader("sniffbug", extensions=(".dat",), sniff=f"{HERE}:sniff_raises"))


@hookimpl
def _sniff_missing(registry) -> None:
    """Sniff modules that cannot be imported: one lacks a package, one has a real bug."""
    registry.add_reader(_reader("nodep", extensions=(".nd",), sniff="no_such_module_for_sniff:sniff",
                                install_hint="pip install no-such-module"))
    registry.add_reader(_reader("sniffimportbug", extensions=(".ib",), sniff=f"{HERE}_broken_sniff:sniff"))


@hookimpl
def _needs_option(registry) -> None:
    registry.add_reader(_reader("needsopt", "NeedsOptionReader", extensions=(".opt",)))


@hookimpl
def _twin_writers(registry) -> None:
    registry.add_writer(WriterSpec(name="twin-w1", writer=f"{HERE}:write_text", extensions=(".twin",)))
    registry.add_writer(WriterSpec(name="twin-w2", writer=f"{HERE}:write_text", extensions=(".twin",)))


@hookimpl
def _duplicate(registry) -> None:
    registry.add_reader(_reader("alpha", extensions=(".other",)))


def _module(formats) -> SimpleNamespace:
    return SimpleNamespace(neurofiles_register_formats=formats)


formats_plugin = _module(_formats)
twins_plugin = _module(_twins)
raising_plugin = _module(_raises)
bad_spec_plugin = _module(_bad_spec)
sniff_bug_plugin = _module(_sniff_bug)
duplicate_plugin = _module(_duplicate)
sniff_missing_plugin = _module(_sniff_missing)
needs_option_plugin = _module(_needs_option)
twin_writers_plugin = _module(_twin_writers)
wrong_hook_plugin = SimpleNamespace(neurofiles_register_formatz=hookimpl(lambda registry: None))
