"""Inventory Systems: the beacon's source connections, with New ▸ PowerShell…, Edit, Delete,
Test connection, Execute now and Cancel (spec §8)."""

from __future__ import annotations

import functools
import html
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt, Signal, Slot
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QLabel, QMenu, QPushButton, QToolButton, QVBoxLayout, QWidget

from core.domain.connection import (
    Connection,
    ConnectionDraft,
    ConnectionTestReport,
)
from core.domain.imports import ImportProgress
from core.domain.queue import RequestState, WorkerImport
from core.errors import LicenseDeskError
from desktop.dialogs.connection_dialog import ConnectionDialog
from desktop.dialogs.report_view import PermissionReportView
from desktop.jobs import ImportRunner, Job, JobRunner, LatestJob
from desktop.models.connections_model import ConnectionColumn, ConnectionsModel
from desktop.models.proxy import SearchProxyModel
from desktop.notify import Notifier, describe_error
from desktop.resources import icon
from desktop.tabs import inventory_jobs
from desktop.tabs.welcome_panel import WelcomePanel
from desktop.widgets.table_panel import TablePanel
from desktop.worker_queue import WorkerQueue

if TYPE_CHECKING:
    from datetime import datetime

    from core.controller import Controller
    from core.domain.beacon import BeaconVersion

CERTIFICATE_FILTER = "Certificates (*.pem *.pfx *.p12);;All files (*)"


class InventoryTab(QWidget):
    """Signals: connections_changed(): a connection was added, edited or deleted;
    dialog_opened(object): a ConnectionDialog was made (a read-only window locks its save)."""

    connections_changed = Signal()
    dialog_opened = Signal(object)

    def __init__(
        self,
        controller: Controller,
        runner: ImportRunner,
        jobs: JobRunner,
        notifier: Notifier,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self._controller = controller
        self._runner = runner
        self._jobs = jobs
        self._notifier = notifier
        self.dialog: ConnectionDialog | None = None
        self.test_job: Job | None = None
        # What the connection dialog validates on, read with the connections (never on the
        # GUI thread); None until the first read came back.
        self.version: BeaconVersion | None = None
        self._pending_dialog: tuple[ConnectionDraft | None, int | None] | None = None
        self.loader = LatestJob(jobs, "load connections", self)
        self.loader.succeeded.connect(self._on_loaded)
        self.loader.failed.connect(self._on_load_failed)
        self.writer = LatestJob(jobs, "change connections", self)
        self.writer.succeeded.connect(self._on_written)
        self.writer.failed.connect(self._on_write_failed)
        self.writer.busy_changed.connect(self._update_buttons)
        # Where Execute now runs (ITAM Settings > General), and what others import or queued;
        # both come with the window's poll for changes.
        self.imports_on_workers = False
        self.worker_imports: dict[int, WorkerImport] = {}
        self.worker_queue = WorkerQueue(controller, jobs, self)
        self.worker_queue.failed.connect(self._on_queue_failed)
        self.model = ConnectionsModel(self)
        proxy = SearchProxyModel(self)
        proxy.setSourceModel(self.model)
        self.panel = TablePanel("connections", proxy, placeholder="Search connections")
        self.panel.export_table = "connections"
        self.panel.set_column_widths(
            {ConnectionColumn.NAME: 220, ConnectionColumn.SOURCE_TYPE: 200,
             ConnectionColumn.TENANT: 150, ConnectionColumn.METHOD: 150,
             ConnectionColumn.CLOUD: 80, ConnectionColumn.SCHEDULE: 110,
             ConnectionColumn.LAST_IMPORT: 130}
        )  # fmt: skip
        self.welcome = WelcomePanel(self)
        self.welcome.demo_requested.connect(self._on_demo_requested)
        self.welcome.new_requested.connect(self._on_new_requested)
        self.test_title = QLabel(self)
        self.test_title.setObjectName("sectionTitle")
        self.test_view = PermissionReportView(self)
        self._build_tools()
        layout = QVBoxLayout(self)
        layout.addWidget(self.welcome)
        layout.addWidget(self.panel, 1)
        layout.addWidget(self.test_title)
        layout.addWidget(self.test_view)
        self.test_title.hide()
        self.panel.selection_changed.connect(self._update_buttons)
        self.panel.row_activated.connect(self._on_row_activated)
        runner.running_changed.connect(self._on_running_changed)
        runner.progress_changed.connect(self._on_progress_changed)

    def _build_tools(self) -> None:
        self.new_button = QToolButton(self)
        self.new_button.setText("New")
        self.new_button.setIcon(icon("add"))
        self.new_button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        self.new_button.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        menu = QMenu(self.new_button)
        self.new_powershell_action = menu.addAction("PowerShell…")
        self.new_powershell_action.triggered.connect(self._on_new_requested)
        self.new_button.setMenu(menu)
        self.edit_button = QPushButton(icon("edit"), "Edit", self)
        self.delete_button = QPushButton(icon("delete"), "Delete", self)
        self.test_button = QPushButton(icon("test"), "Test connection", self)
        self.execute_button = QToolButton(self)
        self.execute_button.setText("Execute now")
        self.execute_button.setIcon(icon("run"))
        self.execute_button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        self.execute_button.setPopupMode(QToolButton.ToolButtonPopupMode.MenuButtonPopup)
        run_menu = QMenu(self.execute_button)
        run_menu.addAction("Full import", self._on_execute_clicked)
        self.incremental_action = run_menu.addAction(
            "Changed users only (incremental)", self._on_execute_incremental
        )
        self.incremental_action.setToolTip(
            "Reads only the users changed since the last import (/users/delta); sign-in "
            "activity of the others stays as the last full import read it."
        )
        self.execute_button.setMenu(run_menu)
        self.cancel_button = QPushButton(icon("cancel"), "Cancel", self)
        for button, slot in (
            (self.edit_button, self._on_edit_clicked),
            (self.delete_button, self._on_delete_clicked),
            (self.test_button, self._on_test_clicked),
            (self.execute_button, self._on_execute_clicked),
            (self.cancel_button, self._on_cancel_clicked),
        ):
            button.clicked.connect(slot)
        self._build_row_actions()
        self.panel.tools.addWidget(self.new_button)
        for button in (self.edit_button, self.delete_button, self.test_button,
                       self.execute_button, self.cancel_button):  # fmt: skip
            self.panel.tools.addWidget(button)

    def _build_row_actions(self) -> None:
        """The same commands in the rows' context menu."""
        self.row_actions: dict[str, QAction] = {}
        for key, text, icon_name, slot in (
            ("edit", "Edit…", "edit", self._on_edit_clicked),
            ("test", "Test connection", "test", self._on_test_clicked),
            ("execute", "Execute now", "run", self._on_execute_clicked),
            ("cancel", "Cancel import", "cancel", self._on_cancel_clicked),
            ("delete", "Delete…", "delete", self._on_delete_clicked),
        ):
            action = QAction(icon(icon_name), text, self)
            action.triggered.connect(slot)
            self.panel.add_row_action(action)
            self.row_actions[key] = action

    def panels(self) -> list[TablePanel]:
        return [self.panel]

    # Loading

    def reload(self) -> Job:
        """Read the connections, their last imports and the beacon version on a worker
        thread; the rows shown stay meanwhile."""
        return self.loader.run(functools.partial(inventory_jobs.load, self._controller))

    @Slot(object)
    def _on_loaded(
        self, result: tuple[list[Connection], dict[int, datetime], BeaconVersion]
    ) -> None:
        connections, last_success, self.version = result
        self.model.set_last_success(last_success)
        self.model.replace_rows(connections)
        self.welcome.setVisible(not connections)
        self._update_live()
        self._update_buttons()
        self.check_dialog()
        if self._pending_dialog is not None:
            draft, editing_id = self._pending_dialog
            self._pending_dialog = None
            if editing_id is None:
                self.open_new_dialog(draft)
            else:
                self.open_edit_dialog(editing_id, read=False)

    @Slot(object)
    def _on_load_failed(self, exc: BaseException) -> None:
        self._pending_dialog = None
        self._notifier.error_from("Could not read the connections", exc)

    def selected(self) -> list[Connection]:
        return [row for row in self.panel.selected_rows() if isinstance(row, Connection)]

    # Connection dialog

    @Slot()
    def _on_new_requested(self) -> None:
        self.open_new_dialog()

    def open_new_dialog(self, draft: ConnectionDraft | None = None) -> ConnectionDialog | None:
        """Open the Create dialog, empty or prefilled (a demo profile, a copy); before the
        first read of the connections came back, it opens when it does (and returns None)."""
        if self.version is None:
            self._pending_dialog = (draft, None)
            self.reload()
            return None
        if draft is None:
            draft = self._controller.new_connection_draft(self.version)
        return self._open_dialog(draft, None)

    def open_edit_dialog(self, connection_id: int, *, read: bool = True) -> ConnectionDialog | None:
        """Open the Edit dialog on the connection as last read; one not read yet is read
        first (`read`), and the dialog opens then (None is returned)."""
        connection = next((c for c in self.model.rows if c.id == connection_id), None)
        if self.version is None or connection is None:
            if read:
                self._pending_dialog = (None, connection_id)
                self.reload()
            return None
        return self._open_dialog(self._controller.draft_of(connection), connection_id)

    def _open_dialog(self, draft: ConnectionDraft, editing_id: int | None) -> ConnectionDialog:
        assert self.version is not None
        self.dialog = ConnectionDialog(
            self._controller,
            self._jobs,
            version=self.version,
            existing=list(self.model.rows),
            draft=draft,
            editing_id=editing_id,
            browse=self._browse_certificate,
            confirm_discard=self._confirm_discard,
            parent=self,
        )
        self.dialog.submitted.connect(self._on_dialog_submitted)
        self.dialog_opened.emit(self.dialog)
        self.dialog.open()
        self.reload()  # names saved elsewhere meanwhile (the CLI) reach the dialog
        return self.dialog

    def check_dialog(self) -> None:
        """Tell an open dialog the connections as read now, and an Edit dialog when its
        connection changed or was deleted meanwhile."""
        dialog = self.dialog
        if dialog is not None and dialog.isVisible():
            dialog.set_existing(self.model.rows)
            dialog.check_stored()

    def _confirm_discard(self) -> bool:
        return self._notifier.confirm(
            "Discard changes",
            "Close the connection dialog and discard the changes you made?",
            ok_text="Discard changes",
        )

    def _browse_certificate(self, _hint: str) -> str | None:
        return self._notifier.open_file_name("Choose the certificate file", CERTIFICATE_FILTER)

    @Slot(object)
    def _on_dialog_submitted(self, draft: ConnectionDraft) -> None:
        """Save on a worker thread: a tenant typed as a domain is looked up over the network
        first, and the keychain may be slow; the window keeps painting meanwhile."""
        dialog = self.dialog
        if dialog is None:
            return
        dialog.setEnabled(False)  # one save at a time; the form comes back on a refusal
        call = functools.partial(inventory_jobs.save, self._controller, draft, dialog.editing_id)
        job = self._jobs.run("save connection", call)
        job.succeeded.connect(functools.partial(self._on_saved, dialog))
        job.failed.connect(functools.partial(self._on_save_failed, dialog))

    def _on_saved(self, dialog: ConnectionDialog, result: tuple[Connection, list[str]]) -> None:
        saved, warnings = result
        dialog.setEnabled(True)
        dialog.accept()
        self.reload()
        self._notifier.status(" ".join([f"Saved the connection “{saved.name}”.", *warnings]))
        self.connections_changed.emit()

    def _on_save_failed(self, dialog: ConnectionDialog, exc: BaseException) -> None:
        dialog.setEnabled(True)
        if isinstance(exc, LicenseDeskError):
            dialog.show_save_error(exc)
        else:
            message, detail = describe_error(exc)
            self._notifier.error("Could not save the connection", message, detail)

    # Buttons

    @Slot()
    def _on_edit_clicked(self) -> None:
        chosen = self.selected()
        if chosen:
            self.open_edit_dialog(chosen[0].id)

    @Slot(object)
    def _on_row_activated(self, connection: Connection) -> None:
        self.open_edit_dialog(connection.id)

    @Slot()
    def _on_delete_clicked(self) -> None:
        chosen = self.selected()
        if not chosen:
            return
        names = ", ".join(f"“{c.name}”" for c in chosen)
        question = (
            f"Delete {names}? Its licenses, users and import history go with it; the "
            "secrets are removed from the keychain."
        )
        if not self._notifier.confirm("Delete connection", question, ok_text="Delete"):
            return
        self._notifier.status(f"Deleting {names}…", 0)
        self.writer.run(functools.partial(inventory_jobs.delete, self._controller, chosen))

    @Slot()
    def _on_execute_clicked(self) -> None:
        self.execute([c.id for c in self.selected()])

    @Slot()
    def _on_execute_incremental(self) -> None:
        self.execute([c.id for c in self.selected()], incremental=True)

    def execute(self, connection_ids: list[int] | None, *, incremental: bool = False) -> None:
        """Import now, here or (by the setting) queued for the headless workers; None:
        every connection (Import all)."""
        if self.imports_on_workers:
            if connection_ids is None or connection_ids:
                self.worker_queue.queue(connection_ids, incremental=incremental)
        elif connection_ids is None:
            self._runner.start_all()
        else:
            for connection_id in connection_ids:
                self._runner.start(connection_id, incremental=incremental)

    def show_watch(self, worker_imports: tuple[WorkerImport, ...], on_workers: bool) -> None:
        """What the window's poll read: imports others run or queued, where imports run."""
        self.imports_on_workers = on_workers
        self.worker_imports = {w.connection_id: w for w in worker_imports}
        self._update_live()
        self._update_buttons()

    @Slot(object)
    def _on_queue_failed(self, exc: BaseException) -> None:
        self._notifier.error_from("Could not queue the import for the workers", exc)

    @Slot()
    def _on_cancel_clicked(self) -> None:
        for connection in self.selected():
            self._runner.cancel(connection.id)

    @Slot()
    def _on_test_clicked(self) -> None:
        chosen = self.selected()
        if chosen:
            self.start_test(chosen[0])

    def start_test(self, connection: Connection) -> Job:
        call = functools.partial(inventory_jobs.test, self._controller, connection.id)
        self.test_title.setText(f"Test connection: {connection.display_name}")
        self.test_title.show()
        self.test_view.show_running("Testing the connection…")
        self.test_job = self._jobs.run("test connection", call)
        self.test_job.succeeded.connect(self._on_test_succeeded)
        self.test_job.failed.connect(self._on_test_failed)
        self.test_job.completed.connect(self._update_buttons)
        self._update_buttons()
        return self.test_job

    @Slot(object)
    def _on_test_succeeded(self, report: ConnectionTestReport) -> None:
        self.test_view.show_report(report)
        if report.error is not None:
            self.test_view.show_problem("error", html.escape(report.error))

    @Slot(object)
    def _on_test_failed(self, exc: BaseException) -> None:
        message, detail = describe_error(exc)
        self.test_view.show_problem("error", html.escape(message), detail)

    @Slot()
    def _on_demo_requested(self) -> None:
        self.add_demo_tenants()

    def add_demo_tenants(self) -> Job:
        """Create the demo tenants' connections (once) on a worker thread and import them."""
        self._notifier.status("Adding the demo tenants…", 0)
        return self.writer.run(functools.partial(inventory_jobs.add_demo, self._controller))

    @Slot(object)
    def _on_written(self, result: tuple[str, list[Connection], list[tuple[str, str]]]) -> None:
        """Connections were deleted or the demo tenants added (some deletions may have
        failed: each is reported)."""
        what, connections, failures = result
        for name, message in failures:
            self._notifier.error(f"Could not delete “{name}”", message)
        if what == "demo":
            self._notifier.status("Added the demo tenants; importing them.")
        else:
            self._notifier.status(f"Deleted {len(connections) - len(failures):,} connection(s).")
        self.reload()
        self.connections_changed.emit()
        if what == "demo":
            for connection in connections:
                self._runner.start(connection.id)

    @Slot(object)
    def _on_write_failed(self, exc: BaseException) -> None:
        self._notifier.error_from("Could not change the connections", exc)

    # Live state

    @Slot()
    def _update_buttons(self) -> None:
        chosen = self.selected()
        running = [c for c in chosen if self._runner.is_running(c.id)]
        testing = self.test_job is not None and self.test_job.running
        self.edit_button.setEnabled(len(chosen) == 1)
        self.delete_button.setEnabled(bool(chosen) and not running and not self.writer.busy)
        self.test_button.setEnabled(len(chosen) == 1 and not testing)
        # An import a worker runs holds the connection: starting one here would be refused.
        elsewhere = [
            c
            for c in chosen
            if c not in running
            and (held := self.worker_imports.get(c.id)) is not None
            and held.state is RequestState.RUNNING
        ]
        self.execute_button.setEnabled(len(running) + len(elsewhere) < len(chosen))
        cancellable = [c for c in running if not self._runner.is_cancelling(c.id)]
        self.cancel_button.setEnabled(bool(cancellable))
        for key, button in (("edit", self.edit_button), ("test", self.test_button),
                            ("execute", self.execute_button), ("cancel", self.cancel_button),
                            ("delete", self.delete_button)):  # fmt: skip
            self.row_actions[key].setEnabled(button.isEnabled())

    @Slot()
    def _on_running_changed(self) -> None:
        self._update_live()
        self._update_buttons()

    @Slot(object)
    def _on_progress_changed(self, _event: ImportProgress) -> None:
        self._update_live()

    def _update_live(self) -> None:
        live = {i: w.describe() for i, w in self.worker_imports.items()}
        for connection_id in self._runner.running_ids():
            event = self._runner.progress_of(connection_id)
            if self._runner.is_cancelling(connection_id):
                live[connection_id] = "Cancelling…"
            else:
                live[connection_id] = f"Importing: {event.message}" if event else "Importing…"
        self.model.set_live_status(live)
