"""Every table model: qtmodeltester, then data() of each column, sort values and updates."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from core.domain.cloud import Cloud
from core.domain.connection import Connection, Schedule, ScheduleKind
from core.domain.imports import ImportCounts, ImportRun, ImportStatus
from core.domain.licensing import (
    ActionWarning,
    LicenseHolder,
    LicenseRow,
    LicenseSource,
    LicenseStatus,
    LicenseSubscription,
    OverviewTotals,
    ProductRow,
    StatusChange,
)
from desktop.models.base import RowRole, SortRole
from desktop.models.changes_model import ChangeColumn, ChangesModel
from desktop.models.connections_model import ConnectionColumn, ConnectionsModel
from desktop.models.history_model import HistoryColumn, HistoryModel
from desktop.models.holders_model import HolderColumn, HoldersModel
from desktop.models.licenses_model import LicenseColumn, LicensesModel
from desktop.models.overview_model import TotalsColumn, TotalsModel
from desktop.models.prices_model import PriceColumn, PricesModel
from desktop.models.proxy import SearchProxyModel
from desktop.models.subscriptions_model import SubscriptionColumn, SubscriptionsModel
from desktop.models.warnings_model import WarningColumn, WarningsModel
from desktop.resources import colour

pytestmark = pytest.mark.gui

WHEN = datetime(2026, 11, 2, 8, 30, tzinfo=UTC)


def texts(model, row: int) -> list[str]:  # type: ignore[no-untyped-def]
    return [model.index(row, c).data() for c in range(model.columnCount())]


def license_row(**changes: object) -> LicenseRow:
    values: dict[str, object] = {
        "id": 1,
        "tenant_id": "t1",
        "tenant_name": "Contoso",
        "connection_id": 1,
        "connection": "Contoso HQ",
        "source": LicenseSource.MICROSOFT_365,
        "sku_id": "sku-e3",
        "sku_part_number": "SPE_E3",
        "product": "Microsoft 365 E3",
        "product_key": "SPE_E3",
        "status": LicenseStatus.ACTIVE,
        "in_reconciliation": True,
        "enabled": 100,
        "warning": 5,
        "suspended": 2,
        "consumed_units": 110,
        "available": 0,
        "compliance_position": -5,
        "inactive_users": 7,
        "waste_cost": 252.0,
        "grace": True,
    }
    values.update(changes)
    return LicenseRow(**values)  # type: ignore[arg-type]


def test_licenses_model_shows_every_column(qtbot: QtBot, qtmodeltester) -> None:  # type: ignore[no-untyped-def]
    model = LicensesModel()
    model.currency = "EUR"
    retired = license_row(
        id=2,
        status=LicenseStatus.RETIRED,
        in_reconciliation=False,
        compliance_position=None,
        waste_cost=None,
    )
    model.replace_rows([license_row(), retired])
    qtmodeltester.check(model)
    assert texts(model, 0) == [
        "Microsoft 365 E3", "SPE_E3", "Contoso", "Microsoft 365", "Active", "Yes", "100", "5",
        "2", "110", "0", "-5", "7", "252.00 EUR",
    ]  # fmt: skip
    assert model.index(0, LicenseColumn.COMPLIANCE).data(SortRole) == -5
    assert model.index(0, LicenseColumn.ENABLED).data(SortRole) == 100
    assert model.index(0, 0).data(RowRole).id == 1
    negative = model.index(0, LicenseColumn.COMPLIANCE).data(Qt.ItemDataRole.ForegroundRole)
    assert negative.name() == "#b3261e"
    assert "grace" in model.index(0, LicenseColumn.WARNING).data(Qt.ItemDataRole.ToolTipRole)


def test_retired_license_rows_are_greyed_and_struck_out(qtbot: QtBot) -> None:
    model = LicensesModel()
    model.replace_rows([license_row(status=LicenseStatus.RETIRED, in_reconciliation=False,
                                    compliance_position=None, retired_by_saas=True)])  # fmt: skip
    assert model.index(0, LicenseColumn.STATUS).data() == "Retired (by SaaS Management)"
    assert model.index(0, LicenseColumn.IN_RECONCILIATION).data() == "No"
    assert model.index(0, LicenseColumn.COMPLIANCE).data() == "—"
    for column in LicenseColumn:
        assert model.index(0, column).data(Qt.ItemDataRole.FontRole).strikeOut()
        assert model.index(0, column).data(Qt.ItemDataRole.ForegroundRole) == colour("retired")


def test_update_rows_signals_only_changed_cells(qtbot: QtBot) -> None:
    model = LicensesModel()
    model.replace_rows([license_row(), license_row(id=2)])
    changed: list[tuple[int, int]] = []
    model.dataChanged.connect(lambda a, b: changed.append((a.row(), a.column())))
    model.update_rows({2: license_row(id=2, status=LicenseStatus.IN_STOCK)})
    assert changed == [(1, LicenseColumn.STATUS)]
    with qtbot.waitSignal(model.rowsInserted):
        model.update_rows({3: license_row(id=3)})
    assert model.rowCount() == 3 and model.position_of(3) == 2


def test_append_rows_inserts_only_the_new_range(qtbot: QtBot) -> None:
    model = LicensesModel()
    model.replace_rows([license_row()])
    with qtbot.waitSignal(model.rowsInserted) as blocker:
        model.append_rows([license_row(id=2), license_row(id=3)])
    assert blocker.args[1:] == [1, 2]
    assert [r.id for r in model.rows] == [1, 2, 3]


def test_search_proxy_filters_by_every_word_and_predicate(qtbot: QtBot, qtmodeltester) -> None:  # type: ignore[no-untyped-def]
    model = LicensesModel()
    model.replace_rows([
        license_row(),
        license_row(id=2, product="Visio Plan 2", sku_part_number="VISIOCLIENT"),
        license_row(id=3, product="Office 365 E3", status=LicenseStatus.RETIRED),
    ])  # fmt: skip
    proxy = SearchProxyModel()
    proxy.setSourceModel(model)
    qtmodeltester.check(proxy)
    proxy.set_search("e3 CONTOSO")
    assert sorted(proxy.row_at(i).id for i in range(proxy.rowCount())) == [1, 3]
    proxy.set_predicate(lambda row: row.status is not LicenseStatus.RETIRED)
    assert [proxy.row_at(i).id for i in range(proxy.rowCount())] == [1]
    proxy.set_search("")
    proxy.sort(LicenseColumn.PRODUCT)
    assert [proxy.row_at(i).product for i in range(proxy.rowCount())] == [
        "Microsoft 365 E3",
        "Visio Plan 2",
    ]


def connection(**changes: object) -> Connection:
    values: dict[str, object] = {
        "name": "Contoso HQ",
        "id": 4,
        "tenant": "contoso.com",
        "tenant_name": "Contoso Ltd",
        "cloud": Cloud.GCC_HIGH,
        "schedule": Schedule(ScheduleKind.DAILY, daily_at="03:15"),
        "last_import_at": WHEN,
        "last_import_status": ImportStatus.SUCCEEDED_WITH_WARNINGS,
    }
    values.update(changes)
    return Connection(**values)  # type: ignore[arg-type]


def test_connections_model_labels_simulated_and_live_status(qtbot: QtBot, qtmodeltester) -> None:  # type: ignore[no-untyped-def]
    model = ConnectionsModel()
    demo = connection(
        id=5,
        name="Demo",
        simulated_tenant="contoso",
        last_import_at=None,
        last_import_status=None,
    )
    model.replace_rows([connection(), demo])
    qtmodeltester.check(model)
    row = texts(model, 0)
    assert row[:6] == [
        "Contoso HQ", "Microsoft 365", "Contoso Ltd", "Own registered app", "GCC High",
        "Daily at 03:15",
    ]  # fmt: skip
    assert row[ConnectionColumn.STATUS] == "Succeeded with warnings"
    assert row[ConnectionColumn.LAST_IMPORT].startswith("2026-11-0")
    assert texts(model, 1)[ConnectionColumn.NAME] == "Demo (simulated)"
    assert texts(model, 1)[ConnectionColumn.STATUS] == "Never imported"
    assert model.index(1, 0).data(SortRole) == "demo (simulated)"
    with qtbot.waitSignal(model.dataChanged):
        model.set_live_status({5: "Importing: Read 100 users"})
    assert model.index(1, ConnectionColumn.STATUS).data() == "Importing: Read 100 users"


def test_history_model_shows_counts_and_problem(qtbot: QtBot, qtmodeltester) -> None:  # type: ignore[no-untyped-def]
    run = ImportRun(
        id=1, connection_id=4, connection_name="Contoso HQ", started_at=WHEN,
        ended_at=datetime(2026, 11, 2, 8, 31, 5, tzinfo=UTC),
        status=ImportStatus.SUCCEEDED_WITH_WARNINGS, counts=ImportCounts(12, 3, 2500, 2100, 900),
        warnings=("Report names are concealed",), error=None, run_by="worker-7.example:4242",
    )  # fmt: skip
    failed = ImportRun(2, 4, "Contoso HQ", WHEN, None, ImportStatus.FAILED, ImportCounts(),
                       (), "The secret value was rejected", "AADSTS7000215")  # fmt: skip
    model = HistoryModel()
    model.replace_rows([run, failed])
    qtmodeltester.check(model)
    assert texts(model, 0)[1:] == [
        "Contoso HQ", "Succeeded with warnings", "1 min 05 s", "worker-7.example", "12", "2,500",
        "2,100", "900", "1", "Report names are concealed",
    ]  # fmt: skip
    run_on = model.index(0, HistoryColumn.RUN_ON)
    assert run_on.data(Qt.ItemDataRole.ToolTipRole) == (
        "Run by process worker-7.example:4242 (host:process id)"
    )
    assert texts(model, 1)[HistoryColumn.RUN_ON] == "—"  # recorded before version 7
    assert model.index(0, HistoryColumn.DURATION).data(SortRole) == 65.0
    assert texts(model, 1)[HistoryColumn.PROBLEM] == "The secret value was rejected"
    assert texts(model, 1)[HistoryColumn.DURATION] == "—"


def test_totals_and_warnings_models(qtbot: QtBot, qtmodeltester) -> None:  # type: ignore[no-untyped-def]
    tenant = OverviewTotals(
        "Contoso HQ", "t1", "Contoso", 3, 500, 520, 400, 100, 20, 10, 30, 1200.5, 99.0
    )
    total = OverviewTotals("Total", "", "", 3, 500, 520, 400, 100, 20, 10, 30, 1200.5, 99.0)
    totals = TotalsModel()
    totals.currency = "USD"
    totals.replace_rows([tenant, total])
    qtmodeltester.check(totals)
    assert texts(totals, 0) == [
        "Contoso HQ", "3", "500", "520", "400", "10", "30", "1,200.50 USD", "99.00 USD",
    ]  # fmt: skip
    assert totals.index(1, TotalsColumn.TENANT).data(Qt.ItemDataRole.FontRole).bold()
    assert totals.index(0, TotalsColumn.SHORTFALL).data(SortRole) == 30
    warnings = WarningsModel()
    warnings.replace_rows([
        ActionWarning("concealed-names", "warning", "Turn off concealed names", "Fabrikam"),
        ActionWarning("shortfall", "error", "E5 is short by 5", "Contoso", license_id=3),
    ])  # fmt: skip
    qtmodeltester.check(warnings)
    assert texts(warnings, 0) == [
        "Warning",
        "Fabrikam",
        "Concealed names",
        "Turn off concealed names",
    ]
    assert warnings.index(1, WarningColumn.SEVERITY).data(SortRole) == 0


def test_license_detail_models(qtbot: QtBot, qtmodeltester) -> None:  # type: ignore[no-untyped-def]
    holders = HoldersModel()
    holders.replace_rows([
        LicenseHolder("u1", "adele@contoso.com", "Adele", True, True, ("g1", "g2"),
                      "2026-01-02T00:00:00Z", "2026-10-01", True, False, False),
        LicenseHolder("u2", "ben@contoso.com", "Ben", False, False, (), None, None, False,
                      False, False),
    ])  # fmt: skip
    qtmodeltester.check(holders)
    assert texts(holders, 0) == [
        "Adele", "adele@contoso.com", "Yes", "direct + 2 groups", "2026-01-02", "2026-10-01",
        "Duplicate path",
    ]  # fmt: skip
    assert texts(holders, 1)[HolderColumn.FLAGS] == "Disabled, Usage unknown"
    subscriptions = SubscriptionsModel()
    subscriptions.replace_rows(
        [LicenseSubscription("s1", "Warning", 25, True, WHEN, datetime(2026, 12, 1, tzinfo=UTC))]
    )
    qtmodeltester.check(subscriptions)
    assert texts(subscriptions, 0) == ["s1", "Warning", "25", "Yes", "2026-11-02", "2026-12-01"]
    assert subscriptions.index(0, SubscriptionColumn.SEATS).data(SortRole) == 25
    changes = ChangesModel()
    changes.replace_rows([StatusChange(1, 3, WHEN, LicenseStatus.ACTIVE, LicenseStatus.RETIRED,
                                       "saas-management", "SaaS Management enabled")])  # fmt: skip
    qtmodeltester.check(changes)
    assert texts(changes, 0)[ChangeColumn.FROM :] == [
        "Active", "Retired", "SaaS Management connector", "SaaS Management enabled",
    ]  # fmt: skip


def product(**changes: object) -> ProductRow:
    values: dict[str, object] = dict(
        product_key="SPE_E3", product="Microsoft 365 E3", sku_part_number="SPE_E3", licenses=2,
        tenants=2, entitlement=300, assigned_users=280, active_users=250, inactive_users=30,
            usage_unknown_users=0,
        compliance_position=20, unassigned=20, shortfall=0, wasted_units=50, free=False,
        unit_price=36.0, monthly_cost=10800.0, annual_cost=129600.0, waste_cost=1800.0,
    )  # fmt: skip
    values.update(changes)
    return ProductRow(**values)  # type: ignore[arg-type]


def test_prices_model_edits_the_unit_price(qtbot: QtBot, qtmodeltester) -> None:  # type: ignore[no-untyped-def]
    saved: list[tuple[str, str]] = []

    def save(key: str, text: str) -> None:
        if text == "abc":
            raise ValueError("Type a price such as 12.50.")
        saved.append((key, text))

    model = PricesModel(save)
    model.currency = "USD"
    model.replace_rows([product(), product(product_key="VISIO", product="Visio", unit_price=None,
                                           monthly_cost=None, annual_cost=None)])  # fmt: skip
    qtmodeltester.check(model)
    assert texts(model, 0) == [
        "Microsoft 365 E3", "SPE_E3", "2", "300", "36.00 USD", "10,800.00 USD", "129,600.00 USD",
    ]  # fmt: skip
    assert texts(model, 1)[PriceColumn.UNIT_PRICE :] == ["—", "—", "—"]  # no price, no cost
    price = model.index(1, PriceColumn.UNIT_PRICE)
    assert price.flags() & Qt.ItemFlag.ItemIsEditable
    assert not model.index(1, PriceColumn.PRODUCT).flags() & Qt.ItemFlag.ItemIsEditable
    assert model.setData(price, "12.5")
    assert saved == [("VISIO", "12.5")]
    with qtbot.waitSignal(model.price_rejected) as rejected:
        assert not model.setData(price, "abc")
    assert rejected.args == ["Type a price such as 12.50."]


def test_formatting_of_dates_in_models_uses_iso_days() -> None:
    from desktop import formatting

    assert formatting.day(date(2026, 1, 2)) == "2026-01-02"
    assert formatting.day("2026-01-02T10:00:00Z") == "2026-01-02"
    assert formatting.duration(3725) == "1 h 02 min"
    assert formatting.signed(3) == "+3" and formatting.signed(None) == "—"
