"""Data the app ships: SKU names, settings, icons and styles (read with importlib.resources)."""
