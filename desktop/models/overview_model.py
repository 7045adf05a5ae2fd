"""The Overview figures per tenant and in total (spec §8)."""

from __future__ import annotations

from collections.abc import Hashable
from enum import IntEnum
from typing import Any

from PySide6.QtCore import QObject
from PySide6.QtGui import QColor, QFont

from core.domain.connection import tenant_label as core_tenant_label
from core.domain.licensing import OverviewTotals, usage_unknown_note
from desktop import formatting
from desktop.models.base import RowTableModel
from desktop.resources import bold_font, colour

TOTAL_KEY = "Total"


class TotalsColumn(IntEnum):
    TENANT = 0
    LICENSES = 1
    ENTITLED = 2
    ASSIGNED = 3
    ACTIVE = 4
    UNASSIGNED = 5
    SHORTFALL = 6
    MONTHLY_COST = 7
    MONTHLY_WASTE = 8


TOTALS_HEADERS = {
    TotalsColumn.TENANT: "Tenant",
    TotalsColumn.LICENSES: "Licenses",
    TotalsColumn.ENTITLED: "Entitled",
    TotalsColumn.ASSIGNED: "Assigned",
    TotalsColumn.ACTIVE: "Active",
    TotalsColumn.UNASSIGNED: "Unassigned",
    TotalsColumn.SHORTFALL: "Shortfall",
    TotalsColumn.MONTHLY_COST: "Monthly cost",
    TotalsColumn.MONTHLY_WASTE: "Monthly waste",
}
_FIELDS = {
    TotalsColumn.LICENSES: "licenses",
    TotalsColumn.ENTITLED: "entitled",
    TotalsColumn.ASSIGNED: "assigned",
    TotalsColumn.ACTIVE: "active",
    TotalsColumn.UNASSIGNED: "unassigned",
    TotalsColumn.SHORTFALL: "shortfall",
    TotalsColumn.MONTHLY_COST: "monthly_cost",
    TotalsColumn.MONTHLY_WASTE: "monthly_waste",
}
_MONEY = frozenset({TotalsColumn.MONTHLY_COST, TotalsColumn.MONTHLY_WASTE})


def tenant_label(row: OverviewTotals) -> str:
    """The connection's name, and the tenant's where it says more ("Contoso demo", not
    "Contoso demo — Contoso")."""
    if is_total(row):
        return row.key
    if row.simulated:
        # A demo tenant reads as in the other tabs, "Contoso (simulated)"; the connection's
        # name ("Contoso demo") is one hover away.
        return core_tenant_label(row.tenant_name or row.key, True)
    if row.tenant_name and row.tenant_name.casefold() not in row.key.casefold():
        return core_tenant_label(f"{row.key} — {row.tenant_name}", row.simulated)
    return core_tenant_label(row.key, row.simulated)


def is_total(row: OverviewTotals) -> bool:
    return row.key == TOTAL_KEY


class TotalsModel(RowTableModel[OverviewTotals]):
    """One row per tenant (connection) and the total row last, in bold."""

    Column = TotalsColumn
    HEADERS = TOTALS_HEADERS
    NUMERIC = frozenset(_FIELDS)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.currency = ""

    def key(self, row: OverviewTotals) -> Hashable:
        return row.key

    def display(self, row: OverviewTotals, column: int) -> str:
        if column == TotalsColumn.TENANT:
            return tenant_label(row)
        value = getattr(row, _FIELDS[TotalsColumn(column)])
        if column in _MONEY:
            return formatting.money(value, self.currency)
        return formatting.count(value)

    def sort_value(self, row: OverviewTotals, column: int) -> Any:
        if column == TotalsColumn.TENANT:
            return tenant_label(row).casefold()
        value = getattr(row, _FIELDS[TotalsColumn(column)])
        return -1 if value is None else value  # unknown usage sorts below every count

    def tooltip(self, row: OverviewTotals, column: int) -> str | None:
        if column == TotalsColumn.ACTIVE:
            return usage_unknown_note(row.usage_unknown, row.assigned)
        if column == TotalsColumn.TENANT and row.tenant_name:
            connection = f"Connection: {row.key}" if row.key != row.tenant_name else ""
            tenant = core_tenant_label(row.tenant_name, row.simulated)
            return "\n".join(filter(None, (connection, f"Tenant: {tenant}", row.tenant_id)))
        return None

    def font(self, row: OverviewTotals, column: int) -> QFont | None:
        return bold_font() if is_total(row) else None

    def foreground(self, row: OverviewTotals, column: int) -> QColor | None:
        if column == TotalsColumn.SHORTFALL and row.shortfall:
            return colour("negative")
        return None
