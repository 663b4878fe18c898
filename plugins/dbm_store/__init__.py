"""Built-in plugin `dbm_store` (registration module; implementation lands with its issue)."""
