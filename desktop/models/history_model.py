"""The Import history table (spec §4): one row per run with counts, warnings and the error."""

from __future__ import annotations

from collections.abc import Hashable
from enum import IntEnum
from typing import Any

from PySide6.QtGui import QColor, QIcon

from core.domain.connection import tenant_label
from core.domain.imports import ImportRun, ImportStatus
from desktop import formatting
from desktop.models.base import RowTableModel
from desktop.models.connections_model import STATUS_ICON, STATUS_TEXT
from desktop.resources import colour, icon


class HistoryColumn(IntEnum):
    STARTED = 0
    CONNECTION = 1
    STATUS = 2
    DURATION = 3
    RUN_ON = 4
    SKUS = 5
    USERS = 6
    LICENSED_USERS = 7
    REPORT_ROWS = 8
    WARNINGS = 9
    PROBLEM = 10


HISTORY_HEADERS = {
    HistoryColumn.STARTED: "Started",
    HistoryColumn.CONNECTION: "Connection",
    HistoryColumn.STATUS: "Status",
    HistoryColumn.DURATION: "Duration",
    HistoryColumn.RUN_ON: "Run on",
    HistoryColumn.SKUS: "SKUs",
    HistoryColumn.USERS: "Users",
    HistoryColumn.LICENSED_USERS: "Licensed users",
    HistoryColumn.REPORT_ROWS: "Report rows",
    HistoryColumn.WARNINGS: "Warnings",
    HistoryColumn.PROBLEM: "Error or first warning",
}
_COUNTS = {
    HistoryColumn.SKUS: "skus",
    HistoryColumn.USERS: "users",
    HistoryColumn.LICENSED_USERS: "licensed_users",
    HistoryColumn.REPORT_ROWS: "report_rows",
}


KEPT = frozenset({ImportStatus.SUCCEEDED, ImportStatus.SUCCEEDED_WITH_WARNINGS})


def counts_kept(run: ImportRun) -> bool:
    """A failed, cancelled or running import kept nothing: its counts mean nothing."""
    return run.status in KEPT


def problem_text(run: ImportRun) -> str:
    if run.error:
        return run.error
    return run.warnings[0] if run.warnings else ""


class HistoryModel(RowTableModel[ImportRun]):
    Column = HistoryColumn
    HEADERS = HISTORY_HEADERS
    NUMERIC = frozenset({*_COUNTS, HistoryColumn.DURATION, HistoryColumn.WARNINGS})

    def key(self, row: ImportRun) -> Hashable:
        return row.id

    def display(self, row: ImportRun, column: int) -> str:
        if column in _COUNTS:
            if not counts_kept(row):
                return formatting.DASH
            return formatting.count(getattr(row.counts, _COUNTS[HistoryColumn(column)]))
        if column == HistoryColumn.STARTED:
            return formatting.when(row.started_at)
        if column == HistoryColumn.CONNECTION:
            return tenant_label(row.connection_name, row.simulated)
        if column == HistoryColumn.STATUS:
            return STATUS_TEXT[row.status]
        if column == HistoryColumn.DURATION:
            return formatting.duration(row.duration_s)
        if column == HistoryColumn.WARNINGS:
            return formatting.count(len(row.warnings))
        if column == HistoryColumn.RUN_ON:
            return row.run_on or formatting.DASH
        return problem_text(row)

    def sort_value(self, row: ImportRun, column: int) -> Any:
        if column in _COUNTS:
            if not counts_kept(row):
                return None  # sorts below every count
            return getattr(row.counts, _COUNTS[HistoryColumn(column)])
        if column == HistoryColumn.STARTED:
            return row.started_at.timestamp()
        if column == HistoryColumn.DURATION:
            return row.duration_s
        if column == HistoryColumn.WARNINGS:
            return len(row.warnings)
        return self.display(row, column).casefold()

    def decoration(self, row: ImportRun, column: int) -> QIcon | None:
        if column == HistoryColumn.STATUS:
            return icon(STATUS_ICON[row.status])
        return None

    def foreground(self, row: ImportRun, column: int) -> QColor | None:
        if column == HistoryColumn.PROBLEM:
            if row.status is ImportStatus.FAILED:
                return colour("negative")
            if row.warnings:
                return colour("warning")
        return None

    def tooltip(self, row: ImportRun, column: int) -> str | None:
        if column in _COUNTS and not counts_kept(row):
            return "Nothing was kept from this run; the data shown is from an earlier import."
        if column == HistoryColumn.PROBLEM and (row.error or row.warnings):
            return "Double-click for the details."
        if column == HistoryColumn.RUN_ON and row.run_by:
            return f"Run by process {row.run_by} (host:process id)"
        return None
