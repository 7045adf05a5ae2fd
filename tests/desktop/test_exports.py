"""Exports are data (spec §8, issue 11 point 5): every table's Export in the window writes the
same columns and values as `licensedesk-cli … --format csv`: plain numbers, a currency column,
ISO 8601 times, a simulated column, no totals row."""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path

import pytest
from pytestqt.qtbot import QtBot

from core.cli import main
from core.controller import Controller
from desktop.main_window import MainWindow
from desktop.widgets.table_panel import TablePanel
from tests.desktop.conftest import OpenWindow, ScriptedNotifier, settle

pytestmark = pytest.mark.gui

THOUSANDS = re.compile(r"^-?\d{1,3}(,\d{3})+(\.\d+)?$")


@pytest.fixture
def window(qtbot: QtBot, imported: Controller, open_window: OpenWindow) -> MainWindow:
    built = open_window(imported)
    qtbot.waitUntil(lambda: built.tabs.currentWidget() not in built._stale)
    return built


def window_export(
    qtbot: QtBot, window: MainWindow, notifier: ScriptedNotifier, panel: TablePanel, path: Path
) -> list[list[str]]:
    tab = next(t for t in window._data_tabs() if t.isAncestorOf(panel))
    window.tabs.setCurrentWidget(tab)
    settle(window)
    qtbot.waitUntil(lambda: panel.model.rowCount() > 0)  # tabs load as jobs
    notifier.save_path = str(path)
    panel.export_button.click()
    settle(panel)
    job = window.exporter.job if panel.row_source is not None else None
    qtbot.waitUntil(lambda: path.exists() and (job is None or not job.running))
    with open(path, encoding="utf-8-sig", newline="") as handle:
        return list(csv.reader(handle))


def cli_export(controller: Controller, capsys: pytest.CaptureFixture[str], *argv: str):
    capsys.readouterr()
    assert main([*argv, "--format", "csv"], controller_factory=lambda: controller) == 0
    return list(csv.reader(io.StringIO(capsys.readouterr().out)))


@pytest.mark.parametrize(
    ("tab", "command"),
    [
        ("licenses", ("licenses",)),
        ("products", ("licenses", "products")),
        ("users", ("users",)),
        ("history", ("history",)),
        ("inventory", ("connections", "list")),
    ],
)
def test_window_and_cli_export_the_same_columns_and_values(
    qtbot: QtBot, window: MainWindow, imported: Controller, notifier: ScriptedNotifier,
    capsys: pytest.CaptureFixture[str], tmp_path: Path, tab: str, command: tuple[str, ...],
) -> None:  # fmt: skip
    panel = getattr(window, tab).panels()[0]
    shown = window_export(qtbot, window, notifier, panel, tmp_path / f"{tab}.csv")
    printed = cli_export(imported, capsys, *command)
    assert shown[0] == printed[0]
    assert "simulated" in shown[0]
    assert sorted(shown[1:]) == sorted(printed[1:])
    assert len(shown) > 1


def test_license_export_is_data_not_display_text(
    qtbot: QtBot, window: MainWindow, notifier: ScriptedNotifier, tmp_path: Path
) -> None:
    rows = window_export(qtbot, window, notifier, window.licenses.panel, tmp_path / "l.csv")
    header, body = rows[0], rows[1:]
    records = [dict(zip(header, r, strict=True)) for r in body]
    assert {"currency", "simulated", "unit_price", "waste_cost"} <= set(header)
    assert {r["currency"] for r in records} == {imported_currency(window)}
    assert {r["simulated"] for r in records} == {"true"}
    assert all(r["tenant_name"] and "(simulated)" not in r["tenant_name"] for r in records)
    for record in records:
        for key in ("entitlement", "assigned_users", "waste_cost", "unit_price"):
            value = record[key]
            assert not THOUSANDS.match(value) and " " not in value, (key, value)
            if value:
                float(value)


def imported_currency(window: MainWindow) -> str:
    return window._controller.settings().currency


def test_overview_export_leaves_the_totals_row_out(
    qtbot: QtBot, window: MainWindow, notifier: ScriptedNotifier, tmp_path: Path
) -> None:
    panel = window.overview.totals
    assert panel.model.rowCount() == 2  # the tenant and the Total row
    rows = window_export(qtbot, window, notifier, panel, tmp_path / "o.csv")
    assert len(rows) == 2 and rows[1][0] != "Total"
    record = dict(zip(rows[0], rows[1], strict=True))
    assert record["simulated"] == "true" and record["currency"]
    float(record["monthly_cost"])


def test_history_export_writes_iso_times(
    qtbot: QtBot, window: MainWindow, notifier: ScriptedNotifier, tmp_path: Path
) -> None:
    rows = window_export(qtbot, window, notifier, window.history.panel, tmp_path / "h.csv")
    record = dict(zip(rows[0], rows[1], strict=True))
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d.*", record["started_at"])
