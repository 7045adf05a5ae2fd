"""The window as a team client: it notices what other processes change (another analyst, a
worker, the command line) without user action, shows imports that workers run or have queued,
and queues Execute now for the workers when the settings say so."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from core.controller import Controller
from core.domain.imports import ImportProgress
from core.domain.licensing import LicenseStatus
from core.import_queue import ImportQueue
from core.imports.progress_record import ProgressRecorder
from core.paths import AppPaths
from core.secrets import SecretStore
from core.storage.db import Database
from core.storage.repositories import ImportRunRepository
from desktop.main_window import MainWindow
from desktop.models.connections_model import ConnectionColumn
from desktop.models.licenses_model import LicenseColumn
from tests.conftest import open_test_database
from tests.desktop.conftest import InlineExecutor, OpenWindow, settle

pytestmark = pytest.mark.gui
FAST_POLL_MS = 100


@pytest.fixture
def other_database(app_paths: AppPaths) -> Iterator[Database]:
    """The same data folder opened again, as another process would."""
    db = open_test_database(app_paths.database, backups_dir=app_paths.backups_dir)
    yield db
    db.close_thread_connection()


@pytest.fixture
def other(
    app_paths: AppPaths, other_database: Database, secret_store: SecretStore
) -> Iterator[Controller]:
    """A second controller on the same data folder: another analyst, the CLI or a worker."""
    built = Controller.assemble(
        paths=app_paths,
        database=other_database,
        secret_store=secret_store,
        executor=InlineExecutor(),
    )
    yield built
    built.close(timeout=5.0)


@pytest.fixture
def window(open_window: OpenWindow, imported: Controller) -> MainWindow:
    built = open_window(imported)
    built.watcher.timer.setInterval(FAST_POLL_MS)
    return built


def _status_cell(window: MainWindow, license_id: int) -> str:
    model = window.licenses.model
    position = model.position_of(license_id)
    assert position is not None
    return str(model.index(position, LicenseColumn.STATUS).data())


def _inventory_status(window: MainWindow) -> str:
    return str(window.inventory.model.index(0, ConnectionColumn.STATUS).data())


def test_a_status_change_by_another_process_shows_after_the_poll(
    qtbot: QtBot, window: MainWindow, other: Controller
) -> None:
    window.tabs.setCurrentWidget(window.licenses)
    settle(window)
    row = next(r for r in window.licenses.model.rows if not r.free)
    assert _status_cell(window, row.id) == LicenseStatus.ACTIVE.value
    qtbot.waitUntil(lambda: window.updated.text().startswith("Updated "), timeout=5000)
    updated = window.updated.text()

    other.set_license_status(row.id, LicenseStatus.IN_STOCK, "moved by a colleague")

    qtbot.waitUntil(
        lambda: _status_cell(window, row.id) == LicenseStatus.IN_STOCK.value, timeout=5000
    )
    qtbot.waitUntil(lambda: window.updated.text() != updated, timeout=5000)
    assert window.updated.text().startswith("Updated ")


def test_an_open_license_dialog_shows_a_status_another_process_set(
    qtbot: QtBot, window: MainWindow, other: Controller
) -> None:
    window.tabs.setCurrentWidget(window.licenses)
    settle(window)
    row = next(r for r in window.licenses.model.rows if not r.free)
    dialog = window.licenses.open_properties(row.id)
    settle(dialog)
    assert dialog.status.currentData() != LicenseStatus.IN_STOCK.value

    other.set_license_status(row.id, LicenseStatus.IN_STOCK, "spare, said a colleague")

    qtbot.waitUntil(
        lambda: dialog.detail is not None and dialog.detail.row.status is LicenseStatus.IN_STOCK,
        timeout=5000,
    )
    assert dialog.status.currentData() == LicenseStatus.IN_STOCK.value


def test_the_windows_own_change_is_not_read_again_as_a_change_by_others(
    qtbot: QtBot, window: MainWindow, monkeypatch: pytest.MonkeyPatch
) -> None:
    window.tabs.setCurrentWidget(window.licenses)
    settle(window)
    changes: list[bool] = []
    window.watcher.changed.connect(lambda: changes.append(True))
    row = next(r for r in window.licenses.model.rows if not r.free)
    dialog = window.licenses.open_properties(row.id)
    settle(dialog)
    dialog.status.setCurrentIndex(dialog.status.findData(LicenseStatus.IN_STOCK.value))
    dialog.reason.setText("spare")
    dialog.apply_status.click()
    settle(window)
    reads: list[object] = []
    window.watcher.read.connect(reads.append)
    qtbot.waitUntil(lambda: len(reads) >= 3, timeout=5000)

    assert changes == []
    assert _status_cell(window, row.id) == LicenseStatus.IN_STOCK.value


def test_an_import_a_worker_holds_shows_in_the_inventory(
    qtbot: QtBot, window: MainWindow, other: Controller, other_database: Database
) -> None:
    window.tabs.setCurrentWidget(window.inventory)
    settle(window)
    connection = other.list_connections()[0]

    other.queue_import(connection.id)
    qtbot.waitUntil(lambda: _inventory_status(window) == "Queued for the workers", timeout=5000)

    claim = other_database.claims.acquire(
        connection.id, name=connection.name, started_at=datetime.now(UTC)
    )
    try:
        ImportQueue(other_database).take(connection.id, "worker-7:4242")
        qtbot.waitUntil(
            lambda: _inventory_status(window) == "Importing on worker worker-7:4242",
            timeout=5000,
        )
        assert window.import_panel.workers.text() == "On workers: 1 importing"
        window.inventory.panel.view.selectRow(0)
        assert not window.inventory.execute_button.isEnabled()
        cell = window.inventory.model.index(0, ConnectionColumn.STATUS)
        assert cell.data(Qt.ItemDataRole.ToolTipRole).startswith("Importing on worker worker-7")
        assert not window.runner.running_ids()
    finally:
        claim.release()
    # The worker died without finishing: the request waits for the next worker.
    qtbot.waitUntil(lambda: _inventory_status(window) == "Queued for the workers", timeout=5000)
    qtbot.waitUntil(window.inventory.execute_button.isEnabled, timeout=5000)


def test_the_progress_of_a_workers_import_shows_in_the_inventory(
    qtbot: QtBot, window: MainWindow, other: Controller, other_database: Database
) -> None:
    window.tabs.setCurrentWidget(window.inventory)
    settle(window)
    connection = other.list_connections()[0]
    claim = other_database.claims.acquire(
        connection.id, name=connection.name, started_at=datetime.now(UTC)
    )
    conn = other_database.thread_connection()
    with other_database.transaction(conn):
        run_id = ImportRunRepository().start(conn, connection)
        conn.execute("UPDATE import_runs SET run_by = 'worker-7:4242' WHERE id = ?", (run_id,))
    recorder = ProgressRecorder(other_database, run_id, interval=0.02)
    try:
        recorder(ImportProgress(connection.id, "users", 30_000, None, "Read 30,000 users"))
        qtbot.waitUntil(
            lambda: (
                _inventory_status(window) == "Importing on worker worker-7:4242: Read 30,000 users"
            ),
            timeout=5000,
        )
        assert "Read 30,000 users" in window.import_panel.workers.toolTip()
    finally:
        recorder.close()
        claim.release()


def test_a_schedule_another_process_ran_meanwhile_is_not_run_again(
    window: MainWindow, imported: Controller
) -> None:
    """The window listed the connection as due; by the time it starts it, a worker has run
    it (here: the import the fixture made): it is not imported a second time."""
    connection = imported.list_connections()[0]
    runs_before = len(imported.import_history())

    window.runner._on_due_listed([connection.id])
    settle(window)

    assert not window.runner.running_ids()
    assert len(imported.import_history()) == runs_before


def test_with_imports_on_the_workers_the_window_runs_no_schedules(
    window: MainWindow, monkeypatch: pytest.MonkeyPatch
) -> None:
    started: list[bool] = []
    monkeypatch.setattr(window.runner, "start_due", lambda: started.append(True))
    window.inventory.imports_on_workers = True
    window._on_schedule_tick()
    assert started == []
    window.inventory.imports_on_workers = False
    window._on_schedule_tick()
    assert started == [True]


def test_execute_now_queues_for_the_workers_when_the_settings_say_so(
    qtbot: QtBot, window: MainWindow, imported: Controller
) -> None:
    general = window.settings_tab.general
    window.tabs.setCurrentWidget(window.settings_tab)
    settle(window)
    general.run_imports_on.setCurrentIndex(general.run_imports_on.findData("workers"))
    general.save_button.click()
    settle(window)
    assert imported.settings().imports_on_workers
    runs_before = len(imported.import_history())
    window.tabs.setCurrentWidget(window.inventory)
    settle(window)
    window.inventory.panel.view.selectRow(0)

    window.inventory.execute_button.click()
    settle(window)

    queued = imported.queued_imports(open_only=True)
    assert [q.connection_id for q in queued] == [window.inventory.model.rows[0].id]
    assert not window.runner.running_ids()
    assert len(imported.import_history()) == runs_before  # nothing imported here
    assert window.statusBar().currentMessage() == "Queued for the workers"
    qtbot.waitUntil(lambda: _inventory_status(window) == "Queued for the workers", timeout=5000)


def test_import_all_queues_every_connection_for_the_workers(
    qtbot: QtBot, window: MainWindow, imported: Controller
) -> None:
    imported.update_setting("run_imports_on", "workers")
    window.watcher.check_now()
    settle(window)

    window.import_all_action.trigger()
    settle(window)

    assert len(imported.queued_imports(open_only=True)) == len(imported.list_connections())
    assert not window.runner.running_ids()
    qtbot.waitUntil(lambda: window.import_panel.workers.text() == "On workers: 1 queued")


def test_a_status_set_with_the_command_line_shows_in_the_window(
    qtbot: QtBot, window: MainWindow
) -> None:
    window.tabs.setCurrentWidget(window.licenses)
    settle(window)
    row = next(r for r in window.licenses.model.rows if not r.free)
    cli = Path(sys.executable).with_name("licensedesk-cli")
    env = {**os.environ, "PYTHON_KEYRING_BACKEND": "keyring.backends.null.Keyring"}

    done = subprocess.run(
        [str(cli), "licenses", "set-status", str(row.id), "Retired", "--reason", "from the CLI"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )

    assert done.returncode == 0, done.stderr
    qtbot.waitUntil(
        lambda: _status_cell(window, row.id) == LicenseStatus.RETIRED.value, timeout=5000
    )
