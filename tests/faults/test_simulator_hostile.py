"""The simulator's hostile-service knobs, through the real engine: each case ends the import
with its own clear error (or as cancelled), and no token leaves for another host."""

from __future__ import annotations

import threading
import time
from typing import Any

import pytest
import requests

from core.bootstrap import transport
from core.connections.wiring import build_tokens
from core.domain.cancel import CancelToken
from core.domain.imports import ImportRun, ImportStatus
from core.graph import GraphClient, ReportBudget
from core.imports.engine import ImportRequest, run_import
from core.simulator.adapter import Knobs, Simulator
from core.simulator.demo import profile_spec
from core.storage.db import Database
from tests.integration.test_simulated_imports import make_connection

PROFILE = "size:1200:11"  # three pages of users


class RecordingSession(requests.Session):
    """Notes every request that leaves: (URL, carried an Authorization header)."""

    def __init__(self) -> None:
        super().__init__()
        self.sent: list[tuple[str, bool]] = []

    def send(self, request: requests.PreparedRequest, **kwargs: Any) -> requests.Response:
        self.sent.append((request.url or "", "Authorization" in request.headers))
        return super().send(request, **kwargs)


def run(database: Database, knobs: Knobs, cancel: CancelToken | None = None) -> ImportRun:
    sim = Simulator([profile_spec(PROFILE)], knobs=knobs)
    connection = make_connection(database, PROFILE)
    session = RecordingSession()
    sim.mount(session)
    draft = transport().with_secrets(connection)
    tokens = build_tokens(draft, session=session, cache_store=None)
    graph = GraphClient(
        session,
        tokens,
        "https://graph.microsoft.com",
        sleep=lambda s: None,
        cancel=cancel,
        report_budget=ReportBudget(),
    )
    request = ImportRequest(connection=connection, graph=graph, database=database)
    result = run_import(request, progress=lambda e: None, cancel=cancel or CancelToken())
    served = tuple(host + "/" for host in sim.hosts)
    assert all(url.startswith(served) for url, _ in session.sent), "a request left for elsewhere"
    graph = "https://graph.microsoft.com/"
    assert not [url for url, auth in session.sent if auth and not url.startswith(graph)]
    return result


@pytest.mark.parametrize(
    ("knobs", "needle"),
    [
        ({"next_link_fault": "loop"}, "repeats a page already read"),
        ({"next_link_fault": "http"}, "http://graph.microsoft.com/v1.0/users"),
        ({"next_link_fault": "foreign"}, "https://graph.attacker.invalid/v1.0/users"),
        ({"report_redirect_scheme": "http"}, "http://reports.simulator.invalid/…"),
        ({"throttle_after": 3, "retry_after_s": 86400}, "asked to wait 24 h"),
    ],
    ids=["loop", "http", "foreign", "report-http", "day-long-retry-after"],
)
def test_a_hostile_simulator_fails_the_import_clearly(
    database: Database, knobs: dict[str, Any], needle: str
) -> None:
    result = run(database, Knobs(**knobs))
    assert result.status is ImportStatus.FAILED
    assert needle in (result.error or "")


def test_cancel_during_a_trickling_answer(database: Database) -> None:
    knobs = Knobs(trickle_s=0.05)
    cancel = CancelToken()
    timer = threading.Timer(0.5, cancel.cancel)
    timer.start()
    started = time.monotonic()
    try:
        result = run(database, knobs, cancel)
    finally:
        knobs.trickle_s = 0.0  # lets the abandoned request's thread finish
        timer.cancel()
    assert time.monotonic() - started < 5.0
    assert result.status is ImportStatus.CANCELLED
