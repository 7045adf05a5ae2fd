"""Import history: every run with its counts, warnings and error; details one click away."""

from __future__ import annotations

import html
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt, Slot
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QSplitter, QVBoxLayout, QWidget

from core.domain.connection import tenant_label
from core.domain.imports import ImportRun, ImportStatus
from desktop import formatting
from desktop.jobs import Job, JobRunner, LatestJob
from desktop.models.history_model import HistoryColumn, HistoryModel, counts_kept
from desktop.models.proxy import SearchProxyModel
from desktop.notify import describe_error
from desktop.widgets.inline_message import InlineMessage
from desktop.widgets.table_panel import TablePanel

if TYPE_CHECKING:
    from core.controller import Controller


def run_summary(run: ImportRun) -> tuple[str, str, str]:
    """(level, html, technical detail) describing one run."""
    counts = run.counts
    name = html.escape(tenant_label(run.connection_name, run.simulated))
    head = (
        f"<b>{name}</b>, started {formatting.when(run.started_at)}, "
        f"took {formatting.duration(run.duration_s)}"
    )
    if counts_kept(run):
        head += (
            f": {counts.skus:,} SKUs, {counts.users:,} users "
            f"({counts.licensed_users:,} licensed), {counts.report_rows:,} report rows."
        )
    elif run.status is ImportStatus.RUNNING:
        head += ": still running."
    else:
        what = "failed" if run.status is ImportStatus.FAILED else "was cancelled"
        head += (
            f": it {what}, so nothing from it was kept; the data shown is from the last "
            "successful import."
        )
    lines = [head]
    if run.error:
        lines.append(f"Error: {html.escape(run.error)}")
    lines += [f"Warning: {html.escape(w)}" for w in run.warnings]
    level = {
        ImportStatus.FAILED: "error",
        ImportStatus.INTERRUPTED: "error",
        ImportStatus.SUCCEEDED_WITH_WARNINGS: "warning",
        ImportStatus.SUCCEEDED: "ok",
    }.get(run.status, "info")
    return level, "<br>".join(lines), run.error_detail or ""


class HistoryTab(QWidget):
    def __init__(
        self, controller: Controller, jobs: JobRunner, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self._controller = controller
        self.loader = LatestJob(jobs, "load history", self)
        self.loader.succeeded.connect(self._on_loaded)
        self.loader.failed.connect(self._on_load_failed)
        self.model = HistoryModel(self)
        proxy = SearchProxyModel(self)
        proxy.setSourceModel(self.model)
        self.panel = TablePanel(
            "history",
            proxy,
            placeholder="Search runs",
            sort=(HistoryColumn.STARTED, Qt.SortOrder.DescendingOrder),
        )
        self.panel.set_column_widths(
            {
                HistoryColumn.STARTED: 130,
                HistoryColumn.CONNECTION: 180,
                HistoryColumn.STATUS: 190,
                HistoryColumn.DURATION: 80,
                HistoryColumn.RUN_ON: 110,
                HistoryColumn.SKUS: 60,
                HistoryColumn.USERS: 75,
                HistoryColumn.LICENSED_USERS: 115,
                HistoryColumn.WARNINGS: 85,
            }
        )
        self.panel.export_table = "history"
        self.detail = InlineMessage(self)
        self.panel.selection_changed.connect(self._on_selection_changed)
        self.panel.row_activated.connect(self._on_row_activated)
        self.details_action = QAction("Show details", self)
        self.details_action.triggered.connect(self._on_details_requested)
        self.panel.add_row_action(self.details_action)
        split = QSplitter(Qt.Orientation.Vertical, self)
        split.addWidget(self.panel)
        holder = QWidget()
        holder_layout = QVBoxLayout(holder)
        holder_layout.setContentsMargins(0, 0, 0, 0)
        holder_layout.addWidget(self.detail)
        holder_layout.addStretch(1)
        split.addWidget(holder)
        split.setStretchFactor(0, 4)
        split.setStretchFactor(1, 1)
        split.setSizes([520, 200])
        layout = QVBoxLayout(self)
        layout.addWidget(split)

    def panels(self) -> list[TablePanel]:
        return [self.panel]

    def reload(self) -> Job:
        """Read the runs on a worker thread; the last ones stay shown meanwhile."""
        return self.loader.run(self._read_history)

    def _read_history(self, _token: object) -> list[ImportRun]:
        return self._controller.import_history()

    @Slot(object)
    def _on_loaded(self, runs: list[ImportRun]) -> None:
        self.model.replace_rows(runs)

    @Slot(object)
    def _on_load_failed(self, exc: BaseException) -> None:
        message, detail = describe_error(exc)
        self.detail.show_message(
            "error", f"Could not read the import history: {html.escape(message)}", detail
        )

    def show_run(self, run: ImportRun) -> None:
        level, text, detail = run_summary(run)
        self.detail.show_message(level, text, detail)

    @Slot()
    def _on_selection_changed(self) -> None:
        run = self.panel.current_row()
        if isinstance(run, ImportRun):
            self.show_run(run)
        else:
            self.detail.clear()

    @Slot()
    def _on_details_requested(self) -> None:
        run = self.panel.current_row()
        if isinstance(run, ImportRun):
            self._on_row_activated(run)

    @Slot(object)
    def _on_row_activated(self, run: ImportRun) -> None:
        self.show_run(run)
        self.detail.details_button.setChecked(bool(run.error_detail))
