"""Built-in neurofiles plugins; each subpackage is one entry point of the ``neurofiles.plugins`` group."""
