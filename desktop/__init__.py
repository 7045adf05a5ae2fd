"""LicenseDesk desktop: the PySide6 front end over `core.controller`."""
