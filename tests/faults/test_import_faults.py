"""Whole imports against hostile answers: how the history row ends and what it says."""

from __future__ import annotations

import threading
import time

import requests
import responses

from core.cancel import CancelToken
from core.domain import Connection, ImportStatus
from core.storage.db import Database
from tests.faults.helpers import do_import
from tests.fixtures import graph as fx


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


def test_an_off_host_delta_link_fails_the_import(
    mock: responses.RequestsMock, database: Database, connection: Connection
) -> None:
    link = "https://evil.example/v1.0/users/delta?$deltatoken=latest-1"
    mock.get(f"{fx.GRAPH}/users/delta", json={"value": [], "@odata.deltaLink": link})
    fx.add_tenant(mock)
    run = do_import(database, connection)
    assert run.status is ImportStatus.FAILED
    assert link in (run.error or "") and "access token" in (run.error or "")


def test_an_off_host_next_link_in_subscriptions_fails_the_import(
    mock: responses.RequestsMock, database: Database, connection: Connection
) -> None:
    link = "http://graph.microsoft.com/v1.0/directory/subscriptions?$skiptoken=2"
    mock.get(
        f"{fx.GRAPH}/directory/subscriptions",
        json={**fx.SUBSCRIPTIONS, "@odata.nextLink": link},
    )
    fx.add_tenant(mock)
    run = do_import(database, connection)
    assert run.status is ImportStatus.FAILED  # not a warning that subscriptions were skipped
    assert link in (run.error or "")
