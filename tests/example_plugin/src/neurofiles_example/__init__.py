"""Registration module of the example plugin: two formats and a storage backend; imports nothing heavy.

``spikes`` is the easy case (its own extension and magic bytes). ``ampli`` is
the hard one: a text format recognised by content, claiming ``.dat``, which
other formats (NEURON's, headerless AER) use too. It does *not* claim
``.txt``: an extension nobody claims is sniffed by every format, so NEURON's
``.txt`` exports are still found, and so are AMPLI ``.txt`` files. Its sniff
function lives in a module of its own that imports nothing heavy, because it
is imported for every ``.dat`` file and every file of an unclaimed extension.
"""

from neurofiles.plugin import BackendSpec, ReaderSpec, Signature, WriterSpec, hookimpl


@hookimpl
def neurofiles_register_formats(registry):
    """Declare the ``spikes`` and ``ampli`` readers and writers."""
    registry.add_reader(
        ReaderSpec(
            name="spikes",
            reader="neurofiles_example._spikes:SpikesReader",
            extensions=(".spk",),
            magic=(Signature(0, b"#SPIKES 1"),),
            description="spike list: neuron index and time in seconds, one spike per line",
        )
    )
    registry.add_writer(
        WriterSpec(
            name="spikes",
            writer="neurofiles_example._spikes:write_spikes",
            extensions=(".spk",),
            accepts=("SpikeList",),
        )
    )


    registry.add_reader(
        ReaderSpec(
            name="ampli",
            reader="neurofiles_example._ampli:AmpliReader",
            extensions=(".dat",),  # not .txt: claiming it would hide other formats' sniffs from .txt files
            sniff="neurofiles_example._ampli_sniff:sniff_ampli",
            description="example: AMPLI amplifier traces (text, recognised by content)",
        )
    )
    registry.add_writer(
        WriterSpec(
            name="ampli",
            writer="neurofiles_example._ampli:write_ampli",
            extensions=(".txt",),  # not .dat: NEURON's writer has it, and a tie would need format=
            accepts=("Traces",),
        )
    )


@hookimpl
def neurofiles_register_backends(registry):
    """Declare the ``jsondir`` DataManager backend."""
    registry.add_backend(
        BackendSpec(
            name="jsondir",
            backend="neurofiles_example._jsondir:JsonDirBackend",
            description="example: one folder per session, one file per key",
        )
    )
