"""Dialogs: connection, license properties."""
