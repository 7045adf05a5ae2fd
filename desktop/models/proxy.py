"""Sorting and filtering of a RowTableModel by the text of the search box."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import (
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    QSortFilterProxyModel,
    Qt,
)

from desktop.models.base import RowRole, RowTableModel, SortRole

Index = QModelIndex | QPersistentModelIndex


class SearchProxyModel(QSortFilterProxyModel):
    """Keeps the rows whose text contains every word of the search, plus an optional row
    predicate (for example "hide retired"). Rows the `pinned` predicate picks (a totals row)
    stay at the bottom under any sort and are not counted as rows."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.setSortRole(SortRole)
        self._words: tuple[str, ...] = ()
        self._predicate: Callable[[Any], bool] | None = None
        self._pinned: Callable[[Any], bool] | None = None

    @property
    def search(self) -> str:
        return " ".join(self._words)

    def set_search(self, text: str) -> None:
        words = tuple(text.casefold().split())
        if words != self._words:
            self._begin_filter_change()
            self._words = words
            self._end_filter_change()

    def set_predicate(self, predicate: Callable[[Any], bool] | None) -> None:
        self._begin_filter_change()
        self._predicate = predicate
        self._end_filter_change()

    def set_pinned(self, pinned: Callable[[Any], bool] | None) -> None:
        """Keep the rows `pinned` picks last, whatever the sort (totals rows)."""
        self._pinned = pinned
        self.invalidate()

    def is_pinned(self, row: Any) -> bool:
        return self._pinned is not None and row is not None and self._pinned(row)

    def pinned_count(self) -> int:
        """How many shown rows are pinned (not counted as rows)."""
        if self._pinned is None:
            return 0
        return sum(1 for r in range(self.rowCount()) if self.is_pinned(self.row_at(r)))

    def source_pinned_count(self) -> int:
        model = self.sourceModel()
        if self._pinned is None or model is None:
            return 0
        rows = (model.index(r, 0).data(RowRole) for r in range(model.rowCount()))
        return sum(1 for row in rows if self.is_pinned(row))

    # Qt 6.10 replaced invalidateFilter() by a begin/end pair around the change.
    def _begin_filter_change(self) -> None:
        if hasattr(self, "beginFilterChange"):
            self.beginFilterChange()

    def _end_filter_change(self) -> None:
        if hasattr(self, "endFilterChange"):
            self.endFilterChange(QSortFilterProxyModel.Direction.Rows)
        else:
            self.invalidateFilter()

    def row_at(self, proxy_row: int) -> Any:
        """The row dataclass behind a proxy row (never use proxy rows as source rows)."""
        return self.index(proxy_row, 0).data(RowRole)

    def filterAcceptsRow(self, source_row: int, source_parent: Index) -> bool:
        model = self.sourceModel()
        if self._predicate is not None:
            row = model.index(source_row, 0, source_parent).data(RowRole)
            if not self._predicate(row):
                return False
        if not self._words:
            return True
        if isinstance(model, RowTableModel):
            haystack = model.search_text(source_row)
        else:
            columns = range(model.columnCount(source_parent))
            haystack = " ".join(
                str(model.index(source_row, c, source_parent).data() or "") for c in columns
            ).casefold()
        return all(word in haystack for word in self._words)

    def lessThan(self, left: Index, right: Index) -> bool:
        if self._pinned is not None:
            left_pinned = self.is_pinned(left.data(RowRole))
            right_pinned = self.is_pinned(right.data(RowRole))
            if left_pinned != right_pinned:
                # Descending order reverses lessThan, so a pinned row must then compare low.
                descending = self.sortOrder() == Qt.SortOrder.DescendingOrder
                return left_pinned == descending
        a, b = left.data(SortRole), right.data(SortRole)
        # None sorts first whatever the type of the others.
        if a is None or b is None:
            return a is None and b is not None
        try:
            return bool(a < b)
        except TypeError:
            return str(a) < str(b)
