"""The base of every table model: IntEnum columns, SortRole/RowRole and three ways to update."""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Mapping
from enum import IntEnum
from typing import Any, ClassVar, Generic, TypeVar

from PySide6.QtCore import (
    QAbstractTableModel,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    Qt,
)
from PySide6.QtGui import QColor, QFont, QIcon

SortRole = Qt.ItemDataRole.UserRole
RowRole = Qt.ItemDataRole.UserRole + 1

R = TypeVar("R")
Index = QModelIndex | QPersistentModelIndex
_ROOT = QModelIndex()  # the invalid index: the parent of every row
_DASH = "—"  # desktop.formatting.DASH: a value that is not there
_RIGHT = Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter


class RowTableModel(QAbstractTableModel, Generic[R]):
    """Rows are frozen core dataclasses; subclasses say how each column shows and sorts."""

    Column: ClassVar[type[IntEnum]]
    # Keyed by each model's IntEnum of columns (Mapping keys are invariant, hence Any).
    HEADERS: ClassVar[Mapping[Any, str]]
    NUMERIC: ClassVar[frozenset[int]] = frozenset()

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._rows: list[R] = []
        self._positions: dict[Hashable, int] = {}
        self._haystacks: list[str | None] = []

    # What subclasses provide

    def key(self, row: R) -> Hashable:
        raise NotImplementedError

    def display(self, row: R, column: int) -> str:
        raise NotImplementedError

    def sort_value(self, row: R, column: int) -> Any:
        return self.display(row, column)

    def foreground(self, row: R, column: int) -> QColor | None:
        return None

    def font(self, row: R, column: int) -> QFont | None:
        return None

    def tooltip(self, row: R, column: int) -> str | None:
        return None

    def decoration(self, row: R, column: int) -> QIcon | None:
        return None

    # Qt overrides

    def rowCount(self, parent: Index = _ROOT) -> int:
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: Index = _ROOT) -> int:
        return 0 if parent.isValid() else len(self.Column)

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if orientation != Qt.Orientation.Horizontal or not 0 <= section < len(self.Column):
            return None
        if role == Qt.ItemDataRole.DisplayRole:
            return self.HEADERS[section]
        if role == Qt.ItemDataRole.TextAlignmentRole and section in self.NUMERIC:
            return int(_RIGHT)
        return None

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or index.row() >= len(self._rows):
            return None
        row, column = self._rows[index.row()], index.column()
        if role == Qt.ItemDataRole.DisplayRole:
            return self.display(row, column)
        if role == SortRole:
            return self.sort_value(row, column)
        if role == RowRole:
            return row
        return self._decorating_data(row, column, role)

    def _decorating_data(self, row: R, column: int, role: int) -> Any:
        if role == Qt.ItemDataRole.TextAlignmentRole:
            return int(_RIGHT) if column in self.NUMERIC else None
        if role == Qt.ItemDataRole.ForegroundRole:
            return self.foreground(row, column)
        if role == Qt.ItemDataRole.FontRole:
            return self.font(row, column)
        if role == Qt.ItemDataRole.ToolTipRole:
            return self.tooltip(row, column)
        if role == Qt.ItemDataRole.DecorationRole:
            return self.decoration(row, column)
        if role == Qt.ItemDataRole.AccessibleTextRole:
            # A screen reader would say "em dash"; the cell means there is no value.
            return "no value" if self.display(row, column) == _DASH else None
        return None

    # Rows

    @property
    def rows(self) -> tuple[R, ...]:
        return tuple(self._rows)

    def row_at(self, position: int) -> R:
        return self._rows[position]

    def position_of(self, key: Hashable) -> int | None:
        return self._positions.get(key)

    def search_text(self, position: int) -> str:
        """Every column's text of one row, lower case, for the search box (cached)."""
        cached = self._haystacks[position]
        if cached is None:
            row = self._rows[position]
            cached = "\x1f".join(self.display(row, c) for c in range(len(self.Column))).casefold()
            self._haystacks[position] = cached
        return cached

    def replace_rows(self, rows: Iterable[R]) -> None:
        """Full reload (model reset)."""
        self.beginResetModel()
        self._rows = list(rows)
        self._positions = {self.key(r): i for i, r in enumerate(self._rows)}
        self._haystacks = [None] * len(self._rows)
        self.endResetModel()

    def append_rows(self, rows: Iterable[R]) -> None:
        """Add rows at the end, inserting only the new range (streaming loads)."""
        new = list(rows)
        if not new:
            return
        first = len(self._rows)
        self.beginInsertRows(QModelIndex(), first, first + len(new) - 1)
        self._rows.extend(new)
        self._haystacks.extend([None] * len(new))
        for offset, row in enumerate(new):
            self._positions[self.key(row)] = first + offset
        self.endInsertRows()

    def update_rows(self, changes: Mapping[Hashable, R]) -> None:
        """Replace rows by key and signal only the cells whose text or value changed;
        unknown keys are appended."""
        missing = []
        for key, new in changes.items():
            position = self._positions.get(key)
            if position is None:
                missing.append(new)
                continue
            old = self._rows[position]
            self._rows[position] = new
            self._haystacks[position] = None
            for column in range(len(self.Column)):
                if self._cell_changed(old, new, column):
                    cell = self.index(position, column)
                    self.dataChanged.emit(cell, cell)
        self.append_rows(missing)

    def _cell_changed(self, old: R, new: R, column: int) -> bool:
        return self.display(old, column) != self.display(new, column) or self.sort_value(
            old, column
        ) != self.sort_value(new, column)
