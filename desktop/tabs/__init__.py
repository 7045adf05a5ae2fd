"""The main window's tabs, one job each (spec §8)."""
