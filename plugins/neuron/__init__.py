"""Built-in plugin `neuron` (registration module; implementation lands with its issue)."""
