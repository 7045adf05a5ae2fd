"""The whole path a user takes: create a connection in the dialog, test it, import it, and see
licenses and users in the tables; plus the main window's lazy loading and CSV export."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from PySide6.QtCore import QSettings, Qt
from pytestqt.qtbot import QtBot

from core.controller import Controller
from core.domain.imports import ImportStatus
from desktop.app import build_window
from desktop.main_window import MainWindow
from desktop.models.connections_model import ConnectionColumn
from desktop.models.users_model import UserColumn
from tests.desktop.conftest import InlineExecutor, ScriptedNotifier, settle, simulated_draft

pytestmark = pytest.mark.gui


@pytest.fixture
def window(
    qtbot: QtBot,
    controller: Controller,
    inline_executor: InlineExecutor,
    window_settings: QSettings,
    notifier: ScriptedNotifier,
) -> MainWindow:
    built = build_window(controller, inline_executor, window_settings, notifier)
    qtbot.addWidget(built)
    built.show()
    qtbot.waitUntil(lambda: not built._stale.__contains__(built.tabs.currentWidget()))
    qtbot.waitUntil(built._schedule.isActive)
    settle(built)
    return built


def select_row(window: MainWindow, text: str) -> None:
    view = window.inventory.panel.view
    model = view.model()
    for row in range(model.rowCount()):
        if model.index(row, ConnectionColumn.NAME).data() == text:
            view.selectRow(row)
            return
    raise AssertionError(f"no row {text!r}")


def test_first_run_offers_demo_tenants_and_a_new_connection(window: MainWindow) -> None:
    assert window.tabs.currentWidget() is window.inventory
    assert window.inventory.welcome.isVisible()
    assert window.inventory.welcome.demo_button.text() == "Add demo tenants"
    assert window.inventory.welcome.new_button.text() == "New connection…"


def test_create_test_and_import_a_simulated_tenant(qtbot: QtBot, window: MainWindow) -> None:
    inventory = window.inventory
    draft = simulated_draft("", "size:200:1")
    dialog = inventory.open_new_dialog(draft)
    settle(dialog)
    qtbot.keyClicks(dialog.form.rows["name"].editor, "Contoso Sim")
    settle(dialog)
    assert dialog.ok_button.isEnabled(), dialog.errors
    qtbot.mouseClick(dialog.test_button, Qt.MouseButton.LeftButton)
    settle(dialog)
    qtbot.waitUntil(lambda: dialog.last_report is not None, timeout=5000)
    report = dialog.last_report
    assert report is not None and report.error is None, report
    states = dialog.report_view.states()
    assert states[("users", "User.Read.All")] == "Granted"
    assert states[("organization", "Organization.Read.All")] == "Granted"
    assert len(states) == len(report.checks) >= 5
    assert "Connected to" in dialog.report_view.message.text.text()
    qtbot.mouseClick(dialog.ok_button, Qt.MouseButton.LeftButton)
    settle(dialog)
    # Saved by a job: the window keeps painting while a domain is looked up.
    qtbot.waitUntil(lambda: dialog.result() == dialog.DialogCode.Accepted, timeout=5000)
    assert inventory.model.rowCount() == 1
    assert inventory.model.index(0, ConnectionColumn.NAME).data() == "Contoso Sim (simulated)"
    select_row(window, "Contoso Sim (simulated)")
    with qtbot.waitSignal(window.runner.finished, timeout=10000) as done:
        qtbot.mouseClick(inventory.execute_button, Qt.MouseButton.LeftButton)
        settle(inventory)
    run = done.args[0]
    assert run.status in (ImportStatus.SUCCEEDED, ImportStatus.SUCCEEDED_WITH_WARNINGS)
    assert run.counts.users == 200
    qtbot.waitUntil(lambda: inventory.model.rows[0].last_import_status is not None)
    assert inventory.model.index(0, ConnectionColumn.STATUS).data().startswith("Succeeded")
    window.tabs.setCurrentWidget(window.licenses)
    settle(window)
    assert window.licenses.model.rowCount() > 0
    window.tabs.setCurrentWidget(window.users)
    settle(window)
    assert window.users.model.rowCount() == 200
    first = window.users.model.index(0, UserColumn.UPN).data()
    assert "@" in first
    window.tabs.setCurrentWidget(window.history)
    settle(window)
    assert window.history.model.rowCount() == 1
    window.history.panel.view.selectRow(0)
    assert "200 users" in window.history.detail.text.text()


def test_saving_a_duplicate_name_keeps_the_dialog_open_with_the_error(
    qtbot: QtBot, window: MainWindow, controller: Controller
) -> None:
    controller.create_connection(simulated_draft("Contoso Sim", "size:50:2"))
    dialog = window.inventory.open_new_dialog(simulated_draft("", "size:60:3"))
    settle(dialog)
    qtbot.keyClicks(dialog.form.rows["name"].editor, "contoso sim")
    settle(dialog)
    assert "already exists" in dialog.form.rows["name"].message.text()
    assert not dialog.ok_button.isEnabled()


def test_users_are_searched_and_sorted_in_sql(
    qtbot: QtBot, imported: Controller, window: MainWindow
) -> None:
    window.tabs.setCurrentWidget(window.users)
    settle(window)
    users = window.users
    assert users.model.rowCount() == 200
    name = users.model.index(5, UserColumn.NAME).data()
    qtbot.keyClicks(users.panel.search, name)
    settle(users)
    qtbot.waitUntil(lambda: users.model.rowCount() < 200)
    assert users.model.index(0, UserColumn.NAME).data() == name
    shown = users.model.rowCount()
    assert users.panel.count_label.text() == ("1 row" if shown == 1 else f"{shown:,} rows")
    users.panel.search.clear()
    settle(users)
    qtbot.waitUntil(lambda: users.model.rowCount() == 200)
    users.panel.view.sortByColumn(UserColumn.NAME, Qt.SortOrder.DescendingOrder)
    settle(users)
    names = [users.model.index(i, UserColumn.NAME).data() for i in range(5)]
    assert names == sorted(names, key=str.casefold, reverse=True)
    last = users.model.index(199, UserColumn.UPN).data()  # a page loaded on demand
    assert last and "@" in last


def test_export_writes_the_filtered_licenses_to_csv(
    qtbot: QtBot, imported: Controller, window: MainWindow, notifier: ScriptedNotifier,
    tmp_path: Path,
) -> None:  # fmt: skip
    window.tabs.setCurrentWidget(window.licenses)
    settle(window)
    panel = window.licenses.panel
    qtbot.keyClicks(panel.search, "E3")
    settle(panel)
    shown = panel.model.rowCount()
    assert 0 < shown < window.licenses.model.rowCount()
    notifier.save_path = str(tmp_path / "licenses.csv")
    window.export_action.trigger()
    with open(tmp_path / "licenses.csv", encoding="utf-8-sig") as handle:
        rows = list(csv.reader(handle))
    assert rows[0][:4] == ["id", "tenant_id", "tenant_name", "simulated"]
    assert len(rows) == shown + 1
    assert all("E3" in " ".join(r) for r in rows[1:])


def test_export_of_users_streams_every_matching_user(
    qtbot: QtBot, imported: Controller, window: MainWindow, notifier: ScriptedNotifier,
    tmp_path: Path,
) -> None:  # fmt: skip
    window.tabs.setCurrentWidget(window.users)
    settle(window)
    notifier.save_path = str(tmp_path / "users.csv")
    window.export_action.trigger()
    job = window.exporter.job
    assert job is not None
    qtbot.waitUntil(lambda: not job.running and (tmp_path / "users.csv").exists())
    with open(tmp_path / "users.csv", encoding="utf-8-sig") as handle:
        rows = list(csv.reader(handle))
    assert rows[0][:3] == ["tenant_id", "tenant_name", "simulated"] and len(rows) == 201


def test_layout_is_remembered_in_qsettings(
    qtbot: QtBot, controller: Controller, inline_executor: InlineExecutor,
    window_settings: QSettings, notifier: ScriptedNotifier,
) -> None:  # fmt: skip
    first = build_window(controller, inline_executor, window_settings, notifier)
    qtbot.addWidget(first)
    first.show()
    first.licenses.panel.view.setColumnWidth(0, 321)
    first.resize(900, 600)
    first.close()
    assert window_settings.value("window/geometry") is not None
    second = build_window(controller, inline_executor, window_settings, notifier)
    qtbot.addWidget(second)
    assert second.licenses.panel.view.columnWidth(0) == 321


def test_execute_changed_users_only_runs_an_incremental_import(
    qtbot: QtBot, window: MainWindow, controller: Controller
) -> None:
    from core.simulator.demo import get_model

    connection = controller.create_connection(simulated_draft("Delta Sim", "size:300:4"))
    assert controller.import_now(connection.id).status is ImportStatus.SUCCEEDED
    get_model("size:300:4").mutate(seed=1, changes=12)
    window.inventory.reload()
    settle(window.inventory)
    select_row(window, "Delta Sim (simulated)")
    with qtbot.waitSignal(window.runner.finished, timeout=10000) as done:
        window.inventory.incremental_action.trigger()
    run = done.args[0]
    assert run.status is ImportStatus.SUCCEEDED_WITH_WARNINGS
    assert any("Incremental import: 12 changed users" in w for w in run.warnings)
    assert run.counts.users == get_model("size:300:4").truth().users


def test_saving_a_connection_runs_off_the_gui_thread(
    qtbot: QtBot,
    controller: Controller,
    thread_executor,  # type: ignore[no-untyped-def]
    window_settings: QSettings,
    notifier,  # type: ignore[no-untyped-def]
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A tenant typed as a domain is looked up over the network when it is saved: the save is
    a job, so the window keeps painting."""
    import threading

    built = build_window(controller, thread_executor, window_settings, notifier)
    qtbot.addWidget(built)
    threads: list[threading.Thread] = []
    create = controller.create_connection

    def recording(*args, **kwargs):  # type: ignore[no-untyped-def]
        threads.append(threading.current_thread())
        return create(*args, **kwargs)

    monkeypatch.setattr(controller, "create_connection", recording)
    built.inventory.reload()
    settle(built)
    dialog = built.inventory.open_new_dialog(simulated_draft("", "size:50:4"))
    settle(dialog)
    qtbot.keyClicks(dialog.form.rows["name"].editor, "Off thread")
    settle(dialog)
    qtbot.mouseClick(dialog.ok_button, Qt.MouseButton.LeftButton)
    settle(dialog)
    qtbot.waitUntil(lambda: dialog.result() == dialog.DialogCode.Accepted, timeout=5000)
    assert threads and threads[0] is not threading.main_thread()


@pytest.mark.parametrize(
    ("with_file", "said"),
    [(True, "kept in an owner-only file"), (False, "kept for this run only")],
)
def test_the_status_bar_says_where_secrets_go_without_a_keychain(
    qtbot: QtBot,
    app_paths,  # type: ignore[no-untyped-def]
    database,  # type: ignore[no-untyped-def]
    inline_executor: InlineExecutor,
    window_settings: QSettings,
    notifier: ScriptedNotifier,
    tmp_path: Path,
    with_file: bool,
    said: str,
) -> None:
    from keyring.backends.null import Keyring as NullKeyring
    from PySide6.QtWidgets import QLabel

    from core.secrets import SecretStore

    store = SecretStore(
        backend=NullKeyring(), fallback_file=tmp_path / "secrets.json" if with_file else None
    )
    controller = Controller.assemble(
        paths=app_paths, database=database, secret_store=store, executor=inline_executor
    )
    built = build_window(controller, inline_executor, window_settings, notifier)
    qtbot.addWidget(built)
    texts = [label.text() for label in built.statusBar().findChildren(QLabel)]
    assert any(said in text for text in texts), texts
    controller.close(timeout=5.0)
