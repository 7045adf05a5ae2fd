"""The warnings that need action, on the Overview tab."""

from __future__ import annotations

from collections.abc import Hashable
from enum import IntEnum
from typing import Any

from PySide6.QtGui import QIcon

from core.domain.connection import tenant_label
from core.domain.licensing import ActionWarning
from desktop.models.base import RowTableModel
from desktop.resources import icon


class WarningColumn(IntEnum):
    SEVERITY = 0
    TENANT = 1
    KIND = 2
    MESSAGE = 3


WARNING_HEADERS = {
    WarningColumn.SEVERITY: "Severity",
    WarningColumn.TENANT: "Tenant",
    WarningColumn.KIND: "About",
    WarningColumn.MESSAGE: "What to do",
}
SEVERITY_RANK = {"error": 0, "warning": 1, "info": 2}
# Each kind of warning in a license manager's words (never the internal key).
KIND_TEXT = {
    "unrecognized-sku": "Unrecognized SKU",
    "concealed-names": "Concealed names",
    "expiring-secret": "Expiring secret",
    "import-failed": "Import failed",
    "import": "Import",
    "missing-permission": "Missing permission",
    "shortfall": "Shortfall",
    "grace-period": "Grace period",
    "consumed-mismatch": "Consumed units differ",
    "saas-import": "SaaS Management import",
    "saas-disabled": "SaaS Management disabled",
}


def kind_text(kind: str) -> str:
    if kind in KIND_TEXT:
        return KIND_TEXT[kind]
    text = kind.replace("-", " ").replace("_", " ")
    return (text[:1].upper() + text[1:]).replace("Saas", "SaaS").replace("saas", "SaaS")


class WarningsModel(RowTableModel[ActionWarning]):
    Column = WarningColumn
    HEADERS = WARNING_HEADERS

    def key(self, row: ActionWarning) -> Hashable:
        return (row.kind, row.connection_id, row.license_id, row.message)

    def display(self, row: ActionWarning, column: int) -> str:
        if column == WarningColumn.SEVERITY:
            return row.severity.capitalize()
        if column == WarningColumn.TENANT:
            return tenant_label(row.tenant_name, row.simulated)
        if column == WarningColumn.KIND:
            return kind_text(row.kind)
        return row.message

    def sort_value(self, row: ActionWarning, column: int) -> Any:
        if column == WarningColumn.SEVERITY:
            return SEVERITY_RANK.get(row.severity, len(SEVERITY_RANK))
        return self.display(row, column).casefold()

    def decoration(self, row: ActionWarning, column: int) -> QIcon | None:
        if column == WarningColumn.SEVERITY:
            return icon("error" if row.severity == "error" else "warning")
        return None

    def tooltip(self, row: ActionWarning, column: int) -> str | None:
        return row.message if column == WarningColumn.MESSAGE else None
