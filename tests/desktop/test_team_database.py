"""File ▸ Team database: the dialog (fields, messages, Test connection as a job), the first
run's way to it, the switch that closes the window and opens it again on the store chosen in
the same process, and a window on a store it may only read."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import QSettings, Qt
from pytestqt.qtbot import QtBot

from core.controller import Controller
from core.domain.team import TeamDatabase
from core.errors import READ_ONLY_ROLE
from core.paths import AppPaths
from core.secrets import SecretStore
from core.storage.db import Database
from desktop.app import Session, run_sessions
from desktop.dialogs.team_database_dialog import TeamDatabaseDialog
from desktop.jobs import JobRunner
from desktop.main_window import MainWindow
from tests.conftest import ON_POSTGRES
from tests.desktop.conftest import InlineExecutor, OpenWindow, ScriptedNotifier, settle

pytestmark = pytest.mark.gui
CHOICE_FILE = "database.json"


@pytest.fixture(autouse=True)
def restore_url_variable() -> Iterator[None]:
    """A switch sets LICENSEDESK_DATABASE_URL for this process (as --database does): put it
    back as it was, present or not, for the tests after this one."""
    import os

    before = os.environ.get("LICENSEDESK_DATABASE_URL")
    yield
    if before is None:
        os.environ.pop("LICENSEDESK_DATABASE_URL", None)
    else:
        os.environ["LICENSEDESK_DATABASE_URL"] = before


def _dialog(qtbot: QtBot, controller: Controller, jobs: JobRunner) -> TeamDatabaseDialog:
    dialog = TeamDatabaseDialog(controller, jobs, controller.opened_database())
    qtbot.addWidget(dialog)
    dialog.show()
    return dialog


def _type(qtbot: QtBot, dialog: TeamDatabaseDialog, **values: str) -> None:
    for name, text in values.items():
        dialog.editors[name].clear()
        qtbot.keyClicks(dialog.editors[name], text)


def test_bad_input_is_named_next_to_its_field(qtbot: QtBot, controller: Controller) -> None:
    dialog = _dialog(qtbot, controller, JobRunner(InlineExecutor()))
    dialog.team_choice.setChecked(True)
    dialog.editors["host"].clear()  # on PostgreSQL it shows the test's database
    _type(qtbot, dialog, port="70000")
    assert dialog.errors["port"].isVisible()
    assert "1 to 65535" in dialog.errors["port"].text()
    assert not dialog.errors["host"].isVisible()  # not touched yet
    qtbot.mouseClick(dialog.ok_button, Qt.MouseButton.LeftButton)
    assert "host name" in dialog.errors["host"].text() and dialog.errors["host"].isVisible()
    assert dialog.editors["host"].property("invalid") is True
    assert dialog.isVisible()  # nothing was switched
    assert dialog.password.echoMode() is dialog.password.EchoMode.Password


def test_this_computer_only_disables_the_fields(qtbot: QtBot, controller: Controller) -> None:
    dialog = _dialog(qtbot, controller, JobRunner(InlineExecutor()))
    dialog.local_choice.setChecked(True)
    assert not dialog.editors["host"].isEnabled() and not dialog.password.isEnabled()
    assert not dialog.test_button.isEnabled()
    assert dialog.ok_button.text() == "Use this computer's database"


def test_test_connection_runs_on_a_worker_thread_and_says_what_happened(
    qtbot: QtBot,
    controller: Controller,
    thread_executor: object,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    threads: list[threading.Thread] = []
    real = Controller.test_database

    def spy(self: Controller, fields: TeamDatabase, password: str = "") -> object:
        threads.append(threading.current_thread())
        return real(self, fields, password)

    monkeypatch.setattr(Controller, "test_database", spy)
    jobs = JobRunner(thread_executor)  # type: ignore[arg-type]
    dialog = _dialog(qtbot, controller, jobs)
    dialog.team_choice.setChecked(True)
    _type(qtbot, dialog, host="127.0.0.1", port="1", database="licensedesk", user="alice")
    qtbot.keyClicks(dialog.password, "s3cret")
    qtbot.mouseClick(dialog.test_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: "Nothing answers" in dialog.outcome.text(), timeout=20000)
    qtbot.waitUntil(jobs.idle, timeout=5000)
    assert dialog.outcome.text() == (
        "Nothing answers at 127.0.0.1 on port 1: is the server running and the port right?"
    )
    assert dialog.outcome.property("level") == "error"
    assert threads and threads[0] is not threading.main_thread()
    assert "s3cret" not in dialog.outcome.text()


def test_the_window_names_its_database_and_offers_the_dialog(
    qtbot: QtBot, open_window: OpenWindow, controller: Controller
) -> None:
    window = open_window(controller)
    if not ON_POSTGRES:
        assert window.windowTitle() == "LicenseDesk — this computer"
    file_menu = window.menuBar().actions()[0].menu()
    assert "Team &database…" in [a.text() for a in file_menu.actions()]  # type: ignore[union-attr]
    # First run: no connection yet, and the welcome panel leads to the same dialog.
    welcome = window.inventory.welcome
    window.tabs.setCurrentWidget(window.inventory)
    assert welcome.isVisible() and welcome.team_button.text() == "Connect to a team database…"
    qtbot.mouseClick(welcome.team_button, Qt.MouseButton.LeftButton)
    dialog = window.database.dialog
    assert dialog is not None and dialog.isVisible()
    assert dialog.local_choice.isChecked() is (not ON_POSTGRES)
    dialog.reject()


OpenSession = Callable[[bool], Session]


@pytest.fixture
def sessions(
    qtbot: QtBot, window_settings: QSettings, notifier: ScriptedNotifier
) -> Iterator[tuple[list[Session], OpenSession]]:
    """The sessions opened, and how the composition root opens one (the real controller on
    the store chosen, the real window), with jobs inline."""
    from desktop.app import build_window

    opened: list[Session] = []
    executor = InlineExecutor()

    def open_session(first: bool) -> Session:
        controller = Controller.open(executor=executor)
        window = build_window(controller, executor, window_settings, notifier)
        window.show()  # Session.close() deletes it, as in the app
        qtbot.waitUntil(window._schedule.isActive, timeout=5000)
        opened.append(Session(controller, window, ()))
        return opened[-1]

    yield opened, open_session
    for session in opened:
        session.controller.close(timeout=5.0)


def _wait_closed(qtbot: QtBot, window: MainWindow) -> int:
    qtbot.waitUntil(lambda: not window.isVisible(), timeout=10000)
    return 0


def test_switching_closes_the_window_and_opens_it_again_on_the_choice(
    qtbot: QtBot, sessions: tuple[list[Session], OpenSession], app_paths: AppPaths
) -> None:
    """The composition root's loop, with the test's event loop in place of app.exec(). On
    PostgreSQL the first window is on the test's database, then on this computer's file."""
    opened, open_session = sessions

    def run() -> int:
        window = opened[-1].window
        if len(opened) == 1:
            dialog = window.database.open_dialog()
            dialog.local_choice.setChecked(True)
            qtbot.mouseClick(dialog.ok_button, Qt.MouseButton.LeftButton)
        else:
            settle(window)
            window.close()
        return _wait_closed(qtbot, window)

    failures: list[str] = []
    code = run_sessions(open_session, run, lambda e: failures.append(e.message))
    assert code == 0 and failures == []
    assert len(opened) == 2
    first, second = opened
    assert first.window.reopen_requested and not second.window.reopen_requested
    assert second.controller is not first.controller
    assert second.controller.opened_database().url is None
    assert second.window.windowTitle() == "LicenseDesk — this computer"
    assert not (app_paths.data_dir / CHOICE_FILE).exists()


def test_a_choice_that_cannot_be_opened_goes_back_to_the_database_before(
    qtbot: QtBot,
    sessions: tuple[list[Session], OpenSession],
    app_paths: AppPaths,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    opened, open_session = sessions
    monkeypatch.delenv("LICENSEDESK_DATABASE_URL", raising=False)
    nowhere = TeamDatabase(host="127.0.0.1", port="1", database="gone", user="alice")

    def run() -> int:
        window = opened[-1].window
        if len(opened) == 1:  # saved as if the dialog's test had passed, then switched
            opened[-1].controller.switch_database(nowhere)
            window.database._on_switched()
        else:
            window.close()
        return _wait_closed(qtbot, window)

    failures: list[str] = []
    assert run_sessions(open_session, run, lambda e: failures.append(e.message)) == 0
    assert len(failures) == 1 and "alice@127.0.0.1:1/gone could not be reached" in failures[0]
    assert len(opened) == 2 and opened[1].controller.opened_database().url is None
    assert not (app_paths.data_dir / CHOICE_FILE).exists()


# A store the window may only read


@pytest.fixture
def read_only_controller(
    app_paths: AppPaths, database: Database, secret_store: SecretStore, controller: Controller
) -> Iterator[Controller]:
    """The test's store, opened again read-only (as a file that cannot be written, or on
    PostgreSQL as a role with SELECT only would be)."""
    from tests.conftest import open_test_database

    store = open_test_database(app_paths.database)
    store.read_only = True
    built = Controller.assemble(
        paths=app_paths, database=store, secret_store=secret_store, executor=InlineExecutor()
    )
    yield built
    built.close(timeout=5.0)
    store.close_thread_connection()


def test_a_read_only_window_says_so_and_disables_every_write(
    qtbot: QtBot, open_window: OpenWindow, read_only_controller: Controller
) -> None:
    window = open_window(read_only_controller)
    reason = read_only_controller.opened_database().read_only_reason
    assert reason.startswith("Read-only: ")
    bar = window.database.read_only_bar
    assert bar.isVisible() and bar.text() == reason
    inventory, settings = window.inventory, window.settings_tab
    writes = [
        window.new_action, window.import_all_action, inventory.new_button,
        inventory.edit_button, inventory.delete_button, inventory.execute_button,
        inventory.welcome.demo_button, inventory.welcome.new_button,
        window.licenses.status_button, settings.general.save_button,
        settings.integrations.enable_button, settings.integrations.save_button,
        settings.integrations.demo_button, settings.prices.import_prices,
        settings.prices.import_names,
    ]  # fmt: skip
    for control in writes:
        assert not control.isEnabled(), control
        assert control.toolTip() == reason, control
    # What the tabs enable themselves (a save that ended, a selection) stays disabled.
    settings.general.save_button.setEnabled(True)
    window.new_action.setEnabled(True)
    assert not settings.general.save_button.isEnabled() and not window.new_action.isEnabled()
    # Reading still works, and the team database can still be chosen.
    assert window.database.action.isEnabled()
    window.tabs.setCurrentWidget(window.history)
    settle(window)


def test_a_read_only_window_shows_license_properties_without_changing_them(
    qtbot: QtBot, open_window: OpenWindow, imported: Controller, read_only_controller: Controller
) -> None:
    window = open_window(read_only_controller)
    window.tabs.setCurrentWidget(window.licenses)
    settle(window)
    assert not window.licenses.status_button.isEnabled()
    row = window.licenses.model.rows[0]
    dialog = window.licenses.open_properties(row.id)
    settle(dialog)
    assert dialog.facts.text()  # the properties are read
    for control in (dialog.status, dialog.reason, dialog.apply_status, dialog.price,
                    dialog.save_price):  # fmt: skip
        assert not control.isEnabled() and control.toolTip().startswith("Read-only: ")
    dialog.close()


def test_a_read_only_window_imports_nothing_on_its_schedule(
    qtbot: QtBot, open_window: OpenWindow, read_only_controller: Controller
) -> None:
    window = open_window(read_only_controller)
    window._on_schedule_tick()
    assert window.runner.running_ids() == []


@pytest.mark.skipif(not ON_POSTGRES, reason="a PostgreSQL role with SELECT only")
def test_a_select_only_role_opens_a_read_only_window(
    qtbot: QtBot, open_window: OpenWindow, database_schema: str, controller: Controller,
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path,
) -> None:  # fmt: skip
    import uuid

    import psycopg
    from psycopg.conninfo import conninfo_to_dict

    from tests.conftest import TEST_DATABASE_URL

    role = f"reader_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(TEST_DATABASE_URL, autocommit=True) as admin:
        admin.execute(f"CREATE ROLE {role} LOGIN")
        admin.execute(f"GRANT USAGE ON SCHEMA {database_schema} TO {role}")
        admin.execute(f"GRANT SELECT ON ALL TABLES IN SCHEMA {database_schema} TO {role}")
    p = conninfo_to_dict(TEST_DATABASE_URL)
    url = f"postgresql://{role}@{p['host']}:{p['port']}/{p['dbname']}"
    monkeypatch.setenv(
        "LICENSEDESK_DATABASE_URL", f"{url}?options=-csearch_path%3D{database_schema}"
    )
    reader = Controller.open(executor=InlineExecutor())
    try:
        window = open_window(reader)
        assert window.database.read_only_bar.text() == READ_ONLY_ROLE
        assert window.windowTitle() == f"LicenseDesk — {p['dbname']} on {p['host']}"
        assert not window.inventory.new_button.isEnabled()
        assert window.inventory.new_button.toolTip() == READ_ONLY_ROLE
        window.tabs.setCurrentWidget(window.licenses)
        settle(window)
        window.close()
    finally:
        reader.close()
        with psycopg.connect(TEST_DATABASE_URL, autocommit=True) as admin:
            admin.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = %s",
                (role,),
            )
            admin.execute(f"DROP OWNED BY {role}")
            admin.execute(f"DROP ROLE {role}")


def test_a_read_only_window_opens_a_connection_to_read_not_to_save(
    qtbot: QtBot, open_window: OpenWindow, imported: Controller, read_only_controller: Controller
) -> None:
    window = open_window(read_only_controller)
    settle(window)
    connection = window.inventory.model.rows[0]
    window.inventory.panel.row_activated.emit(connection)  # a double-click
    dialog = window.inventory.dialog
    assert dialog is not None and dialog.isVisible()
    settle(dialog)
    assert not dialog.ok_button.isEnabled()
    assert dialog.ok_button.toolTip().startswith("Read-only: ")
    dialog.reject()
