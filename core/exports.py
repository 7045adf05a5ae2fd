"""CSV exports are data (spec §8): one definition per table, used by `licensedesk-cli … --format
csv` and by the window's Export, so both write the same columns with the same values.

Plain numbers (no thousands separators, no currency suffix: a `currency` column where money
appears), ISO 8601 dates and times, true/false, simulated tenants marked in a `simulated`
column, no totals row. Text cells are made spreadsheet-safe; numbers are written as they are.
"""

from __future__ import annotations

import csv
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, fields
from datetime import date, datetime
from enum import Enum
from typing import Any, TextIO

from core.domain.connection import Connection
from core.domain.imports import ImportRun, ImportStatus
from core.domain.licensing import ActionWarning, LicenseRow, OverviewTotals, ProductRow, UserRow
from core.domain.spreadsheet import spreadsheet_safe

Record = Mapping[str, Any]
KEPT_RUNS = frozenset({ImportStatus.SUCCEEDED, ImportStatus.SUCCEEDED_WITH_WARNINGS})


@dataclass(frozen=True)
class ExportTable:
    """One exportable table: its column keys (the CSV header) and how a row becomes a record.
    `record(row, currency)` returns a mapping with (at least) every column key."""

    name: str
    columns: tuple[str, ...]
    record: Callable[[Any, str], Record]


def _after(names: Iterable[str], anchor: str, *inserted: str) -> tuple[str, ...]:
    out: list[str] = []
    for name in names:
        if name in inserted:
            continue
        out.append(name)
        if name == anchor:
            out.extend(inserted)
    return tuple(out)


def _field_names(cls: type) -> list[str]:
    return [f.name for f in fields(cls)]


def _with_currency(row: Any, currency: str, **extra: Any) -> dict[str, Any]:
    record = {name: getattr(row, name) for name in _field_names(type(row))}
    record.update(extra)
    record["currency"] = currency
    return record


def license_record(row: LicenseRow, currency: str) -> Record:
    return _with_currency(row, currency, shortfall=row.shortfall)


def product_record(row: ProductRow, currency: str) -> Record:
    return _with_currency(row, currency)


def _sku_path(ref: Any) -> str:
    paths = (["direct"] if ref.direct else []) + (["group"] if ref.groups else [])
    return f"{ref.sku_part_number} ({'+'.join(paths)})"


USER_FLAGS = ("inactive", "never_active", "disabled_with_license", "duplicate_path")


def user_record(row: UserRow, _currency: str = "") -> Record:
    record: dict[str, Any] = {
        "tenant_id": row.tenant_id,
        "tenant_name": row.tenant_name,
        "simulated": row.simulated,
        "connection": row.connection,
        "id": row.id,
        "user_principal_name": row.user_principal_name,
        "display_name": row.display_name,
        "mail": row.mail,
        "account_enabled": row.account_enabled,
        "user_type": row.user_type,
        "last_activity": row.last_activity,
        "usage_known": row.usage_known,
        "inactive": row.inactive,
        "never_active": row.never_active,
        "disabled_with_license": row.disabled_with_license,
        "duplicate_path": row.duplicate_path,
        "overlap": row.overlap,
        "skus": "; ".join(_sku_path(s) for s in row.skus),
        "licenses": ", ".join(s.sku_part_number for s in row.skus),
    }
    record["flags"] = ", ".join(n.replace("_", " ") for n in USER_FLAGS if record[n])
    return record


def run_record(run: ImportRun, _currency: str = "") -> Record:
    """A failed, cancelled or running import kept nothing: its counts are left empty."""
    kept = run.status in KEPT_RUNS
    return {
        "id": run.id,
        "connection": run.connection_name,
        "simulated": run.simulated,
        "started_at": run.started_at,
        "ended_at": run.ended_at,
        "duration_s": round(run.duration_s, 1) if run.duration_s is not None else None,
        "status": run.status,
        "skus": run.counts.skus if kept else None,
        "users": run.counts.users if kept else None,
        "licensed_users": run.counts.licensed_users if kept else None,
        "report_rows": run.counts.report_rows if kept else None,
        "warnings": len(run.warnings),
        "error": run.error,
        "run_by": run.run_by,
    }


def connection_record(c: Connection, _currency: str = "") -> Record:
    return {
        "id": c.id,
        "name": c.name,
        "simulated": c.is_simulated,
        "source_type": c.source_type,
        "tenant": c.tenant_id or c.tenant,
        "tenant_name": c.tenant_name,
        "method": c.method,
        "cloud": c.cloud,
        "schedule": c.schedule.describe(),
        "last_import": c.last_import_at,
        "status": c.last_import_status,
    }


def totals_record(row: OverviewTotals, currency: str) -> Record:
    return _with_currency(row, currency)


def warning_record(row: ActionWarning, _currency: str = "") -> Record:
    return {name: getattr(row, name) for name in _field_names(ActionWarning)}


LICENSES = ExportTable(
    "licenses",
    _after([*_field_names(LicenseRow), "shortfall", "currency"], "tenant_name", "simulated"),
    license_record,
)
# The tenants behind a product are its `tenants` count here (and a list in JSON).
_PRODUCT_FIELDS = [n for n in _field_names(ProductRow) if n != "tenant_refs"]
PRODUCTS = ExportTable(
    "products", _after([*_PRODUCT_FIELDS, "currency"], "tenants", "simulated"), product_record
)
USERS = ExportTable(
    "users",
    ("tenant_id", "tenant_name", "simulated", "connection", "id", "user_principal_name",
     "display_name", "mail", "account_enabled", "user_type", "last_activity", "usage_known",
     "inactive", "never_active", "disabled_with_license", "duplicate_path", "overlap", "skus",
     "licenses", "flags"),
    user_record,
)  # fmt: skip
HISTORY = ExportTable(
    "history",
    ("id", "connection", "simulated", "started_at", "ended_at", "duration_s", "status", "skus",
     "users", "licensed_users", "report_rows", "warnings", "error", "run_by"),
    run_record,
)  # fmt: skip
CONNECTIONS = ExportTable(
    "connections",
    ("id", "name", "simulated", "source_type", "tenant", "tenant_name", "method", "cloud",
     "schedule", "last_import", "status"),
    connection_record,
)  # fmt: skip
OVERVIEW = ExportTable(
    "overview",
    _after([*_field_names(OverviewTotals), "currency"], "tenant_name", "simulated"),
    totals_record,
)
WARNINGS = ExportTable(
    "warnings", _after(_field_names(ActionWarning), "tenant_name", "simulated"), warning_record
)
PRICES = ExportTable(
    "prices",
    ("product_key", "product", "sku_part_number", "tenants", "simulated", "entitlement",
     "unit_price", "monthly_cost", "annual_cost", "currency"),
    product_record,
)  # fmt: skip
TABLES: Mapping[str, ExportTable] = {
    t.name: t for t in (LICENSES, PRODUCTS, USERS, HISTORY, CONNECTIONS, OVERVIEW, WARNINGS, PRICES)
}


def cell(value: Any) -> str:
    """One value as CSV data: numbers plain, dates ISO 8601, booleans true/false, text safe."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return _number(value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Enum):
        value = value.value
    if isinstance(value, list | tuple):
        value = "; ".join(str(v) for v in value)
    return spreadsheet_safe(str(value))


def _number(value: float) -> str:
    """At least two decimals (money reads as money), up to six, no separators."""
    whole, _, fraction = f"{value:.6f}".rstrip("0").partition(".")
    return f"{whole}.{fraction.ljust(2, '0')}"


def csv_rows(table: ExportTable, rows: Iterable[Any], currency: str) -> Iterator[list[str]]:
    """The cells of each row, in the table's column order (rows are read as they are needed)."""
    for row in rows:
        record = table.record(row, currency)
        yield [cell(record.get(c)) for c in table.columns]


def write_csv(out: TextIO, table: ExportTable, rows: Iterable[Any], currency: str) -> int:
    """Write the header and rows to `out`; returns how many rows were written."""
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(table.columns)
    count = 0
    for cells in csv_rows(table, rows, currency):
        writer.writerow(cells)
        count += 1
    return count
