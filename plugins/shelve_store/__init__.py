"""Built-in plugin `shelve_store` (registration module; implementation lands with its issue)."""
