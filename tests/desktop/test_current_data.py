"""History and status say which data is current: a failed or cancelled run shows no counts
and does not replace the last (successful) import of the data still shown (spec §4, §8)."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt

from core.controller import Controller
from core.domain.imports import ImportCounts, ImportRun, ImportStatus
from core.storage.db import Database
from core.storage.repositories import ImportRunRepository
from desktop import formatting
from desktop.main_window import MainWindow
from desktop.models.base import RowRole
from desktop.models.connections_model import ConnectionColumn
from desktop.models.history_model import HistoryColumn
from desktop.tabs.history_tab import run_summary
from tests.desktop.conftest import OpenWindow, settle

pytestmark = pytest.mark.gui


def _record_run(controller: Controller, database: Database, status: ImportStatus) -> None:
    """A later run that ended badly after reading part of the tenant."""
    connection = controller.list_connections()[0]
    runs = ImportRunRepository()
    with database.transaction(database.thread_connection()) as conn:
        run_id = runs.start(conn, connection)
        runs.finish(
            conn, run_id, status=status, counts=ImportCounts(3, 1, 100, 50, 0), warnings=[],
            error="The tenant could not be reached." if status is ImportStatus.FAILED else None,
        )  # fmt: skip


@pytest.fixture
def window(imported: Controller, open_window: OpenWindow) -> MainWindow:
    built = open_window(imported)
    return built


def _success_time(controller: Controller) -> str:
    run = next(r for r in controller.import_history() if r.status is ImportStatus.SUCCEEDED)
    return formatting.when(run.started_at)


@pytest.mark.parametrize(
    ("status", "word"), [(ImportStatus.FAILED, "failed"), (ImportStatus.CANCELLED, "cancelled")]
)
def test_a_bad_run_keeps_the_last_import_of_the_data_shown(
    window: MainWindow, imported: Controller, database: Database, status: ImportStatus, word: str
) -> None:
    success = _success_time(imported)
    _record_run(imported, database, status)
    inventory = window.inventory
    inventory.reload()
    settle(inventory)
    model = inventory.model
    assert model.index(0, ConnectionColumn.LAST_IMPORT).data() == success
    status_text = model.index(0, ConnectionColumn.STATUS).data()
    assert status_text.startswith(status.value.capitalize() + " ")  # "Failed 2026-…"
    tip = model.index(0, ConnectionColumn.LAST_IMPORT).data(Qt.ItemDataRole.ToolTipRole)
    assert f"from the import of {success}" in tip and word in tip
    window.update_data_age()
    settle(window)
    assert window.data_age.text().startswith(f"Data imported {success}")
    assert word in window.data_age.text()


def test_a_bad_run_shows_no_counts_in_history(
    window: MainWindow, imported: Controller, database: Database
) -> None:
    _record_run(imported, database, ImportStatus.FAILED)
    history = window.history
    history.reload()
    settle(history)
    model = history.panel.model
    runs: list[ImportRun] = [model.index(r, 0).data(RowRole) for r in range(model.rowCount())]
    bad = next(r for r, run in enumerate(runs) if run.status is ImportStatus.FAILED)
    good = next(r for r, run in enumerate(runs) if run.status is ImportStatus.SUCCEEDED)
    for column in (HistoryColumn.SKUS, HistoryColumn.USERS, HistoryColumn.LICENSED_USERS,
                   HistoryColumn.REPORT_ROWS):  # fmt: skip
        assert model.index(bad, column).data() == formatting.DASH
        assert model.index(good, column).data() != formatting.DASH
    _level, text, _detail = run_summary(runs[bad])
    assert "100 users" not in text and "nothing from it was kept" in text
