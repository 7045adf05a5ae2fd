"""`licensedesk --smoke-test`: prove a build works end to end, without a screen or a user.

The window opens offscreen on a temporary data folder, adds the demo tenants, waits for their
imports (the staging worker process included) and checks that the figures show: the
Overview's Entitled card holds a number above zero and the Licenses table has rows. Exit status
0 on success; otherwise 1 with the reason on stderr. A time limit stops a hung run.
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
from collections.abc import Callable

from PySide6.QtCore import QObject, QTimer, Slot
from PySide6.QtWidgets import QApplication

from core.domain.imports import ImportRun
from desktop.main_window import MainWindow
from desktop.notify import Notifier

DEFAULT_TIMEOUT_S = 120.0
POLL_MS = 200


def say(text: str, *, error: bool = False) -> None:
    """Print, unless there is no stream (a windowed Windows build started without a console)."""
    stream = sys.stderr if error else sys.stdout
    if stream is not None:
        print(text, file=stream, flush=True)


def prepare_environment(environ: dict[str, str] | os._Environ[str] = os.environ) -> str:
    """Point the app at a new temporary data folder, offscreen; return the folder.

    Secrets go to an owner-only file there, so no keychain is touched or prompts.
    """
    home = tempfile.mkdtemp(prefix="licensedesk-smoke-")
    environ["QT_QPA_PLATFORM"] = "offscreen"
    environ["LICENSEDESK_HOME"] = home
    environ["LICENSEDESK_SECRETS_FILE"] = "1"
    return home


class SmokeNotifier(Notifier):
    """Records what would be a message box (a modal box would hang the test); never asks."""

    def __init__(self) -> None:
        super().__init__()
        self.errors: list[str] = []

    def error(self, title: str, message: str, detail: str = "") -> None:
        self.errors.append(f"{title}: {message}")

    def warning(self, title: str, message: str, detail: str = "") -> None:
        say(f"warning: {title}: {message}", error=True)

    def info(self, title: str, message: str, detail: str = "") -> None:
        pass

    def confirm(self, title: str, question: str, *, ok_text: str = "OK", detail: str = "") -> bool:
        return False

    def save_file_name(self, title: str, suggested: str, file_filter: str) -> str | None:
        return None

    def open_file_name(self, title: str, file_filter: str) -> str | None:
        return None


def parse_count(text: str) -> int | None:
    """The number a figure card shows ("3,120"), or None for "—" and anything else."""
    digits = text.replace(",", "").replace("\u202f", "").strip()
    return int(digits) if digits.isdigit() else None


class SmokeTest(QObject):
    """Drives the window through the demo and decides the exit status.

    `finished(code)` is not a signal: the test ends the application with that code.
    """

    def __init__(
        self,
        window: MainWindow,
        notifier: SmokeNotifier,
        timeout_s: float = DEFAULT_TIMEOUT_S,
        quit_app: Callable[[int], None] = QApplication.exit,
    ) -> None:
        super().__init__(window)
        self._window = window
        self._notifier = notifier
        self._timeout_s = timeout_s
        self._quit = quit_app
        self._started = 0.0
        self._imports_seen = False
        self._failures: list[str] = []
        self._done = False
        self.code: int | None = None
        self._poll = QTimer(self)
        self._poll.setInterval(POLL_MS)
        self._poll.timeout.connect(self._on_poll)
        window.runner.started.connect(self._on_import_started)
        window.runner.finished.connect(self._on_import_finished)
        window.runner.failed.connect(self._on_import_failed)
        window.runner.cancelled.connect(self._on_import_cancelled)

    def start(self) -> None:
        self._started = time.monotonic()
        self._window.add_demo()  # a job: the imports start once the tenants are added
        self._poll.start()

    @Slot(int, str)
    def _on_import_started(self, _connection_id: int, _name: str) -> None:
        self._imports_seen = True

    @Slot(object)
    def _on_import_finished(self, run: ImportRun) -> None:
        self._imports_seen = True
        say(f"imported {run.connection_name}: {run.status.value}", error=True)

    @Slot(int, str, str)
    def _on_import_failed(self, _connection_id: int, message: str, _detail: str) -> None:
        self._imports_seen = True
        self._failures.append(f"an import failed: {message}")

    @Slot(int)
    def _on_import_cancelled(self, _connection_id: int) -> None:
        self._failures.append("an import was cancelled")

    @Slot()
    def _on_poll(self) -> None:
        elapsed = time.monotonic() - self._started
        problems = self._failures + self._notifier.errors
        if self._window.runner.running_ids():  # started, or starting on a worker thread
            self._imports_seen = True
        if problems:
            self._finish(1, "; ".join(problems))
        elif self._window.inventory.writer.busy and elapsed < self._timeout_s:
            return  # still adding the demo tenants
        elif not self._imports_seen:
            self._finish(1, "adding the demo tenants started no import")
        elif self._window.runner.running_ids():
            if elapsed > self._timeout_s:
                self._finish(1, f"the demo imports did not finish within {self._timeout_s:.0f} s")
        else:
            self._check_figures(elapsed)

    def _check_figures(self, elapsed: float) -> None:
        window = self._window
        window.tabs.setCurrentWidget(window.overview)
        entitled_text = window.overview.cards["entitled"].value.text()
        entitled = parse_count(entitled_text)
        window.tabs.setCurrentWidget(window.licenses)
        rows = window.licenses.panel.view.model().rowCount()
        if entitled and rows > 0:
            self._finish(0, f"entitled {entitled:,}, {rows} license rows, {elapsed:.1f} s")
        elif elapsed > self._timeout_s:
            self._finish(
                1, f"figures not shown: Entitled card {entitled_text!r}, {rows} license rows"
            )

    def _finish(self, code: int, reason: str) -> None:
        if self._done:
            return
        self._done = True
        self._poll.stop()
        self.code = code
        if code == 0:
            say(f"smoke test passed: {reason}")
        else:
            say(f"smoke test failed: {reason}", error=True)
        self._quit(code)
