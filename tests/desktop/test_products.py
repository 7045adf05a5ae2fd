"""The Products view (issue 11 point 4): one position per product across tenants and sources,
each figure the sum of the same figure of that product's licenses in reconciliation."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from core.controller import Controller
from core.domain.licensing import USAGE_UNKNOWN_REASON, LicenseRow, ProductRow, TenantRef
from desktop import formatting
from desktop.main_window import MainWindow
from desktop.models.base import RowRole, SortRole
from desktop.models.products_model import PRODUCT_FIELDS, ProductColumn, ProductsModel
from tests.desktop.conftest import OpenWindow, settle

pytestmark = pytest.mark.gui


def product(**changes: object) -> ProductRow:
    values: dict[str, object] = {
        "product_key": "SPE_E3", "product": "Microsoft 365 E3", "sku_part_number": "SPE_E3",
        "licenses": 3, "tenants": 2, "entitlement": 1200, "assigned_users": 1250,
        "active_users": None, "inactive_users": None, "usage_unknown_users": 1250,
        "compliance_position": -50, "unassigned": 0, "shortfall": 50, "wasted_units": 0,
        "free": False, "unit_price": 36.0, "monthly_cost": 43200.0, "annual_cost": 518400.0,
        "waste_cost": 0.0, "simulated": True,
        "tenant_refs": (TenantRef("Contoso", True), TenantRef("SaaS Management", False)),
    }  # fmt: skip
    values.update(changes)
    return ProductRow(**values)  # type: ignore[arg-type]


def test_products_model_passes_the_model_tester(qtbot: QtBot, qtmodeltester) -> None:  # type: ignore[no-untyped-def]
    model = ProductsModel()
    model.currency = "USD"
    model.replace_rows([product(), product(product_key="EMS", product="EMS E3", active_users=3)])
    qtmodeltester.check(model)


def test_products_model_shows_every_column() -> None:
    model = ProductsModel()
    model.currency = "USD"
    model.replace_rows([product()])

    def cell(column: ProductColumn, role: int = Qt.ItemDataRole.DisplayRole) -> object:
        return model.index(0, column).data(role)

    expected = {
        ProductColumn.PRODUCT: "Microsoft 365 E3", ProductColumn.SKU: "SPE_E3",
        ProductColumn.LICENSES: "3", ProductColumn.TENANTS: "2",
        ProductColumn.ENTITLED: "1,200", ProductColumn.ASSIGNED: "1,250",
        ProductColumn.ACTIVE: "—", ProductColumn.INACTIVE: "—",
        ProductColumn.USAGE_UNKNOWN: "1,250", ProductColumn.COMPLIANCE: "-50",
        ProductColumn.SHORTFALL: "50", ProductColumn.UNIT_PRICE: "36.00 USD",
        ProductColumn.MONTHLY_COST: "43,200.00 USD", ProductColumn.WASTE_COST: "0.00 USD",
    }  # fmt: skip
    assert {c: cell(c) for c in ProductColumn} == expected
    assert USAGE_UNKNOWN_REASON in str(cell(ProductColumn.ACTIVE, Qt.ItemDataRole.ToolTipRole))
    assert cell(ProductColumn.TENANTS, Qt.ItemDataRole.ToolTipRole) == (
        "Contoso (simulated), SaaS Management"
    )
    assert cell(ProductColumn.ACTIVE, SortRole) == -1
    assert cell(ProductColumn.COMPLIANCE, SortRole) == -50
    assert isinstance(cell(ProductColumn.PRODUCT, RowRole), ProductRow)


@pytest.fixture
def demo(controller: Controller) -> Controller:
    """Contoso and Fabrikam (usage entirely unknown) imported, with the demo prices."""
    for connection in controller.add_demo_connections(start_imports=False):
        assert controller.import_now(connection.id).error is None
    return controller


@pytest.fixture
def window(qtbot: QtBot, demo: Controller, open_window: OpenWindow) -> MainWindow:
    built = open_window(demo)
    qtbot.waitUntil(lambda: built.tabs.currentWidget() not in built._stale)
    built.tabs.setCurrentWidget(built.licenses)
    settle(built)
    built.tabs.setCurrentWidget(built.products)
    settle(built)
    qtbot.waitUntil(lambda: built.products.model.rowCount() > 0)
    return built


def _sum_known(values: list[int | None]) -> int | None:
    known = [v for v in values if v is not None]
    return sum(known) if known else None


def _money(values: list[float | None]) -> float | None:
    known = [v for v in values if v is not None]
    return sum(known) if known else None


def expected_figures(licenses: list[LicenseRow]) -> dict[ProductColumn, object]:
    holding = [r for r in licenses if r.assigned_users]
    return {
        ProductColumn.LICENSES: len(licenses),
        ProductColumn.TENANTS: len({r.tenant_id or r.tenant_name for r in licenses}),
        ProductColumn.ENTITLED: sum(r.entitlement for r in licenses),
        ProductColumn.ASSIGNED: sum(r.assigned_users for r in licenses),
        ProductColumn.ACTIVE: _sum_known([r.active_users for r in holding]) if holding else 0,
        ProductColumn.INACTIVE: _sum_known([r.inactive_users for r in holding]) if holding else 0,
        ProductColumn.USAGE_UNKNOWN: sum(r.usage_unknown_users for r in licenses),
        ProductColumn.COMPLIANCE: sum(r.compliance_position or 0 for r in licenses),
        ProductColumn.SHORTFALL: sum(r.shortfall for r in licenses),
        ProductColumn.MONTHLY_COST: _money([r.monthly_cost for r in licenses]),
        ProductColumn.WASTE_COST: _money([r.waste_cost for r in licenses]),
    }


def test_each_product_once_with_the_sum_of_its_licenses(window: MainWindow) -> None:
    shown = list(window.products.model.rows)
    keys = [p.product_key for p in shown]
    assert len(keys) == len(set(keys)) and len(keys) > 5
    licenses = [r for r in window.licenses.model.rows if r.in_reconciliation]
    across_tenants = 0
    for row in shown:
        mine = [r for r in licenses if r.product_key == row.product_key]
        assert mine, row.product
        across_tenants += len({r.tenant_name for r in mine}) > 1
        for column, value in expected_figures(mine).items():
            figure = getattr(row, PRODUCT_FIELDS[column])
            if isinstance(value, float):
                assert figure == pytest.approx(value), (row.product, column.name)
            else:
                assert figure == value, (row.product, column.name)
        prices = {r.unit_price for r in mine}
        assert row.unit_price == (prices.pop() if len(prices) == 1 else None)
    assert across_tenants  # some products are held in both demo tenants
    assert sum(p.entitlement for p in shown) == sum(r.entitlement for r in licenses)


def test_usage_unknown_product_reads_a_dash_with_the_reason(window: MainWindow) -> None:
    model = window.products.model
    unknown = [i for i, p in enumerate(model.rows) if p.active_users is None and p.assigned_users]
    assert unknown  # Fabrikam-only products: usage entirely unknown
    index = model.index(unknown[0], ProductColumn.ACTIVE)
    assert index.data() == formatting.DASH
    assert USAGE_UNKNOWN_REASON in index.data(Qt.ItemDataRole.ToolTipRole)


def test_double_click_shows_the_products_licenses(qtbot: QtBot, window: MainWindow) -> None:
    panel = window.products.panel
    index = panel.model.index(0, ProductColumn.PRODUCT)
    name = index.data(RowRole).product
    panel.view.activated.emit(index)
    assert window.tabs.currentWidget() is window.licenses
    assert window.licenses.panel.search.text() == name
    assert window.licenses.panel.model.rowCount() >= 1
