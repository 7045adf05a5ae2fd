"""Licenses: every license with its reconciliation; Retired rows greyed and struck out."""

from __future__ import annotations

import functools
import html
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt, Signal, Slot
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QCheckBox, QPushButton, QVBoxLayout, QWidget

from core.domain.licensing import LicenseRow, LicenseStatus
from desktop.dialogs.license_dialog import LicenseDialog
from desktop.dialogs.status_dialog import StatusChangeDialog
from desktop.jobs import Job, JobRunner, LatestJob
from desktop.models.licenses_model import LicenseColumn, LicensesModel, is_retired
from desktop.models.proxy import SearchProxyModel
from desktop.notify import describe_error
from desktop.resources import icon
from desktop.widgets.inline_message import InlineMessage
from desktop.widgets.table_panel import TablePanel

if TYPE_CHECKING:
    from core.controller import Controller


ASC = Qt.SortOrder.AscendingOrder


def _not_retired(row: LicenseRow) -> bool:
    return not is_retired(row)


class LicensesTab(QWidget):
    """Signals: licenses_changed(): a status or price changed (other tabs reload);
    dialog_opened(object): a LicenseDialog was made (a read-only window locks its writes)."""

    licenses_changed = Signal()
    dialog_opened = Signal(object)

    def __init__(
        self, controller: Controller, jobs: JobRunner, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self._controller = controller
        self._jobs = jobs
        self.status_dialog: StatusChangeDialog | None = None
        self.status_job: Job | None = None
        self._load_failed = False
        self.loader = LatestJob(jobs, "load licenses", self)
        self.loader.succeeded.connect(self._on_loaded)
        self.loader.failed.connect(self._on_load_failed)
        self.message = InlineMessage(self)
        self.dialog: LicenseDialog | None = None
        self._dialogs: dict[int, LicenseDialog] = {}  # one properties dialog per license
        self.model = LicensesModel(self)
        self.proxy = SearchProxyModel(self)
        self.proxy.setSourceModel(self.model)
        # Grouped by tenant (the sort is stable: products stay in order within each tenant),
        # under the Tenant arrow.
        self.panel = TablePanel(
            "licenses", self.proxy, placeholder="Search licenses", sort=(LicenseColumn.TENANT, ASC)
        )
        self.panel.set_column_widths(
            {LicenseColumn.PRODUCT: 220, LicenseColumn.SKU: 140, LicenseColumn.TENANT: 150,
             LicenseColumn.SOURCE: 115, LicenseColumn.STATUS: 80,
             LicenseColumn.IN_RECONCILIATION: 130, LicenseColumn.ENABLED: 85,
             LicenseColumn.WARNING: 75, LicenseColumn.SUSPENDED: 95, LicenseColumn.CONSUMED: 95,
             LicenseColumn.AVAILABLE: 90, LicenseColumn.COMPLIANCE: 150,
             LicenseColumn.INACTIVE: 75}
        )  # fmt: skip
        self.panel.export_table = "licenses"
        self.show_retired = QCheckBox("Show retired", self)
        self.show_retired.setChecked(True)
        self.show_retired.toggled.connect(self._on_show_retired_toggled)
        self.properties_button = QPushButton(icon("properties"), "Properties…", self)
        self.properties_button.clicked.connect(self._on_properties_clicked)
        self.status_button = QPushButton(icon("edit"), "Change status…", self)
        self.status_button.setToolTip("Change the status of the selected licenses at once")
        self.status_button.clicked.connect(self._on_change_status_requested)
        self.panel.tools.addWidget(self.properties_button)
        self.panel.tools.addWidget(self.status_button)
        self.panel.tools.addWidget(self.show_retired)
        self.properties_action = QAction(icon("properties"), "Properties…", self)
        self.properties_action.triggered.connect(self._on_properties_clicked)
        self.status_action = QAction(icon("edit"), "Change status…", self)
        self.status_action.triggered.connect(self._on_change_status_requested)
        self.panel.add_row_action(self.properties_action)
        self.panel.add_row_action(self.status_action)
        self.panel.row_activated.connect(self._on_row_activated)
        self.panel.selection_changed.connect(self._on_selection_changed)
        layout = QVBoxLayout(self)
        layout.addWidget(self.message)
        layout.addWidget(self.panel)
        self._on_selection_changed()

    def panels(self) -> list[TablePanel]:
        return [self.panel]

    def reload(self) -> Job:
        """Read the licenses on a worker thread; the last rows stay shown meanwhile."""
        return self.loader.run(functools.partial(_load, self._controller))

    @Slot(object)
    def _on_loaded(self, result: tuple[str, list[LicenseRow]]) -> None:
        currency, rows = result
        if self._load_failed:
            self._load_failed = False
            self.message.clear()
        self.model.currency = currency
        self.model.replace_rows(rows)

    @Slot(object)
    def _on_load_failed(self, exc: BaseException) -> None:
        message, detail = describe_error(exc)
        self._load_failed = True
        self.message.show_message(
            "error", f"Could not read the licenses: {html.escape(message)}", detail
        )

    def open_properties(self, license_id: int) -> LicenseDialog:
        """Open the license's properties, or bring its open dialog to the front."""
        existing = self._dialogs.get(license_id)
        if existing is not None:
            existing.raise_()
            existing.activateWindow()
            self.dialog = existing
            return existing
        dialog = LicenseDialog(self._controller, self._jobs, license_id, self)
        dialog.license_changed.connect(self._on_license_changed)
        dialog.finished.connect(self._on_dialog_finished)
        self._dialogs[license_id] = dialog
        self.dialog = dialog
        self.dialog_opened.emit(dialog)
        dialog.show()
        return dialog

    def open_dialogs(self) -> list[LicenseDialog]:
        return list(self._dialogs.values())

    def refresh_dialogs(self, except_id: int | None = None) -> None:
        """Licenses changed underneath (an import, the SaaS switch, another dialog): each open
        properties dialog reads its license again."""
        for license_id, dialog in list(self._dialogs.items()):
            if license_id != except_id:
                dialog.reload()

    @Slot(bool)
    def _on_show_retired_toggled(self, shown: bool) -> None:
        self.proxy.set_predicate(None if shown else _not_retired)

    @Slot()
    def _on_properties_clicked(self) -> None:
        row = self.panel.current_row()
        if row is not None:
            self.open_properties(row.id)

    @Slot(object)
    def _on_row_activated(self, row: LicenseRow) -> None:
        self.open_properties(row.id)

    def selected(self) -> list[LicenseRow]:
        return [r for r in self.panel.selected_rows() if isinstance(r, LicenseRow)]

    @Slot()
    def _on_selection_changed(self) -> None:
        has_row = self.panel.current_row() is not None
        self.properties_button.setEnabled(has_row)
        self.properties_action.setEnabled(has_row)
        busy = self.status_job is not None and self.status_job.running
        chosen = bool(self.selected()) and not busy
        self.status_button.setEnabled(chosen)
        self.status_action.setEnabled(chosen)

    # Changing the status of several licenses

    @Slot()
    def _on_change_status_requested(self) -> None:
        self.open_status_dialog()

    def open_status_dialog(self) -> StatusChangeDialog | None:
        chosen = self.selected()
        if not chosen:
            return None
        statuses = {r.status for r in chosen}
        current = statuses.pop() if len(statuses) == 1 else None
        self.status_dialog = StatusChangeDialog(len(chosen), current, self)
        self.status_dialog.setProperty("license_ids", [r.id for r in chosen])
        self.status_dialog.accepted.connect(self._on_status_dialog_accepted)
        self.status_dialog.open()
        return self.status_dialog

    @Slot()
    def _on_status_dialog_accepted(self) -> None:
        dialog = self.status_dialog
        if dialog is None:
            return
        ids = [int(i) for i in dialog.property("license_ids")]
        self.change_statuses(ids, dialog.chosen_status(), dialog.chosen_reason())

    def change_statuses(self, ids: list[int], status: LicenseStatus, reason: str) -> Job:
        """Set the status of these licenses on a worker thread, in one transaction."""
        call = functools.partial(_set_statuses, self._controller, ids, status, reason)
        self.message.show_message("info", f"Changing the status of {len(ids):,} licenses…")
        self.status_job = self._jobs.run("change status", call)
        self.status_job.succeeded.connect(self._on_statuses_changed)
        self.status_job.failed.connect(self._on_statuses_failed)
        self.status_job.completed.connect(self._on_selection_changed)
        self._on_selection_changed()
        return self.status_job

    @Slot(object)
    def _on_statuses_changed(self, changed: int) -> None:
        noun = "license" if changed == 1 else "licenses"
        self.message.show_message("ok", f"Changed the status of {changed:,} {noun}.")
        self.reload()
        self.refresh_dialogs()
        self.licenses_changed.emit()

    @Slot(object)
    def _on_statuses_failed(self, exc: BaseException) -> None:
        message, detail = describe_error(exc)
        self.message.show_message("error", f"No status was changed: {html.escape(message)}", detail)

    @Slot(int)
    def _on_license_changed(self, license_id: int) -> None:
        self.reload()
        self.refresh_dialogs(except_id=license_id)
        self.licenses_changed.emit()

    @Slot()
    def _on_dialog_finished(self) -> None:
        dialog = self.sender()
        for license_id, open_dialog in list(self._dialogs.items()):
            if open_dialog is dialog:
                del self._dialogs[license_id]
                open_dialog.deleteLater()
        if self.dialog is dialog:
            self.dialog = None


def _load(controller: Controller, _token: object) -> tuple[str, list[LicenseRow]]:
    return controller.settings().currency, controller.license_rows()


def _set_statuses(
    controller: Controller, ids: list[int], status: LicenseStatus, reason: str, _token: object
) -> int:
    return controller.set_license_statuses(ids, status, reason)
