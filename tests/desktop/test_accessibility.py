"""Screen readers and the keyboard: every control has an accessible name, the chart has a
table behind a toggle, dialogs tab in reading order and Escape/Enter work (issue 15)."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QPoint, Qt
from PySide6.QtGui import QAccessible
from PySide6.QtWidgets import (
    QAbstractButton,
    QAbstractItemView,
    QAbstractScrollArea,
    QAbstractSpinBox,
    QApplication,
    QComboBox,
    QDialog,
    QHeaderView,
    QLabel,
    QLineEdit,
    QWidget,
)
from pytestqt.qtbot import QtBot

from core.controller import Controller
from core.domain.connection import (
    AuthMethod,
    ConnectionDraft,
    CredentialKind,
    ProxyMode,
    SourceType,
)
from core.domain.licensing import LicenseStatus
from desktop.dialogs.status_dialog import StatusChangeDialog
from desktop.main_window import MainWindow
from desktop.models.product_figures_model import ProductFiguresColumn
from tests.desktop.conftest import OpenWindow, settle

pytestmark = pytest.mark.gui
CONTROLS = (QAbstractButton, QLineEdit, QComboBox, QAbstractSpinBox, QAbstractItemView)


@pytest.fixture
def window(qtbot: QtBot, controller: Controller, open_window: OpenWindow) -> MainWindow:
    controller.add_demo_connections(start_imports=True)
    built = open_window(controller)
    qtbot.waitExposed(built)
    return built


def _is_qt_internal(widget: QWidget, root: QWidget) -> bool:
    """Parts Qt names itself or that belong to a control (a spin box's line edit, a combo
    box's popup, a line edit's clear button, header sections read through their table)."""
    parent = widget.parentWidget()
    return (
        widget.objectName().startswith("qt_")
        or widget.window() is not root
        or isinstance(widget, QHeaderView)
        or isinstance(parent, QComboBox | QAbstractSpinBox | QLineEdit)
    )


def interactive(root: QWidget) -> list[QWidget]:
    """The controls of `root`, and any other widget that takes focus (scroll areas, …)."""
    found = []
    for widget in root.findChildren(QWidget):
        if _is_qt_internal(widget, root) or isinstance(widget, QLabel):
            continue
        focusable = bool(widget.focusPolicy() & Qt.FocusPolicy.TabFocus)
        if isinstance(widget, CONTROLS) or focusable:
            found.append(widget)
    return found


def unnamed(root: QWidget) -> list[str]:
    missing = []
    for widget in interactive(root):
        interface = QAccessible.queryAccessibleInterface(widget)
        name = interface.text(QAccessible.Text.Name) if interface is not None else ""
        if not name.strip():
            missing.append(f"{type(widget).__name__} {widget.objectName()!r} in "
                           f"{type(widget.parentWidget()).__name__}")  # fmt: skip
    return missing


def test_every_control_of_every_tab_has_an_accessible_name(window: MainWindow) -> None:
    for index in range(window.tabs.count()):
        window.tabs.setCurrentIndex(index)
        settle(window)
        window.reload_current()
        settle(window)
    for index in range(window.settings_tab.tabs.count()):
        window.settings_tab.tabs.setCurrentIndex(index)
        settle(window)
    QApplication.processEvents()
    assert len(interactive(window)) > 50
    assert unnamed(window) == []


def test_every_control_of_the_connection_dialog_has_an_accessible_name(
    window: MainWindow,
) -> None:
    dialog = window.inventory.open_new_dialog()
    settle(dialog)
    assert len(interactive(dialog)) > 20
    assert unnamed(dialog) == []
    names = {w.accessibleName() for w in interactive(dialog)}
    assert {"Connection Name", "Tenant ID or domain"} <= names
    dialog.reject()


def test_every_control_of_the_license_and_status_dialogs_has_an_accessible_name(
    window: MainWindow,
) -> None:
    window.tabs.setCurrentWidget(window.licenses)
    settle(window)
    window.reload_current()
    settle(window)
    license_id = window.licenses.model.rows[0].id
    dialog = window.licenses.open_properties(license_id)
    settle(dialog)
    assert unnamed(dialog) == []
    dialog.reject()
    status = StatusChangeDialog(3, LicenseStatus.ACTIVE, window)
    assert unnamed(status) == []
    status.deleteLater()


def test_search_boxes_and_tables_are_named_after_what_they_show(window: MainWindow) -> None:
    assert window.licenses.panel.search.accessibleName() == "Search licenses"
    assert window.licenses.panel.view.accessibleName() == "Licenses table"
    assert window.overview.warnings.view.accessibleName() == "Warnings that need action table"
    assert window.users.tenant.accessibleName() == "Tenant filter"


def test_table_cells_read_as_their_text(window: MainWindow) -> None:
    window.tabs.setCurrentWidget(window.licenses)
    settle(window)
    window.reload_current()
    settle(window)
    view = window.licenses.panel.view
    table = QAccessible.queryAccessibleInterface(view)
    assert table is not None
    model = view.model()
    texts = [table.child(i).text(QAccessible.Text.Name) for i in range(table.childCount())]
    first_row = [model.index(0, c).data() for c in range(model.columnCount())]
    headers = [model.headerData(c, Qt.Orientation.Horizontal) for c in range(model.columnCount())]
    # The header row (after the corner), then row by row (each after its row header).
    assert texts[1 : 1 + len(headers)] == headers
    start = 2 + len(headers)
    assert texts[start : start + len(first_row)] == first_row


def test_the_chart_has_a_table_with_the_same_figures_behind_a_toggle(
    qtbot: QtBot, window: MainWindow
) -> None:
    overview = window.overview
    window.tabs.setCurrentWidget(overview)
    settle(window)
    window.reload_current()
    settle(window)
    assert overview.chart.accessibleName()
    assert not overview.products.isVisible()
    overview.show_table.setFocus()
    qtbot.keyClick(overview.show_table, Qt.Key.Key_Space)
    settle(overview)
    assert overview.products.isVisible()
    assert not overview.chart.isVisible()
    model = overview.products.model
    shown = {
        model.index(row, ProductFiguresColumn.PRODUCT).data(): tuple(
            model.index(row, c).data() for c in list(ProductFiguresColumn)[1:]
        )
        for row in range(model.rowCount())
    }
    for group in overview.chart.groups:
        entitled, assigned, active = group.values
        expected = (f"{entitled:,}", f"{assigned:,}",
                    "usage unknown" if active is None else f"{active:,}")  # fmt: skip
        assert shown[group.label] == expected


def test_ctrl_and_a_number_switches_tabs(qtbot: QtBot, window: MainWindow) -> None:
    window.activateWindow()
    for index in range(window.tabs.count()):
        qtbot.keyClick(window, Qt.Key(Qt.Key.Key_1 + index), Qt.KeyboardModifier.ControlModifier)
        settle(window)
        assert window.tabs.currentIndex() == index


def test_every_menu_and_menu_bar_entry_has_a_mnemonic(window: MainWindow) -> None:
    for top in window.menuBar().actions():
        assert "&" in top.text(), top.text()
        for action in top.menu().actions():
            if action.isSeparator() or action.data() is not None and not action.isCheckable():
                continue  # the tab entries carry Ctrl+1..N instead
            assert "&" in action.text(), action.text()


def _tab_chain(dialog: QDialog, start: QWidget, steps: int) -> list[QWidget]:
    chain, widget = [], start
    for _ in range(steps):
        widget = widget.nextInFocusChain()
        focusable = bool(widget.focusPolicy() & Qt.FocusPolicy.TabFocus)
        if (
            focusable
            and widget.isVisibleTo(dialog)
            and widget.isEnabled()
            and not widget.focusProxy()
        ):
            chain.append(widget)
    return chain


@pytest.mark.parametrize(
    "changes",
    [
        {},
        {"method": AuthMethod.OWN_APP, "credential_kind": CredentialKind.PFX},
        {"source_type": SourceType.OFFICE_365},
        {"method": AuthMethod.OWN_APP, "proxy_mode": ProxyMode.URL},
    ],
)
def test_tab_goes_down_the_connection_form_in_reading_order(
    window: MainWindow, changes: dict[str, object]
) -> None:
    draft = ConnectionDraft(name="Tab order", **changes)  # type: ignore[arg-type]
    dialog = window.inventory.open_new_dialog(draft)
    settle(dialog)
    form = dialog.form
    first = form.rows["name"].editor
    chain = [w for w in _tab_chain(dialog, first, 200) if form.isAncestorOf(w)]
    chain = list(dict.fromkeys([first, *chain]))
    tops = [w.mapTo(form, QPoint(0, 0)) for w in chain]
    rows = [(p.y(), p.x()) for p in tops]
    # Top to bottom; side by side editors (a schedule's kind and hours) left to right.
    assert all(a[0] < b[0] + 4 for a, b in zip(rows, rows[1:], strict=False)), rows
    dialog.reject()


def test_escape_closes_the_license_dialog_and_the_unchanged_connection_dialog(
    qtbot: QtBot, window: MainWindow
) -> None:
    window.tabs.setCurrentWidget(window.licenses)
    settle(window)
    window.reload_current()
    settle(window)
    dialog = window.licenses.open_properties(window.licenses.model.rows[0].id)
    settle(dialog)
    qtbot.keyClick(dialog, Qt.Key.Key_Escape)
    assert not dialog.isVisible()
    connection = window.inventory.open_new_dialog()
    settle(connection)
    qtbot.keyClick(connection, Qt.Key.Key_Escape)
    settle(connection)
    assert not connection.isVisible()


def test_enter_accepts_the_status_dialog(qtbot: QtBot, window: MainWindow) -> None:
    dialog = StatusChangeDialog(2, None, window)
    qtbot.addWidget(dialog)
    dialog.show()
    dialog.reason.setFocus()
    with qtbot.waitSignal(dialog.accepted, timeout=1000):
        qtbot.keyClick(dialog.reason, Qt.Key.Key_Return)
        settle(dialog)


def test_a_dash_cell_reads_as_no_value(window: MainWindow) -> None:
    model = window.overview.totals_model
    window.tabs.setCurrentWidget(window.overview)
    settle(window)
    window.reload_current()
    settle(window)
    cells = [model.index(r, c) for r in range(model.rowCount()) for c in range(model.columnCount())]
    dashes = [i for i in cells if i.data() == "—"]
    assert dashes, "the demo's Fabrikam has no activity figures"
    assert {i.data(Qt.ItemDataRole.AccessibleTextRole) for i in dashes} == {"no value"}
    others = [i for i in cells if i.data() != "—"]
    assert all(i.data(Qt.ItemDataRole.AccessibleTextRole) is None for i in others)


def test_the_connection_form_does_not_scroll_sideways_with_a_larger_font(
    qtbot: QtBot, qapp: QApplication, window: MainWindow
) -> None:
    font = qapp.font()
    larger = qapp.font()
    larger.setPointSizeF(13.0)
    qapp.setFont(larger)
    try:
        dialog = window.inventory.open_new_dialog()
        settle(dialog)
        qtbot.waitExposed(dialog)
        scroll = dialog.findChild(QAbstractScrollArea, "formScroll")
        assert scroll is not None
        bar = scroll.horizontalScrollBar()
        qtbot.waitUntil(lambda: not bar.isVisible(), timeout=2000)  # after the layout settles
        assert dialog.form.width() >= dialog.form.minimumSizeHint().width()
        dialog.reject()
    finally:
        qapp.setFont(font)


def test_the_connection_dialog_opens_with_focus_in_its_first_field(
    qtbot: QtBot, window: MainWindow
) -> None:
    dialog = window.inventory.open_new_dialog()
    settle(dialog)
    qtbot.waitExposed(dialog)
    dialog.activateWindow()
    qtbot.waitUntil(lambda: dialog.focusWidget() is not None, timeout=2000)
    assert dialog.focusWidget() is dialog.form.rows["name"].editor
    dialog.reject()
