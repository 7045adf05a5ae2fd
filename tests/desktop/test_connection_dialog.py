"""The Create PowerShell Source Connection dialog: rows per beacon version and source type,
auto-population, validation as the user types, and the draft it returns."""

from __future__ import annotations

from concurrent.futures import Executor

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLineEdit
from pytestqt.qtbot import QtBot

from core.connections.fields import fields_for
from core.connections.versions import (
    DEPRECATED_CONNECTOR_NOTE,
    M365_NEEDS_2018R2,
    source_type_options,
)
from core.controller import Controller
from core.domain.beacon import parse_beacon_version
from core.domain.cloud import Cloud
from core.domain.connection import (
    AuthMethod,
    ConnectionDraft,
    CredentialKind,
    ProxyMode,
    SourceType,
    UsagePeriod,
    effective_method,
)
from desktop.dialogs.connection_dialog import ConnectionDialog
from desktop.dialogs.connection_form import MANUAL_NOTE
from desktop.jobs import JobRunner

pytestmark = pytest.mark.gui

M365, O365 = SourceType.MICROSOFT_365, SourceType.OFFICE_365


def open_dialog(
    qtbot: QtBot,
    controller: Controller,
    executor: Executor,
    version: str = "2025 R1",
    draft: ConnectionDraft | None = None,
) -> ConnectionDialog:
    controller.update_setting("beacon_version", version)
    dialog = ConnectionDialog(
        controller,
        JobRunner(executor),
        version=controller.beacon_version(),
        draft=draft or ConnectionDraft(name="", method=AuthMethod.MULTI_TENANT),
    )
    qtbot.addWidget(dialog)
    dialog.show()
    return dialog


def choose(dialog: ConnectionDialog, field: str, value: str) -> None:
    """Pick a combo item by its data, as a user would."""
    combo = dialog.form.rows[field].editor
    index = combo.findData(value)
    assert index >= 0, (field, value)
    combo.setCurrentIndex(index)
    combo.activated.emit(index)


def line(dialog: ConnectionDialog, field: str) -> QLineEdit:
    editor = dialog.form.rows[field].editor
    return editor if isinstance(editor, QLineEdit) else editor.line


@pytest.mark.parametrize(
    ("version", "source_type", "notice_level", "notice_text"),
    [
        ("2018 R1", O365, "warning", M365_NEEDS_2018R2),
        ("2018 R2", M365, "info", MANUAL_NOTE),
        ("2018 R2", O365, "warning", DEPRECATED_CONNECTOR_NOTE),
        ("2019 R1", M365, None, None),
        ("2019 R1", O365, "warning", DEPRECATED_CONNECTOR_NOTE),
        ("2025 R1", M365, None, None),
        ("2025 R1", O365, "warning", DEPRECATED_CONNECTOR_NOTE),
    ],
)
def test_rows_and_source_types_follow_the_beacon_version(
    qtbot: QtBot,
    controller: Controller,
    inline_executor: Executor,
    version: str,
    source_type: SourceType,
    notice_level: str | None,
    notice_text: str | None,
) -> None:
    draft = ConnectionDraft(name="", source_type=source_type,
                            method=effective_method(source_type, None))  # fmt: skip
    dialog = open_dialog(qtbot, controller, inline_executor, version, draft)
    parsed = parse_beacon_version(version)
    combo = dialog.form.rows["source_type"].editor
    offered = [combo.itemText(i) for i in range(combo.count())]
    assert offered == [label for label, _ in source_type_options(parsed)]
    expected = fields_for(source_type, parsed, draft.method, proxy_mode=ProxyMode.NONE)
    assert dialog.form.visible_fields() == [spec.name for spec in expected]
    notice = dialog.form.notice
    if notice_level is None:
        assert notice.isHidden()
    else:
        assert notice.isVisible() and notice.level == notice_level
        assert notice_text in notice.text.text()


def test_before_2018_r2_only_the_office_365_connector_is_offered(
    qtbot: QtBot, controller: Controller, inline_executor: Executor
) -> None:
    draft = ConnectionDraft(name="", source_type=O365, method=AuthMethod.PASSWORD)
    dialog = open_dialog(qtbot, controller, inline_executor, "2018 R1", draft)
    combo = dialog.form.rows["source_type"].editor
    assert [combo.itemText(i) for i in range(combo.count())] == ["Microsoft Office 365"]
    assert "2018 R2 or later" in dialog.form.notice.text.text()
    assert "method" not in dialog.form.visible_fields()
    assert dialog.form.rows["password"].editor.echoMode() == QLineEdit.EchoMode.Password


def test_2018_r2_microsoft_365_fields_start_empty_and_required(
    qtbot: QtBot, controller: Controller, inline_executor: Executor
) -> None:
    dialog = open_dialog(qtbot, controller, inline_executor, "2018 R2")
    for name in ("authority_host", "graph_endpoint", "token_endpoint", "scope", "client_id"):
        assert line(dialog, name).text() == "", name
        assert dialog.form.rows[name].label.text().endswith("*"), name
    dialog.findChild(type(dialog.summary), "formSummary").linkActivated.emit("reveal")
    assert dialog.form.rows["authority_host"].message.text().startswith("Type the authority")
    assert not dialog.ok_button.isEnabled()


def test_2019_r1_auto_populates_endpoints_for_the_chosen_cloud(
    qtbot: QtBot, controller: Controller, inline_executor: Executor
) -> None:
    dialog = open_dialog(qtbot, controller, inline_executor, "2019 R1")
    assert line(dialog, "authority_host").text() == "https://login.microsoftonline.com"
    assert line(dialog, "client_id").text() == "14d82eec-204b-4c2f-b7e8-296a70dab67e"
    assert line(dialog, "redirect_uri").text() == "http://localhost"
    assert line(dialog, "authority_host").property("auto") is True
    choose(dialog, "cloud", Cloud.GCC_HIGH.value)
    assert line(dialog, "authority_host").text() == "https://login.microsoftonline.us"
    assert line(dialog, "graph_endpoint").text() == "https://graph.microsoft.us"
    assert "use_beta_reports" in dialog.form.visible_fields()
    # Auto-populated values travel as "derive from the cloud".
    assert dialog.draft().authority_host == "" and dialog.draft().cloud is Cloud.GCC_HIGH
    choose(dialog, "cloud", Cloud.CUSTOM.value)
    assert line(dialog, "authority_host").text() == ""
    assert dialog.form.rows["authority_host"].label.text() == "Authority host *"


def test_method_switch_shows_the_rows_of_the_method(
    qtbot: QtBot, controller: Controller, inline_executor: Executor
) -> None:
    dialog = open_dialog(qtbot, controller, inline_executor)
    assert "redirect_uri" in dialog.form.visible_fields()
    assert dialog.sign_in_button.isVisible()
    choose(dialog, "method", AuthMethod.OWN_APP.value)
    shown = dialog.form.visible_fields()
    assert "client_secret" in shown and "redirect_uri" not in shown
    assert not dialog.sign_in_button.isVisible()
    assert dialog.form.rows["client_secret"].editor.echoMode() == QLineEdit.EchoMode.Password
    choose(dialog, "credential_kind", CredentialKind.PFX.value)
    shown = dialog.form.visible_fields()
    assert "certificate_path" in shown and "client_secret" not in shown
    choose(dialog, "source_type", O365.value)
    shown = dialog.form.visible_fields()
    assert {"username", "password"} <= set(shown) and "method" not in shown
    assert dialog.draft().method is AuthMethod.PASSWORD


def test_proxy_schedule_and_usage_period_reach_the_draft(
    qtbot: QtBot, controller: Controller, inline_executor: Executor
) -> None:
    dialog = open_dialog(qtbot, controller, inline_executor)
    assert "proxy_url" not in dialog.form.visible_fields()
    choose(dialog, "proxy_mode", ProxyMode.URL.value)
    assert {"proxy_url", "proxy_username", "proxy_password"} <= set(dialog.form.visible_fields())
    qtbot.keyClicks(line(dialog, "proxy_url"), "http://proxy.contoso.com:8080")
    schedule = dialog.form.rows["schedule"].editor
    schedule.kind.setCurrentIndex(schedule.kind.findData("every-n-hours"))
    schedule.hours.setValue(6)
    choose(dialog, "usage_period", UsagePeriod.D90.value)
    draft = dialog.draft()
    assert draft.proxy_url == "http://proxy.contoso.com:8080"
    assert draft.schedule.describe() == "Every 6 h"
    assert draft.usage_period is UsagePeriod.D90


def test_messages_appear_once_a_field_is_touched(
    qtbot: QtBot, controller: Controller, inline_executor: Executor
) -> None:
    dialog = open_dialog(qtbot, controller, inline_executor)
    name = dialog.form.rows["name"]
    assert name.message.isHidden() and not dialog.ok_button.isEnabled()
    qtbot.keyClicks(line(dialog, "name"), "_bad name!")
    assert name.message.isVisible()
    assert "letters, digits" in name.message.text()
    assert line(dialog, "name").property("invalid") is True
    assert dialog.form.rows["tenant"].message.isHidden()  # not touched yet
    line(dialog, "name").clear()
    qtbot.keyClicks(line(dialog, "name"), "Contoso HQ")
    assert name.message.isHidden() and line(dialog, "name").property("invalid") is False
    assert dialog.ok_button.isEnabled()  # multi-tenant: the sign-in fills the tenant later


def test_show_reveals_every_message_and_ok_waits_for_a_valid_draft(
    qtbot: QtBot, controller: Controller, inline_executor: Executor
) -> None:
    dialog = open_dialog(qtbot, controller, inline_executor)
    choose(dialog, "method", AuthMethod.OWN_APP.value)
    assert "fields need attention" in dialog.summary.text()
    dialog.summary.linkActivated.emit("reveal")
    assert dialog.form.rows["tenant"].message.text().startswith("Type the tenant")
    assert dialog.form.rows["client_secret"].message.isVisible()
    qtbot.keyClicks(line(dialog, "name"), "Contoso HQ")
    qtbot.keyClicks(line(dialog, "tenant"), "contoso.onmicrosoft.com")
    qtbot.keyClicks(line(dialog, "client_id"), "11111111-2222-3333-4444-555555555555")
    qtbot.keyClicks(line(dialog, "client_secret"), "s3cr3t-value")
    assert dialog.ok_button.isEnabled()
    with qtbot.waitSignal(dialog.submitted) as submitted:
        qtbot.mouseClick(dialog.ok_button, Qt.MouseButton.LeftButton)
    draft = submitted.args[0]
    assert isinstance(draft, ConnectionDraft)
    assert draft.secrets.client_secret == "s3cr3t-value"
    assert draft.tenant == "contoso.onmicrosoft.com" and draft.method is AuthMethod.OWN_APP
    assert controller.list_connections() == []  # the dialog never saves


def test_editing_keeps_secret_fields_empty_with_a_keychain_hint(
    qtbot: QtBot, controller: Controller, inline_executor: Executor
) -> None:
    from tests.desktop.conftest import simulated_draft

    saved = controller.create_connection(
        simulated_draft("Fabrikam sim", usage_period=UsagePeriod.D7)
    )
    controller.update_setting("beacon_version", "2025 R1")
    dialog = ConnectionDialog(
        controller, JobRunner(inline_executor), version=controller.beacon_version(),
        draft=controller.draft_for_edit(saved.id), editing_id=saved.id,
    )  # fmt: skip
    qtbot.addWidget(dialog)
    assert dialog.windowTitle() == "Edit PowerShell Source Connection"
    assert line(dialog, "name").text() == "Fabrikam sim"
    assert dialog.draft().usage_period is UsagePeriod.D7
    assert line(dialog, "client_secret").text() == ""
    assert "keychain" in line(dialog, "client_secret").placeholderText()
    assert dialog.simulated_label.text().startswith("Simulated tenant")
    assert dialog.ok_button.isEnabled()


def test_no_alarm_before_a_field_is_touched(
    qtbot: QtBot, controller: Controller, inline_executor: Executor
) -> None:
    dialog = open_dialog(qtbot, controller, inline_executor)
    assert dialog.errors  # the empty form is not valid yet…
    assert "attention" not in dialog.summary.text()  # …but nothing was typed: no alarm
    assert dialog.summary.property("calm") is True  # grey, not red
    assert all(row.message.isHidden() for row in dialog.form.rows.values())
    qtbot.keyClicks(line(dialog, "name"), "_bad name!")
    assert "attention" in dialog.summary.text()
    assert dialog.summary.property("calm") is False


def test_a_message_coming_and_going_does_not_move_the_rows_below(
    qtbot: QtBot, controller: Controller, inline_executor: Executor
) -> None:
    dialog = open_dialog(qtbot, controller, inline_executor)
    choose(dialog, "method", AuthMethod.OWN_APP.value)
    qtbot.waitExposed(dialog)
    below = dialog.form.rows["tenant"].editor

    def top() -> int:
        return below.mapTo(dialog.form, below.rect().topLeft()).y()

    before = top()
    qtbot.keyClicks(line(dialog, "name"), "_bad")
    assert dialog.form.rows["name"].message.isVisible()
    assert top() == before
    line(dialog, "name").clear()
    qtbot.keyClicks(line(dialog, "name"), "Contoso")
    assert dialog.form.rows["name"].message.isHidden()
    assert top() == before


@pytest.mark.parametrize("answer", [False, True])
def test_escape_on_a_changed_form_asks_before_discarding(
    qtbot: QtBot, controller: Controller, inline_executor: Executor, answer: bool
) -> None:
    asked: list[bool] = []

    def confirm() -> bool:
        asked.append(answer)
        return answer

    dialog = ConnectionDialog(
        controller, JobRunner(inline_executor), version=controller.beacon_version(),
        draft=ConnectionDraft(name="", method=AuthMethod.MULTI_TENANT), confirm_discard=confirm,
    )  # fmt: skip
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.keyClick(dialog, Qt.Key.Key_Escape)  # nothing typed: closes without asking
    assert asked == [] and not dialog.isVisible()
    dialog.show()
    qtbot.keyClicks(line(dialog, "name"), "Contoso HQ")
    qtbot.keyClick(dialog, Qt.Key.Key_Escape)
    assert asked == [answer]
    assert dialog.isVisible() is not answer
    if not answer:
        dialog.buttons.button(dialog.buttons.StandardButton.Cancel).click()
        assert asked == [answer, answer] and dialog.isVisible()
