"""Which database the window has open: File ▸ Team database (and the first run's "Connect to a
team database…"), the switch to another one, and the read-only lock when the store cannot be
written.

A switch saves the choice (core), then closes the window with `reopen_requested` set: the
composition root (`desktop/app.py`) closes the controller and opens the window again on the
store chosen, in the same process.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, Slot
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QLabel, QMainWindow, QVBoxLayout, QWidget

from core.domain.team import OpenedDatabase
from desktop.dialogs.team_database_dialog import TeamDatabaseDialog
from desktop.jobs import JobRunner
from desktop.notify import Notifier
from desktop.write_lock import WriteLock

if TYPE_CHECKING:
    from core.controller import Controller
    from desktop.dialogs.connection_dialog import ConnectionDialog
    from desktop.dialogs.license_dialog import LicenseDialog
    from desktop.main_window import MainWindow


class DatabaseSwitch(QObject):
    """The Team database action and dialog of a window, and its reopen request."""

    def __init__(
        self,
        controller: Controller,
        jobs: JobRunner,
        notifier: Notifier,
        window: QMainWindow,
    ) -> None:
        super().__init__(window)
        self._controller = controller
        self._jobs = jobs
        self._notifier = notifier
        self._window = window
        self.opened: OpenedDatabase = controller.opened_database()
        self.reopen_requested = False
        self.dialog: TeamDatabaseDialog | None = None
        self.action = QAction("Team &database…", window)
        self.action.setStatusTip("Work on this computer's database or on a team's shared one")
        self.action.triggered.connect(self.open_dialog)

    @Slot()
    def open_dialog(self) -> TeamDatabaseDialog:
        if self.dialog is not None:
            self.dialog.raise_()
            return self.dialog
        dialog = TeamDatabaseDialog(self._controller, self._jobs, self.opened, self._window)
        dialog.accepted.connect(self._on_switched)
        dialog.finished.connect(self._on_dialog_finished)
        self.dialog = dialog
        dialog.open()  # window-modal, never exec(): tests and the event loop go on
        return dialog

    @Slot()
    def _on_dialog_finished(self) -> None:
        if self.dialog is not None:
            self.dialog.deleteLater()
        self.dialog = None

    @Slot()
    def _on_switched(self) -> None:
        """The choice is saved: close (running imports ask first) and open again on it."""
        self.reopen_requested = True
        if not self._window.close():
            self.reopen_requested = False
            self._notifier.status("The database chosen opens at the next start.", 15000)

    def title(self, app_name: str) -> str:
        return f"{app_name} — {self.opened.label}"

    def with_read_only_bar(self, content: QWidget) -> QWidget:
        """`content` under a permanent line saying the data cannot be changed, when so."""
        if not self.opened.read_only:
            return content
        box = QWidget(self._window)
        layout = QVBoxLayout(box)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        self.read_only_bar = QLabel(self.opened.read_only_reason, box)
        self.read_only_bar.setObjectName("readOnlyBar")
        self.read_only_bar.setWordWrap(True)
        self.read_only_bar.setAccessibleName("Read-only")
        layout.addWidget(self.read_only_bar)
        layout.addWidget(content, 1)
        return box

    def lock_writes(self, window: MainWindow) -> WriteLock | None:
        """Disable every control that changes data, the reason as tooltip."""
        if not self.opened.read_only:
            return None
        lock = WriteLock(self.opened.read_only_reason, window)
        inventory = window.inventory
        lock.hold(
            window.new_action,
            window.import_all_action,
            inventory.new_button,
            inventory.edit_button,
            inventory.delete_button,
            inventory.execute_button,
            inventory.welcome.demo_button,
            inventory.welcome.new_button,
            window.licenses.status_button,
            window.licenses.status_action,
            window.settings_tab.general.save_button,
            window.settings_tab.integrations.enable_button,
            window.settings_tab.integrations.save_button,
            window.settings_tab.integrations.demo_button,
            window.settings_tab.integrations.import_button,
            window.settings_tab.prices.import_prices,
            window.settings_tab.prices.import_names,
        )
        lock.hold(*(inventory.row_actions[k] for k in ("edit", "execute", "delete")))
        lock.hold_edits(window.settings_tab.prices.panel.view)
        window.licenses.dialog_opened.connect(self._on_license_dialog_opened)
        # A double-click still opens a connection's dialog, to read its settings.
        inventory.dialog_opened.connect(self._on_connection_dialog_opened)
        self.write_lock = lock
        return lock

    @Slot(object)
    def _on_connection_dialog_opened(self, dialog: ConnectionDialog) -> None:
        self.write_lock.hold(dialog.ok_button)

    @Slot(object)
    def _on_license_dialog_opened(self, dialog: LicenseDialog) -> None:
        self.write_lock.hold(
            dialog.status, dialog.reason, dialog.apply_status, dialog.price, dialog.save_price
        )
