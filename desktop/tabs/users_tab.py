"""Users: every imported user with licenses, last activity and flags, paged in SQL."""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt, QTimer, Slot
from PySide6.QtWidgets import QComboBox, QVBoxLayout, QWidget

from core.domain.licensing import UserFlag, UserQuery, UserRow
from desktop.models.users_model import UserColumn, UsersModel
from desktop.widgets.table_panel import TablePanel

if TYPE_CHECKING:
    from collections.abc import Iterator

    from core.controller import Controller

FLAG_CHOICES = (
    ("All users", None),
    ("Licensed", UserFlag.LICENSED),
    ("Unlicensed", UserFlag.UNLICENSED),
    ("Inactive", UserFlag.INACTIVE),
    ("Never active", UserFlag.NEVER_ACTIVE),
    ("Disabled with a license", UserFlag.DISABLED_WITH_LICENSE),
    ("Duplicate assignment path", UserFlag.DUPLICATE_PATH),
    ("Overlap (also holds a suite with it)", UserFlag.OVERLAP),
    ("Usage unknown", UserFlag.USAGE_UNKNOWN),
)


class UsersTab(QWidget):
    """The search box, tenant and flag filters become a UserQuery run in SQL."""

    def __init__(self, controller: Controller, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._controller = controller
        self.model = UsersModel(controller.user_page, self)
        self.panel = TablePanel("users", self.model, placeholder="Search name or UPN")
        self.panel.set_column_widths(
            {
                UserColumn.NAME: 180,
                UserColumn.UPN: 250,
                UserColumn.TENANT: 150,
                UserColumn.ENABLED: 65,
                UserColumn.TYPE: 70,
                UserColumn.LICENSES: 270,
                UserColumn.LAST_ACTIVITY: 100,
            }
        )
        self.panel.view.horizontalHeader().setSortIndicator(
            UserColumn.NAME, Qt.SortOrder.AscendingOrder
        )
        self.panel.export_table = "users"
        self.panel.row_source = self.export_rows
        self.tenant = QComboBox(self)
        self.tenant.addItem("All tenants", "")
        self.flag = QComboBox(self)
        for label, flag in FLAG_CHOICES:
            self.flag.addItem(label, flag.value if flag else "")
        self.tenant.setAccessibleName("Tenant filter")
        self.flag.setAccessibleName("Which users")
        self.panel.tools.addWidget(self.tenant)
        self.panel.tools.addWidget(self.flag)
        # Keystrokes arriving together run one query: the timer fires when the loop is idle.
        self._requery = QTimer(self)
        self._requery.setSingleShot(True)
        self._requery.setInterval(0)
        self._requery.timeout.connect(self._on_requery_due)
        self.panel.search_changed.connect(self._on_filter_changed)
        self.tenant.currentIndexChanged.connect(self._on_filter_changed)
        self.flag.currentIndexChanged.connect(self._on_filter_changed)
        layout = QVBoxLayout(self)
        layout.addWidget(self.panel)

    def panels(self) -> list[TablePanel]:
        return [self.panel]

    def query(self) -> UserQuery:
        flag = self.flag.currentData()
        return replace(
            self.model.query,
            search=self.panel.search.text().strip(),
            tenant=str(self.tenant.currentData() or ""),
            flag=UserFlag(flag) if flag else None,
        )

    def reload(self) -> None:
        self._fill_tenants()
        self.model.set_query(self.query())

    def _fill_tenants(self) -> None:
        current = self.tenant.currentData()
        self.tenant.blockSignals(True)
        self.tenant.clear()
        self.tenant.addItem("All tenants", "")
        for connection in self._controller.list_connections():
            self.tenant.addItem(connection.display_name, connection.name)
        self.tenant.setCurrentIndex(max(0, self.tenant.findData(current)))
        self.tenant.blockSignals(False)

    def export_rows(self) -> Iterator[UserRow]:
        """Every user of the current filter (not only the loaded pages).

        The query is read here, in the GUI thread; the rows are read where they are iterated
        (the exporter's worker thread, on a database connection of its own).
        """
        return self._controller.iter_user_rows(self.query())

    @Slot()
    def _on_filter_changed(self) -> None:
        self._requery.start()

    @Slot()
    def _on_requery_due(self) -> None:
        self.model.set_query(self.query())
