"""ITAM Settings > Prices: a unit price per product and month, typed in or imported."""

from __future__ import annotations

import functools
import html
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import Signal, Slot
from PySide6.QtWidgets import QAbstractItemView, QPushButton, QVBoxLayout, QWidget

from core.domain.licensing import ProductRow, UnrecognizedSku
from desktop.jobs import Job, JobRunner, LatestJob
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
        self,
        controller: Controller,
        jobs: JobRunner,
        notifier: Notifier,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self._controller = controller
        self._notifier = notifier
        self._jobs = jobs
        self.loader = LatestJob(jobs, "load prices", self)
        self.loader.succeeded.connect(self._on_loaded)
        self.loader.failed.connect(self._on_load_failed)
        self.writer = LatestJob(jobs, "save prices", self)
        self.writer.busy_changed.connect(self._on_writing_changed)
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
        layout = QVBoxLayout(self)
        layout.addWidget(self.message)
        layout.addWidget(self.panel, 1)

    def panels(self) -> list[TablePanel]:
        return [self.panel]

    def reload(self) -> Job:
        """Read the products and their prices on a worker thread; the rows stay meanwhile."""
        return self.loader.run(functools.partial(_load, self._controller))

    @Slot(object)
    def _on_load_failed(self, exc: BaseException) -> None:
        message, detail = describe_error(exc)
        self.message.show_message(
            "error", f"Could not read the prices: {html.escape(message)}", detail
        )

    @Slot(object)
    def _on_loaded(self, result: tuple[str, list[ProductRow], list[UnrecognizedSku]]) -> None:
        currency, rows, unknown = result
        self.model.currency = currency
        self.model.replace_rows(rows)
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
        """The editor's commit: the price is saved on a worker thread (a refusal is shown
        above the table and the cell shows the stored price again)."""
        self.message.show_message("info", "Saving the price…")
        call = functools.partial(_set_price, self._controller, product_key, text)
        self._write(call, "")

    @Slot(str)
    def _on_price_rejected(self, reason: str) -> None:
        self.message.show_message("error", f"The price was not saved: {html.escape(reason)}")

    def _write(self, call: Callable[[Any], object], what: str) -> Job:
        job = self.writer.run(call)
        job.succeeded.connect(functools.partial(self._on_written, what))
        job.failed.connect(functools.partial(self._on_write_failed, what))
        return job

    def _on_written(self, what: str, count: int | None) -> None:
        if what:
            self._notifier.status(f"Imported {count:,} {what}.")
        self.message.clear()
        self.reload()
        self.prices_changed.emit()

    def _on_write_failed(self, what: str, exc: BaseException) -> None:
        message, detail = describe_error(exc)
        if isinstance(exc, (OSError, ValueError)):
            message, detail = str(exc), ""
        prefix = f"The {what} were not imported" if what else "The price was not saved"
        self.message.show_message("error", f"{prefix}: {html.escape(message)}", detail)
        self.reload()

    @Slot(bool)
    def _on_writing_changed(self, busy: bool) -> None:
        self.import_prices.setEnabled(not busy)
        self.import_names.setEnabled(not busy)

    @Slot()
    def _on_import_prices_clicked(self) -> None:
        path = self._notifier.open_file_name("Import prices", CSV_FILTER)
        if path:
            self._write(functools.partial(_import_prices, self._controller, path), "prices")

    @Slot()
    def _on_import_names_clicked(self) -> None:
        path = self._notifier.open_file_name("Import SKU names", CSV_FILTER)
        if path:
            self._write(functools.partial(_import_names, self._controller, path), "SKU names")


def _load(
    controller: Controller, _token: object
) -> tuple[str, list[ProductRow], list[UnrecognizedSku]]:
    currency = controller.settings().currency
    return currency, controller.product_rollup(), controller.unrecognized_skus()


def _set_price(controller: Controller, product_key: str, text: str, _token: object) -> None:
    controller.set_price(product_key, text or None)


def _import_prices(controller: Controller, path: str, _token: object) -> int:
    return controller.import_prices_csv(path)


def _import_names(controller: Controller, path: str, _token: object) -> int:
    return controller.import_sku_names_csv(path)
