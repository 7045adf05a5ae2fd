"""Whole imports against hostile answers: how the history row ends and what it says."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest
import requests
import responses

from core.cancel import CancelToken
from core.domain import Connection, ConnectionDraft, ImportProgress, ImportRun, ImportStatus
from core.graph import GraphClient, ReportBudget
from core.imports.engine import ImportRequest, run_import
from core.storage.db import Database
from core.storage.repositories import ConnectionRepository
from tests.fixtures import graph as fx


class Tokens:
    def get_token(self, *, force_refresh: bool = False) -> str:
        return "token-value"


@pytest.fixture
def mock() -> Iterator[responses.RequestsMock]:
    with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
        yield rsps


@pytest.fixture
def connection(database: Database) -> Connection:
    conn = database.thread_connection()
    repo = ConnectionRepository()
    with database.transaction(conn):
        cid = repo.insert(conn, ConnectionDraft(name="Contoso HQ", tenant="contoso.com"))
    found = repo.get(conn, cid)
    assert found is not None
    return found


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


def test_cancel_during_a_stalled_request_ends_the_run_cancelled_at_once(
    mock: responses.RequestsMock, database: Database, connection: Connection
) -> None:
    release = threading.Event()

    def stalled(request: requests.PreparedRequest) -> tuple[int, dict[str, str], str]:
        release.wait(30)  # a server that never answers (until the test ends)
        return 200, {}, fx.dumps(fx.SKUS)

    mock.add_callback(responses.GET, f"{fx.GRAPH}/subscribedSkus", callback=stalled)
    fx.add_tenant(mock)
    cancel = CancelToken()
    timer = threading.Timer(0.5, cancel.cancel)
    timer.start()
    started = time.monotonic()
    try:
        run = do_import(database, connection, cancel=cancel)
    finally:
        release.set()
        timer.cancel()
    assert time.monotonic() - started < 5.0
    assert run.status is ImportStatus.CANCELLED
    assert run.error == "Cancelled by the user."
