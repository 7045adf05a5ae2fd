"""The Products table (spec §5): one position per product across tenants and sources, the
licenses in reconciliation of each product summed (core's product roll-up)."""

from __future__ import annotations

from collections.abc import Hashable
from enum import IntEnum
from typing import Any

from PySide6.QtCore import QObject
from PySide6.QtGui import QColor, QIcon

from core.domain.connection import tenant_label
from core.domain.licensing import ProductRow, usage_unknown_note
from desktop import formatting
from desktop.models.base import RowTableModel
from desktop.resources import colour, icon


class ProductColumn(IntEnum):
    PRODUCT = 0
    SKU = 1
    LICENSES = 2
    TENANTS = 3
    ENTITLED = 4
    ASSIGNED = 5
    ACTIVE = 6
    INACTIVE = 7
    USAGE_UNKNOWN = 8
    COMPLIANCE = 9
    SHORTFALL = 10
    UNIT_PRICE = 11
    MONTHLY_COST = 12
    WASTE_COST = 13


PRODUCT_HEADERS = {
    ProductColumn.PRODUCT: "Product",
    ProductColumn.SKU: "SKU",
    ProductColumn.LICENSES: "Licenses",
    ProductColumn.TENANTS: "Tenants",
    ProductColumn.ENTITLED: "Entitled",
    ProductColumn.ASSIGNED: "Assigned",
    ProductColumn.ACTIVE: "Active",
    ProductColumn.INACTIVE: "Inactive",
    ProductColumn.USAGE_UNKNOWN: "Usage unknown",
    ProductColumn.COMPLIANCE: "Compliance position",
    ProductColumn.SHORTFALL: "Shortfall",
    ProductColumn.UNIT_PRICE: "Unit price / month",
    ProductColumn.MONTHLY_COST: "Monthly cost",
    ProductColumn.WASTE_COST: "Waste cost / month",
}
# Each figure and the ProductRow field it shows (the same sum wherever it appears).
PRODUCT_FIELDS = {
    ProductColumn.LICENSES: "licenses",
    ProductColumn.TENANTS: "tenants",
    ProductColumn.ENTITLED: "entitlement",
    ProductColumn.ASSIGNED: "assigned_users",
    ProductColumn.ACTIVE: "active_users",
    ProductColumn.INACTIVE: "inactive_users",
    ProductColumn.USAGE_UNKNOWN: "usage_unknown_users",
    ProductColumn.COMPLIANCE: "compliance_position",
    ProductColumn.SHORTFALL: "shortfall",
    ProductColumn.UNIT_PRICE: "unit_price",
    ProductColumn.MONTHLY_COST: "monthly_cost",
    ProductColumn.WASTE_COST: "waste_cost",
}
_MONEY = frozenset({ProductColumn.UNIT_PRICE, ProductColumn.MONTHLY_COST, ProductColumn.WASTE_COST})
_USAGE = frozenset({ProductColumn.ACTIVE, ProductColumn.INACTIVE})


def tenants_text(row: ProductRow) -> str:
    """The tenants behind a product, demo tenants labelled simulated."""
    return ", ".join(tenant_label(t.name, t.simulated) for t in row.tenant_refs)


class ProductsModel(RowTableModel[ProductRow]):
    Column = ProductColumn
    HEADERS = PRODUCT_HEADERS
    NUMERIC = frozenset(PRODUCT_FIELDS)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.currency = ""

    def key(self, row: ProductRow) -> Hashable:
        return row.product_key

    def display(self, row: ProductRow, column: int) -> str:
        if column == ProductColumn.PRODUCT:
            free = row.free and "free" not in row.product.casefold()
            return row.product + (" (free)" if free else "")
        if column == ProductColumn.SKU:
            return row.sku_part_number or formatting.DASH
        value = getattr(row, PRODUCT_FIELDS[ProductColumn(column)])
        if column in _MONEY:
            return formatting.money(value, self.currency)
        if column == ProductColumn.COMPLIANCE:
            return formatting.signed(value)
        return formatting.count(value)  # None (usage unknown) reads "—"

    def sort_value(self, row: ProductRow, column: int) -> Any:
        if column in PRODUCT_FIELDS:
            value = getattr(row, PRODUCT_FIELDS[ProductColumn(column)])
            return -1 if value is None else value  # unknown sorts below every figure
        return self.display(row, column).casefold()

    def foreground(self, row: ProductRow, column: int) -> QColor | None:
        if column == ProductColumn.COMPLIANCE and row.compliance_position < 0:
            return colour("negative")
        if column == ProductColumn.SHORTFALL and row.shortfall:
            return colour("negative")
        return None

    def decoration(self, row: ProductRow, column: int) -> QIcon | None:
        # A tenant's shortfall is not covered by another tenant's spare units: the product can
        # be short while its summed position is positive, so the shortfall carries the mark.
        if column == ProductColumn.SHORTFALL and row.shortfall:
            return icon("error")
        return None

    def tooltip(self, row: ProductRow, column: int) -> str | None:
        if column in _USAGE or column == ProductColumn.USAGE_UNKNOWN:
            return usage_unknown_note(row.usage_unknown_users, row.assigned_users)
        if column == ProductColumn.TENANTS:
            return tenants_text(row) or None
        if column == ProductColumn.SHORTFALL and row.shortfall:
            return (
                f"Shortfall: {row.shortfall:,} more users assigned than entitled in the tenants "
                "that are short (spare units of another tenant do not cover them)."
            )
        if column == ProductColumn.UNIT_PRICE and row.unit_price is None and not row.free:
            return "No price: set one in ITAM Settings > Prices."
        return None
