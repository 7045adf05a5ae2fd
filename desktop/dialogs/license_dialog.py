"""License properties: status with its reason, price, the subscriptions behind the license,
the users who hold it and the status history (spec §5, §8)."""

from __future__ import annotations

import functools
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
from desktop.jobs import JobRunner, LatestJob
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
        self, controller: Controller, jobs: JobRunner, license_id: int,
        parent: QWidget | None = None,
    ) -> None:  # fmt: skip
        super().__init__(parent)
        self._controller = controller
        self.license_id = license_id
        self.detail: LicenseDetail | None = None
        self.currency = ""
        self._applying = False  # a change made in this dialog is not news to announce
        self._gone = False
        self._writing = ""  # "status" or "price" while a change is being saved
        # Reads and writes run on worker threads; only the newest read is shown.
        self.loader = LatestJob(jobs, "load license", self)
        self.loader.succeeded.connect(self._on_loaded)
        self.loader.failed.connect(self._on_load_failed)
        self.more_loader = LatestJob(jobs, "load holders", self)
        self.more_loader.succeeded.connect(self._on_more_loaded)
        self.more_loader.failed.connect(self._on_write_failed)
        self.writer = LatestJob(jobs, "change license", self)
        self.writer.succeeded.connect(self._on_written)
        self.writer.failed.connect(self._on_write_failed)
        self.writer.busy_changed.connect(self._on_writing_changed)
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
        """Read the license again (on a worker thread) and show it; a status or price the user
        is editing and has not applied yet stays as typed."""
        self.loader.run(functools.partial(_load, self._controller, self.license_id))

    @Slot(object)
    def _on_load_failed(self, exc: BaseException) -> None:
        if isinstance(exc, LicenseDeskError):
            self._show_gone()
        else:
            message, detail = describe_error(exc)
            self.message.show_message("error", html.escape(message), detail)

    @Slot(object)
    def _on_loaded(self, result: tuple[LicenseDetail, str]) -> None:
        previous = self.detail
        self.detail, self.currency = result
        row = self.detail.row
        tenant = tenant_label(row.tenant_name or row.connection or row.source.value, row.simulated)
        self.setWindowTitle(f"License properties — {row.product} ({tenant})")
        shown = previous.row.status.value if previous is not None else None
        if shown is None or self.status.currentData() == shown:
            self.status.setCurrentIndex(max(0, self.status.findData(row.status.value)))
        if previous is None or not self.price.isModified():
            self.price.setText("" if row.unit_price is None else f"{row.unit_price:.2f}")
        self.price_unit.setText(f"{self.currency} per unit and month".strip())
        self.facts.setText(self._facts_html(row))
        self.subscriptions_model.replace_rows(self.detail.subscriptions)
        self.holders_model.replace_rows(self.detail.holders)
        self.changes_model.replace_rows(self.detail.changes)
        self._update_holders_label()
        self._show_warnings(previous)
        self._applying = False

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
        self._gone = True
        self.message.show_message(
            "warning",
            "This license no longer exists: its connection was deleted or a new import no "
            "longer has it. The figures below are the last ones read.",
        )
        for widget in (self.status, self.reason, self.apply_status, self.price, self.save_price):
            widget.setEnabled(False)

    def _facts_html(self, row: LicenseRow) -> str:
        currency = self.currency
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
        self.more_holders.setEnabled(False)
        self.more_loader.run(
            functools.partial(_load_holders, self._controller, self.license_id, offset)
        )

    @Slot(object)
    def _on_more_loaded(self, more: LicenseDetail) -> None:
        self.more_holders.setEnabled(True)
        self.holders_model.append_rows(more.holders)
        self._update_holders_label()

    @Slot()
    def _on_apply_status_clicked(self) -> None:
        if self.writer.busy or self._gone:
            return
        status = LicenseStatus(self.status.currentData())
        reason = self.reason.text().strip() or "Changed by hand"
        self.message.show_message("info", "Changing the status…")
        self._writing = "status"
        self.writer.run(
            functools.partial(_set_status, self._controller, self.license_id, status, reason)
        )

    @Slot()
    def _on_save_price_clicked(self) -> None:
        if self.writer.busy or self.detail is None or self._gone:
            return
        text = self.price.text().strip()
        self.message.show_message("info", "Saving the price…")
        call = functools.partial(_set_price, self._controller, self.detail.row.product_key, text)
        self._writing = "price"
        self.writer.run(call)

    @Slot(object)
    def _on_written(self, _result: object) -> None:
        if self._writing == "status":
            self.reason.clear()
        else:
            self.price.setModified(False)
        self._applying = True
        self.reload()
        self.license_changed.emit(self.license_id)

    @Slot(object)
    def _on_write_failed(self, exc: BaseException) -> None:
        self.more_holders.setEnabled(True)
        message = describe_error(exc)[0] if isinstance(exc, LicenseDeskError) else str(exc)
        detail = describe_error(exc)[1] if isinstance(exc, LicenseDeskError) else ""
        self.message.show_message("error", html.escape(message), detail)

    @Slot(bool)
    def _on_writing_changed(self, busy: bool) -> None:
        for widget in (self.apply_status, self.save_price):
            widget.setEnabled(not busy and not self._gone)


def _load(controller: Controller, license_id: int, _token: object) -> tuple[LicenseDetail, str]:
    return controller.license_detail(license_id, 0, HOLDER_PAGE), controller.settings().currency


def _load_holders(
    controller: Controller, license_id: int, offset: int, _token: object
) -> LicenseDetail:
    return controller.license_detail(license_id, offset, HOLDER_PAGE)


def _set_status(
    controller: Controller, license_id: int, status: LicenseStatus, reason: str, _token: object
) -> bool:
    return controller.set_license_status(license_id, status, reason)


def _set_price(controller: Controller, product_key: str, text: str, _token: object) -> None:
    controller.set_price(product_key, text or None)
