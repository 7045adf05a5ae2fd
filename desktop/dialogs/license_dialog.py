"""License properties: status with its reason, price, the subscriptions behind the license,
the users who hold it and the status history (spec §5, §8)."""

from __future__ import annotations

import html
from typing import TYPE_CHECKING

from PySide6.QtCore import Signal, Slot
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from core.domain.connection import tenant_label
from core.domain.licensing import HOLDER_PAGE, LicenseDetail, LicenseRow, LicenseStatus
from core.errors import LicenseDeskError
from desktop import formatting
from desktop.models.changes_model import ChangesModel
from desktop.models.holders_model import HoldersModel
from desktop.models.proxy import SearchProxyModel
from desktop.models.subscriptions_model import SubscriptionsModel
from desktop.notify import describe_error
from desktop.widgets.inline_message import InlineMessage
from desktop.widgets.table_panel import TablePanel

if TYPE_CHECKING:
    from core.controller import Controller


def _panel(name: str, model: object, widths: dict[int, int] | None = None) -> TablePanel:
    proxy = SearchProxyModel()
    proxy.setSourceModel(model)  # type: ignore[arg-type]
    panel = TablePanel(name, proxy)
    panel.set_column_widths(widths or {})
    return panel


class LicenseDialog(QDialog):
    """Signals: license_changed(int): the status or price of the license was changed."""

    license_changed = Signal(int)

    def __init__(
        self, controller: Controller, license_id: int, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self._controller = controller
        self.license_id = license_id
        self.detail: LicenseDetail | None = None
        self._applying = False  # a change made in this dialog is not news to announce
        self.setObjectName("licenseDialog")
        self.status = QComboBox(self)
        for status in LicenseStatus:
            self.status.addItem(status.value, status.value)
        self.reason = QLineEdit(self)
        self.reason.setPlaceholderText("Why (kept in the status history)")
        self.status.setAccessibleName("Status")
        self.reason.setAccessibleName("Reason for the status change")
        self.reason.returnPressed.connect(self._on_apply_status_clicked)
        self.apply_status = QPushButton("Change status", self)
        self.price = QLineEdit(self)
        self.price.setPlaceholderText("per unit and month")
        self.price.setAccessibleName("Unit price")
        self.price.returnPressed.connect(self._on_save_price_clicked)
        self.price_unit = QLabel(self)  # "USD per unit and month": money reads one way
        self.save_price = QPushButton("Save price", self)
        self.facts = QLabel(self)
        self.facts.setWordWrap(True)
        self.message = InlineMessage(self)
        self.subscriptions_model = SubscriptionsModel(self)
        self.holders_model = HoldersModel(self)
        self.changes_model = ChangesModel(self)
        self.holders_label = QLabel(self)
        self.holders_label.setObjectName("muted")
        self.more_holders = QPushButton("Show more holders", self)
        self.more_holders.clicked.connect(self._on_more_holders_clicked)
        self.apply_status.clicked.connect(self._on_apply_status_clicked)
        self.save_price.clicked.connect(self._on_save_price_clicked)
        self._lay_out()
        self.reload()

    def _lay_out(self) -> None:
        status_row = QHBoxLayout()
        status_row.addWidget(self.status)
        status_row.addWidget(self.reason, 1)
        status_row.addWidget(self.apply_status)
        price_row = QHBoxLayout()
        price_row.addWidget(self.price, 1)
        price_row.addWidget(self.price_unit)
        price_row.addWidget(self.save_price)
        form = QFormLayout()
        form.addRow("Status", status_row)
        form.addRow("Unit price", price_row)
        form.addRow("Figures", self.facts)
        holders = QWidget()
        holders_layout = QVBoxLayout(holders)
        holders_panel = _panel(
            "license-holders", self.holders_model, {0: 170, 1: 250, 2: 65, 3: 110}
        )
        holders_panel.set_accessible_title("Users who hold it")
        holders_layout.addWidget(holders_panel, 1)
        more = QHBoxLayout()
        more.addWidget(self.holders_label, 1)
        more.addWidget(self.more_holders)
        holders_layout.addLayout(more)
        self.tabs = QTabWidget(self)
        self.tabs.setAccessibleName("Subscriptions, holders and status history")
        subscriptions = _panel("license-subscriptions", self.subscriptions_model, {0: 300})
        subscriptions.set_accessible_title("Subscriptions")
        self.tabs.addTab(subscriptions, "Subscriptions")
        self.tabs.addTab(holders, "Users who hold it")
        changes = _panel("license-changes", self.changes_model, {0: 130, 1: 90, 2: 90, 3: 130})
        changes.set_accessible_title("Status history")
        self.tabs.addTab(changes, "Status history")
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, self)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.message)
        layout.addWidget(self.tabs, 1)
        layout.addWidget(buttons)
        self.resize(900, 640)

    def reload(self) -> None:
        """Read the license again and show it; a status or price the user is editing and has
        not applied yet stays as typed."""
        previous = self.detail
        try:
            self.detail = self._controller.license_detail(self.license_id, 0, HOLDER_PAGE)
        except LicenseDeskError:
            self._show_gone()
            return
        row = self.detail.row
        tenant = tenant_label(row.tenant_name or row.connection or row.source.value, row.simulated)
        self.setWindowTitle(f"License properties — {row.product} ({tenant})")
        shown = previous.row.status.value if previous is not None else None
        if shown is None or self.status.currentData() == shown:
            self.status.setCurrentIndex(max(0, self.status.findData(row.status.value)))
        if previous is None or not self.price.isModified():
            self.price.setText("" if row.unit_price is None else f"{row.unit_price:.2f}")
        currency = self._controller.settings().currency
        self.price_unit.setText(f"{currency} per unit and month".strip())
        self.facts.setText(self._facts_html(row))
        self.subscriptions_model.replace_rows(self.detail.subscriptions)
        self.holders_model.replace_rows(self.detail.holders)
        self.changes_model.replace_rows(self.detail.changes)
        self._update_holders_label()
        self._show_warnings(previous)

    def _show_warnings(self, previous: LicenseDetail | None) -> None:
        assert self.detail is not None
        lines = [html.escape(w) for w in self.detail.warnings]
        level = "warning" if lines else ""
        old, new = (previous.row.status if previous else None), self.detail.row.status
        if old is not None and old is not new and not self._applying:
            last = self.detail.changes[-1] if self.detail.changes else None
            why = f": {html.escape(last.reason)}" if last is not None else "."
            lines.insert(0, f"The status changed from {old.value} to {new.value}{why}")
            level = level or "info"
        if lines:
            self.message.show_message(level, "<br>".join(lines))
        else:
            self.message.clear()

    def _show_gone(self) -> None:
        """The license no longer exists (its connection was deleted): say so, allow nothing."""
        self.message.show_message(
            "warning",
            "This license no longer exists: its connection was deleted or a new import no "
            "longer has it. The figures below are the last ones read.",
        )
        for widget in (self.status, self.reason, self.apply_status, self.price, self.save_price):
            widget.setEnabled(False)

    def _facts_html(self, row: LicenseRow) -> str:
        currency = self._controller.settings().currency
        position = (
            "none (Retired licenses have no compliance position)"
            if not row.in_reconciliation
            else formatting.signed(row.compliance_position)
        )
        cost = (
            f"Cost {formatting.money(row.monthly_cost, currency)} / month · waste "
            f"{formatting.money(row.waste_cost, currency)} / month"
            if row.monthly_cost is not None
            else "Cost and waste unknown: no unit price is set for this product"
        )
        parts = [
            f"<b>{html.escape(row.product)}</b> · {html.escape(row.sku_part_number or '')}",
            f"Source: {html.escape(row.source.value)} · Tenant: "
            f"{html.escape(tenant_label(row.tenant_name, row.simulated) or formatting.DASH)}",
            f"Entitled {row.entitlement:,} · assigned {row.assigned_users:,} · "
            f"compliance position {position}",
            f"Active {formatting.count(row.active_users)} · inactive "
            f"{formatting.count(row.inactive_users)} · usage unknown "
            f"{row.usage_unknown_users:,} · disabled {row.disabled_users:,}",
            cost,
        ]
        return "<br>".join(parts)

    def _update_holders_label(self) -> None:
        assert self.detail is not None
        shown, total = self.holders_model.rowCount(), self.detail.holders_total
        self.holders_label.setText(f"Showing {shown:,} of {total:,} holders")
        self.more_holders.setVisible(shown < total)

    @Slot()
    def _on_more_holders_clicked(self) -> None:
        offset = self.holders_model.rowCount()
        more = self._controller.license_detail(self.license_id, offset, HOLDER_PAGE)
        self.holders_model.append_rows(more.holders)
        self._update_holders_label()

    @Slot()
    def _on_apply_status_clicked(self) -> None:
        status = LicenseStatus(self.status.currentData())
        try:
            self._controller.set_license_status(
                self.license_id, status, self.reason.text().strip() or "Changed by hand"
            )
        except LicenseDeskError as exc:
            message, detail = describe_error(exc)
            self.message.show_message("error", html.escape(message), detail)
            return
        self.reason.clear()
        self._reload_own_change()

    def _reload_own_change(self) -> None:
        self._applying = True
        try:
            self.reload()
        finally:
            self._applying = False
        self.license_changed.emit(self.license_id)

    @Slot()
    def _on_save_price_clicked(self) -> None:
        assert self.detail is not None
        text = self.price.text().strip()
        try:
            self._controller.set_price(self.detail.row.product_key, text or None)
        except (LicenseDeskError, ValueError) as exc:
            message = describe_error(exc)[0] if isinstance(exc, LicenseDeskError) else str(exc)
            self.message.show_message("error", html.escape(message))
            return
        self.price.setModified(False)
        self._reload_own_change()
