"""A table as every tab shows it: search box, row count, extra tools and a fast view."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from typing import Any

from PySide6.QtCore import QAbstractItemModel, QModelIndex, Qt, Signal, Slot
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from desktop.models.base import RowRole
from desktop.models.proxy import SearchProxyModel


class TableView(QTableView):
    """A table view set up for speed: fixed row height, no per-row resizing, row selection."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.setAlternatingRowColors(True)
        self.setWordWrap(False)
        self.setSortingEnabled(True)
        self.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.setHorizontalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
        rows = self.verticalHeader()
        rows.setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
        rows.setDefaultSectionSize(self.fontMetrics().height() + 10)
        rows.hide()
        columns = self.horizontalHeader()
        columns.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        columns.setStretchLastSection(True)
        columns.setHighlightSections(False)
        columns.setSortIndicatorShown(True)
        columns.setDefaultAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)


class TablePanel(QWidget):
    """Signals:
    search_changed(str): the search text, for models that filter themselves (in SQL).
    row_activated(object): the row dataclass of a double-clicked or Enter-pressed row.
    selection_changed(): the selected rows changed.
    """

    search_changed = Signal(str)
    row_activated = Signal(object)
    selection_changed = Signal()

    def __init__(
        self,
        name: str,
        model: QAbstractItemModel,
        *,
        placeholder: str = "Search",
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.name = name
        self.model = model
        # Models that hold only some rows (paged in SQL) export through this instead.
        self.row_source: Callable[[], Iterator[list[str]]] | None = None
        self.search = QLineEdit(self)
        self.search.setPlaceholderText(placeholder)
        self.search.setClearButtonEnabled(True)
        self.search.setObjectName("searchBox")
        self.count_label = QLabel(self)
        self.count_label.setObjectName("countLabel")
        self.tools = QHBoxLayout()
        self.tools.setContentsMargins(0, 0, 0, 0)
        self.view = TableView(self)
        self.view.setModel(model)
        self._build_layout()
        self._connect()
        self._on_rows_changed()

    def _build_layout(self) -> None:
        top = QHBoxLayout()
        top.setContentsMargins(0, 0, 0, 0)
        top.addLayout(self.tools)
        top.addStretch(1)
        top.addWidget(self.count_label)
        top.addWidget(self.search)
        self.search.setMinimumWidth(260)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(top)
        layout.addWidget(self.view, 1)

    def _connect(self) -> None:
        self.search.textChanged.connect(self._on_search_edited)
        for signal in (
            self.model.modelReset,
            self.model.rowsInserted,
            self.model.rowsRemoved,
            self.model.layoutChanged,
        ):
            signal.connect(self._on_rows_changed)
        # `activated` alone: the view emits it for a double-click (or a single click where the
        # platform activates on single click) and for Enter. Connecting `doubleClicked` too
        # opened every dialog twice.
        self.view.activated.connect(self._on_activated)
        self.view.selectionModel().selectionChanged.connect(self._on_selection_changed)

    # Public

    def set_column_widths(self, widths: Mapping[int, int]) -> None:
        for column, width in widths.items():
            self.view.setColumnWidth(column, width)

    def selected_rows(self) -> list[Any]:
        indexes = self.view.selectionModel().selectedRows()
        return [i.data(RowRole) for i in sorted(indexes, key=QModelIndex.row)]

    def current_row(self) -> Any:
        selected = self.selected_rows()
        if selected:
            return selected[0]
        index = self.view.currentIndex()
        return index.data(RowRole) if index.isValid() else None

    def focus_search(self) -> None:
        self.search.setFocus(Qt.FocusReason.ShortcutFocusReason)
        self.search.selectAll()

    def total_rows(self) -> int:
        source = self.model.sourceModel() if isinstance(self.model, SearchProxyModel) else None
        return source.rowCount() if source is not None else self.model.rowCount()

    # Slots

    @Slot(str)
    def _on_search_edited(self, text: str) -> None:
        if isinstance(self.model, SearchProxyModel):
            self.model.set_search(text)
        self.search_changed.emit(text)

    @Slot()
    def _on_rows_changed(self) -> None:
        shown, total = self.model.rowCount(), self.total_rows()
        noun = "row" if total == 1 else "rows"
        text = f"{shown:,} {noun}" if shown == total else f"{shown:,} of {total:,} {noun}"
        self.count_label.setText(text)

    @Slot(QModelIndex)
    def _on_activated(self, index: QModelIndex) -> None:
        row = index.data(RowRole)
        if row is not None:
            self.row_activated.emit(row)

    @Slot()
    def _on_selection_changed(self) -> None:
        self.selection_changed.emit()
