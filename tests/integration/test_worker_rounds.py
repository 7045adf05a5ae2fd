"""The headless worker in this process: queued requests and due schedules run once, a due
schedule that another worker ran meanwhile is not repeated, stopping cancels and puts the
request back, and secrets set for a worker go to the keychain only."""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator
from dataclasses import replace

import pytest

from core.bootstrap import Services, assemble, build_worker
from core.cli import main
from core.controller import Controller
from core.domain.cancel import CancelToken
from core.domain.connection import Schedule, ScheduleKind
from core.domain.imports import ImportStatus
from core.domain.queue import RequestState, WorkerEvent, WorkerEventKind
from core.paths import AppPaths
from core.secrets import SecretStore
from core.simulator.demo import get_simulator, size_draft
from core.storage.db import Database
from core.storage.repositories import ConnectionRepository
from core.worker import ImportWorker
from tests.conftest import open_test_database
from tests.storage_dump import dump_text

HOURLY = Schedule(kind=ScheduleKind.EVERY_N_HOURS, every_hours=1)
MANUAL = Schedule()


@pytest.fixture
def second(app_paths: AppPaths, secret_store: SecretStore) -> Iterator[Services]:
    """Another worker's services on the same data folder (its own database connections)."""
    database = open_test_database(app_paths.database, backups_dir=app_paths.backups_dir)
    services = assemble(paths=app_paths, database=database, secret_store=secret_store)
    yield services
    services.imports.close()
    database.close_thread_connection()


def add(database: Database, profile: str, name: str, schedule: Schedule = MANUAL) -> int:
    conn = database.thread_connection()
    with database.transaction(conn):
        draft = replace(size_draft(profile, name=name), schedule=schedule)
        return ConnectionRepository().insert(conn, draft)


def events_of(controller: Controller, **options: object) -> list[WorkerEvent]:
    events: list[WorkerEvent] = []
    controller.run_worker(CancelToken(), on_event=events.append, once=True, **options)  # type: ignore[arg-type]
    return events


def test_a_queued_import_runs_once_and_settles_its_request(
    controller: Controller, database: Database
) -> None:
    connection_id = add(database, "size:40:1", "Tenant A")
    request = controller.queue_import(connection_id)

    events = events_of(controller)

    assert [e.kind for e in events] == [WorkerEventKind.STARTED, WorkerEventKind.FINISHED]
    assert "queued by" in events[0].reason and f"request {request.id}" in events[0].reason
    runs = controller.import_history(connection_id)
    assert [r.status for r in runs] == [ImportStatus.SUCCEEDED]
    done = controller.queued_imports()[0]
    assert done.state is RequestState.DONE and done.run_id == runs[0].id
    assert done.outcome == "succeeded"
    assert events_of(controller) == []  # nothing queued or due any more


def test_manual_connections_without_requests_are_left_alone(
    controller: Controller, database: Database
) -> None:
    add(database, "size:40:1", "Tenant A")

    assert events_of(controller) == []
    assert controller.import_history() == []


def test_a_due_schedule_runs_once_across_two_workers(
    controller: Controller, database: Database, second: Services
) -> None:
    connection_id = add(database, "size:40:2", "Tenant B", HOURLY)
    stale = second.connections.list_all()  # the other worker read the list: due
    assert stale[0].is_due(second.clock())

    assert [e.kind for e in events_of(controller)] == [
        WorkerEventKind.STARTED,
        WorkerEventKind.FINISHED,
    ]
    # The other worker now gets the claim with its stale list, re-reads the last run under
    # it, and finds the import no longer due.
    other = build_worker(second, lambda _event: None)
    second_list = second.connections
    original = second_list.list_all
    second_list.list_all = lambda: stale  # type: ignore[method-assign]
    try:
        assert other.run_round() == []
    finally:
        second_list.list_all = original  # type: ignore[method-assign]

    assert len(controller.import_history(connection_id)) == 1


def test_a_windows_scheduled_import_is_not_repeated_after_a_worker_ran_it(
    controller: Controller, database: Database, second: Services
) -> None:
    connection_id = add(database, "size:40:4", "Tenant D", HOURLY)
    assert [c.id for c in controller.due_connections()] == [connection_id]  # the window's list

    worker = build_worker(second, lambda _event: None)
    assert worker.run_round() == [connection_id]  # a worker runs it meanwhile
    assert worker.stop()

    assert controller.start_scheduled_import(connection_id) is None  # read again: not due
    assert len(controller.import_history(connection_id)) == 1


def test_a_due_scheduled_import_starts_once(controller: Controller, database: Database) -> None:
    connection_id = add(database, "size:40:5", "Tenant E", HOURLY)

    handle = controller.start_scheduled_import(connection_id)
    assert handle is not None
    assert handle.future.result(timeout=60).status is ImportStatus.SUCCEEDED

    assert controller.start_scheduled_import(connection_id) is None
    assert len(controller.import_history(connection_id)) == 1


def test_a_worker_skips_a_connection_another_one_imports(
    controller: Controller, database: Database, second: Services
) -> None:
    connection_id = add(database, "size:300:3", "Tenant C", HOURLY)
    get_simulator("size:300:3").knobs.latency_s = 0.05
    first = build_worker(second, lambda _event: None)
    try:
        assert first.run_round() == [connection_id]
        assert events_of(controller) == []  # claimed by the first worker
    finally:
        first.stop()
    assert len(controller.import_history(connection_id)) == 1


def test_stopping_cancels_the_import_and_puts_the_request_back(
    controller: Controller, database: Database
) -> None:
    connection_id = add(database, "size:3000:4", "Tenant D")
    get_simulator("size:3000:4").knobs.latency_s = 0.2
    controller.queue_import(connection_id)
    stop = CancelToken()
    started = threading.Event()

    def on_event(event: WorkerEvent) -> None:
        if event.kind is WorkerEventKind.STARTED:
            started.set()

    worker = threading.Thread(
        target=controller.run_worker, args=(stop,), kwargs={"on_event": on_event}
    )
    worker.start()
    assert started.wait(30)
    stop.cancel()
    worker.join(60)

    assert not worker.is_alive()
    assert [r.status for r in controller.import_history()] == [ImportStatus.CANCELLED]
    request = controller.queued_imports()[0]
    assert request.state is RequestState.QUEUED and request.attempts == 1


def test_a_worker_exposes_who_it_is(controller: Controller, second: Services) -> None:
    worker = build_worker(second, lambda _event: None)
    assert isinstance(worker, ImportWorker)
    host, _, pid = worker.identity.rpartition(":")
    assert host and pid.isdigit()


def test_set_secret_stores_it_in_the_keychain_only(
    controller: Controller,
    database: Database,
    memory_keyring: object,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    value = "Wk8~worker-only-secret-value"
    monkeypatch.setenv("WORKER_SECRET", value)
    draft = replace(size_draft("size:10:5", name="Real tenant"), simulated_tenant=None)
    conn = database.thread_connection()
    with database.transaction(conn):
        connection_id = ConnectionRepository().insert(conn, draft)

    code = main(
        ["connections", "set-secret", "Real tenant", "--client-secret-env", "WORKER_SECRET"],
        controller_factory=lambda: controller,
    )

    out, err = capsys.readouterr()
    assert code == 0, err
    assert "Stored the client secret of “Real tenant”" in out
    assert value not in out + err
    entries = memory_keyring.entries  # type: ignore[attr-defined]
    assert value in entries.values()
    assert f"connection/{connection_id}/client_secret" in {k for _, k in entries}
    assert value not in dump_text(database)


def test_set_secret_refuses_a_secret_the_connection_does_not_use(
    controller: Controller, database: Database, monkeypatch: pytest.MonkeyPatch, capsys
) -> None:
    monkeypatch.setenv("WORKER_SECRET", "x")
    draft = replace(size_draft("size:10:5", name="Real tenant"), simulated_tenant=None)
    conn = database.thread_connection()
    with database.transaction(conn):
        ConnectionRepository().insert(conn, draft)

    code = main(
        ["connections", "set-secret", "Real tenant", "--password-env", "WORKER_SECRET"],
        controller_factory=lambda: controller,
    )

    assert code == 2
    assert "does not use it (it uses: client_secret)" in capsys.readouterr().err


def test_worker_once_on_the_command_line_logs_a_line_per_start_and_finish(
    controller: Controller, database: Database, capsys: pytest.CaptureFixture[str]
) -> None:
    connection_id = add(database, "size:40:6", "Tenant F")
    assert main(["import", "Tenant F", "--queue"], controller_factory=lambda: controller) == 0
    assert "Queued an import of “Tenant F” for the workers (request 1)." in capsys.readouterr().out

    code = main(["worker", "--once"], controller_factory=lambda: controller)

    out = capsys.readouterr().out.splitlines()
    assert code == 0
    assert [line.split(" ", 2)[1] for line in out] == ["worker", "started", "finished", "worker"]
    assert "started Tenant F: queued by" in out[1]
    assert "finished Tenant F: succeeded in" in out[2]
    assert [r.connection_id for r in controller.import_history()] == [connection_id]


def test_worker_refuses_a_poll_interval_of_zero(
    controller: Controller, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(["worker", "--poll-seconds", "0"], controller_factory=lambda: controller)

    assert code == 2
    assert "--poll-seconds must be more than 0" in capsys.readouterr().err


def test_a_failed_round_is_logged_and_the_worker_goes_on(
    second: Services, database: Database, caplog: pytest.LogCaptureFixture
) -> None:
    connection_id = add(database, "size:40:8", "Tenant G")
    second.queue.add(connection_id, requested_by="alice")
    stop = CancelToken()
    events: list[WorkerEvent] = []

    def on_event(event: WorkerEvent) -> None:
        events.append(event)
        if event.kind is WorkerEventKind.FINISHED:
            stop.cancel()

    worker = build_worker(second, on_event)
    real = second.queue.open_connection_ids
    calls = []

    def flaky() -> set[int]:
        calls.append(1)
        if len(calls) == 1:
            raise sqlite3.OperationalError("database is locked")
        return real()

    second.queue.open_connection_ids = flaky  # type: ignore[method-assign]
    worker.run(stop, poll_seconds=0.05)

    assert "this round of the worker failed" in caplog.text
    assert [e.kind for e in events] == [WorkerEventKind.STARTED, WorkerEventKind.FINISHED]
