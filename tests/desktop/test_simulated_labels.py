"""Demo tenants say they are simulated wherever the window names them (issue 11 point 11), as a
label only; `licensedesk --demo` also sets up the demo SaaS Management organization."""

from __future__ import annotations

import pytest
from pytestqt.qtbot import QtBot

from core.controller import Controller
from desktop.main_window import MainWindow
from desktop.models.history_model import HistoryColumn
from desktop.models.licenses_model import LicenseColumn
from desktop.models.overview_model import TotalsColumn
from desktop.models.products_model import ProductColumn
from desktop.models.users_model import UserColumn
from desktop.models.warnings_model import WarningColumn
from tests.desktop.conftest import OpenWindow, settle

pytestmark = pytest.mark.gui


@pytest.fixture
def window(qtbot: QtBot, controller: Controller, open_window: OpenWindow) -> MainWindow:
    built = open_window(controller)
    qtbot.waitUntil(lambda: built.tabs.currentWidget() not in built._stale)
    built.add_demo()  # what `licensedesk --demo` does
    qtbot.waitUntil(
        lambda: not built.runner.running_ids() and len(controller.import_history()) == 2
    )
    return built


def column_texts(window: MainWindow, tab: object, column: int) -> set[str]:
    window.tabs.setCurrentWidget(tab)  # type: ignore[arg-type]
    settle(window)
    panel = tab.panels()[0]  # type: ignore[attr-defined]
    model = panel.model
    return {str(model.index(r, column).data()) for r in range(model.rowCount())}


def test_demo_also_sets_up_the_simulated_saas_organization(
    window: MainWindow, controller: Controller
) -> None:
    config = controller.saas_config()
    assert config.configured and config.simulated and not config.enabled


def test_demo_tenant_names_say_simulated_in_every_view(
    qtbot: QtBot, window: MainWindow, controller: Controller
) -> None:
    licenses = column_texts(window, window.licenses, LicenseColumn.TENANT)
    assert licenses == {"Contoso (simulated)", "Fabrikam (simulated)"}
    users = window.users
    window.tabs.setCurrentWidget(users)
    settle(window)
    qtbot.waitUntil(lambda: users.model.rowCount() > 0)
    assert users.model.index(0, UserColumn.TENANT).data().endswith(" (simulated)")
    history = column_texts(window, window.history, HistoryColumn.CONNECTION)
    assert history == {"Contoso demo (simulated)", "Fabrikam demo (simulated)"}
    tenants = column_texts(window, window.overview, TotalsColumn.TENANT) - {"Total"}
    assert tenants and all(t.endswith(" (simulated)") for t in tenants)
    warnings = window.overview.warnings.model
    named = [warnings.index(r, WarningColumn.TENANT).data() for r in range(warnings.rowCount())]
    assert "Fabrikam (simulated)" in named
    window.tabs.setCurrentWidget(window.products)
    settle(window)
    products = window.products.model
    qtbot.waitUntil(lambda: products.rowCount() > 0)
    tip = products.index(0, ProductColumn.TENANTS).data(3)  # ToolTipRole
    assert "(simulated)" in tip
    # Only a label: the stored names stay as they are.
    assert {r.tenant_name for r in controller.license_rows()} == {"Contoso", "Fabrikam"}
