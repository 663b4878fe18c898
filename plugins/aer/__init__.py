"""Built-in plugin `aer` (registration module; implementation lands with its issue)."""
