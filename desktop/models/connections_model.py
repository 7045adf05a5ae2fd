"""The Inventory Systems table: one row per connection (the beacon's source connections)."""

from __future__ import annotations

from collections.abc import Hashable, Mapping
from enum import IntEnum
from typing import Any

from PySide6.QtCore import QObject
from PySide6.QtGui import QIcon

from core.domain import CLOUD_LABELS, AuthMethod, Cloud, Connection, ImportStatus
from desktop import formatting
from desktop.models.base import RowTableModel
from desktop.resources import icon


class ConnectionColumn(IntEnum):
    NAME = 0
    SOURCE_TYPE = 1
    TENANT = 2
    METHOD = 3
    CLOUD = 4
    SCHEDULE = 5
    LAST_IMPORT = 6
    STATUS = 7


CONNECTION_HEADERS = {
    ConnectionColumn.NAME: "Name",
    ConnectionColumn.SOURCE_TYPE: "Source type",
    ConnectionColumn.TENANT: "Tenant",
    ConnectionColumn.METHOD: "Method",
    ConnectionColumn.CLOUD: "Cloud",
    ConnectionColumn.SCHEDULE: "Schedule",
    ConnectionColumn.LAST_IMPORT: "Last import",
    ConnectionColumn.STATUS: "Status",
}
METHOD_SHORT = {
    AuthMethod.MULTI_TENANT: "Multi-tenant app",
    AuthMethod.OWN_APP: "Own registered app",
    AuthMethod.PASSWORD: "User name and password",
}
STATUS_TEXT = {
    ImportStatus.RUNNING: "Importing",
    ImportStatus.SUCCEEDED: "Succeeded",
    ImportStatus.SUCCEEDED_WITH_WARNINGS: "Succeeded with warnings",
    ImportStatus.FAILED: "Failed",
    ImportStatus.CANCELLED: "Cancelled",
    ImportStatus.INTERRUPTED: "Interrupted",
}
STATUS_ICON = {
    ImportStatus.SUCCEEDED: "ok",
    ImportStatus.SUCCEEDED_WITH_WARNINGS: "warning",
    ImportStatus.FAILED: "error",
    ImportStatus.CANCELLED: "cancel",
    ImportStatus.INTERRUPTED: "error",
    ImportStatus.RUNNING: "import",
}


CLOUD_SHORT = {
    Cloud.GLOBAL: "Global",
    Cloud.GCC_HIGH: "GCC High",
    Cloud.DOD: "DoD",
    Cloud.CHINA: "China",
    Cloud.CUSTOM: "Custom",
}


def tenant_text(connection: Connection) -> str:
    return connection.tenant_name or connection.tenant or connection.tenant_id or formatting.DASH


class ConnectionsModel(RowTableModel[Connection]):
    """Connections, plus a live status text per running import."""

    Column = ConnectionColumn
    HEADERS = CONNECTION_HEADERS

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._live: dict[int, str] = {}

    def key(self, row: Connection) -> Hashable:
        return row.id

    def set_live_status(self, live: Mapping[int, str]) -> None:
        """Show `text` instead of the last status for the connections importing now."""
        changed = set(live) ^ set(self._live) | {k for k in live if self._live.get(k) != live[k]}
        self._live = dict(live)
        for connection_id in changed:
            position = self.position_of(connection_id)
            if position is not None:
                cell = self.index(position, ConnectionColumn.STATUS)
                self.dataChanged.emit(cell, cell)

    def display(self, row: Connection, column: int) -> str:
        if column == ConnectionColumn.NAME:
            return row.display_name
        if column == ConnectionColumn.SOURCE_TYPE:
            return row.source_type.value
        if column == ConnectionColumn.TENANT:
            return tenant_text(row)
        if column == ConnectionColumn.METHOD:
            return METHOD_SHORT.get(row.method, row.method.value)
        if column == ConnectionColumn.CLOUD:
            return CLOUD_SHORT[row.cloud]
        if column == ConnectionColumn.SCHEDULE:
            return row.schedule.describe()
        if column == ConnectionColumn.LAST_IMPORT:
            return formatting.when(row.last_import_at)
        return self._status_text(row)

    def _status_text(self, row: Connection) -> str:
        if row.id in self._live:
            return self._live[row.id]
        if row.last_import_status is None:
            return "Never imported"
        return STATUS_TEXT[row.last_import_status]

    def sort_value(self, row: Connection, column: int) -> Any:
        if column == ConnectionColumn.LAST_IMPORT:
            return row.last_import_at.timestamp() if row.last_import_at else 0.0
        return self.display(row, column).casefold()

    def decoration(self, row: Connection, column: int) -> QIcon | None:
        if column == ConnectionColumn.NAME and row.is_simulated:
            return icon("simulated")
        if column == ConnectionColumn.STATUS:
            if row.id in self._live:
                return icon("import")
            if row.last_import_status is not None:
                return icon(STATUS_ICON[row.last_import_status])
        return None

    def tooltip(self, row: Connection, column: int) -> str | None:
        if column == ConnectionColumn.NAME and row.is_simulated:
            return "Served by the built-in tenant simulator (demo data)."
        if column == ConnectionColumn.TENANT:
            return "\n".join(filter(None, (row.tenant_name, row.tenant, row.tenant_id))) or None
        if column == ConnectionColumn.CLOUD:
            return CLOUD_LABELS[row.cloud]
        return None
