"""Sort arrows tell the truth and a totals row stays at the bottom, not counted (spec §8)."""

from __future__ import annotations

from typing import Any

import pytest
from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from core.controller import Controller
from core.domain.licensing import OverviewTotals
from desktop.main_window import MainWindow
from desktop.models.base import RowRole, SortRole
from desktop.models.history_model import HistoryColumn
from desktop.models.licenses_model import LicenseColumn
from desktop.models.overview_model import TOTAL_KEY, TotalsColumn, TotalsModel, is_total
from desktop.models.proxy import SearchProxyModel
from desktop.models.warnings_model import WarningColumn
from desktop.widgets.table_panel import TablePanel
from tests.desktop.conftest import OpenWindow, settle

pytestmark = pytest.mark.gui
DESC = Qt.SortOrder.DescendingOrder
ASC = Qt.SortOrder.AscendingOrder


def _totals(key: str, entitled: int) -> OverviewTotals:
    return OverviewTotals(key, "", "", 1, entitled, 5, 5, 0, 0, 5, 0, 1.0, 0.0)


def _totals_panel(qtbot: QtBot) -> TablePanel:
    model = TotalsModel()
    model.replace_rows([_totals("B", 20), _totals("A", 30), _totals(TOTAL_KEY, 50)])
    proxy = SearchProxyModel()
    proxy.setSourceModel(model)
    proxy.set_pinned(is_total)
    panel = TablePanel("test", proxy)
    panel._test_models = (model, proxy)  # type: ignore[attr-defined]  # keep them alive
    qtbot.addWidget(panel)
    return panel


def _keys(panel: TablePanel) -> list[str]:
    model = panel.model
    return [model.index(r, 0).data(RowRole).key for r in range(model.rowCount())]


@pytest.mark.parametrize("column", list(TotalsColumn))
@pytest.mark.parametrize("order", [ASC, DESC])
def test_the_total_row_stays_last_under_any_sort(
    qtbot: QtBot, column: TotalsColumn, order: Qt.SortOrder
) -> None:
    panel = _totals_panel(qtbot)
    panel.sort_by(column, order)
    assert _keys(panel)[-1] == TOTAL_KEY


def test_the_total_row_is_not_counted(qtbot: QtBot) -> None:
    panel = _totals_panel(qtbot)
    assert panel.count_label.text() == "2 rows"
    panel.search.setText("A")  # "A" matches tenant A and not the total row's text? either way
    assert panel.count_label.text().endswith("of 2 rows")


def _follows_indicator(panel: TablePanel) -> bool:
    """Adjacent rows (totals aside) are in the order the header's arrow shows."""
    header = panel.view.horizontalHeader()
    column, order = header.sortIndicatorSection(), header.sortIndicatorOrder()
    model = panel.model
    values: list[Any] = [
        model.index(r, column).data(SortRole)
        for r in range(model.rowCount())
        if not (isinstance(model, SearchProxyModel) and model.is_pinned(model.row_at(r)))
    ]
    pairs = list(zip(values, values[1:], strict=False))
    if order == DESC:
        return all(not (a < b) for a, b in pairs)
    return all(not (b < a) for a, b in pairs)


@pytest.fixture
def window(imported: Controller, open_window: OpenWindow) -> MainWindow:
    imported.import_now(imported.list_connections()[0].id)  # a second, newer run
    built = open_window(imported)
    for tab in built._data_tabs():
        tab.reload()  # type: ignore[attr-defined]
        settle(tab)
    return built


def test_the_licenses_arrow_names_the_order_shown(window: MainWindow) -> None:
    header = window.licenses.panel.view.horizontalHeader()
    assert header.sortIndicatorSection() == LicenseColumn.TENANT
    assert window.licenses.proxy.rowCount() > 3
    assert _follows_indicator(window.licenses.panel)


def test_history_shows_newest_first_under_a_descending_arrow(window: MainWindow) -> None:
    panel = window.history.panel
    header = panel.view.horizontalHeader()
    assert (header.sortIndicatorSection(), header.sortIndicatorOrder()) == (
        HistoryColumn.STARTED,
        DESC,
    )
    runs = [panel.model.index(r, 0).data(RowRole) for r in range(panel.model.rowCount())]
    assert len(runs) == 2
    assert runs[0].started_at >= runs[1].started_at
    assert runs[0].id > runs[1].id


def test_warnings_are_sorted_by_severity_under_its_arrow(window: MainWindow) -> None:
    panel = window.overview.warnings
    header = panel.view.horizontalHeader()
    assert header.sortIndicatorSection() == WarningColumn.SEVERITY
    severities = [
        panel.model.index(r, 0).data(RowRole).severity for r in range(panel.model.rowCount())
    ]
    assert len(severities) >= 2
    rank = {"error": 0, "warning": 1, "info": 2}
    assert [rank[s] for s in severities] == sorted(rank[s] for s in severities)


def test_every_table_is_in_the_order_its_arrow_shows(window: MainWindow) -> None:
    for panel in window._all_panels():
        assert _follows_indicator(panel), panel.name


def test_a_restored_users_arrow_waits_for_the_first_load(qtbot: QtBot) -> None:
    from core.domain.licensing import UserQuery, UserSort
    from desktop.models.users_model import UserColumn, UsersModel

    queries: list[UserQuery] = []
    model = UsersModel()
    model.rows_requested.connect(queries.append)
    model.sort(UserColumn.UPN, DESC)  # the header's restored state, before the tab loads
    assert queries == []  # no query at start-up
    model.set_query(model.query)
    assert (queries[-1].sort, queries[-1].descending) == (UserSort.USER_PRINCIPAL_NAME, True)
