"""ITAM Settings > Prices: a unit price per product and month, typed in or imported."""

from __future__ import annotations

import html
from typing import TYPE_CHECKING

from PySide6.QtCore import QTimer, Signal, Slot
from PySide6.QtWidgets import QAbstractItemView, QPushButton, QVBoxLayout, QWidget

from core.errors import LicenseDeskError
from desktop.models.prices_model import PriceColumn, PricesModel
from desktop.models.proxy import SearchProxyModel
from desktop.notify import Notifier, describe_error
from desktop.resources import icon
from desktop.widgets.inline_message import InlineMessage
from desktop.widgets.table_panel import TablePanel

if TYPE_CHECKING:
    from core.controller import Controller

CSV_FILTER = "CSV files (*.csv);;All files (*)"


class PricesTab(QWidget):
    """Signals: prices_changed(): a price changed, so costs must be read again."""

    prices_changed = Signal()

    def __init__(
        self, controller: Controller, notifier: Notifier, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self._controller = controller
        self._notifier = notifier
        self.model = PricesModel(self._save_price, self)
        self.model.price_rejected.connect(self._on_price_rejected)
        proxy = SearchProxyModel(self)
        proxy.setSourceModel(self.model)
        self.panel = TablePanel("prices", proxy, placeholder="Search products")
        self.panel.export_table = "prices"
        self.panel.view.setEditTriggers(
            QAbstractItemView.EditTrigger.DoubleClicked
            | QAbstractItemView.EditTrigger.EditKeyPressed
            | QAbstractItemView.EditTrigger.AnyKeyPressed
        )
        self.panel.set_column_widths(
            {PriceColumn.PRODUCT: 300, PriceColumn.SKU: 200, PriceColumn.UNIT_PRICE: 150,
             PriceColumn.MONTHLY_COST: 140}
        )  # fmt: skip
        self.import_prices = QPushButton(icon("import"), "Import prices CSV…", self)
        self.import_names = QPushButton(icon("import"), "Import SKU names CSV…", self)
        self.import_prices.clicked.connect(self._on_import_prices_clicked)
        self.import_names.clicked.connect(self._on_import_names_clicked)
        self.panel.tools.addWidget(self.import_prices)
        self.panel.tools.addWidget(self.import_names)
        self.message = InlineMessage(self)
        self._reload_timer = QTimer(self)
        self._reload_timer.setSingleShot(True)
        self._reload_timer.timeout.connect(self._on_reload_due)
        layout = QVBoxLayout(self)
        layout.addWidget(self.message)
        layout.addWidget(self.panel, 1)

    def panels(self) -> list[TablePanel]:
        return [self.panel]

    def reload(self) -> None:
        self.model.currency = self._controller.settings().currency
        self.model.replace_rows(self._controller.product_rollup())
        unknown = self._controller.unrecognized_skus()
        if unknown:
            parts = ", ".join(html.escape(u.sku_part_number) for u in unknown[:8])
            more = f" and {len(unknown) - 8} more" if len(unknown) > 8 else ""
            self.message.show_message(
                "warning",
                f"{len(unknown)} SKU(s) are not in the name table and show their part number: "
                f"{parts}{more}. Import Microsoft's product names CSV to name them.",
            )
        else:
            self.message.clear()

    def _save_price(self, product_key: str, text: str) -> None:
        self._controller.set_price(product_key, text or None)
        self._reload_timer.start(0)  # not inside the editor's commit

    @Slot(str)
    def _on_price_rejected(self, reason: str) -> None:
        self.message.show_message("error", f"The price was not saved: {html.escape(reason)}")

    @Slot()
    def _on_reload_due(self) -> None:
        self.reload()
        self.prices_changed.emit()

    @Slot()
    def _on_import_prices_clicked(self) -> None:
        path = self._notifier.open_file_name("Import prices", CSV_FILTER)
        if path:
            self._import(self._controller.import_prices_csv, path, "prices")

    @Slot()
    def _on_import_names_clicked(self) -> None:
        path = self._notifier.open_file_name("Import SKU names", CSV_FILTER)
        if path:
            self._import(self._controller.import_sku_names_csv, path, "SKU names")

    def _import(self, call: object, path: str, what: str) -> None:
        try:
            count = call(path)  # type: ignore[operator]
        except (LicenseDeskError, OSError, ValueError) as exc:
            message, detail = describe_error(exc)
            self.message.show_message("error", html.escape(message or str(exc)), detail)
            return
        self.reload()
        self._notifier.status(f"Imported {count:,} {what}.")
        self.prices_changed.emit()
