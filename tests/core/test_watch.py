"""What a polling window reads: a change token that moves when another process changes data
(and only then), and the imports that workers run or have queued."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from concurrent.futures import Executor, Future
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

import pytest

from core.controller import Controller
from core.domain.imports import ImportProgress
from core.domain.licensing import LicenseStatus
from core.domain.queue import RequestState
from core.import_queue import ImportQueue
from core.imports.progress_record import ProgressRecorder
from core.paths import AppPaths
from core.secrets import SecretStore
from core.simulator.demo import reset_simulators, size_draft
from core.storage.db import Database
from core.storage.repositories import ImportRunRepository
from tests.conftest import open_test_database


class InlineExecutor(Executor):
    """Runs each import at once in the calling thread."""

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Future[Any]:
        future: Future[Any] = Future()
        try:
            future.set_result(fn(*args, **kwargs))
        except BaseException as exc:  # noqa: BLE001 - handed to the future like a pool does
            future.set_exception(exc)
        return future


@pytest.fixture(autouse=True)
def fresh_simulators() -> Iterator[None]:
    reset_simulators()
    yield
    reset_simulators()


def _controller(paths: AppPaths, database: Database, secrets: SecretStore) -> Controller:
    return Controller.assemble(
        paths=paths, database=database, secret_store=secrets, executor=InlineExecutor()
    )


@pytest.fixture
def mine(
    app_paths: AppPaths, database: Database, secret_store: SecretStore
) -> Iterator[Controller]:
    built = _controller(app_paths, database, secret_store)
    connection = built.create_connection(size_draft("size:20:1", name="Tenant A"))
    assert built.import_now(connection.id).error is None
    yield built
    built.close(timeout=5.0)


@pytest.fixture
def other_db(app_paths: AppPaths, mine: Controller) -> Iterator[Database]:
    db = open_test_database(app_paths.database, backups_dir=app_paths.backups_dir)
    yield db
    db.close_thread_connection()


@pytest.fixture
def other(
    app_paths: AppPaths, other_db: Database, secret_store: SecretStore
) -> Iterator[Controller]:
    built = _controller(app_paths, other_db, secret_store)
    yield built
    built.close(timeout=5.0)


def test_the_token_stays_while_nothing_changes(mine: Controller) -> None:
    assert mine.data_version() == mine.data_version()


@pytest.mark.parametrize(
    "change",
    [
        lambda c: c.set_license_status(c.license_rows()[0].id, LicenseStatus.IN_STOCK, "x"),
        lambda c: c.update_setting("currency", "EUR"),
        lambda c: c.set_price("SPE_E3", 12.5),
        lambda c: c.import_now(c.list_connections()[0].id),
        lambda c: c.queue_import(c.list_connections()[0].id),
        lambda c: c.update_connection(
            c.list_connections()[0].id,
            replace(c.draft_for_edit(c.list_connections()[0].id), name="Renamed"),
        ),
    ],
    ids=["status", "setting", "price", "import", "queued", "connection"],
)
def test_a_change_by_another_process_moves_the_token(
    mine: Controller, other: Controller, change: object
) -> None:
    before = mine.data_version()

    change(other)  # type: ignore[operator]

    assert mine.data_version() != before


def test_an_import_starting_elsewhere_is_no_data_change_but_shows_as_a_worker_import(
    mine: Controller, other_db: Database
) -> None:
    connection = mine.list_connections()[0]
    before = mine.data_version()
    claim = other_db.claims.acquire(connection.id, name="x", started_at=datetime.now(UTC))
    conn = other_db.thread_connection()
    try:
        with other_db.transaction(conn):
            run_id = ImportRunRepository().start(conn, connection)
            conn.execute("UPDATE import_runs SET run_by = 'worker-2:77' WHERE id = ?", (run_id,))

        assert mine.data_version() == before
        [found] = mine.worker_imports()
        assert found.state is RequestState.RUNNING
        assert found.describe() == "Importing on worker worker-2:77"
        assert found.connection_name == connection.name
    finally:
        claim.release()
    assert mine.worker_imports() == []  # its process died: the run is not running anywhere


def test_a_worker_imports_progress_shows_as_it_records_it(
    mine: Controller, other_db: Database
) -> None:
    connection = mine.list_connections()[0]
    claim = other_db.claims.acquire(connection.id, name="x", started_at=datetime.now(UTC))
    conn = other_db.thread_connection()
    with other_db.transaction(conn):
        run_id = ImportRunRepository().start(conn, connection)
        conn.execute("UPDATE import_runs SET run_by = 'worker-2:77' WHERE id = ?", (run_id,))
    before = mine.data_version()
    recorder = ProgressRecorder(other_db, run_id, interval=0.02)
    try:
        recorder(ImportProgress(connection.id, "users", 0, None, "Reading users"))
        latest = ImportProgress(connection.id, "users", 12_000, None, "Read 12,000 users")
        recorder(latest)
        deadline = time.monotonic() + 10
        while (found := mine.worker_imports()[0]).progress is None and time.monotonic() < deadline:
            time.sleep(0.02)

        assert found.progress == ImportProgress(
            connection.id, "users", 12_000, None, "Read 12,000 users"
        )
        assert found.describe() == "Importing on worker worker-2:77: Read 12,000 users"
        assert mine.data_version() == before  # progress is no change of the data shown
    finally:
        recorder.close()
        claim.release()


def test_imports_of_this_process_are_not_worker_imports(mine: Controller) -> None:
    connection = mine.list_connections()[0]
    database = mine._services.database
    claim = database.claims.acquire(connection.id, name="x", started_at=datetime.now(UTC))
    try:
        conn = database.thread_connection()
        with database.transaction(conn):
            ImportRunRepository().start(conn, connection)
        assert mine.worker_imports() == []
    finally:
        claim.release()


def test_a_queued_request_shows_until_a_live_worker_takes_it(
    mine: Controller, other_db: Database
) -> None:
    connection = mine.list_connections()[0]
    mine.queue_import(connection.id)
    [queued] = mine.worker_imports()
    assert queued.describe() == "Queued for the workers"

    claim = other_db.claims.acquire(connection.id, name="x", started_at=datetime.now(UTC))
    ImportQueue(other_db).take(connection.id, "worker-1:99")
    [taken] = mine.worker_imports()
    assert taken.describe() == "Importing on worker worker-1:99"
    claim.release()

    [left] = mine.worker_imports()  # the worker died: waiting for the next one
    assert left.state is RequestState.QUEUED
