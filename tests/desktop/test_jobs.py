"""Jobs on real threads: an import cancelled mid-run, a sign-in cancelled while it waits, test
connection results and auth errors shown where they belong, and closing during an import."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from core.connections.fields import fields_for
from core.connections.rules import validate
from core.connections.versions import M365FieldMode, m365_field_mode
from core.controller import Controller, SignInResult
from core.domain.connection import (
    AuthMethod,
    ConnectionDraft,
    ConnectionTestReport,
    PermissionCheck,
    PermissionState,
)
from core.domain.imports import ImportStatus
from core.errors import AuthError
from core.simulator.demo import get_simulator
from desktop.app import build_window
from desktop.dialogs.connection_dialog import ConnectionDialog
from desktop.jobs import ImportRunner, JobRunner
from tests.desktop.conftest import ScriptedNotifier, simulated_draft

pytestmark = pytest.mark.gui
CONSENT = "https://login.microsoftonline.com/contoso.com/adminconsent?client_id=x"


class FakeController:
    """Only what the dialog calls; answers scripted per test."""

    def __init__(self) -> None:
        from core.domain.beacon import parse_beacon_version

        self.version = parse_beacon_version("2025 R1")
        self.report: ConnectionTestReport | None = None
        self.error: Exception | None = None
        self.sign_in_started = threading.Event()

    connection_fields = staticmethod(fields_for)

    def manual_entry(self, source_type, version):  # type: ignore[no-untyped-def]
        return m365_field_mode(source_type, version) is M365FieldMode.MANUAL

    def validate_draft(self, draft, *, editing_id=None, version=None, existing=None):  # type: ignore[no-untyped-def]
        return validate(
            draft, version=version or self.version, existing=existing or [], editing_id=editing_id
        )

    def test_connection(self, draft: ConnectionDraft, *, editing_id: int | None = None):  # type: ignore[no-untyped-def]
        if self.error is not None:
            raise self.error
        return self.report

    def sign_in(self, draft, *, show_code, cancel, editing_id=None):  # type: ignore[no-untyped-def]
        show_code("To sign in, open https://microsoft.com/devicelogin and enter the code K7P2QX.")
        self.sign_in_started.set()
        if cancel.wait(5):
            cancel.raise_if_cancelled()
        return SignInResult(tenant_id="11111111-2222-3333-4444-555555555555", username="admin@c")


def own_app_dialog(qtbot: QtBot, fake: FakeController, executor) -> ConnectionDialog:  # type: ignore[no-untyped-def]
    draft = ConnectionDraft(
        name="Contoso HQ",
        method=AuthMethod.OWN_APP,
        tenant="contoso.com",
        client_id="11111111-2222-3333-4444-555555555555",
    )
    dialog = ConnectionDialog(fake, JobRunner(executor), version=fake.version, draft=draft)  # type: ignore[arg-type]
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.keyClicks(dialog.form.rows["client_secret"].editor, "wrong")
    return dialog


def test_rejected_secret_is_shown_under_the_secret_field(qtbot: QtBot, inline_executor) -> None:  # type: ignore[no-untyped-def]
    fake = FakeController()
    fake.report = ConnectionTestReport(
        ok=False,
        error="The secret value was rejected; check you copied the value, not its ID.",
        error_field="client_secret",
    )
    dialog = own_app_dialog(qtbot, fake, inline_executor)
    with qtbot.waitSignal(dialog.start_test().completed, timeout=3000):
        pass
    message = dialog.form.rows["client_secret"].message
    assert message.isVisible() and "value, not its ID" in message.text()
    assert dialog.report_view.message.level == "error"
    assert dialog.test_button.isEnabled()


def test_missing_consent_offers_the_admin_consent_link(qtbot: QtBot, inline_executor) -> None:  # type: ignore[no-untyped-def]
    fake = FakeController()
    fake.error = AuthError(
        "The app is not consented in this tenant: an administrator must grant consent.",
        code=700016,
        field="client_id",
        consent_url=CONSENT,
        detail="AADSTS700016: Application not found in the directory",
    )
    dialog = own_app_dialog(qtbot, fake, inline_executor)
    with qtbot.waitSignal(dialog.start_test().completed, timeout=3000):
        pass
    field_message = dialog.form.rows["client_id"].message
    assert "not consented" in field_message.text() and CONSENT in field_message.text()
    assert "admin-consent" in dialog.report_view.message.text.text()
    assert "AADSTS700016" in dialog.report_view.message.detail.toPlainText()
    shown = dialog.report_view.message.text.text()
    assert "list of application permissions" in shown and "harmless" in shown


def test_permission_results_are_listed_with_their_state(qtbot: QtBot, inline_executor) -> None:  # type: ignore[no-untyped-def]
    fake = FakeController()
    fake.report = ConnectionTestReport(
        ok=True,
        tenant_id="t",
        tenant_name="Contoso Ltd",
        checks=(
            PermissionCheck("users", "User.Read.All", True, PermissionState.GRANTED),
            PermissionCheck(
                "sign-in activity", "AuditLog.Read.All", False, PermissionState.MISSING
            ),
            PermissionCheck("reports", "Reports.Read.All", True, PermissionState.NOT_APPLICABLE),
        ),
    )
    dialog = own_app_dialog(qtbot, fake, inline_executor)
    with qtbot.waitSignal(dialog.start_test().completed, timeout=3000):
        pass
    assert dialog.report_view.states() == {
        ("users", "User.Read.All"): "Granted",
        ("sign-in activity", "AuditLog.Read.All"): "Missing (optional)",
        ("reports", "Reports.Read.All"): "Not applicable",
    }
    assert dialog.report_view.message.level == "warning"
    assert "AuditLog.Read.All" in dialog.report_view.message.text.text()


def test_sign_in_shows_the_code_and_cancels_on_a_real_thread(
    qtbot: QtBot, thread_executor: ThreadPoolExecutor
) -> None:
    fake = FakeController()
    dialog = ConnectionDialog(
        fake,  # type: ignore[arg-type]
        JobRunner(thread_executor),
        version=fake.version,
        draft=ConnectionDraft(name="Contoso HQ", method=AuthMethod.MULTI_TENANT),
    )
    qtbot.addWidget(dialog)
    dialog.show()
    assert dialog.sign_in_button.isVisible() and dialog.sign_in_button.isEnabled()
    qtbot.mouseClick(dialog.sign_in_button, Qt.MouseButton.LeftButton)
    job = dialog.sign_in_job
    assert job is not None
    qtbot.waitUntil(lambda: "K7P2QX" in dialog.sign_in_message.text.text(), timeout=3000)
    assert dialog.cancel_sign_in_button.isVisible()
    with qtbot.waitSignal(job.cancelled, timeout=5000):
        qtbot.mouseClick(dialog.cancel_sign_in_button, Qt.MouseButton.LeftButton)
    assert dialog.sign_in_message.text.text() == "Sign-in cancelled."
    qtbot.waitUntil(lambda: dialog.sign_in_button.isVisible())


def test_successful_sign_in_fills_the_tenant(qtbot: QtBot, inline_executor) -> None:  # type: ignore[no-untyped-def]
    fake = FakeController()
    fake.report = ConnectionTestReport(ok=True, tenant_id="t", tenant_name="Contoso Ltd")
    fake.sign_in_started.set()
    dialog = ConnectionDialog(
        fake,  # type: ignore[arg-type]
        JobRunner(inline_executor),
        version=fake.version,
        draft=ConnectionDraft(name="Contoso HQ", method=AuthMethod.MULTI_TENANT),
    )
    qtbot.addWidget(dialog)

    def no_wait(draft, *, show_code, cancel, editing_id=None):  # type: ignore[no-untyped-def]
        return SignInResult(tenant_id="11111111-2222-3333-4444-555555555555", username="a@c")

    fake.sign_in = no_wait  # type: ignore[method-assign]
    with qtbot.waitSignal(dialog.start_sign_in().succeeded, timeout=3000):
        pass
    assert dialog.form.rows["tenant"].editor.text() == "11111111-2222-3333-4444-555555555555"
    assert "Signed in as a@c" in dialog.sign_in_message.text.text()
    qtbot.waitUntil(lambda: dialog.last_report is not None)


def test_cancel_mid_import_on_real_threads(qtbot: QtBot, threaded_controller: Controller) -> None:
    connection = threaded_controller.create_connection(simulated_draft("Slow sim", "size:3000:4"))
    get_simulator("size:3000:4").knobs.latency_s = 0.05
    pool = ThreadPoolExecutor(max_workers=1)
    runner = ImportRunner(threaded_controller, JobRunner(pool))
    cancelled: list[int] = []
    runner.cancelled.connect(cancelled.append)
    with qtbot.waitSignal(runner.progress_changed, timeout=5000):
        assert runner.start(connection.id)
    assert runner.is_running(connection.id)
    with qtbot.waitSignal(runner.cancelled, timeout=10000):
        runner.cancel(connection.id)
        assert runner.is_cancelling(connection.id)
    assert cancelled == [connection.id] and not runner.running_ids()
    history = threaded_controller.import_history(connection.id)
    assert history[0].status is ImportStatus.CANCELLED
    pool.shutdown(wait=True)


def test_closing_during_an_import_asks_then_cancels_and_waits(
    qtbot: QtBot, threaded_controller: Controller, window_settings, notifier: ScriptedNotifier
) -> None:  # type: ignore[no-untyped-def]
    connection = threaded_controller.create_connection(simulated_draft("Slow sim", "size:3000:5"))
    get_simulator("size:3000:5").knobs.latency_s = 0.05
    pool = ThreadPoolExecutor(max_workers=1)
    window = build_window(threaded_controller, pool, window_settings, notifier)
    qtbot.addWidget(window)
    window.show()
    with qtbot.waitSignal(window.runner.progress_changed, timeout=5000):
        window.runner.start(connection.id)
    notifier.confirm_answer = False
    assert not window.close()
    assert notifier.kinds()[-1] == "confirm" and window.runner.is_running(connection.id)
    notifier.confirm_answer = True
    assert window.close()
    assert threaded_controller.running_imports() == []
    assert threaded_controller.import_history(connection.id)[0].status is ImportStatus.CANCELLED
    pool.shutdown(wait=True)


def test_status_bar_shows_a_running_import_with_its_cancel_button(
    qtbot: QtBot, threaded_controller: Controller
) -> None:
    from desktop.import_status import ImportStatusPanel

    connection = threaded_controller.create_connection(simulated_draft("Slow sim", "size:3000:6"))
    get_simulator("size:3000:6").knobs.latency_s = 0.05
    pool = ThreadPoolExecutor(max_workers=1)
    runner = ImportRunner(threaded_controller, JobRunner(pool))
    panel = ImportStatusPanel(runner)
    qtbot.addWidget(panel)
    panel.show()
    runner.start(connection.id)
    qtbot.waitUntil(lambda: connection.id in panel.rows, timeout=5000)  # started off-thread
    row = panel.rows[connection.id]
    qtbot.waitUntil(lambda: row.isVisible(), timeout=5000)  # shown after 0.5 s of work
    assert row.label.text().startswith("Slow sim:")
    with qtbot.waitSignal(runner.cancelled, timeout=10000):
        qtbot.mouseClick(row.cancel_button, Qt.MouseButton.LeftButton)
        assert row.cancel_button.text() == "Cancelling…" and not row.cancel_button.isEnabled()
    assert panel.rows == {}
    pool.shutdown(wait=True)


def test_an_import_cancelled_while_it_starts_stops_once_started(
    qtbot: QtBot, threaded_controller, thread_executor: ThreadPoolExecutor
) -> None:  # type: ignore[no-untyped-def]
    from core.domain.imports import ImportStatus
    from core.simulator.demo import get_simulator
    from desktop.jobs import ImportRunner
    from tests.desktop.conftest import simulated_draft

    connection = threaded_controller.create_connection(simulated_draft("Slow sim", "size:3000:8"))
    get_simulator("size:3000:8").knobs.latency_s = 0.05
    runner = ImportRunner(threaded_controller, JobRunner(thread_executor))
    assert runner.start(connection.id) and runner.is_running(connection.id)
    runner.cancel(connection.id)  # before the worker has started it
    assert runner.is_cancelling(connection.id)
    with qtbot.waitSignal(runner.cancelled, timeout=10000):
        pass
    assert not runner.running_ids()
    assert threaded_controller.import_history(connection.id)[0].status is ImportStatus.CANCELLED
