"""Whole imports against hostile answers: how the history row ends and what it says."""

from __future__ import annotations

import threading
import time

import requests
import responses

from core.controller import Controller
from core.domain.cancel import CancelToken
from core.domain.connection import Connection
from core.domain.imports import ImportProgress, ImportStatus
from core.simulator.demo import get_simulator, size_draft
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


def test_closing_the_controller_mid_request_records_the_run_cancelled(
    controller: Controller,
) -> None:
    """What Ctrl-C in the CLI and closing the window do: the run ends as cancelled at once,
    not left running (or failed) behind a request that trickles."""
    connection = controller.create_connection(size_draft("size:300:4", name="Tenant four"))
    knobs = get_simulator("size:300:4").knobs
    knobs.trickle_s = 0.05  # one byte every 50 ms: even /organization takes a minute
    reading = threading.Event()

    def on_progress(event: ImportProgress) -> None:
        if event.step == "organization":
            reading.set()

    handle = controller.start_import(connection.id, on_progress=on_progress)
    try:
        assert reading.wait(30)
        time.sleep(0.3)
        started = time.monotonic()
        controller.close(timeout=10)
        assert time.monotonic() - started < 5.0
        run = handle.future.result(5)
    finally:
        knobs.trickle_s = 0.0
    assert run.status is ImportStatus.CANCELLED
    history = controller.import_history(connection.id)
    assert [r.status for r in history] == [ImportStatus.CANCELLED]
