"""The About box names the version and lets the user read the third-party notices."""

from __future__ import annotations

from concurrent.futures import Executor

import pytest
from PySide6.QtCore import QSettings
from pytestqt.qtbot import QtBot

from core import __version__
from core.controller import Controller
from desktop.app import build_window
from desktop.notify import Notifier

pytestmark = pytest.mark.gui


class DetailNotifier(Notifier):
    def __init__(self) -> None:
        super().__init__()
        self.shown: list[tuple[str, str, str]] = []

    def info(self, title: str, message: str, detail: str = "") -> None:
        self.shown.append((title, message, detail))


def test_about_shows_the_version_and_the_notices(
    qtbot: QtBot, controller: Controller, inline_executor: Executor, window_settings: QSettings
) -> None:
    notifier = DetailNotifier()
    window = build_window(controller, inline_executor, window_settings, notifier)
    qtbot.addWidget(window)
    window._on_about()
    [(title, message, detail)] = notifier.shown
    assert title == "About LicenseDesk"
    assert __version__ in message
    assert "LGPL-3.0" in message
    assert "PySide6" in detail
