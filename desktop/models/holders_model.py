"""The users who hold one license, in the license properties dialog."""

from __future__ import annotations

from collections.abc import Hashable
from enum import IntEnum
from typing import Any

from PySide6.QtGui import QColor

from core.domain.licensing import LicenseHolder
from desktop import formatting
from desktop.models.base import RowTableModel
from desktop.resources import colour


class HolderColumn(IntEnum):
    NAME = 0
    UPN = 1
    ENABLED = 2
    PATH = 3
    ASSIGNED = 4
    LAST_ACTIVITY = 5
    FLAGS = 6


HOLDER_HEADERS = {
    HolderColumn.NAME: "User",
    HolderColumn.UPN: "User principal name",
    HolderColumn.ENABLED: "Enabled",
    HolderColumn.PATH: "Assigned by",
    HolderColumn.ASSIGNED: "Assigned on",
    HolderColumn.LAST_ACTIVITY: "Last activity",
    HolderColumn.FLAGS: "Flags",
}


def path_text(holder: LicenseHolder) -> str:
    parts = ["direct"] if holder.direct else []
    if holder.groups:
        parts.append(f"{len(holder.groups)} group{'s' if len(holder.groups) != 1 else ''}")
    return " + ".join(parts) or formatting.DASH


def holder_flags(holder: LicenseHolder) -> str:
    flags = [
        ("Never active", holder.never_active),
        ("Inactive", holder.inactive and not holder.never_active),
        ("Disabled", not holder.account_enabled),
        ("Duplicate path", holder.direct and bool(holder.groups)),
        ("Overlap", holder.overlap),
        ("Usage unknown", not holder.usage_known),
    ]
    return ", ".join(name for name, on in flags if on)


class HoldersModel(RowTableModel[LicenseHolder]):
    Column = HolderColumn
    HEADERS = HOLDER_HEADERS

    def key(self, row: LicenseHolder) -> Hashable:
        return row.user_id

    def display(self, row: LicenseHolder, column: int) -> str:
        if column == HolderColumn.NAME:
            return row.display_name
        if column == HolderColumn.UPN:
            return row.user_principal_name
        if column == HolderColumn.ENABLED:
            return formatting.yes_no(row.account_enabled)
        if column == HolderColumn.PATH:
            return path_text(row)
        if column == HolderColumn.ASSIGNED:
            return formatting.day(row.assigned_at)
        if column == HolderColumn.LAST_ACTIVITY:
            return formatting.day(row.last_activity) if row.usage_known else "Unknown"
        return holder_flags(row)

    def sort_value(self, row: LicenseHolder, column: int) -> Any:
        return self.display(row, column).casefold()

    def foreground(self, row: LicenseHolder, column: int) -> QColor | None:
        return colour("muted") if not row.account_enabled else None
