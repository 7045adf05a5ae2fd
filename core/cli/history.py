"""`licensedesk-cli history`: the import runs with counts, warnings and errors."""

from __future__ import annotations

import argparse
from typing import Any

from core.cli.lookup import connection_named
from core.cli.output import add_format_option, emit, emit_csv
from core.exports import HISTORY


def register(commands: Any) -> None:
    parser = commands.add_parser("history", help="import history")
    parser.add_argument("--connection", metavar="NAME", help="only this connection")
    parser.add_argument("--limit", type=int, default=100)
    add_format_option(parser)
    parser.set_defaults(handler=show_history)


def show_history(args: argparse.Namespace, controller: Any) -> int:
    connection_id = connection_named(controller, args.connection).id if args.connection else None
    runs = controller.import_history(connection_id, limit=args.limit)
    if args.format == "csv":
        emit_csv(HISTORY, runs)
        return 0
    records = (
        {
            "id": r.id,
            "connection": r.connection_name,
            "started_at": r.started_at,
            "ended_at": r.ended_at,
            "duration_s": round(r.duration_s, 1) if r.duration_s is not None else None,
            "status": r.status,
            "skus": r.counts.skus,
            "users": r.counts.users,
            "licensed_users": r.counts.licensed_users,
            "report_rows": r.counts.report_rows,
            "warnings": list(r.warnings) if args.format == "json" else len(r.warnings),
            "error": r.error,
            "run_by": r.run_by,
        }
        for r in runs
    )
    emit(records, args.format)
    return 0
