"""The Users table, filtered, sorted and paged in SQL (spec §8, §12: 100,000+ users).

Unlike the other tables it does not hold every row: it holds the row count of the current
UserQuery and the pages that were looked at. It never reads them itself: it asks for a query's
rows with `rows_requested` (the Users tab reads them on a worker thread) and shows them when
they come back through `show_rows`; rows of a query no longer wanted are dropped.
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import replace
from enum import IntEnum
from typing import Any

from PySide6.QtCore import (
    QAbstractTableModel,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    Qt,
    Signal,
)
from PySide6.QtGui import QColor

from core.domain.connection import tenant_label
from core.domain.licensing import UserQuery, UserRow, UserSkuRef, UserSort
from desktop import formatting
from desktop.models.base import RowRole, SortRole
from desktop.resources import colour

Index = QModelIndex | QPersistentModelIndex
_ROOT = QModelIndex()  # the invalid index: the parent of every row
PAGE_SIZE = 200
PAGES_KEPT = 64


class UserColumn(IntEnum):
    NAME = 0
    UPN = 1
    TENANT = 2
    ENABLED = 3
    TYPE = 4
    LICENSES = 5
    LAST_ACTIVITY = 6
    FLAGS = 7


USER_HEADERS = {
    UserColumn.NAME: "User",
    UserColumn.UPN: "User principal name",
    UserColumn.TENANT: "Tenant",
    UserColumn.ENABLED: "Enabled",
    UserColumn.TYPE: "Type",
    UserColumn.LICENSES: "Licenses (path)",
    UserColumn.LAST_ACTIVITY: "Last activity",
    UserColumn.FLAGS: "Flags",
}
SORT_BY_COLUMN = {
    UserColumn.NAME: UserSort.DISPLAY_NAME,
    UserColumn.UPN: UserSort.USER_PRINCIPAL_NAME,
    UserColumn.TENANT: UserSort.TENANT,
    UserColumn.ENABLED: UserSort.ACCOUNT_ENABLED,
    UserColumn.TYPE: UserSort.USER_TYPE,
    UserColumn.LICENSES: UserSort.LICENSES,
    UserColumn.LAST_ACTIVITY: UserSort.LAST_ACTIVITY,
}


def sku_text(ref: UserSkuRef) -> str:
    paths = (["direct"] if ref.direct else []) + (
        [f"{len(ref.groups)} group{'s' if len(ref.groups) != 1 else ''}"] if ref.groups else []
    )
    return f"{ref.product or ref.sku_part_number} ({' + '.join(paths) or 'unknown path'})"


def flags_text(row: UserRow) -> str:
    flags = [
        ("Inactive", row.inactive and not row.never_active),
        ("Never active", row.never_active),
        ("Disabled with license", row.disabled_with_license),
        ("Duplicate path", row.duplicate_path),
        ("Overlap", row.overlap),
        ("Usage unknown", bool(row.skus) and not row.usage_known),
    ]
    return ", ".join(name for name, on in flags if on)


def user_display(row: UserRow, column: int) -> str:
    if column == UserColumn.NAME:
        return row.display_name
    if column == UserColumn.UPN:
        return row.user_principal_name
    if column == UserColumn.TENANT:
        return tenant_label(row.tenant_name or row.connection, row.simulated)
    if column == UserColumn.ENABLED:
        return formatting.yes_no(row.account_enabled)
    if column == UserColumn.TYPE:
        return row.user_type
    if column == UserColumn.LICENSES:
        return "; ".join(sku_text(ref) for ref in row.skus)
    if column == UserColumn.LAST_ACTIVITY:
        return formatting.day(row.last_activity) if row.usage_known else "Unknown"
    return flags_text(row)


class UsersModel(QAbstractTableModel):
    """Rows of the current query, a page at a time; sorting asks for the rows again.

    Signals:
        rows_requested(object): read this UserQuery's page (offset, limit) and call show_rows.
    """

    Column = UserColumn
    HEADERS = USER_HEADERS
    rows_requested = Signal(object)

    def __init__(self, parent: QObject | None = None, page_size: int = PAGE_SIZE) -> None:
        super().__init__(parent)
        self._page_size = page_size
        self._query = UserQuery(limit=page_size)  # the query shown
        self._wanted = self._query  # the query asked for last (shown once its rows come)
        self._total = 0
        self._pages: OrderedDict[int, list[UserRow]] = OrderedDict()
        self._requested: set[int] = set()  # pages of the shown query asked for, not yet here
        self._started = False  # the first query was asked for
        self._reset_pending = False

    @property
    def query(self) -> UserQuery:
        """The query asked for last (its rows may still be on their way)."""
        return self._wanted

    @property
    def total(self) -> int:
        return self._total

    @property
    def pending(self) -> bool:
        """A query was asked for whose first rows have not come yet."""
        return self._reset_pending

    def set_query(self, query: UserQuery) -> None:
        """Ask for `query` (filters and sort); its first page replaces the rows shown when it
        comes, other pages are asked for as they are looked at."""
        self._wanted = replace(query, offset=0, limit=self._page_size)
        self._started = True
        self._reset_pending = True
        self.rows_requested.emit(self._wanted)

    def refresh(self) -> None:
        self.set_query(self._wanted)

    def show_rows(self, query: UserQuery, rows: list[UserRow], total: int) -> None:
        """The rows of `query`'s page: the first page of the query asked for last replaces
        everything; another page of the query shown fills its rows; anything else is stale."""
        base = replace(query, offset=0)
        page_number = query.offset // self._page_size
        if self._reset_pending and base == self._wanted and page_number == 0:
            self.beginResetModel()
            self._query = base
            self._total = total
            self._pages = OrderedDict({0: rows})
            self._requested = set()
            self._reset_pending = False
            self.endResetModel()
        elif base == self._query and page_number in self._requested:
            self._requested.discard(page_number)
            self._pages[page_number] = rows
            while len(self._pages) > PAGES_KEPT:
                self._pages.popitem(last=False)
            first = page_number * self._page_size
            last = min(first + self._page_size, self._total) - 1
            if last >= first:
                self.dataChanged.emit(self.index(first, 0), self.index(last, len(UserColumn) - 1))

    def row_at(self, position: int) -> UserRow | None:
        """The row at `position`, or None while its page is being read (asked for here)."""
        page_number, offset = divmod(position, self._page_size)
        page = self._pages.get(page_number)
        if page is None:
            if page_number not in self._requested:
                self._requested.add(page_number)
                self.rows_requested.emit(replace(self._query, offset=page_number * self._page_size))
            return None
        self._pages.move_to_end(page_number)
        return page[offset] if offset < len(page) else None

    # Qt overrides

    def rowCount(self, parent: Index = _ROOT) -> int:
        return 0 if parent.isValid() else self._total

    def columnCount(self, parent: Index = _ROOT) -> int:
        return 0 if parent.isValid() else len(UserColumn)

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if (
            orientation == Qt.Orientation.Horizontal
            and role == Qt.ItemDataRole.DisplayRole
            and 0 <= section < len(UserColumn)
        ):
            return USER_HEADERS[UserColumn(section)]
        return None

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or index.row() >= self._total:
            return None
        row = self.row_at(index.row())
        if row is None:
            return None
        column = index.column()
        if role in (Qt.ItemDataRole.DisplayRole, SortRole):
            return user_display(row, column)
        if role == RowRole:
            return row
        if role == Qt.ItemDataRole.ForegroundRole:
            return self._foreground(row, column)
        if role == Qt.ItemDataRole.ToolTipRole and column == UserColumn.LICENSES:
            return "\n".join(sku_text(ref) for ref in row.skus) or None
        return None

    @staticmethod
    def _foreground(row: UserRow, column: int) -> QColor | None:
        if not row.account_enabled:
            return colour("muted")
        if column == UserColumn.FLAGS and (row.disabled_with_license or row.duplicate_path):
            return colour("warning")
        return None

    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        sort = SORT_BY_COLUMN.get(UserColumn(column)) if 0 <= column < len(UserColumn) else None
        if sort is None:
            return
        descending = order == Qt.SortOrder.DescendingOrder
        if (sort, descending) == (self._wanted.sort, self._wanted.descending):
            return
        query = replace(self._wanted, sort=sort, descending=descending)
        if self._started:
            self.set_query(query)
        else:
            self._query = self._wanted = query  # the restored arrow: the first load uses it
