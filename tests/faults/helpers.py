"""Running one import against exact Graph answers."""

from __future__ import annotations

from typing import Any

import requests

from core.domain.cancel import CancelToken
from core.domain.connection import Connection
from core.domain.imports import ImportProgress, ImportRun
from core.graph import GraphClient, ReportBudget
from core.imports.engine import ImportRequest, run_import
from core.storage.db import Database


class Tokens:
    def get_token(self, *, force_refresh: bool = False) -> str:
        return "token-value"


def do_import(
    database: Database,
    connection: Connection,
    *,
    cancel: CancelToken | None = None,
    sleep: Any = None,
    events: list[ImportProgress] | None = None,
) -> ImportRun:
    graph = GraphClient(
        requests.Session(),
        Tokens(),
        "https://graph.microsoft.com",
        sleep=sleep or (lambda s: None),
        cancel=cancel,
        report_budget=ReportBudget(),
    )
    request = ImportRequest(connection=connection, graph=graph, database=database)
    sink = events if events is not None else []
    return run_import(request, progress=sink.append, cancel=cancel or CancelToken())
