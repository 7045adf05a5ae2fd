"""Every header, card and legend fits at the default window size, 1280×800 (spec §8)."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QSize, Qt
from PySide6.QtGui import QFont, QFontMetrics
from PySide6.QtWidgets import QApplication, QHeaderView
from pytestqt.qtbot import QtBot

from core.controller import Controller
from desktop.main_window import MainWindow
from desktop.models.overview_model import TotalsColumn
from tests.desktop.conftest import OpenWindow, settle

pytestmark = pytest.mark.gui
PADDING = 12  # the section's padding, 6 px each side (resources/styles)
ARROW = 12  # room for the sort arrow of the sorted column


@pytest.fixture
def window(qtbot: QtBot, controller: Controller, open_window: OpenWindow) -> MainWindow:
    controller.add_demo_connections(start_imports=True)  # the demo tenants, imported inline
    built = open_window(controller)
    qtbot.waitExposed(built)
    return built


def _show(window: MainWindow, tab: object) -> None:
    window.tabs.setCurrentWidget(tab)  # type: ignore[arg-type]
    settle(window)
    window.reload_current()
    settle(window)
    QApplication.processEvents()


def _label_width(header: QHeaderView, column: int) -> int:
    font = QFont(header.font())
    font.setBold(True)
    text = str(header.model().headerData(column, Qt.Orientation.Horizontal) or "")
    arrow = ARROW if header.sortIndicatorSection() == column else 0
    return QFontMetrics(font).horizontalAdvance(text) + PADDING + arrow


def test_the_window_opens_at_1280_by_800(window: MainWindow) -> None:
    assert window.size() == QSize(1280, 800)


def test_every_header_label_fits(window: MainWindow) -> None:
    clipped = []
    for tab in window._data_tabs():
        _show(window, tab)
        for panel in tab.panels():  # type: ignore[attr-defined]
            header = panel.view.horizontalHeader()
            for column in range(header.count()):
                if header.isSectionHidden(column):
                    continue
                if header.sectionSize(column) < _label_width(header, column):
                    clipped.append(
                        (panel.name, header.model().headerData(column, Qt.Orientation.Horizontal))
                    )
    assert clipped == []


def test_the_overview_cards_and_tenant_table_fit(window: MainWindow) -> None:
    _show(window, window.overview)
    for card in window.overview.cards.values():
        for label in (card.caption, card.value):
            assert label.width() >= label.sizeHint().width(), label.text()
    view = window.overview.totals.view
    tenant = TotalsColumn.TENANT
    assert view.columnWidth(tenant) >= view.sizeHintForColumn(tenant)  # names not elided
    assert not view.horizontalScrollBar().isVisible()
    assert sum(view.columnWidth(c) for c in TotalsColumn) <= view.viewport().width()


def test_the_chart_legend_entries_do_not_overlap(window: MainWindow) -> None:
    _show(window, window.overview)
    chart = window.overview.chart
    metrics = chart.fontMetrics()
    rects = chart.legend_rects()
    assert len(rects) == 3
    for left, right in zip(rects, rects[1:], strict=False):
        assert left.right() < right.left()
    assert rects[-1].right() <= chart.width()
    for rect, name in zip(rects, ("Entitled", "Assigned", "Active"), strict=True):
        assert rect.width() >= 16 + metrics.horizontalAdvance(name)
    assert chart.width() <= chart.parentWidget().width()  # no sideways scrolling
