"""Write any table, as the user sees it (filtered and sorted), to a CSV file."""

from __future__ import annotations

import csv
from collections.abc import Iterable
from pathlib import Path

from PySide6.QtCore import QAbstractItemModel, Qt

from core.domain.spreadsheet import spreadsheet_safe


def header_of(model: QAbstractItemModel) -> list[str]:
    return [
        str(model.headerData(c, Qt.Orientation.Horizontal, Qt.ItemDataRole.DisplayRole) or "")
        for c in range(model.columnCount())
    ]


def model_rows(model: QAbstractItemModel) -> Iterable[list[str]]:
    """Every row of `model` (a proxy, so filtered and sorted) as display text."""
    columns = range(model.columnCount())
    for row in range(model.rowCount()):
        yield [_text(model, row, c) for c in columns]


def write_rows(path: str | Path, header: list[str], rows: Iterable[list[str]]) -> int:
    """Write a header and rows; UTF-8 with a BOM so spreadsheets read non-ASCII names. Cells a
    spreadsheet would run as a formula are written as text (`spreadsheet_safe`)."""
    count = 0
    with open(path, "w", newline="", encoding="utf-8-sig") as handle:
        writer = csv.writer(handle)
        writer.writerow([spreadsheet_safe(c) for c in header])
        for cells in rows:
            writer.writerow([spreadsheet_safe(c) for c in cells])
            count += 1
    return count


def write_csv(model: QAbstractItemModel, path: str | Path) -> int:
    """Write the table behind `model`; return the number of rows written."""
    return write_rows(path, header_of(model), model_rows(model))


def _text(model: QAbstractItemModel, row: int, column: int) -> str:
    value = model.index(row, column).data(Qt.ItemDataRole.DisplayRole)
    return "" if value is None else str(value)
