"""A table as every tab shows it: search box, row count, extra tools and a fast view."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any

from PySide6.QtCore import (
    QAbstractItemModel,
    QItemSelection,
    QItemSelectionModel,
    QModelIndex,
    QPoint,
    QSortFilterProxyModel,
    Qt,
    Signal,
    Slot,
)
from PySide6.QtGui import QAction, QGuiApplication, QKeySequence
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QMenu,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from desktop.models.base import RowRole, RowTableModel
from desktop.models.proxy import SearchProxyModel
from desktop.resources import icon

ASCENDING = Qt.SortOrder.AscendingOrder


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
    export_requested(): the user asked to export this table (button or context menu).
    """

    search_changed = Signal(str)
    row_activated = Signal(object)
    selection_changed = Signal()
    export_requested = Signal()

    def __init__(
        self,
        name: str,
        model: QAbstractItemModel,
        *,
        placeholder: str = "Search",
        sort: tuple[int, Qt.SortOrder] | None = (0, ASCENDING),
        parent: QWidget | None = None,
    ) -> None:
        """`sort` is the initial sort (column, order); None when the rows come sorted by the
        model itself and the header shows its own indicator."""
        super().__init__(parent)
        self.name = name
        self.model = model
        # The core table its Export writes (core.exports: the same columns and values as
        # `licensedesk-cli … --format csv`); "" exports the text shown.
        self.export_table = ""
        # Models that hold only some rows (paged in SQL) export the rows this yields instead;
        # they are read on the exporter's worker thread.
        self.row_source: Callable[[], Iterable[Any]] | None = None
        self.search = QLineEdit(self)
        self.search.setPlaceholderText(placeholder)
        self.search.setClearButtonEnabled(True)
        self.search.setObjectName("searchBox")
        self.search.setAccessibleDescription("Shows only the rows that contain this text")
        self.count_label = QLabel(self)
        self.count_label.setObjectName("countLabel")
        self.tools = QHBoxLayout()
        self.tools.setContentsMargins(0, 0, 0, 0)
        self.export_button = QPushButton(icon("export"), "Export…", self)
        self.export_button.setToolTip("Export this table as CSV")
        self.export_button.hide()  # shown by whoever handles export_requested
        self.view = TableView(self)
        self.view.setModel(model)
        self.view.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        # Actions of the rows (Properties, Change status …) that tabs add for the context menu.
        self.row_actions: list[QAction] = []
        self.copy_action = QAction("Copy", self)
        self.copy_action.setShortcut(QKeySequence(QKeySequence.StandardKey.Copy))
        self.copy_action.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        self.view.addAction(self.copy_action)
        self.export_action = QAction(icon("export"), "Export…", self)
        self._exportable = False
        # The keys of the selected rows and of the current row while the model resets (a
        # reload): the rows come back selected, so a reload by the 5 s poll after someone
        # else's change does not take the user's selection away.
        self._kept_selection: tuple[list[Any], Any] | None = None
        self.set_accessible_title(placeholder.removeprefix("Search ").strip() or name)
        self._build_layout()
        self._connect()
        if sort is not None:
            self.sort_by(*sort)
        self.fit_headers()
        self._on_rows_changed()

    def _build_layout(self) -> None:
        top = QHBoxLayout()
        top.setContentsMargins(0, 0, 0, 0)
        top.addLayout(self.tools)
        top.addStretch(1)
        top.addWidget(self.count_label)
        top.addWidget(self.search)
        top.addWidget(self.export_button)
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
        self.model.modelAboutToBeReset.connect(self._on_about_to_reset)
        self.model.modelReset.connect(self._on_reset)
        # `activated` alone: the view emits it for a double-click (or a single click where the
        # platform activates on single click) and for Enter. Connecting `doubleClicked` too
        # opened every dialog twice.
        self.view.activated.connect(self._on_activated)
        self.view.selectionModel().selectionChanged.connect(self._on_selection_changed)
        self.view.customContextMenuRequested.connect(self._on_context_menu_requested)
        self.copy_action.triggered.connect(self._on_copy_triggered)
        self.export_action.triggered.connect(self.export_requested)
        self.export_button.clicked.connect(self.export_requested)

    # Public

    def set_accessible_title(self, title: str) -> None:
        """What a screen reader calls the table and its search box ("Licenses")."""
        title = title[:1].upper() + title[1:].replace("-", " ")
        self.view.setAccessibleName(f"{title} table")
        self.search.setAccessibleName(f"Search {title.lower()}")

    def set_column_widths(self, widths: Mapping[int, int]) -> None:
        for column, width in widths.items():
            self.view.setColumnWidth(column, width)
        self.fit_headers()

    def header_width(self, column: int) -> int:
        """The width a column needs to show its whole header label and the sort arrow."""
        return int(self.view.horizontalHeader().sectionSizeFromContents(column).width())

    def fit_headers(self) -> None:
        """Widen every column whose header label would be cut off (a label always fits)."""
        header = self.view.horizontalHeader()
        for column in range(header.count()):
            needed = self.header_width(column)
            if header.sectionSize(column) < needed:
                header.resizeSection(column, needed)

    def fit_contents(self) -> None:
        """Size each column to its header and cells (small tables: a handful of rows)."""
        self.view.resizeColumnsToContents()
        self.fit_headers()

    def sort_by(self, column: int, order: Qt.SortOrder = ASCENDING) -> None:
        """Sort the rows and set the header's arrow to match."""
        self.view.sortByColumn(column, order)

    def reapply_sort(self) -> None:
        """Sort by what the header shows (after its state was restored from the layout)."""
        header = self.view.horizontalHeader()
        if header.sortIndicatorSection() >= 0:
            self.view.sortByColumn(header.sortIndicatorSection(), header.sortIndicatorOrder())
        self.fit_headers()  # widths saved by an older version may cut labels off

    def enable_export(self) -> None:
        self.export_button.show()
        self._exportable = True

    def add_row_action(self, action: QAction) -> None:
        """Offer `action` in the context menu of the rows (it reads the selection itself)."""
        self.row_actions.append(action)

    def build_context_menu(self) -> QMenu:
        menu = QMenu(self)
        for action in self.row_actions:
            menu.addAction(action)
        if self.row_actions:
            menu.addSeparator()
        self.copy_action.setEnabled(bool(self.view.selectionModel().selectedRows()))
        menu.addAction(self.copy_action)
        if self._exportable:
            menu.addAction(self.export_action)
        return menu

    def copied_text(self) -> str:
        """The selected rows as tab-separated text, with the header line, as shown."""
        model = self.model
        columns = [c for c in range(model.columnCount()) if not self.view.isColumnHidden(c)]
        header = [str(model.headerData(c, Qt.Orientation.Horizontal) or "") for c in columns]
        rows = sorted({i.row() for i in self.view.selectionModel().selectedRows()})
        lines = ["\t".join(header)]
        for row in rows:
            lines.append("\t".join(str(model.index(row, c).data() or "") for c in columns))
        return "\n".join(lines) + "\n"

    def selected_rows(self) -> list[Any]:
        indexes = self.view.selectionModel().selectedRows()
        return [i.data(RowRole) for i in sorted(indexes, key=QModelIndex.row)]

    def current_row(self) -> Any:
        selected = self.selected_rows()
        if selected:
            return selected[0]
        index = self.view.currentIndex()
        return index.data(RowRole) if index.isValid() else None

    def shown_row_objects(self) -> list[Any]:
        """The row dataclasses as shown (filtered and sorted), without the totals row."""
        model = self.model
        rows = [model.index(r, 0).data(RowRole) for r in range(model.rowCount())]
        if isinstance(model, SearchProxyModel):
            rows = [r for r in rows if not model.is_pinned(r)]
        return [r for r in rows if r is not None]

    def focus_search(self) -> None:
        self.search.setFocus(Qt.FocusReason.ShortcutFocusReason)
        self.search.selectAll()

    def total_rows(self) -> int:
        """Rows in the table, whatever the filter; a totals row is not a row."""
        if isinstance(self.model, SearchProxyModel):
            source = self.model.sourceModel()
            if source is not None:
                return source.rowCount() - self.model.source_pinned_count()
        return self.model.rowCount()

    def shown_rows(self) -> int:
        pinned = self.model.pinned_count() if isinstance(self.model, SearchProxyModel) else 0
        return self.model.rowCount() - pinned

    # Slots

    @Slot(str)
    def _on_search_edited(self, text: str) -> None:
        if isinstance(self.model, SearchProxyModel):
            self.model.set_search(text)
        self.search_changed.emit(text)

    @Slot()
    def _on_rows_changed(self) -> None:
        shown, total = self.shown_rows(), self.total_rows()
        noun = "row" if total == 1 else "rows"
        text = f"{shown:,} {noun}" if shown == total else f"{shown:,} of {total:,} {noun}"
        self.count_label.setText(text)

    def _keyed_source(self) -> tuple[RowTableModel[Any], QSortFilterProxyModel | None] | None:
        """The row model under the view (and the proxy between), when its rows have keys."""
        model = self.model
        if isinstance(model, QSortFilterProxyModel):
            source = model.sourceModel()
            return (source, model) if isinstance(source, RowTableModel) else None
        return (model, None) if isinstance(model, RowTableModel) else None

    @Slot()
    def _on_about_to_reset(self) -> None:
        keyed = self._keyed_source()
        if keyed is None:
            return
        source = keyed[0]
        selected = [source.key(row) for row in self.selected_rows() if row is not None]
        current = self.view.currentIndex().data(RowRole)
        self._kept_selection = (selected, None if current is None else source.key(current))

    @Slot()
    def _on_reset(self) -> None:
        kept, self._kept_selection = self._kept_selection, None
        keyed = self._keyed_source()
        if kept is None or keyed is None:
            return
        source, proxy = keyed
        selected_keys, current_key = kept

        def shown(key: Any) -> QModelIndex:
            position = source.position_of(key)
            if position is None:
                return QModelIndex()
            index = source.index(position, 0)
            return proxy.mapFromSource(index) if proxy is not None else index

        selection = QItemSelection()
        for key in selected_keys:
            index = shown(key)
            if index.isValid():
                selection.select(index, index)
        flags = QItemSelectionModel.SelectionFlag
        selection_model = self.view.selectionModel()
        current = shown(current_key) if current_key is not None else QModelIndex()
        if current.isValid():
            selection_model.setCurrentIndex(current, flags.NoUpdate)
        if not selection.isEmpty():
            selection_model.select(selection, flags.ClearAndSelect | flags.Rows)
        elif selected_keys:
            # The rows went away: the reset cleared the selection without a signal.
            self.selection_changed.emit()

    @Slot(QModelIndex)
    def _on_activated(self, index: QModelIndex) -> None:
        row = index.data(RowRole)
        if row is not None:
            self.row_activated.emit(row)

    @Slot()
    def _on_selection_changed(self) -> None:
        self.selection_changed.emit()

    @Slot(QPoint)
    def _on_context_menu_requested(self, pos: QPoint) -> None:
        index = self.view.indexAt(pos)
        selection = self.view.selectionModel()
        if index.isValid() and not selection.isRowSelected(index.row(), QModelIndex()):
            self.view.selectRow(index.row())
        menu = self.build_context_menu()
        menu.popup(self.view.viewport().mapToGlobal(pos))

    @Slot()
    def _on_copy_triggered(self) -> None:
        if self.view.selectionModel().selectedRows():
            QGuiApplication.clipboard().setText(self.copied_text())
