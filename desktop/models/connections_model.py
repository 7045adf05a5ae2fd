"""The Inventory Systems table: one row per connection (the beacon's source connections)."""

from __future__ import annotations

from collections.abc import Hashable, Mapping
from datetime import datetime
from enum import IntEnum
from typing import Any

from PySide6.QtCore import QObject
from PySide6.QtGui import QIcon

from core.domain.cloud import CLOUD_LABELS, Cloud
from core.domain.connection import AuthMethod, Connection
from core.domain.imports import ImportStatus
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


SUCCEEDED = frozenset({ImportStatus.SUCCEEDED, ImportStatus.SUCCEEDED_WITH_WARNINGS})


def later_problem(row: Connection) -> bool:
    """The latest run failed or was cancelled after the data shown was imported (the row
    carries the latest run, so it came after the last success, if there was one)."""
    return row.last_import_status in (ImportStatus.FAILED, ImportStatus.CANCELLED)


def data_note(row: Connection, last_success: datetime | None) -> str | None:
    """Which import the data shown comes from, and a later run that changed nothing."""
    shown = (
        f"The data shown is from the import of {formatting.when(last_success)}."
        if last_success is not None
        else "No import has succeeded yet: there is no data from this connection."
    )
    if later_problem(row):
        what = "failed" if row.last_import_status is ImportStatus.FAILED else "was cancelled"
        return f"{shown} The import of {formatting.when(row.last_import_at)} {what}."
    return shown if row.last_import_status is not None else None


def data_age(connections: list[Connection], success: Mapping[int, datetime]) -> tuple[str, str]:
    """(status bar text, tooltip): when the data shown was imported, and any later import
    that failed or was cancelled (its connection's data stays the earlier one)."""
    times = [success[c.id] for c in connections if c.id in success]
    if not times:
        return "", ""
    oldest, newest = formatting.when(min(times)), formatting.when(max(times))
    text = f"Data imported {newest}" if oldest == newest else f"Data imported {oldest} to {newest}"
    troubled = [c for c in connections if later_problem(c)]
    if len(troubled) == 1:
        c = troubled[0]
        what = "failed" if c.last_import_status is ImportStatus.FAILED else "was cancelled"
        text += f" · {c.name}: the import of {formatting.when(c.last_import_at)} {what}"
    elif troubled:
        text += f" · {len(troubled)} later imports failed or were cancelled"
    notes = [f"{c.name}: {data_note(c, success.get(c.id))}" for c in connections]
    return text, "\n".join(notes)


def tenant_text(connection: Connection) -> str:
    return connection.tenant_name or connection.tenant or connection.tenant_id or formatting.DASH


class ConnectionsModel(RowTableModel[Connection]):
    """Connections, plus a live status text per running import."""

    Column = ConnectionColumn
    HEADERS = CONNECTION_HEADERS

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._live: dict[int, str] = {}
        # When each connection's data shown was imported (its last successful import).
        self._success: dict[int, datetime] = {}

    def set_last_success(self, success: Mapping[int, datetime]) -> None:
        """Set before `replace_rows` (the reset repaints every cell)."""
        self._success = dict(success)

    def last_success(self, row: Connection) -> datetime | None:
        """The latest run when it succeeded, else the last successful one known."""
        if row.last_import_status in SUCCEEDED:
            return row.last_import_at
        return self._success.get(row.id)

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
            return formatting.when(self.last_success(row))
        return self._status_text(row)

    def _status_text(self, row: Connection) -> str:
        if row.id in self._live:
            return self._live[row.id]
        if row.last_import_status is None:
            return "Never imported"
        text = STATUS_TEXT[row.last_import_status]
        if later_problem(row):
            return f"{text} {formatting.when(row.last_import_at)}"
        return text

    def sort_value(self, row: Connection, column: int) -> Any:
        if column == ConnectionColumn.LAST_IMPORT:
            success = self.last_success(row)
            return success.timestamp() if success else 0.0
        return self.display(row, column).casefold()

    def _data_note(self, row: Connection) -> str | None:
        return data_note(row, self.last_success(row))

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
        if column == ConnectionColumn.STATUS and row.id in self._live:
            # The live text ("Importing on worker host:pid") may not fit the column.
            return "\n".join(filter(None, (self._live[row.id], self._data_note(row))))
        if column in (ConnectionColumn.LAST_IMPORT, ConnectionColumn.STATUS):
            return self._data_note(row)
        if column == ConnectionColumn.NAME and row.is_simulated:
            return "Served by the built-in tenant simulator (demo data)."
        if column == ConnectionColumn.TENANT:
            return "\n".join(filter(None, (row.tenant_name, row.tenant, row.tenant_id))) or None
        if column == ConnectionColumn.CLOUD:
            return CLOUD_LABELS[row.cloud]
        return None
