"""Long Retry-After answers fail at once with a time to try again; shorter waits are told."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import pytest
import responses

from core.domain.connection import Connection
from core.domain.imports import ImportProgress, ImportStatus
from core.errors import ThrottledError
from core.storage.db import Database
from tests.core.test_graph_client import USERS, Harness, page
from tests.faults.helpers import do_import
from tests.fixtures import graph as fx

IN_3_HOURS = "an HTTP date 3 hours from now"


@pytest.mark.parametrize(
    ("retry_after", "shown"),
    [
        ("86400", "24 h"),
        ("301", "5 min"),
        (IN_3_HOURS, "3 h"),
    ],
)
@responses.activate
def test_a_retry_after_past_the_bound_fails_at_once(retry_after: str, shown: str) -> None:
    if retry_after == IN_3_HOURS:  # dated when the test runs: collection is a minute earlier
        retry_after = format_datetime(datetime.now(UTC) + timedelta(hours=3), usegmt=True)
    waits: list[tuple[float, str]] = []
    harness = Harness(on_wait=lambda s, why: waits.append((s, why)))
    responses.get(USERS, status=429, headers={"Retry-After": retry_after}, json={})
    with pytest.raises(ThrottledError) as caught:
        list(harness.client.iter_pages("/users"))
    message = caught.value.message
    assert message.startswith(f"Microsoft Graph asked to wait {shown} for /users; try again after ")
    assert re.search(r"after (\d{4}-\d{2}-\d{2} )?\d{2}:\d{2} \(local time\)\.$", message)
    assert harness.sleeps == [] and waits == []
    assert len(responses.calls) == 1


@pytest.mark.parametrize(
    ("status", "reason"),
    [
        (429, "Microsoft Graph is throttling this tenant"),
        (503, "Microsoft Graph is temporarily unavailable"),
    ],
)
@responses.activate
def test_a_wait_below_the_bound_is_reported(status: int, reason: str) -> None:
    waits: list[tuple[float, str]] = []
    harness = Harness(on_wait=lambda s, why: waits.append((s, why)))
    responses.get(USERS, status=status, headers={"Retry-After": "42"}, json={})
    responses.get(USERS, json=page([]))
    list(harness.client.iter_pages("/users"))
    assert harness.sleeps == [42.0]
    assert waits == [(42.0, reason)]


def test_the_import_progress_tells_the_wait(
    mock: responses.RequestsMock, database: Database, connection: Connection
) -> None:
    mock.get(f"{fx.GRAPH}/subscribedSkus", status=429, headers={"Retry-After": "42"}, json={})
    fx.add_tenant(mock)
    events: list[ImportProgress] = []
    slept: list[float] = []
    run = do_import(database, connection, sleep=slept.append, events=events)
    assert run.status is ImportStatus.SUCCEEDED, run.error
    waits = [e for e in events if e.message.startswith("waiting")]
    assert [(e.step, e.message) for e in waits] == [
        ("skus", "waiting 42 s: Microsoft Graph is throttling this tenant")
    ]
    assert slept == [42.0]


def test_a_day_long_retry_after_fails_the_import_without_waiting(
    mock: responses.RequestsMock, database: Database, connection: Connection
) -> None:
    mock.get(f"{fx.GRAPH}/subscribedSkus", status=429, headers={"Retry-After": "86400"}, json={})
    fx.add_tenant(mock)
    slept: list[float] = []
    run = do_import(database, connection, sleep=slept.append)
    assert run.status is ImportStatus.FAILED
    assert run.error is not None
    assert run.error.startswith("Microsoft Graph asked to wait 24 h for /subscribedSkus")
    assert slept == []
