"""Registration module of the example plugin: declares specs, imports nothing heavy."""

from neurofiles.plugin import ReaderSpec, Signature, WriterSpec, hookimpl


@hookimpl
def neurofiles_register_formats(registry):
    """Declare the ``spikes`` reader and writer."""
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
