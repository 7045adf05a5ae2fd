"""The status history of one license: when and why each change happened (spec §6)."""

from __future__ import annotations

from collections.abc import Hashable
from enum import IntEnum
from typing import Any

from core.domain.licensing import StatusChange
from desktop import formatting
from desktop.models.base import RowTableModel


class ChangeColumn(IntEnum):
    WHEN = 0
    FROM = 1
    TO = 2
    BY = 3
    REASON = 4


CHANGE_HEADERS = {
    ChangeColumn.WHEN: "When",
    ChangeColumn.FROM: "From",
    ChangeColumn.TO: "To",
    ChangeColumn.BY: "By",
    ChangeColumn.REASON: "Reason",
}


class ChangesModel(RowTableModel[StatusChange]):
    Column = ChangeColumn
    HEADERS = CHANGE_HEADERS

    def key(self, row: StatusChange) -> Hashable:
        return row.id

    def display(self, row: StatusChange, column: int) -> str:
        if column == ChangeColumn.WHEN:
            return formatting.when(row.changed_at)
        if column == ChangeColumn.FROM:
            return row.old_status.value if row.old_status else formatting.DASH
        if column == ChangeColumn.TO:
            return row.new_status.value
        if column == ChangeColumn.BY:
            return row.author
        return row.reason

    def sort_value(self, row: StatusChange, column: int) -> Any:
        if column == ChangeColumn.WHEN:
            return row.changed_at.timestamp()
        return self.display(row, column)
