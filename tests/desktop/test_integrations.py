"""ITAM Settings > Integrations: the SaaS Management switch retires the Office 365
connectors' licenses in the Licenses table, and disabling it restores them."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from core.controller import Controller
from core.domain.licensing import LicenseStatus
from desktop.main_window import MainWindow
from desktop.models.licenses_model import LicenseColumn
from tests.desktop.conftest import OpenWindow, ScriptedNotifier, settle

pytestmark = pytest.mark.gui


@pytest.fixture
def window(imported: Controller, open_window: OpenWindow) -> MainWindow:
    built = open_window(imported)
    built.tabs.setCurrentWidget(built.settings_tab)
    settle(built)
    built.settings_tab.tabs.setCurrentWidget(built.settings_tab.integrations)
    settle(built.settings_tab)
    return built


def statuses(window: MainWindow) -> set[LicenseStatus]:
    return {row.status for row in window.licenses.model.rows}


def test_enabling_explains_the_rule_and_the_count_before_retiring(
    qtbot: QtBot, window: MainWindow, notifier: ScriptedNotifier, imported: Controller
) -> None:
    tab = window.settings_tab.integrations
    assert "supersedes and overrides both Office 365 connectors" in tab.rule.text()
    qtbot.mouseClick(tab.demo_button, Qt.MouseButton.LeftButton)
    settle(tab)
    assert tab.message.level == "ok"
    count = imported.saas_retire_preview_count()
    assert count > 0
    assert f"retires {count:,} licenses" in tab.state.text()
    notifier.confirm_answer = False
    qtbot.mouseClick(tab.enable_button, Qt.MouseButton.LeftButton)
    settle(tab)
    kind, _title, question = notifier.calls[-1]
    assert kind == "confirm" and f"{count:,} Office 365 connector licenses retired" in question
    assert not imported.saas_config().enabled  # the user said no

    notifier.confirm_answer = True
    qtbot.mouseClick(tab.enable_button, Qt.MouseButton.LeftButton)
    settle(tab)
    assert imported.saas_config().enabled
    assert tab.enable_button.text() == "Disable the connector…"
    window.tabs.setCurrentWidget(window.licenses)
    settle(window)
    assert statuses(window) == {LicenseStatus.RETIRED}
    retired = window.licenses.model.index(0, LicenseColumn.STATUS)
    assert retired.data().startswith("Retired")
    assert retired.data(Qt.ItemDataRole.FontRole).strikeOut()
    window.licenses.show_retired.setChecked(False)
    settle(window)
    assert window.licenses.panel.model.rowCount() == 0
    window.licenses.show_retired.setChecked(True)
    settle(window)

    window.tabs.setCurrentWidget(window.settings_tab)
    settle(window)
    qtbot.mouseClick(tab.enable_button, Qt.MouseButton.LeftButton)
    settle(tab)
    kind, title, question = notifier.calls[-1]
    assert (kind, title) == ("confirm", "Disable SaaS Management")
    assert f"{count:,} Office 365 connector licenses restored" in question
    assert not imported.saas_config().enabled
    window.tabs.setCurrentWidget(window.licenses)
    settle(window)
    assert statuses(window) == {LicenseStatus.ACTIVE}


def test_invalid_settings_are_marked_next_to_their_fields(qtbot: QtBot, window: MainWindow) -> None:
    tab = window.settings_tab.integrations
    tab.zone.setCurrentIndex(tab.zone.findData("custom"))
    settle(tab)
    assert tab.token_url.isVisible() and tab.api_url.isVisible()
    qtbot.keyClicks(tab.org_id, "not a number")
    settle(tab)
    qtbot.keyClicks(tab.token_url, "ftp://example")
    settle(tab)
    qtbot.mouseClick(tab.save_button, Qt.MouseButton.LeftButton)
    settle(tab)
    assert tab.message.level == "error"
    assert tab.org_id.property("invalid") is True
    assert tab.token_url.property("invalid") is True
    assert "organization ID" in tab.message.text.text()
    tab.zone.setCurrentIndex(tab.zone.findData("eu"))
    settle(tab)
    assert not tab.token_url.isVisible()


def test_import_now_runs_as_a_job_and_shows_the_result(qtbot: QtBot, window: MainWindow) -> None:
    tab = window.settings_tab.integrations
    qtbot.mouseClick(tab.demo_button, Qt.MouseButton.LeftButton)
    settle(tab)
    assert not tab.import_button.isEnabled()  # imports only while enabled
    qtbot.mouseClick(tab.enable_button, Qt.MouseButton.LeftButton)
    settle(tab)
    assert tab.import_button.isEnabled()
    with qtbot.waitSignal(tab.licenses_changed, timeout=10000):
        qtbot.mouseClick(tab.import_button, Qt.MouseButton.LeftButton)
        settle(tab)
    assert tab.message.level == "ok", tab.message.text.text()
    assert "licenses" in tab.last_result.text.text()
