"""A dialog that shows a license or a connection updates when it changes underneath, and one
license has one properties dialog (spec §8)."""

from __future__ import annotations

from dataclasses import replace

import pytest
from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from core.controller import Controller
from core.domain.connection import UsagePeriod
from core.domain.licensing import LicenseSource, LicenseStatus
from desktop.main_window import MainWindow
from tests.desktop.conftest import OpenWindow, ScriptedNotifier, settle

pytestmark = pytest.mark.gui


@pytest.fixture
def window(imported: Controller, open_window: OpenWindow) -> MainWindow:
    built = open_window(imported)
    built.tabs.setCurrentWidget(built.licenses)
    settle(built)
    built.licenses.reload()
    settle(built.licenses)
    return built


def _m365_license_id(window: MainWindow) -> int:
    rows = window.licenses.model.rows
    return next(r.id for r in rows if r.source is LicenseSource.MICROSOFT_365 and not r.free)


def test_the_properties_dialog_shows_a_license_retired_by_the_saas_switch(
    qtbot: QtBot, window: MainWindow, imported: Controller
) -> None:
    dialog = window.licenses.open_properties(_m365_license_id(window))
    settle(dialog)
    assert dialog.status.currentText() == "Active"
    integrations = window.settings_tab.integrations
    window.tabs.setCurrentWidget(window.settings_tab)
    settle(window)
    window.settings_tab.tabs.setCurrentWidget(integrations)
    settle(window.settings_tab)
    qtbot.mouseClick(integrations.demo_button, Qt.MouseButton.LeftButton)
    settle(integrations)
    qtbot.mouseClick(integrations.enable_button, Qt.MouseButton.LeftButton)
    settle(integrations)
    assert imported.saas_config().enabled
    assert dialog.detail is not None and dialog.detail.row.status is LicenseStatus.RETIRED
    assert dialog.status.currentText() == "Retired"
    assert "changed from Active to Retired" in dialog.message.text.text()
    assert "none (Retired licenses" in dialog.facts.text()


def test_a_change_in_one_dialog_rereads_the_others_keeping_unsaved_input(
    window: MainWindow,
) -> None:
    rows = [r for r in window.licenses.model.rows if not r.free]
    first = window.licenses.open_properties(rows[0].id)
    settle(first)
    second = window.licenses.open_properties(rows[1].id)
    settle(second)
    price = "12.50"
    second.price.setText(price)
    second.price.setModified(True)
    if rows[0].product_key == rows[1].product_key:
        pytest.skip("the first two licenses share a product")
    first.status.setCurrentIndex(first.status.findData(LicenseStatus.IN_STOCK.value))
    settle(first)
    before = second.detail
    first.apply_status.click()
    settle(first)
    assert second.detail is not before  # read again
    assert second.price.text() == price  # the user's unsaved price is kept on reload
    assert "changed" not in first.message.text.text()  # the user's own change is no news


def test_activating_a_license_again_raises_its_open_dialog(window: MainWindow) -> None:
    license_id = _m365_license_id(window)
    row = next(r for r in window.licenses.model.rows if r.id == license_id)
    window.licenses.panel.row_activated.emit(row)
    first = window.licenses.dialog
    window.licenses.panel.row_activated.emit(row)
    assert window.licenses.dialog is first
    assert window.licenses.open_dialogs() == [first]
    assert first is not None and first.isVisible()
    first.reject()
    assert window.licenses.open_dialogs() == []
    window.licenses.panel.row_activated.emit(row)
    assert window.licenses.dialog is not first  # closed: the next activation opens anew


def test_the_edit_dialog_notices_its_connection_was_deleted(
    window: MainWindow, imported: Controller
) -> None:
    connection = imported.list_connections()[0]
    window.tabs.setCurrentWidget(window.inventory)
    settle(window)
    dialog = window.inventory.open_edit_dialog(connection.id)
    settle(dialog)
    assert dialog.ok_button.isEnabled()
    imported.delete_connection(connection.id)  # e.g. by the command line
    window.inventory.reload()
    settle(window.inventory)
    assert not dialog.ok_button.isEnabled()
    assert dialog.save_error.level == "error"
    assert "was deleted while you were editing it" in dialog.save_error.text.text()


def test_the_edit_dialog_notices_its_connection_was_changed(
    window: MainWindow, imported: Controller
) -> None:
    connection = imported.list_connections()[0]
    window.tabs.setCurrentWidget(window.inventory)
    settle(window)
    dialog = window.inventory.open_edit_dialog(connection.id)
    settle(dialog)
    window.inventory.reload()  # nothing changed: nothing said
    settle(window.inventory)
    assert dialog.save_error.isHidden()
    draft = imported.draft_for_edit(connection.id)
    imported.update_connection(connection.id, replace(draft, usage_period=UsagePeriod.D7))
    window.inventory.reload()
    settle(window.inventory)
    assert dialog.save_error.level == "warning"
    assert "changed elsewhere" in dialog.save_error.text.text()
    assert dialog.ok_button.isEnabled()


def test_the_properties_dialog_says_when_its_license_is_gone(
    qtbot: QtBot, window: MainWindow, imported: Controller, notifier: ScriptedNotifier
) -> None:
    dialog = window.licenses.open_properties(_m365_license_id(window))
    settle(dialog)
    window.tabs.setCurrentWidget(window.inventory)
    settle(window)
    window.inventory.reload()
    settle(window.inventory)
    window.inventory.panel.view.selectRow(0)
    notifier.confirm_answer = True
    window.inventory.delete_button.click()  # its connection, with its licenses
    settle(window)
    assert imported.list_connections() == []
    assert dialog.message.level == "warning"
    assert "no longer exists" in dialog.message.text.text()
    assert not dialog.apply_status.isEnabled() and not dialog.save_price.isEnabled()
