"""Every table: an Export button beside its search box and a context menu (Copy, Export, and
the commands of its rows); the status of several licenses at once; the Overlap filter."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QItemSelectionModel
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QDialogButtonBox
from pytestqt.qtbot import QtBot

from core.controller import Controller
from core.domain.licensing import LicenseStatus, UserFlag
from desktop.main_window import MainWindow
from desktop.widgets.table_panel import TablePanel
from tests.desktop.conftest import OpenWindow, ScriptedNotifier, settle

pytestmark = pytest.mark.gui


@pytest.fixture
def window(imported: Controller, open_window: OpenWindow) -> MainWindow:
    built = open_window(imported)
    for tab in built._data_tabs():
        tab.reload()  # type: ignore[attr-defined]
        settle(tab)
    return built


def _menu_texts(panel: TablePanel) -> list[str]:
    return [a.text() for a in panel.build_context_menu().actions() if not a.isSeparator()]


def _select(panel: TablePanel, rows: list[int]) -> None:
    selection = panel.view.selectionModel()
    flags = QItemSelectionModel.SelectionFlag.Select | QItemSelectionModel.SelectionFlag.Rows
    selection.clearSelection()
    for row in rows:
        selection.select(panel.model.index(row, 0), flags)


def test_every_table_has_export_beside_its_search_and_in_its_menu(
    window: MainWindow, notifier: ScriptedNotifier
) -> None:
    panels = window._all_panels()
    assert len(panels) >= 7
    for panel in panels:
        assert not panel.export_button.isHidden(), panel.name
        assert {"Copy", "Export…"} <= set(_menu_texts(panel)), panel.name
        notifier.calls.clear()
        panel.export_button.click()
        settle(panel)
        assert [kind for kind, _, _ in notifier.calls] == ["save"], panel.name


def test_row_commands_are_in_the_context_menus(window: MainWindow) -> None:
    assert _menu_texts(window.licenses.panel)[:2] == ["Properties…", "Change status…"]
    assert _menu_texts(window.inventory.panel)[:5] == [
        "Edit…", "Test connection", "Execute now", "Cancel import", "Delete…",
    ]  # fmt: skip
    assert "Show details" in _menu_texts(window.history.panel)
    assert "Go to it" in _menu_texts(window.overview.warnings)


def test_copy_puts_the_selected_rows_on_the_clipboard(window: MainWindow) -> None:
    panel = window.licenses.panel
    _select(panel, [0, 1])
    panel.copy_action.trigger()
    lines = QGuiApplication.clipboard().text().splitlines()
    assert lines[0].startswith("Product\tSKU\tTenant")
    assert len(lines) == 3
    assert lines[1].split("\t")[0] == panel.model.index(0, 0).data()


def test_several_licenses_change_status_at_once_with_one_reason(
    qtbot: QtBot, window: MainWindow, imported: Controller
) -> None:
    tab = window.licenses
    _select(tab.panel, [0, 1, 2])
    chosen = tab.selected()
    assert len(chosen) == 3 and tab.status_button.isEnabled()
    dialog = tab.open_status_dialog()
    assert dialog is not None and "3 selected licenses" in dialog.intro.text()
    dialog.status.setCurrentIndex(dialog.status.findData(LicenseStatus.IN_STOCK.value))
    settle(dialog)
    dialog.reason.setText("year-end count")
    with qtbot.waitSignal(tab.licenses_changed, timeout=5000):
        dialog.buttons.button(QDialogButtonBox.StandardButton.Ok).click()
        settle(dialog)
    assert tab.message.level == "ok" and "3 licenses" in tab.message.text.text()
    for row in chosen:
        assert imported.license(row.id).status is LicenseStatus.IN_STOCK
        last = imported.license_detail(row.id).changes[-1]
        assert last.reason == "year-end count"
    shown = {r.id: r.status for r in tab.model.rows}
    assert all(shown[r.id] is LicenseStatus.IN_STOCK for r in chosen)


def test_the_users_tab_filters_overlapping_holders(window: MainWindow) -> None:
    users = window.users
    index = users.flag.findData(UserFlag.OVERLAP.value)
    assert index >= 0 and users.flag.itemText(index).startswith("Overlap")
    users.flag.setCurrentIndex(index)
    settle(users)
    users.model.set_query(users.query())
    settle(users)
    count = users.model.rowCount()
    assert count > 0
    assert all(users.model.row_at(r).overlap for r in range(count))  # type: ignore[union-attr]
