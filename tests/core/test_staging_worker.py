"""The staging worker keeps every kind of work moving: staged users move into the snapshot
while pages go on, and a usage report being parsed never holds up the user pages."""

from __future__ import annotations

import json
import queue
import threading
from datetime import UTC, datetime
from typing import Any

import pytest

from core.domain.connection import ConnectionDraft, SourceType
from core.imports import staging_worker
from core.imports.stager import StagingWorker
from core.imports.staging_worker import Worker
from core.storage.db import Database
from core.storage.repositories import ConnectionRepository
from core.storage.snapshots import SnapshotWriter

SKU = "c7df2760-2c81-4ef7-b578-5b5392b571df"
URL = "https://graph.microsoft.com/v1.0/users"


def _page(first: int, count: int) -> bytes:
    users = [
        {
            "id": f"{n:08d}-0000-0000-0000-000000000000",
            "userPrincipalName": f"user{n}@contoso.com",
            "assignedLicenses": [{"skuId": SKU}],
            "licenseAssignmentStates": [{"skuId": SKU, "state": "Active"}],
        }
        for n in range(first, first + count)
    ]
    return json.dumps({"value": users}).encode()


def _building_snapshot(database: Database) -> int:
    conn = database.thread_connection()
    with database.transaction(conn):
        connection_id = ConnectionRepository().insert(
            conn, ConnectionDraft(name="Contoso", source_type=SourceType.MICROSOFT_365)
        )
    connection = ConnectionRepository().get(conn, connection_id)
    assert connection is not None
    writer = SnapshotWriter(database, connection, 1)
    try:
        return writer.begin(tenant_id="t", tenant_name="Contoso", domains=[], now=datetime.now(UTC))
    finally:
        writer.close()


def _count(database: Database, table: str, sid: int) -> int:
    sql = f"SELECT COUNT(*) FROM {table} WHERE snapshot_id = ?"
    return int(database.connect().execute(sql, (sid,)).fetchone()[0])


def test_staged_users_move_into_the_snapshot_while_pages_go_on(
    database: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(staging_worker, "MOVE_MIN", 10)
    sid = _building_snapshot(database)
    worker = Worker(database.location, queue.SimpleQueue())
    try:
        worker.handle(("attach", sid))
        for page in range(5):
            worker.handle(("users", _page(page * 5, 5), URL))
            if page == 1:
                worker.handle(("sync", 1))  # the first ten are moving: let them finish
        worker.handle(("sync", 2))
        assert _count(database, "users", sid) == 20  # before the last page was announced
        assert _count(database, "user_skus", sid) == 20
        worker.handle(("flush_users",))
        worker.handle(("sync", 3))
        assert _count(database, "users", sid) == 25
        assert _count(database, "user_skus", sid) == 25
        assert not worker.failed
    finally:
        worker.close()


def test_user_pages_are_staged_while_a_report_is_parsed(
    database: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    parsing, release = threading.Event(), threading.Event()

    def slow_report(*_args: Any) -> dict[str, Any]:
        parsing.set()
        release.wait(10)
        return {"rows": 0, "hidden": 0, "refresh_date": None}

    monkeypatch.setattr(staging_worker, "stage_report", slow_report)
    sid = _building_snapshot(database)
    results: queue.SimpleQueue[tuple[Any, ...]] = queue.SimpleQueue()
    worker = Worker(database.location, results)
    try:
        worker.handle(("attach", sid))
        worker.handle(("report", "active", "active.csv", "https://graph/reports"))
        assert parsing.wait(5)
        pages = threading.Thread(target=worker.handle, args=(("users", _page(0, 5), URL),))
        pages.start()
        pages.join(5)
        assert not pages.is_alive()  # the page did not wait for the report
        assert results.get(timeout=5) == ("progress", 5)
    finally:
        release.set()
        worker.close()


def test_clearing_the_users_drops_those_already_moved(
    database: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(staging_worker, "MOVE_MIN", 10)
    sid = _building_snapshot(database)
    worker = Worker(database.location, queue.SimpleQueue())
    try:
        worker.handle(("attach", sid))
        for page in range(3):
            worker.handle(("users", _page(page * 5, 5), URL))
        worker.handle(("sync", 1))
        assert _count(database, "users", sid) == 10
        worker.handle(("clear", "users"))  # the listing restarts without signInActivity
        worker.handle(("users", _page(100, 5), URL))
        worker.handle(("flush_users",))
        worker.handle(("sync", 2))
        assert _count(database, "users", sid) == 5
        assert _count(database, "user_skus", sid) == 5
    finally:
        worker.close()


def test_the_worker_process_ends_cleanly_once_told_to_stop(database: Database) -> None:
    stager = StagingWorker(database.location)
    sid = _building_snapshot(database)
    stager.attach(sid)
    stager.users_page(_page(0, 5), URL)
    stager.flush_users()
    assert stager.sync()["users"] == 5  # everything sent before the stop was done
    stager.close()  # the worker skips the interpreter's teardown (os._exit) after its cleanup
    assert stager._process.returncode == 0
    assert _count(database, "users", sid) == 5


def test_on_postgresql_moving_users_does_not_wait_for_the_stores_write_lock(
    database: Database,
) -> None:
    """A building snapshot's rows are its import's alone: on a server with row locks its users
    move while another writer (an analyst's status change, another import's commit) holds the
    store's lock, and that writer is not held off by a million-user move either."""
    if database.dialect.one_writer:
        pytest.skip("SQLite has one write lock for everything")
    sid = _building_snapshot(database)
    writer = SnapshotWriter.for_staging(database, sid, any_thread=True)
    other = database.connect()
    moved = threading.Event()
    try:
        writer.write_users(
            [(f"{n}", f"u{n}@contoso.com", f"u{n}@contoso.com", "", "", 1, "", "", "")
             for n in range(3)],
            [(SKU, f"{n}", 1, "", 0, "Active", None) for n in range(3)],
        )  # fmt: skip
        with database.transaction(other):  # holds the store's write lock meanwhile
            mover = threading.Thread(target=lambda: (writer.flush_users(), moved.set()))
            mover.start()
            moved_while_held = moved.wait(10)
        mover.join()  # before the connections close, whatever happened
        assert moved_while_held, "the users move waited for the store's write lock"
        assert _count(database, "users", sid) == 3
    finally:
        writer.close()
        other.close()
