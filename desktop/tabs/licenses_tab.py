"""Licenses: every license with its reconciliation; Retired rows greyed and struck out."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import Qt, Signal, Slot
from PySide6.QtWidgets import QCheckBox, QPushButton, QVBoxLayout, QWidget

from core.domain import LicenseRow
from desktop.dialogs.license_dialog import LicenseDialog
from desktop.models.licenses_model import LicenseColumn, LicensesModel, is_retired
from desktop.models.proxy import SearchProxyModel
from desktop.resources import icon
from desktop.widgets.table_panel import TablePanel

if TYPE_CHECKING:
    from core.controller import Controller


ASC = Qt.SortOrder.AscendingOrder


def _not_retired(row: LicenseRow) -> bool:
    return not is_retired(row)


class LicensesTab(QWidget):
    """Signals: licenses_changed(): a status or price changed (other tabs reload)."""

    licenses_changed = Signal()

    def __init__(self, controller: Controller, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._controller = controller
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
            {LicenseColumn.PRODUCT: 220, LicenseColumn.SKU: 140, LicenseColumn.TENANT: 90,
             LicenseColumn.SOURCE: 115, LicenseColumn.STATUS: 80,
             LicenseColumn.IN_RECONCILIATION: 130, LicenseColumn.ENABLED: 85,
             LicenseColumn.WARNING: 75, LicenseColumn.SUSPENDED: 95, LicenseColumn.CONSUMED: 95,
             LicenseColumn.AVAILABLE: 90, LicenseColumn.COMPLIANCE: 150,
             LicenseColumn.INACTIVE: 75}
        )  # fmt: skip
        self.show_retired = QCheckBox("Show retired", self)
        self.show_retired.setChecked(True)
        self.show_retired.toggled.connect(self._on_show_retired_toggled)
        self.properties_button = QPushButton(icon("properties"), "Properties…", self)
        self.properties_button.clicked.connect(self._on_properties_clicked)
        self.panel.tools.addWidget(self.properties_button)
        self.panel.tools.addWidget(self.show_retired)
        self.panel.row_activated.connect(self._on_row_activated)
        self.panel.selection_changed.connect(self._on_selection_changed)
        layout = QVBoxLayout(self)
        layout.addWidget(self.panel)
        self._on_selection_changed()

    def panels(self) -> list[TablePanel]:
        return [self.panel]

    def reload(self) -> None:
        self.model.currency = self._controller.settings().currency
        self.model.replace_rows(self._controller.licensing.license_rows())

    def open_properties(self, license_id: int) -> LicenseDialog:
        """Open the license's properties, or bring its open dialog to the front."""
        existing = self._dialogs.get(license_id)
        if existing is not None:
            existing.raise_()
            existing.activateWindow()
            self.dialog = existing
            return existing
        dialog = LicenseDialog(self._controller, license_id, self)
        dialog.license_changed.connect(self._on_license_changed)
        dialog.finished.connect(self._on_dialog_finished)
        self._dialogs[license_id] = dialog
        self.dialog = dialog
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

    @Slot()
    def _on_selection_changed(self) -> None:
        self.properties_button.setEnabled(self.panel.current_row() is not None)

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
