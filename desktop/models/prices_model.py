"""The Prices tab: a unit price per product and month, edited in place."""

from __future__ import annotations

from collections.abc import Callable, Hashable
from enum import IntEnum
from typing import Any

from PySide6.QtCore import QModelIndex, QObject, QPersistentModelIndex, Qt, Signal

from core.domain.licensing import ProductRow
from core.errors import LicenseDeskError
from desktop import formatting
from desktop.models.base import RowTableModel
from desktop.notify import describe_error

Index = QModelIndex | QPersistentModelIndex
SavePrice = Callable[[str, str], None]  # product key, typed price ("" clears); may raise


class PriceColumn(IntEnum):
    PRODUCT = 0
    SKU = 1
    TENANTS = 2
    ENTITLEMENT = 3
    UNIT_PRICE = 4
    MONTHLY_COST = 5
    ANNUAL_COST = 6


PRICE_HEADERS = {
    PriceColumn.PRODUCT: "Product",
    PriceColumn.SKU: "SKU",
    PriceColumn.TENANTS: "Tenants",
    PriceColumn.ENTITLEMENT: "Entitled",
    PriceColumn.UNIT_PRICE: "Unit price / month",
    PriceColumn.MONTHLY_COST: "Monthly cost",
    PriceColumn.ANNUAL_COST: "Annual cost",
}


class PricesModel(RowTableModel[ProductRow]):
    """Products; the unit price column is editable and saved through `save_price`.

    Signals: price_rejected(str): the typed price was refused (the reason).
    """

    price_rejected = Signal(str)

    Column = PriceColumn
    HEADERS = PRICE_HEADERS
    NUMERIC = frozenset(
        {
            PriceColumn.TENANTS,
            PriceColumn.ENTITLEMENT,
            PriceColumn.UNIT_PRICE,
            PriceColumn.MONTHLY_COST,
            PriceColumn.ANNUAL_COST,
        }
    )

    def __init__(self, save_price: SavePrice, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._save_price = save_price
        self.currency = ""
        self.last_error: Exception | None = None

    def key(self, row: ProductRow) -> Hashable:
        return row.product_key

    def display(self, row: ProductRow, column: int) -> str:
        if column == PriceColumn.PRODUCT:
            return row.product
        if column == PriceColumn.SKU:
            return row.sku_part_number or formatting.DASH
        if column == PriceColumn.TENANTS:
            return formatting.count(row.tenants)
        if column == PriceColumn.ENTITLEMENT:
            return formatting.count(row.entitlement)
        if column == PriceColumn.UNIT_PRICE:
            return formatting.money(row.unit_price, self.currency)
        if row.unit_price is None:
            return formatting.DASH  # no price, no cost: never "0.00" beside "—"
        if column == PriceColumn.MONTHLY_COST:
            return formatting.money(row.monthly_cost, self.currency)
        return formatting.money(row.annual_cost, self.currency)

    def sort_value(self, row: ProductRow, column: int) -> Any:
        values = {
            PriceColumn.TENANTS: row.tenants,
            PriceColumn.ENTITLEMENT: row.entitlement,
            PriceColumn.UNIT_PRICE: row.unit_price,
            PriceColumn.MONTHLY_COST: row.monthly_cost,
            PriceColumn.ANNUAL_COST: row.annual_cost,
        }
        if column in values:
            return values[PriceColumn(column)]
        return self.display(row, column).casefold()

    def flags(self, index: Index) -> Qt.ItemFlag:
        base = super().flags(index)
        if index.isValid() and index.column() == PriceColumn.UNIT_PRICE:
            return base | Qt.ItemFlag.ItemIsEditable
        return base

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if role == Qt.ItemDataRole.EditRole and index.isValid():
            price = self.row_at(index.row()).unit_price
            return "" if price is None else f"{price:.2f}"
        return super().data(index, role)

    def setData(self, index: Index, value: Any, role: int = Qt.ItemDataRole.EditRole) -> bool:
        if role != Qt.ItemDataRole.EditRole or index.column() != PriceColumn.UNIT_PRICE:
            return False
        row = self.row_at(index.row())
        try:
            self._save_price(row.product_key, str(value).strip())
        except Exception as exc:  # shown by the tab next to the table
            self.last_error = exc
            message = describe_error(exc)[0] if isinstance(exc, LicenseDeskError) else str(exc)
            self.price_rejected.emit(message)
            return False
        self.last_error = None
        self.dataChanged.emit(index, index)
        return True
