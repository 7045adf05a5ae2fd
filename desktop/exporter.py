"""Export the table the user is looking at to CSV (the rows as filtered)."""

from __future__ import annotations

import functools
import re
from collections.abc import Iterator

from PySide6.QtCore import QObject, Slot

from desktop.csv_export import header_of, write_csv, write_rows
from desktop.jobs import Job, JobRunner
from desktop.notify import Notifier
from desktop.widgets.table_panel import TablePanel

CSV_FILTER = "CSV files (*.csv);;All files (*)"


def suggested_name(title: str, panel_name: str) -> str:
    slug = re.sub(r"[^a-z0-9]+", "-", f"{title} {panel_name}".casefold()).strip("-")
    parts = dict.fromkeys(slug.split("-"))  # drop repeated words, keep order
    return "licensedesk-" + "-".join(p for p in parts if p) + ".csv"


class TableExporter(QObject):
    """Writes small tables at once; paged tables (users) stream on a worker thread."""

    def __init__(self, jobs: JobRunner, notifier: Notifier, parent: QObject | None = None):
        super().__init__(parent)
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
        if panel.row_source is None:
            count = write_csv(panel.model, path)
            self._notifier.status(f"Exported {count:,} rows to {path}.")
            return path
        call = functools.partial(_write, path, header_of(panel.model), panel.row_source())
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


def _write(path: str, header: list[str], rows: Iterator[list[str]], _token: object) -> int:
    return write_rows(path, header, rows)
