"""Messages in a license manager's words: no internal names, "SaaS", a real author in the
status history, one money format, and no stale "Settings saved." (spec §8)."""

from __future__ import annotations

import getpass
import re

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QAbstractButton, QComboBox, QLabel, QWidget
from pytestqt.qtbot import QtBot

from core.controller import Controller
from core.domain.licensing import ActionWarning, LicenseStatus
from desktop.main_window import MainWindow
from desktop.models.changes_model import ChangeColumn
from desktop.models.warnings_model import WarningColumn, WarningsModel
from tests.desktop.conftest import OpenWindow, settle

pytestmark = pytest.mark.gui
SNAKE = re.compile(r"\b[a-z]+_[a-z_]+\b")


@pytest.fixture
def window(imported: Controller, open_window: OpenWindow) -> MainWindow:
    built = open_window(imported)
    for tab in built._data_tabs():
        tab.reload()  # type: ignore[attr-defined]
        settle(tab)
    return built


def _texts(root: QWidget) -> list[str]:
    """Every label, button and combo item text, and every table header, under `root`."""
    texts = [w.text() for w in root.findChildren(QLabel)]
    texts += [w.text() for w in root.findChildren(QAbstractButton)]
    for combo in root.findChildren(QComboBox):
        texts += [combo.itemText(i) for i in range(combo.count())]
    return texts


def test_no_internal_names_in_the_window(window: MainWindow) -> None:
    texts = _texts(window)
    for panel in window._all_panels():
        model = panel.view.model()
        texts += [
            str(model.headerData(c, Qt.Orientation.Horizontal) or "")
            for c in range(model.columnCount())
        ]
    leaks = [t for t in texts if SNAKE.search(re.sub(r"<[^>]+>|https?://\S+", "", t))]
    assert leaks == []
    assert not [t for t in texts if "Saas" in t]


@pytest.mark.parametrize(
    ("kind", "shown"),
    [("saas-import", "SaaS Management import"), ("saas-disabled", "SaaS Management disabled"),
     ("saas-something-new", "SaaS something new"), ("consumed-mismatch", "Consumed units differ")],
)  # fmt: skip
def test_warning_kinds_read_as_words(qtbot: QtBot, kind: str, shown: str) -> None:
    model = WarningsModel()
    model.replace_rows([ActionWarning(kind, "warning", "text")])
    assert model.index(0, WarningColumn.KIND).data() == shown


def test_a_status_change_names_its_author_and_the_connector(
    window: MainWindow, imported: Controller
) -> None:
    row = next(r for r in window.licenses.model.rows if not r.free)
    dialog = window.licenses.open_properties(row.id)
    settle(dialog)
    dialog.status.setCurrentIndex(dialog.status.findData(LicenseStatus.IN_STOCK.value))
    settle(dialog)
    dialog.reason.setText("spare seats")
    dialog.apply_status.click()
    settle(dialog)
    model = dialog.changes_model
    authors = [model.index(r, ChangeColumn.BY).data() for r in range(model.rowCount())]
    # Automatic changes name the OS user whose process made them (the worker's, the analyst
    # who switched the connector): status history names who changed what.
    me = getpass.getuser()
    assert authors == [f"Import ({me})", me]
    assert "user" not in authors
    imported.set_up_demo_saas()
    imported.enable_saas()
    dialog.reload()
    settle(dialog)
    by = model.index(model.rowCount() - 1, ChangeColumn.BY).data()
    assert by == f"SaaS Management connector ({me})"


def test_a_rejected_price_is_explained_without_internal_names(window: MainWindow) -> None:
    row = next(r for r in window.licenses.model.rows if not r.free)
    dialog = window.licenses.open_properties(row.id)
    settle(dialog)
    dialog.price.setText("twelve")
    dialog.save_price.click()
    settle(dialog)
    assert dialog.message.level == "error"
    assert "is not a number" in dialog.message.text.text()
    assert "unit_price" not in dialog.message.text.text()


def test_money_in_the_license_dialog_reads_one_way(
    window: MainWindow, imported: Controller
) -> None:
    row = next(r for r in window.licenses.model.rows if not r.free)
    dialog = window.licenses.open_properties(row.id)
    settle(dialog)
    assert "no unit price is set" in dialog.facts.text()  # not "0" nor "— / month"
    dialog.price.setText("12.5")
    dialog.save_price.click()
    settle(dialog)
    assert dialog.price.text() == "12.50"
    currency = imported.settings().currency
    assert dialog.price_unit.text() == f"{currency} per unit and month"
    facts = dialog.facts.text()
    amounts = re.findall(r"(?:Cost|waste) (\S+ [A-Z]{3}) / month", facts)
    assert len(amounts) == 2, facts
    for amount in amounts:
        assert re.fullmatch(rf"[\d,]+\.\d\d {currency}", amount), facts


def test_settings_saved_goes_away_once_the_form_changes(qtbot: QtBot, window: MainWindow) -> None:
    general = window.settings_tab.general
    general.reload()
    settle(general)
    general.currency.setText("EUR")
    general.save()
    settle(general)
    assert general.message.level == "ok" and general.message.isVisibleTo(general)
    qtbot.keyClick(general.currency, Qt.Key.Key_Backspace)
    settle(general)
    assert general.message.isHidden()


def test_a_rejected_price_in_the_prices_table_names_no_key(qtbot: QtBot) -> None:
    from core.errors import ValidationError
    from desktop.models.prices_model import PriceColumn, PricesModel
    from tests.desktop.test_models import product

    def save(_key: str, _text: str) -> None:
        raise ValidationError({"unit_price": "“x” is not a number."})

    model = PricesModel(save)
    model.replace_rows([product()])
    with qtbot.waitSignal(model.price_rejected) as rejected:
        model.setData(model.index(0, PriceColumn.UNIT_PRICE), "x")
    assert rejected.args == ["“x” is not a number."]


def test_a_product_without_price_shows_no_cost(qtbot: QtBot) -> None:
    from desktop.models.prices_model import PriceColumn, PricesModel
    from tests.desktop.test_models import product

    model = PricesModel(lambda _key, _text: None)
    model.currency = "USD"
    # A free product: no price, and the figures core computes for it are zeros.
    model.replace_rows([product(unit_price=None, monthly_cost=0.0, annual_cost=0.0)])
    cells = [model.index(0, c).data() for c in (PriceColumn.UNIT_PRICE, PriceColumn.MONTHLY_COST,
                                                 PriceColumn.ANNUAL_COST)]  # fmt: skip
    assert cells == ["—", "—", "—"]
