"""Message boxes, file pickers and status messages: the only module that calls `exec()`.

Tests pass a notifier that records the calls and answers from a script, so no test can hang
on a modal box.
"""

from __future__ import annotations

import logging

from PySide6.QtWidgets import QFileDialog, QMessageBox, QStatusBar, QWidget

from core.errors import LicenseDeskError, ValidationError

log = logging.getLogger(__name__)


def describe_error(exc: BaseException) -> tuple[str, str]:
    """(plain message, technical detail) of any exception."""
    if isinstance(exc, ValidationError):
        # Only the messages: the field keys are internal names.
        return " ".join(exc.errors.values()) or exc.message, exc.detail
    if isinstance(exc, LicenseDeskError):
        return exc.message, exc.detail
    return "Something went wrong that LicenseDesk did not expect.", repr(exc)


class Notifier:
    """Shows messages to the user; `parent` is the window the boxes belong to."""

    def __init__(self, parent: QWidget | None = None) -> None:
        self._parent = parent
        self._status_bar: QStatusBar | None = None

    def attach(self, parent: QWidget, status_bar: QStatusBar | None = None) -> None:
        self._parent = parent
        self._status_bar = status_bar

    def status(self, message: str, timeout_ms: int = 6000) -> None:
        if self._status_bar is not None:
            self._status_bar.showMessage(message, timeout_ms)

    def error(self, title: str, message: str, detail: str = "") -> None:
        self._box(QMessageBox.Icon.Critical, title, message, detail)

    def error_from(self, title: str, exc: BaseException) -> None:
        message, detail = describe_error(exc)
        self.error(title, message, detail)

    def warning(self, title: str, message: str, detail: str = "") -> None:
        self._box(QMessageBox.Icon.Warning, title, message, detail)

    def info(self, title: str, message: str, detail: str = "") -> None:
        self._box(QMessageBox.Icon.Information, title, message, detail)

    def confirm(self, title: str, question: str, *, ok_text: str = "OK", detail: str = "") -> bool:
        """Ask a yes/no question; True when the user chose `ok_text`."""
        box = QMessageBox(QMessageBox.Icon.Question, title, question, parent=self._parent)
        ok = box.addButton(ok_text, QMessageBox.ButtonRole.AcceptRole)
        box.addButton(QMessageBox.StandardButton.Cancel)
        box.setDefaultButton(QMessageBox.StandardButton.Cancel)
        if detail:
            box.setDetailedText(detail)
        box.exec()
        return box.clickedButton() is ok

    def save_file_name(self, title: str, suggested: str, file_filter: str) -> str | None:
        path, _ = QFileDialog.getSaveFileName(self._parent, title, suggested, file_filter)
        return path or None

    def open_file_name(self, title: str, file_filter: str) -> str | None:
        path, _ = QFileDialog.getOpenFileName(self._parent, title, "", file_filter)
        return path or None

    def _box(self, kind: QMessageBox.Icon, title: str, message: str, detail: str) -> None:
        log.debug("message box: %s", title)
        box = QMessageBox(kind, title, message, parent=self._parent)
        if detail:
            # One click away: the "Show Details…" button of the box.
            box.setDetailedText(detail)
        box.exec()
