"""Window geometry and table column layouts, remembered in QSettings (desktop only)."""

from __future__ import annotations

from PySide6.QtCore import QByteArray, QSettings
from PySide6.QtWidgets import QHeaderView, QMainWindow


class LayoutStore:
    """Saves and restores geometry, window state and header states by name."""

    def __init__(self, settings: QSettings) -> None:
        self._settings = settings

    def restore_window(self, window: QMainWindow) -> bool:
        geometry = self._settings.value("window/geometry")
        state = self._settings.value("window/state")
        restored = isinstance(geometry, QByteArray) and window.restoreGeometry(geometry)
        if isinstance(state, QByteArray):
            window.restoreState(state)
        return bool(restored)

    def save_window(self, window: QMainWindow) -> None:
        self._settings.setValue("window/geometry", window.saveGeometry())
        self._settings.setValue("window/state", window.saveState())

    def restore_header(self, name: str, header: QHeaderView) -> bool:
        state = self._settings.value(f"tables/{name}")
        return isinstance(state, QByteArray) and header.restoreState(state)

    def save_header(self, name: str, header: QHeaderView) -> None:
        self._settings.setValue(f"tables/{name}", header.saveState())

    def value(self, key: str, default: str = "") -> str:
        value = self._settings.value(key, default)
        return str(value) if value is not None else default

    def set_value(self, key: str, value: str) -> None:
        self._settings.setValue(key, value)

    def sync(self) -> None:
        self._settings.sync()
