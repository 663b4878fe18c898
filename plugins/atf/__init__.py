"""Built-in plugin `atf` (registration module; implementation lands with its issue)."""
