"""Registration module of the example plugin: a format and a storage backend; imports nothing heavy."""

from neurofiles.plugin import BackendSpec, ReaderSpec, Signature, WriterSpec, hookimpl


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
