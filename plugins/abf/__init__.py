"""Built-in plugin `abf`: Axon Binary Files (ABF 1.x and ABF 2.x, pCLAMP/Clampex/AxoScope).

Light registration module: it imports only ``neurofiles.plugin``.
"""

from neurofiles.plugin import ReaderSpec, Signature, hookimpl


@hookimpl
def neurofiles_register_formats(registry):  # type: ignore[no-untyped-def]
    registry.add_reader(
        ReaderSpec(
            name="axon-abf",
            reader="neurofiles.plugins.abf._reader:AbfReader",
            extensions=(".abf",),
            magic=(Signature(0, b"ABF "), Signature(0, b"ABF2")),
            description="Axon Binary File, ABF 1.x and 2.x (pCLAMP/Clampex/AxoScope recordings)",
        )
    )
