"""Products: one position per product across tenants and sources (spec §5), loaded as a job."""

from __future__ import annotations

import functools
import html
from typing import TYPE_CHECKING

from PySide6.QtCore import Signal, Slot
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QLabel, QVBoxLayout, QWidget

from core.domain.licensing import ProductRow
from desktop.jobs import Job, JobRunner, LatestJob
from desktop.models.products_model import ProductColumn, ProductsModel
from desktop.models.proxy import SearchProxyModel
from desktop.notify import describe_error
from desktop.widgets.inline_message import InlineMessage
from desktop.widgets.table_panel import TablePanel

if TYPE_CHECKING:
    from core.controller import Controller

EXPLANATION = (
    "Each product once: its licenses in reconciliation summed across tenants and sources "
    "(Retired licenses are left out). Double-click a product to see its licenses."
)


class ProductsTab(QWidget):
    """Signals: licenses_requested(str): show the licenses of this product (its name)."""

    licenses_requested = Signal(str)

    def __init__(
        self, controller: Controller, jobs: JobRunner, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self._controller = controller
        self.loader = LatestJob(jobs, "load products", self)
        self.loader.succeeded.connect(self._on_loaded)
        self.loader.failed.connect(self._on_load_failed)
        self.model = ProductsModel(self)
        self.proxy = SearchProxyModel(self)
        self.proxy.setSourceModel(self.model)
        self.panel = TablePanel("products", self.proxy, placeholder="Search products")
        self.panel.export_table = "products"
        self.panel.set_column_widths({ProductColumn.PRODUCT: 220, ProductColumn.SKU: 115})
        self.show_licenses_action = QAction("Show its licenses", self)
        self.show_licenses_action.triggered.connect(self._on_show_licenses_requested)
        self.panel.add_row_action(self.show_licenses_action)
        self.panel.row_activated.connect(self._on_row_activated)
        self.message = InlineMessage(self)
        note = QLabel(EXPLANATION, self)
        note.setObjectName("hint")
        note.setWordWrap(True)
        layout = QVBoxLayout(self)
        layout.addWidget(note)
        layout.addWidget(self.message)
        layout.addWidget(self.panel, 1)

    def panels(self) -> list[TablePanel]:
        return [self.panel]

    def reload(self) -> Job:
        """Read the roll-up on a worker thread; the last rows stay shown meanwhile."""
        return self.loader.run(functools.partial(_load, self._controller))

    def show_products(self, rows: list[ProductRow], currency: str) -> None:
        self.model.currency = currency
        self.model.replace_rows(rows)
        # A few dozen rows: every figure shown whole; long product and SKU names elided.
        self.panel.fit_contents()
        for column, widest in ((ProductColumn.PRODUCT, 220), (ProductColumn.SKU, 115)):
            if self.panel.view.columnWidth(column) > widest:
                self.panel.view.setColumnWidth(column, widest)

    @Slot(object)
    def _on_loaded(self, result: tuple[list[ProductRow], str]) -> None:
        self.message.clear()
        self.show_products(*result)

    @Slot(object)
    def _on_load_failed(self, exc: BaseException) -> None:
        message, detail = describe_error(exc)
        self.message.show_message(
            "error", f"Could not read the products: {html.escape(message)}", detail
        )

    @Slot()
    def _on_show_licenses_requested(self) -> None:
        row = self.panel.current_row()
        if isinstance(row, ProductRow):
            self.licenses_requested.emit(row.product)

    @Slot(object)
    def _on_row_activated(self, row: ProductRow) -> None:
        self.licenses_requested.emit(row.product)


def _load(controller: Controller, _token: object) -> tuple[list[ProductRow], str]:
    return controller.product_rollup(), controller.settings().currency
