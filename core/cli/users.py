"""`licensedesk-cli users [--tenant T] [--search S] [--inactive | …]` (spec §9). Users stream
from SQL in batches, so CSV and JSON exports of a million users never sit in memory."""

from __future__ import annotations

import argparse
from typing import Any

from core.cli.lookup import tenant_filter
from core.cli.output import add_format_option, emit, emit_csv
from core.domain import UserFlag, UserQuery, UserRow, UserSort
from core.exports import USERS

TABLE_COLUMNS = (
    "user_principal_name",
    "display_name",
    "tenant_name",
    "account_enabled",
    "user_type",
    "licenses",
    "last_activity",
    "flags",
)
FLAG_OPTIONS = {
    "--inactive": UserFlag.INACTIVE,
    "--never-active": UserFlag.NEVER_ACTIVE,
    "--disabled-with-license": UserFlag.DISABLED_WITH_LICENSE,
    "--duplicate-path": UserFlag.DUPLICATE_PATH,
    "--usage-unknown": UserFlag.USAGE_UNKNOWN,
    "--licensed": UserFlag.LICENSED,
    "--unlicensed": UserFlag.UNLICENSED,
}


def register(commands: Any) -> None:
    parser = commands.add_parser("users", help="users with their licenses and usage flags")
    add_format_option(parser)
    parser.add_argument("--tenant", default="", help="tenant id, tenant name or connection name")
    parser.add_argument("--search", default="", help="part of the display name or UPN")
    flags = parser.add_mutually_exclusive_group()
    for option, flag in FLAG_OPTIONS.items():
        flags.add_argument(
            option, dest="flag", action="store_const", const=flag, help=f"only {flag.value} users"
        )
    parser.add_argument(
        "--sort", choices=[s.value for s in UserSort], default=UserSort.DISPLAY_NAME.value
    )
    parser.add_argument("--descending", action="store_true")
    parser.set_defaults(handler=list_users, flag=None)


def _path(ref: Any) -> str:
    paths = (["direct"] if ref.direct else []) + (["group"] if ref.groups else [])
    return f"{ref.sku_part_number} ({'+'.join(paths)})"


def user_record(row: UserRow, fmt: str) -> dict[str, Any]:
    record: dict[str, Any] = {
        "tenant_id": row.tenant_id,
        "tenant_name": row.tenant_name,
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
    }
    if fmt == "json":
        record["skus"] = [
            {
                "sku_id": s.sku_id,
                "sku_part_number": s.sku_part_number,
                "product": s.product,
                "direct": s.direct,
                "groups": list(s.groups),
                "assigned_at": s.assigned_at,
                "overlap": s.overlap,
            }
            for s in row.skus
        ]
    else:
        record["skus"] = "; ".join(_path(s) for s in row.skus)
        record["licenses"] = ", ".join(s.sku_part_number for s in row.skus)
        names = ("inactive", "never_active", "disabled_with_license", "duplicate_path")
        record["flags"] = ", ".join(n.replace("_", " ") for n in names if record[n])
    return record


def list_users(args: argparse.Namespace, controller: Any) -> int:
    query = UserQuery(
        search=args.search,
        tenant=tenant_filter(controller, args.tenant),
        flag=args.flag,
        sort=UserSort(args.sort),
        descending=args.descending,
        limit=None,
    )
    rows = controller.licensing.iter_user_rows(query)
    if args.format == "csv":
        emit_csv(USERS, rows)
        return 0
    columns = TABLE_COLUMNS if args.format == "table" else None
    emit((user_record(r, args.format) for r in rows), args.format, columns=columns)
    return 0
