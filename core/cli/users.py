"""`licensedesk-cli users [--tenant T] [--search S] [--inactive | …]` (spec §9). Users stream
from SQL in batches, so CSV and JSON exports of a million users never sit in memory."""

from __future__ import annotations

import argparse
from typing import Any

from core import exports
from core.cli.lookup import tenant_filter
from core.cli.output import add_format_option, emit, emit_csv
from core.domain.licensing import UserFlag, UserQuery, UserRow, UserSort
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


def user_record(row: UserRow, fmt: str) -> dict[str, Any]:
    """A user as the table and JSON show it: the export's record (one definition of the
    columns), with the licenses as objects in JSON."""
    record = dict(exports.user_record(row))
    if fmt == "json":
        del record["licenses"], record["flags"]
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
    rows = controller.iter_user_rows(query)
    if args.format == "csv":
        emit_csv(USERS, rows)
        return 0
    columns = TABLE_COLUMNS if args.format == "table" else None
    emit((user_record(r, args.format) for r in rows), args.format, columns=columns)
    return 0
