"""Export the table the user is looking at to CSV (the rows as filtered)."""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, Slot

from desktop.csv_export import header_of, model_rows, write_rows
from desktop.jobs import Job, JobRunner
from desktop.notify import Notifier
from desktop.widgets.table_panel import TablePanel

if TYPE_CHECKING:
    from core.controller import Controller

CSV_FILTER = "CSV files (*.csv);;All files (*)"


def suggested_name(title: str, panel_name: str) -> str:
    slug = re.sub(r"[^a-z0-9]+", "-", f"{title} {panel_name}".casefold()).strip("-")
    parts = dict.fromkeys(slug.split("-"))  # drop repeated words, keep order
    return "licensedesk-" + "-".join(p for p in parts if p) + ".csv"


def export_data(controller: Controller, panel: TablePanel) -> tuple[list[str], Iterable[list[str]]]:
    """The header and cells a panel exports: its core table's data (spec §8: plain numbers, a
    currency column, ISO dates, a simulated column, no totals row), else the text shown."""
    if not panel.export_table:
        return header_of(panel.model), model_rows(panel.model)
    rows = panel.row_source() if panel.row_source is not None else panel.shown_row_objects()
    columns, cells = controller.csv_export(panel.export_table, rows)
    return list(columns), cells


class TableExporter(QObject):
    """Writes small tables at once; paged tables (users) stream on a worker thread."""

    def __init__(
        self,
        controller: Controller,
        jobs: JobRunner,
        notifier: Notifier,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self._controller = controller
        self._jobs = jobs
        self._notifier = notifier
        self.job: Job | None = None

    def export(self, panel: TablePanel, title: str) -> str | None:
        """Ask where, then write; returns the path chosen (None when cancelled)."""
        path = self._notifier.save_file_name(
            "Export as CSV", suggested_name(title, panel.name), CSV_FILTER
        )
        if not path:
            return None
        if not panel.export_table:  # the text shown, taken here from the model
            header, cells = export_data(self._controller, panel)
            call = functools.partial(_write, path, header, list(cells))
        else:  # the rows are taken here; their cells are made and written on a worker thread
            rows = panel.row_source() if panel.row_source is not None else panel.shown_row_objects()
            call = functools.partial(_export, self._controller, panel.export_table, rows, path)
        self._notifier.status("Exporting…", 0)
        self.job = self._jobs.run("export", call)
        self.job.succeeded.connect(self._on_export_succeeded)
        self.job.failed.connect(self._on_export_failed)
        self._path = path
        return path

    @Slot(object)
    def _on_export_succeeded(self, count: int) -> None:
        self._notifier.status(f"Exported {count:,} rows to {self._path}.")

    @Slot(object)
    def _on_export_failed(self, exc: BaseException) -> None:
        self._notifier.error_from("The export failed", exc)


def _write(path: str, header: list[str], rows: Iterable[list[str]], _token: object) -> int:
    return write_rows(path, header, rows)


def _export(
    controller: Controller, table: str, rows: Iterable[object], path: str, _token: object
) -> int:
    columns, cells = controller.csv_export(table, rows)
    return write_rows(path, list(columns), cells)
