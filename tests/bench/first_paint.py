"""Start the real app (`licensedesk`, on LICENSEDESK_HOME) and print `first_paint` when the
main window first paints and `data_painted` when it has painted the Overview's figures read
from the database; then exit. Run by gui_bench.py, which times this whole process."""

from __future__ import annotations

import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from PySide6.QtCore import QEvent, QObject, QTimer  # noqa: E402

import desktop.app as app_module  # noqa: E402


class FirstPaint(QObject):
    def __init__(self, window) -> None:  # type: ignore[no-untyped-def]
        super().__init__(window)
        self.window = window
        self.painted = False
        self.poll = QTimer(self)
        self.poll.setInterval(2)
        self.poll.timeout.connect(self._on_poll)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802
        if event.type() == QEvent.Type.Paint and not self.painted:
            self.painted = True
            print("first_paint", flush=True)
            self.poll.start()
        return False

    def _on_poll(self) -> None:
        if self.window.overview.overview is not None:
            self.window.repaint()  # the figures are on screen once this returns
            print("data_painted", flush=True)
            os._exit(0)


_build = app_module.build_window


def _hooked(*args, **kwargs):  # type: ignore[no-untyped-def]
    window = _build(*args, **kwargs)
    window.installEventFilter(FirstPaint(window))
    return window


app_module.build_window = _hooked
sys.exit(app_module.main([]))
