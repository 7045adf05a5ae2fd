"""`licensedesk-cli licenses [--include-retired|--hide-retired]`, `licenses set-status ID
STATUS [--reason TEXT]` and `licenses products` (spec §9)."""

from __future__ import annotations

import argparse
from dataclasses import asdict
from typing import Any

from core.cli.lookup import matches_tenant, tenant_filter
from core.cli.output import add_format_option, emit, emit_csv
from core.domain.licensing import LicenseRow, ProductRow
from core.exports import LICENSES, PRODUCTS

TABLE_COLUMNS = (
    "id",
    "tenant_name",
    "product",
    "sku_part_number",
    "source",
    "status",
    "entitlement",
    "assigned_users",
    "compliance_position",
    "inactive_users",
    "unit_price",
    "waste_cost",
)
PRODUCT_COLUMNS = (
    "product",
    "licenses",
    "tenants",
    "entitlement",
    "assigned_users",
    "active_users",
    "compliance_position",
    "shortfall",
    "monthly_cost",
    "waste_cost",
)


def register(commands: Any) -> None:
    parser = commands.add_parser(
        "licenses", help="licenses with reconciliation, usage, waste and cost; set a status"
    )
    add_format_option(parser)
    retired = parser.add_mutually_exclusive_group()
    retired.add_argument(
        "--include-retired",
        dest="include_retired",
        action="store_true",
        default=True,
        help="list Retired licenses too (default)",
    )
    retired.add_argument(
        "--hide-retired", dest="include_retired", action="store_false", help="leave them out"
    )
    parser.add_argument("--tenant", default="", help="tenant id, tenant name or connection name")
    parser.set_defaults(handler=list_licenses)
    sub = parser.add_subparsers(dest="action", metavar="ACTION")

    status = sub.add_parser("set-status", help="change a license's status")
    status.add_argument("id", type=int, help="license id (see `licenses`)")
    status.add_argument("status", help="Active, In stock, Purchased, Received or Retired")
    status.add_argument("--reason", default="", help="why (kept in the status history)")
    status.set_defaults(handler=set_status)

    products = sub.add_parser("products", help="the product roll-up across tenants")
    add_format_option(products)
    products.set_defaults(handler=list_products)


def license_record(row: LicenseRow) -> dict[str, Any]:
    record = asdict(row)
    record["shortfall"] = row.shortfall
    return record


def product_record(row: ProductRow) -> dict[str, Any]:
    return asdict(row)


def list_licenses(args: argparse.Namespace, controller: Any) -> int:
    tenant = tenant_filter(controller, args.tenant)
    rows = [
        row
        for row in controller.license_rows(include_retired=args.include_retired)
        if matches_tenant(row, tenant)
    ]
    if args.format == "csv":
        emit_csv(LICENSES, rows, controller.settings().currency)
        return 0
    columns = TABLE_COLUMNS if args.format == "table" else None
    emit((license_record(r) for r in rows), args.format, columns=columns)
    return 0


def list_products(args: argparse.Namespace, controller: Any) -> int:
    rows = controller.product_rollup()
    if args.format == "csv":
        emit_csv(PRODUCTS, rows, controller.settings().currency)
        return 0
    columns = PRODUCT_COLUMNS if args.format == "table" else None
    emit((product_record(r) for r in rows), args.format, columns=columns)
    return 0


def set_status(args: argparse.Namespace, controller: Any) -> int:
    changed = controller.set_license_status(args.id, args.status, args.reason)
    row = controller.license(args.id)
    where = f" in {row.tenant_name}" if row.tenant_name else ""
    if changed:
        print(f"License {row.id} ({row.product}{where}) is now {row.status.value}.")
    else:
        print(f"License {row.id} ({row.product}{where}) already is {row.status.value}.")
    return 0
