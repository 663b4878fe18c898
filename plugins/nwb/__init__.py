"""Built-in plugin ``nwb``: write Traces and Events as Neurodata Without Borders (NWB 2) files.

Registration only: pynwb is imported when a file is written (extra ``nwb``).
"""

from __future__ import annotations

from typing import Any

from neurofiles.plugin import WriterSpec, hookimpl


@hookimpl
def neurofiles_register_formats(registry: Any) -> None:
    """Register the ``nwb`` writer."""
    registry.add_writer(
        WriterSpec(
            name="nwb",
            writer="neurofiles.plugins.nwb._writer:write_nwb",
            extensions=(".nwb",),
            accepts=("Traces", "Events"),
            description="Neurodata Without Borders 2 (HDF5): patch-clamp sweeps, time series or spike units"
            " (needs pynwb)",
            install_hint='pip install "neurofiles[nwb]"',
        )
    )
