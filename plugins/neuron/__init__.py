"""Built-in plugin `neuron`: NEURON simulator output (text ``.dat`` layouts, ``Vector.vwrite``, ``fwrite``).

Light registration module: it imports only ``neurofiles.plugin``.
"""

from neurofiles.plugin import ReaderSpec, WriterSpec, hookimpl

_URL = "https://nrn.readthedocs.io/"


@hookimpl
def neurofiles_register_formats(registry):  # type: ignore[no-untyped-def]
    registry.add_reader(
        ReaderSpec(
            name="neuron-dat",
            reader="neurofiles.plugins.neuron._text_reader:NeuronDatReader",
            extensions=(".dat",),
            sniff="neurofiles.plugins.neuron._sniff:sniff_text",
            description="NEURON text output: Vector > Save to File (clipboard), File.printf, Matrix.fprint,"
            " Vector.printf, PrintWindowManager Ascii",
            url=_URL,
        )
    )
    registry.add_reader(
        ReaderSpec(
            name="neuron-vwrite",
            reader="neurofiles.plugins.neuron._vwrite:VwriteReader",
            extensions=(".dat", ".vec"),
            sniff="neurofiles.plugins.neuron._sniff:sniff_vwrite",
            description="NEURON Vector.vwrite binary records "
            "(types 1-5, either byte order, several per file)",
            url=_URL,
        )
    )
    registry.add_reader(
        ReaderSpec(
            name="neuron-fwrite",
            reader="neurofiles.plugins.neuron._vwrite:FwriteReader",
            description="NEURON Vector.fwrite raw float64 values"
            " (no header: only with format='neuron-fwrite')",
            url=_URL,
        )
    )
    registry.add_writer(
        WriterSpec(
            name="neuron-dat",
            writer="neurofiles.plugins.neuron._writer:write_neuron_dat",
            extensions=(".dat",),
            accepts=("Traces", "tuple", "ndarray"),
            description="NEURON clipboard layout (Matrix.fprint layout for several value columns)",
        )
    )
    registry.add_writer(
        WriterSpec(
            name="neuron-vwrite",
            writer="neurofiles.plugins.neuron._writer:write_neuron_vwrite",
            extensions=(".vec",),
            accepts=("Traces", "tuple", "ndarray"),
            description="NEURON Vector.vwrite records, one per column",
        )
    )
