"""Users: every imported user with licenses, last activity and flags, paged in SQL."""

from __future__ import annotations

import functools
import html
from dataclasses import replace
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt, QTimer, Slot
from PySide6.QtWidgets import QComboBox, QVBoxLayout, QWidget

from core.domain.connection import Connection
from core.domain.licensing import UserFlag, UserQuery, UserRow
from desktop.jobs import Job, JobRunner, LatestJob
from desktop.models.users_model import UserColumn, UsersModel
from desktop.notify import describe_error
from desktop.widgets.inline_message import InlineMessage
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
    """The search box, tenant and flag filters become a UserQuery run in SQL on a worker
    thread; the rows shown stay until the new ones come."""

    def __init__(
        self, controller: Controller, jobs: JobRunner, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self._controller = controller
        self._jobs = jobs
        # First pages of a query: only the newest counts. Later pages: each its own job.
        self.loader = LatestJob(jobs, "load users", self)
        self.loader.succeeded.connect(self._on_rows_read)
        self.loader.failed.connect(self._on_read_failed)
        self.tenant_loader = LatestJob(jobs, "load tenants", self)
        self.tenant_loader.succeeded.connect(self._on_tenants_read)
        self.tenant_loader.failed.connect(self._on_read_failed)
        self.message = InlineMessage(self)
        self.model = UsersModel(self)
        self.model.rows_requested.connect(self._on_rows_requested)
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
        layout.addWidget(self.message)
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

    def reload(self) -> Job:
        """Read the tenants and the current query's first rows on worker threads."""
        self.tenant_loader.run(functools.partial(_read_tenants, self._controller))
        self.model.set_query(self.query())
        assert self.loader.job is not None
        return self.loader.job

    @Slot(object)
    def _on_tenants_read(self, connections: list[Connection]) -> None:
        current = self.tenant.currentData()
        self.tenant.blockSignals(True)
        self.tenant.clear()
        self.tenant.addItem("All tenants", "")
        for connection in connections:
            self.tenant.addItem(connection.display_name, connection.name)
        self.tenant.setCurrentIndex(max(0, self.tenant.findData(current)))
        self.tenant.blockSignals(False)

    @Slot(object)
    def _on_rows_requested(self, query: UserQuery) -> None:
        call = functools.partial(_read_rows, self._controller, query)
        if query.offset == 0:
            self.loader.run(call)
        else:
            job = self._jobs.run("load users page", call)
            job.succeeded.connect(self._on_rows_read)
            job.failed.connect(self._on_read_failed)

    @Slot(object)
    def _on_rows_read(self, result: tuple[UserQuery, list[UserRow], int]) -> None:
        if self.message.level == "error":
            self.message.clear()
        self.model.show_rows(*result)

    @Slot(object)
    def _on_read_failed(self, exc: BaseException) -> None:
        message, detail = describe_error(exc)
        self.message.show_message(
            "error", f"Could not read the users: {html.escape(message)}", detail
        )

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


def _read_tenants(controller: Controller, _token: object) -> list[Connection]:
    return controller.list_connections()


def _read_rows(
    controller: Controller, query: UserQuery, _token: object
) -> tuple[UserQuery, list[UserRow], int]:
    rows, total = controller.user_page(query)
    return query, rows, total
