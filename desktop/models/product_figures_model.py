"""The chart's figures as a table: entitled, assigned and active per product (its text
alternative for screen readers and keyboard users, issue 15)."""

from __future__ import annotations

from collections.abc import Hashable
from enum import IntEnum
from typing import Any

from desktop import formatting
from desktop.models.base import RowTableModel
from desktop.widgets.bar_chart import BarGroup

USAGE_UNKNOWN = "usage unknown"


class ProductFiguresColumn(IntEnum):
    PRODUCT = 0
    ENTITLED = 1
    ASSIGNED = 2
    ACTIVE = 3


PRODUCT_FIGURES_HEADERS = {
    ProductFiguresColumn.PRODUCT: "Product",
    ProductFiguresColumn.ENTITLED: "Entitled",
    ProductFiguresColumn.ASSIGNED: "Assigned",
    ProductFiguresColumn.ACTIVE: "Active",
}


class ProductFiguresModel(RowTableModel[BarGroup]):
    Column = ProductFiguresColumn
    HEADERS = PRODUCT_FIGURES_HEADERS
    NUMERIC = frozenset(
        {ProductFiguresColumn.ENTITLED, ProductFiguresColumn.ASSIGNED, ProductFiguresColumn.ACTIVE}
    )

    def key(self, row: BarGroup) -> Hashable:
        return row.label

    def display(self, row: BarGroup, column: int) -> str:
        if column == ProductFiguresColumn.PRODUCT:
            return row.label
        value = row.values[column - 1]
        return USAGE_UNKNOWN if value is None else formatting.count(value)

    def sort_value(self, row: BarGroup, column: int) -> Any:
        if column == ProductFiguresColumn.PRODUCT:
            return row.label.casefold()
        value = row.values[column - 1]
        return -1 if value is None else value
