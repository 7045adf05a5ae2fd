"""Usage unknown is not zero on screen (spec §7): "—" with the reason on hover, and the chart
draws no Active bar for a product whose usage is entirely unknown."""

from __future__ import annotations

from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from core.domain.licensing import Overview, OverviewTotals, ProductRow
from desktop.jobs import JobRunner
from desktop.models.overview_model import TotalsColumn, TotalsModel
from desktop.tabs.overview_tab import OverviewTab
from desktop.widgets.bar_chart import BarChart
from tests.desktop.conftest import InlineExecutor


def _totals(key: str, active: int | None, inactive: int | None, unknown: int) -> OverviewTotals:
    return OverviewTotals(key, "", key, 2, 900, 883, active, inactive, unknown, 17, 0, 0.0, 0.0)


def _product(active: int | None, unknown: int) -> ProductRow:
    return ProductRow(
        product_key="SPE_E3", product="Microsoft 365 E3", sku_part_number="SPE_E3", licenses=1,
        tenants=1, entitlement=900, assigned_users=883, active_users=active,
        inactive_users=None if active is None else 883 - active - unknown,
        usage_unknown_users=unknown, compliance_position=17, unassigned=17, shortfall=0,
        wasted_units=17, free=False, unit_price=None, monthly_cost=None, annual_cost=None,
        waste_cost=None,
    )  # fmt: skip


def test_unknown_usage_reads_a_dash_with_the_reason_on_hover(qtbot: QtBot) -> None:
    fabrikam = _totals("Fabrikam demo", None, None, 883)
    model = TotalsModel()
    model.replace_rows([fabrikam])
    index = model.index(0, TotalsColumn.ACTIVE)
    assert index.data() == "—"
    assert "all 883 holders is unknown" in index.data(Qt.ItemDataRole.ToolTipRole)


def test_overview_card_and_chart_for_a_tenant_whose_usage_is_unknown(
    qtbot: QtBot, controller
) -> None:  # type: ignore[no-untyped-def]
    tab = OverviewTab(controller, JobRunner(InlineExecutor()))
    qtbot.addWidget(tab)
    fabrikam = _totals("Fabrikam demo", None, None, 883)
    tab.show_overview(Overview((fabrikam,), fabrikam, (_product(None, 883),), (), "USD"))
    card = tab.cards["active"]
    assert card.value.text() == "—"
    assert "usage of all 883 holders is unknown" in card.toolTip()
    assert tab.chart.groups[0].values == (900, 883, None)

    contoso = _totals("Contoso demo", 700, 150, 33)
    tab.show_overview(Overview((contoso,), contoso, (_product(700, 33),), (), "USD"))
    assert card.value.text() == "700"
    assert "33 of 883 holders is unknown" in card.toolTip()


def test_the_chart_paints_no_active_bar_for_unknown_usage(qtbot: QtBot) -> None:
    from desktop.resources import colour
    from desktop.widgets import bar_chart

    def active_bar_pixel(active: int | None) -> str:
        chart = BarChart()
        qtbot.addWidget(chart)
        chart.resize(640, 200)
        chart.set_groups([bar_chart.BarGroup("Microsoft 365 E3", (900, 883, active))])
        image = chart.grab().toImage()
        y = int(chart.bar_top(0, 2)) + 5
        return image.pixelColor(bar_chart.LEFT + 3, y).name()

    assert active_bar_pixel(500) == colour("active").name()
    assert active_bar_pixel(None) != colour("active").name()
