"""Built-in plugin ``aer``: jAER/iniVation AEDAT files, headerless AER ``.dat`` files, ``.aeidx`` indexes.

Registration only: nothing here imports numpy or the readers.
"""

from __future__ import annotations

from typing import Any

from neurofiles.plugin import ReaderSpec, Signature, WriterSpec, hookimpl

_PKG = "neurofiles.plugins.aer"


@hookimpl
def neurofiles_register_formats(registry: Any) -> None:
    """Register the ``aedat`` and ``aeidx`` readers and writers."""
    registry.add_reader(
        ReaderSpec(
            name="aedat",
            reader=f"{_PKG}._reader:AedatReader",
            extensions=(".aedat", ".aedat2", ".aedat4", ".dat"),
            magic=(Signature(0, b"#!AER-DAT"),),
            sniff=f"{_PKG}._sniff:sniff_headerless",
            description="jAER / iniVation AEDAT 1.0-4.0 and headerless AER event files",
            install_hint='pip install "neurofiles[aedat4]"',
        )
    )
    registry.add_writer(
        WriterSpec(
            name="aedat",
            writer=f"{_PKG}._writer:write_aedat",
            extensions=(".aedat", ".aedat2"),
            description="AEDAT 2.0, as jAER writes it, from Events, (addresses, seconds) or a Brian2 SpikeMonitor",
        )
    )
    registry.add_reader(
        ReaderSpec(
            name="aeidx",
            reader=f"{_PKG}._aeidx:AeidxReader",
            extensions=(".aeidx",),
            description="jAER index of synchronised AER recordings (one file name per line)",
        )
    )
    registry.add_writer(
        WriterSpec(
            name="aeidx",
            writer=f"{_PKG}._aeidx:write_aeidx",
            extensions=(".aeidx",),
            accepts=("list", "tuple"),
            description="jAER index listing data files",
        )
    )
