"""The table panel: one double-click opens one dialog; the row count reads as English; a
reload keeps the selection."""

from __future__ import annotations

import dataclasses

from PySide6.QtCore import QItemSelectionModel, Qt
from pytestqt.qtbot import QtBot

from core.domain.licensing import OverviewTotals
from desktop.models.overview_model import TotalsModel
from desktop.models.proxy import SearchProxyModel
from desktop.widgets.table_panel import TablePanel


def _panel(qtbot: QtBot, rows: int) -> TablePanel:
    model = TotalsModel()
    model.replace_rows(
        [
            OverviewTotals(f"Tenant {i}", "", "", 1, 10, 5, 5, 0, 0, 5, 0, 0.0, 0.0)
            for i in range(rows)
        ]
    )
    proxy = SearchProxyModel()
    proxy.setSourceModel(model)
    panel = TablePanel("test", proxy)
    panel._test_models = (model, proxy)  # type: ignore[attr-defined]  # keep them alive
    qtbot.addWidget(panel)
    panel.resize(600, 300)
    panel.show()
    qtbot.waitExposed(panel)
    return panel


def test_a_double_click_activates_the_row_once(qtbot: QtBot) -> None:
    panel = _panel(qtbot, 2)
    seen: list[object] = []
    panel.row_activated.connect(seen.append)
    rect = panel.view.visualRect(panel.model.index(1, 0))
    # A real double-click: a click, then the second press that Qt delivers as a double-click.
    qtbot.mouseClick(panel.view.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    qtbot.mouseDClick(panel.view.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    assert [row.key for row in seen] == ["Tenant 1"]  # type: ignore[attr-defined]
    panel.view.setCurrentIndex(panel.model.index(0, 0))
    qtbot.keyClick(panel.view, Qt.Key.Key_Return)
    assert [row.key for row in seen] == ["Tenant 1", "Tenant 0"]  # type: ignore[attr-defined]


def test_the_row_count_says_row_for_one(qtbot: QtBot) -> None:
    assert _panel(qtbot, 1).count_label.text() == "1 row"
    assert _panel(qtbot, 3).count_label.text() == "3 rows"


def test_a_reload_keeps_the_selected_rows_selected(qtbot: QtBot) -> None:
    panel = _panel(qtbot, 5)
    model, proxy = panel._test_models  # type: ignore[attr-defined]
    panel.sort_by(0, Qt.SortOrder.DescendingOrder)
    panel.view.selectRow(1)  # Tenant 3
    flags = QItemSelectionModel.SelectionFlag
    panel.view.selectionModel().select(proxy.index(3, 0), flags.Select | flags.Rows)  # Tenant 1
    changes: list[bool] = []
    panel.selection_changed.connect(lambda: changes.append(True))

    # The same tenants reloaded in another order, one of them with new figures, one gone.
    rows = list(model.rows)
    model.replace_rows([rows[4], dataclasses.replace(rows[3], licenses=7), rows[0], rows[1]])

    assert [row.key for row in panel.selected_rows()] == ["Tenant 3", "Tenant 1"]
    assert panel.current_row().key == "Tenant 3"
    assert changes  # the tabs' buttons follow the restored selection

    model.replace_rows([rows[0]])
    assert panel.selected_rows() == []
