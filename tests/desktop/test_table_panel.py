"""The table panel: one double-click opens one dialog; the row count reads as English."""

from __future__ import annotations

from PySide6.QtCore import Qt
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
