"""Built-in plugin `sqlite_store` (registration module; implementation lands with its issue)."""
