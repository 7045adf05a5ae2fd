"""Hostile or broken services: the import ends with a clear error, a bounded wait and no leak."""
