"""The Licenses table (spec §8): one row per license, Retired rows greyed and struck out."""

from __future__ import annotations

from collections.abc import Hashable
from enum import IntEnum
from typing import Any

from PySide6.QtCore import QObject
from PySide6.QtGui import QColor, QFont, QIcon

from core.domain.connection import tenant_label
from core.domain.licensing import LicenseRow, LicenseSource, LicenseStatus, usage_unknown_note
from desktop import formatting
from desktop.models.base import RowTableModel
from desktop.resources import colour, icon, struck_out_font


class LicenseColumn(IntEnum):
    PRODUCT = 0
    SKU = 1
    TENANT = 2
    SOURCE = 3
    STATUS = 4
    IN_RECONCILIATION = 5
    ENABLED = 6
    WARNING = 7
    SUSPENDED = 8
    CONSUMED = 9
    AVAILABLE = 10
    COMPLIANCE = 11
    INACTIVE = 12
    WASTE_COST = 13


LICENSE_HEADERS = {
    LicenseColumn.PRODUCT: "Product",
    LicenseColumn.SKU: "SKU",
    LicenseColumn.TENANT: "Tenant",
    LicenseColumn.SOURCE: "Source",
    LicenseColumn.STATUS: "Status",
    LicenseColumn.IN_RECONCILIATION: "In reconciliation",
    LicenseColumn.ENABLED: "Enabled",
    LicenseColumn.WARNING: "Warning",
    LicenseColumn.SUSPENDED: "Suspended",
    LicenseColumn.CONSUMED: "Consumed",
    LicenseColumn.AVAILABLE: "Available",
    LicenseColumn.COMPLIANCE: "Compliance position",
    LicenseColumn.INACTIVE: "Inactive",
    LicenseColumn.WASTE_COST: "Waste cost / month",
}
_NUMBERS = {
    LicenseColumn.ENABLED: "enabled",
    LicenseColumn.WARNING: "warning",
    LicenseColumn.SUSPENDED: "suspended",
    LicenseColumn.CONSUMED: "consumed_units",
    LicenseColumn.AVAILABLE: "available",
    LicenseColumn.INACTIVE: "inactive_users",
}


def _held_by_switch(row: LicenseRow) -> str:
    """Why the SaaS Management switch holds this license Retired, if it does."""
    if not row.retired_by_saas:
        return ""
    if row.source is LicenseSource.SAAS_MANAGEMENT:
        return " (SaaS Management disabled)"
    return " (by SaaS Management)"


def is_retired(row: LicenseRow) -> bool:
    return row.status is LicenseStatus.RETIRED


class LicensesModel(RowTableModel[LicenseRow]):
    Column = LicenseColumn
    HEADERS = LICENSE_HEADERS
    NUMERIC = frozenset({*_NUMBERS, LicenseColumn.COMPLIANCE, LicenseColumn.WASTE_COST})

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.currency = ""

    def key(self, row: LicenseRow) -> Hashable:
        return row.id

    def display(self, row: LicenseRow, column: int) -> str:
        if column in _NUMBERS:
            return formatting.count(getattr(row, _NUMBERS[LicenseColumn(column)]))
        if column == LicenseColumn.PRODUCT:
            free = row.free and "free" not in row.product.casefold()
            return row.product + (" (free)" if free else "")
        if column == LicenseColumn.SKU:
            return row.sku_part_number or formatting.DASH
        if column == LicenseColumn.TENANT:
            name = row.tenant_name or row.connection
            return tenant_label(name, row.simulated) if name else formatting.DASH
        if column == LicenseColumn.SOURCE:
            return row.source.value
        if column == LicenseColumn.STATUS:
            return row.status.value + _held_by_switch(row)
        if column == LicenseColumn.IN_RECONCILIATION:
            return formatting.yes_no(row.in_reconciliation)
        if column == LicenseColumn.COMPLIANCE:
            return formatting.signed(row.compliance_position)
        return formatting.money(row.waste_cost, self.currency)

    def sort_value(self, row: LicenseRow, column: int) -> Any:
        if column in _NUMBERS:
            value = getattr(row, _NUMBERS[LicenseColumn(column)])
            return -1 if value is None else value  # unknown usage sorts below every count
        if column == LicenseColumn.COMPLIANCE:
            return row.compliance_position
        if column == LicenseColumn.WASTE_COST:
            return row.waste_cost
        if column == LicenseColumn.IN_RECONCILIATION:
            return int(row.in_reconciliation)
        return self.display(row, column).casefold()

    def foreground(self, row: LicenseRow, column: int) -> QColor | None:
        if is_retired(row):
            return colour("retired")
        if column == LicenseColumn.COMPLIANCE and row.shortfall:
            return colour("negative")
        if column == LicenseColumn.WARNING and row.grace:
            return colour("warning")
        return None

    def font(self, row: LicenseRow, column: int) -> QFont | None:
        return struck_out_font() if is_retired(row) else None

    def decoration(self, row: LicenseRow, column: int) -> QIcon | None:
        if column == LicenseColumn.STATUS and is_retired(row):
            return icon("retired")
        if column == LicenseColumn.COMPLIANCE and row.shortfall:
            return icon("error")
        return None

    def tooltip(self, row: LicenseRow, column: int) -> str | None:
        if is_retired(row):
            why = ""
            if row.retired_by_saas:
                why = (
                    " while the SaaS Management connector is disabled"
                    if row.source is LicenseSource.SAAS_MANAGEMENT
                    else " by the SaaS Management connector"
                )
            return f"Retired{why}: kept for reference, no effect on any total."
        if column == LicenseColumn.COMPLIANCE and row.shortfall:
            return f"Shortfall: {row.shortfall:,} more users assigned than entitled."
        if column == LicenseColumn.WARNING and row.grace:
            until = formatting.day(row.grace_until)
            return f"Units in grace (expired, still usable) until {until}."
        if column == LicenseColumn.PRODUCT and not row.recognized:
            return "Unrecognized SKU: add it to the SKU name table."
        if column == LicenseColumn.INACTIVE:
            return usage_unknown_note(row.usage_unknown_users, row.assigned_users)
        if column == LicenseColumn.TENANT:
            return self.display(row, column)  # the whole name where the column cuts it
        return None
