"""Built-in plugin `atf`: Axon Text Files (ATF 1.0, as pCLAMP/Clampfit export them).

Light registration module: it imports only ``neurofiles.plugin``.
"""

from neurofiles.plugin import ReaderSpec, Signature, WriterSpec, hookimpl


@hookimpl
def neurofiles_register_formats(registry):  # type: ignore[no-untyped-def]
    registry.add_reader(
        ReaderSpec(
            name="axon-atf",
            reader="neurofiles.plugins.atf._reader:AtfReader",
            extensions=(".atf",),
            magic=(Signature(0, b"ATF"), Signature(0, b"PAF")),
            description="Axon Text File 1.0 (pCLAMP/Clampfit exports, stimulus files, results tables)",
        )
    )
    registry.add_writer(
        WriterSpec(
            name="axon-atf",
            writer="neurofiles.plugins.atf._writer:write_atf",
            extensions=(".atf",),
            accepts=("Traces", "tuple", "ndarray"),
            description="Axon Text File 1.0 with Clampfit-style records",
        )
    )
