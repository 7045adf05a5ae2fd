"""Output of list commands: a table for people, CSV or JSON (snake_case keys) for scripts."""

from __future__ import annotations

import csv
import json
import sys
from collections.abc import Iterable, Mapping, Sequence
from datetime import date, datetime
from enum import Enum
from typing import Any, TextIO

from core.domain.spreadsheet import spreadsheet_safe
from core.exports import ExportTable, write_csv

FORMATS = ("table", "csv", "json")


def jsonable(value: Any) -> Any:
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Mapping):
        return {k: jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [jsonable(v) for v in value]
    return value


def _cell(value: Any) -> str:
    value = jsonable(value)
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        return f"{value:.2f}"
    if isinstance(value, list | dict):
        return (
            json.dumps(value)
            if not isinstance(value, list) or any(isinstance(v, dict) for v in value)
            else ", ".join(str(v) for v in value)
        )
    return str(value)


def emit(
    records: Iterable[Mapping[str, Any]],
    fmt: str,
    *,
    columns: Sequence[str] | None = None,
    out: TextIO | None = None,
) -> int:
    """Write records in the chosen format; returns how many were written. JSON and CSV stream,
    so a million users never sit in one list (the table needs widths and does collect)."""
    out = out or sys.stdout
    count = 0
    if fmt == "json":
        out.write("[")
        for record in records:
            out.write(",\n" if count else "\n")
            out.write(json.dumps(jsonable(dict(record)), ensure_ascii=False))
            count += 1
        out.write("\n]\n" if count else "]\n")
        return count
    iterator = iter(records)
    first = next(iterator, None)
    if first is None:
        if fmt == "table":
            out.write("(none)\n")
        return 0
    cols = list(columns or first.keys())
    if fmt == "csv":
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(cols)
        for record in _chain(first, iterator):
            writer.writerow([spreadsheet_safe(_cell(record.get(c))) for c in cols])
            count += 1
        return count
    rows = [[_cell(r.get(c)) for c in cols] for r in _chain(first, iterator)]
    widths = [max(len(c), *(len(r[i]) for r in rows)) for i, c in enumerate(cols)]
    out.write("  ".join(c.ljust(w) for c, w in zip(cols, widths, strict=True)).rstrip() + "\n")
    out.write("  ".join("-" * w for w in widths) + "\n")
    for r in rows:
        out.write("  ".join(v.ljust(w) for v, w in zip(r, widths, strict=True)).rstrip() + "\n")
    return len(rows)


def _chain(
    first: Mapping[str, Any], rest: Iterable[Mapping[str, Any]]
) -> Iterable[Mapping[str, Any]]:
    yield first
    yield from rest


def emit_csv(table: ExportTable, rows: Iterable[Any], currency: str = "") -> int:
    """`--format csv`: the table's export (the same columns and values as the window's)."""
    return write_csv(sys.stdout, table, rows, currency)


def add_format_option(parser: Any) -> None:
    parser.add_argument("--format", choices=FORMATS, default="table", help="output format")
