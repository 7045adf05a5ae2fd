"""The queue of imports for the headless workers: each request is taken once, settled only by
the worker that took it, put back when a worker stops, and taken over from a dead one."""

from __future__ import annotations

import pytest

from core.domain.queue import RequestState
from core.import_queue import ImportQueue
from core.simulator.demo import size_draft
from core.storage.db import Database
from core.storage.repositories import ConnectionRepository


@pytest.fixture
def queue(database: Database) -> ImportQueue:
    return ImportQueue(database)


@pytest.fixture
def connection_id(database: Database) -> int:
    conn = database.thread_connection()
    with database.transaction(conn):
        return ConnectionRepository().insert(conn, size_draft("size:10:1", name="Tenant A"))


def test_a_queued_request_names_who_asked_and_waits(queue: ImportQueue, connection_id: int) -> None:
    request = queue.add(connection_id, incremental=True, requested_by="alice")

    assert request.connection_name == "Tenant A"
    assert request.requested_by == "alice" and request.incremental
    assert request.state is RequestState.QUEUED
    assert queue.open_connection_ids() == {connection_id}


def test_the_os_user_is_who_asked_by_default(
    queue: ImportQueue, connection_id: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LOGNAME", "bob")
    monkeypatch.setenv("USER", "bob")

    assert queue.add(connection_id).requested_by == "bob"


def test_a_request_is_taken_once(queue: ImportQueue, connection_id: int) -> None:
    first = queue.add(connection_id, requested_by="alice")
    second = queue.add(connection_id, requested_by="bob")

    taken = queue.take(connection_id, "host:1")

    assert [r.id for r in taken] == [first.id, second.id]  # one run settles both
    assert all(r.taken_by == "host:1" and r.attempts == 1 for r in taken)
    assert all(r.state is RequestState.RUNNING for r in queue.recent())


def test_a_compare_and_set_refuses_a_request_another_worker_took_meanwhile(
    database: Database, queue: ImportQueue, connection_id: int
) -> None:
    from core.storage.requests import ImportRequestRepository

    request = queue.add(connection_id, requested_by="alice")
    conn = database.thread_connection()
    # Worker 2 read the row while it was free, worker 1 took it first.
    stale_read = conn.execute("SELECT * FROM import_requests").fetchone()
    queue.take(connection_id, "host:1")
    cur = conn.execute(
        "UPDATE import_requests SET taken_by = ? WHERE id = ? AND taken_by IS ?",
        ("host:2", request.id, stale_read["taken_by"]),
    )
    assert cur.rowcount == 0
    now = ImportRequestRepository().get(conn, request.id)
    assert now is not None and now.taken_by == "host:1"


def test_only_the_worker_that_took_a_request_finishes_it(
    queue: ImportQueue, connection_id: int
) -> None:
    request = queue.add(connection_id, requested_by="alice")
    queue.take(connection_id, "host:1")

    queue.finish([request.id], worker="host:2", outcome="succeeded", run_id=None)
    assert queue.recent()[0].state is RequestState.RUNNING

    queue.finish([request.id], worker="host:1", outcome="succeeded", run_id=None)
    done = queue.recent()[0]
    assert done.state is RequestState.DONE and done.outcome == "succeeded"
    assert queue.open_connection_ids() == set()
    assert queue.take(connection_id, "host:2") == []


def test_a_stopping_worker_puts_its_request_back(queue: ImportQueue, connection_id: int) -> None:
    request = queue.add(connection_id, requested_by="alice")
    queue.take(connection_id, "host:1")

    queue.give_back([request.id], worker="host:1")

    back = queue.recent()[0]
    assert back.state is RequestState.QUEUED and back.attempts == 1
    assert [r.id for r in queue.take(connection_id, "host:2")] == [request.id]


def test_a_request_left_by_a_dead_worker_is_taken_over(
    queue: ImportQueue, connection_id: int
) -> None:
    # The caller of take() holds the connection's claim: whoever took it before is gone.
    request = queue.add(connection_id, requested_by="alice")
    queue.take(connection_id, "host:1")

    taken = queue.take(connection_id, "host:2")

    assert [(r.id, r.taken_by, r.attempts) for r in taken] == [(request.id, "host:2", 2)]
    queue.finish([request.id], worker="host:1", outcome="succeeded", run_id=None)  # too late
    assert queue.recent()[0].state is RequestState.RUNNING


def test_requests_go_with_their_connection(
    database: Database, queue: ImportQueue, connection_id: int
) -> None:
    queue.add(connection_id, requested_by="alice")
    conn = database.thread_connection()
    with database.transaction(conn):
        ConnectionRepository().delete(conn, connection_id)

    assert queue.recent() == []
