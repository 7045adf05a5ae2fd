"""Headless workers as real processes sharing one data folder: twenty queued tenants imported
once each by two workers, a request of a worker killed mid-import taken over by the other,
SIGTERM cancelling cleanly, a due schedule run once across two workers, and twenty due
schedules run once each by two workers and a window together.

The workers run as `python -c` around `core.cli.main`, so the simulator's latency knob (every
simulated tenant's, set before any is built) slows the imports down enough to overlap."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import replace

import pytest

from core.controller import Controller
from core.domain.connection import Schedule, ScheduleKind
from core.domain.imports import ImportStatus
from core.simulator.demo import size_draft
from core.storage.db import Database
from core.storage.repositories import ConnectionRepository
from tests.integration.processes import (
    ROOT,
    WatchedProcess,
    child_env,
    current_snapshot,
    query,
    stagers_gone,
)

pytestmark = [
    pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals"),
    pytest.mark.slow,
]

DRIVER = """
import sys
from core.simulator.demo import DEMO_KNOBS
DEMO_KNOBS.latency_s = float(sys.argv[1])
from core.cli import main
sys.exit(main(sys.argv[2:]))
"""


class WorkerProcess(WatchedProcess):
    """A running `licensedesk-cli worker`, its stdout (one line per event) collected."""

    def __init__(self, *options: str, latency: float = 0.0, poll: float = 0.3) -> None:
        argv = ["worker", "--poll-seconds", str(poll), *options]
        super().__init__([sys.executable, "-c", DRIVER, str(latency), *argv], watch="stdout")

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 60) -> tuple[int, str]:
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
        assert self.proc.stderr is not None
        err = self.proc.stderr.read()
        self.proc.wait(timeout)
        self.join_reader()
        return self.proc.returncode, err


@pytest.fixture
def workers() -> Iterator[list[WorkerProcess]]:
    """Started workers; any still running at the end are killed."""
    started: list[WorkerProcess] = []
    yield started
    for worker in started:
        if worker.proc.poll() is None:
            worker.proc.kill()
            worker.proc.wait(10)


def add(database: Database, profile: str, name: str, schedule: Schedule | None = None) -> int:
    conn = database.thread_connection()
    with database.transaction(conn):
        draft = size_draft(profile, name=name)
        if schedule is not None:
            draft = replace(draft, schedule=schedule)
        return ConnectionRepository().insert(conn, draft)


def wait_until(condition: Callable[[], bool], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.2)


def open_requests(database: Database) -> int:
    return int(
        query(database, "SELECT COUNT(*) FROM import_requests WHERE finished_at IS NULL")[0][0]
    )


def test_two_workers_import_twenty_queued_tenants_once_each(
    controller: Controller, database: Database, workers: list[WorkerProcess]
) -> None:
    ids = [add(database, f"size:300:{n}", f"Tenant {n:02}") for n in range(20)]
    for connection_id in ids:
        controller.queue_import(connection_id)
    database.close_thread_connection()

    workers += [WorkerProcess(latency=0.1), WorkerProcess(latency=0.1)]
    wait_until(lambda: open_requests(database) == 0, 240, "the queue to empty")
    results = [worker.stop() for worker in workers]

    assert [rc for rc, _ in results] == [0, 0], results
    runs = query(database, "SELECT connection_id, status, started_at, ended_at FROM import_runs")
    assert sorted(r[0] for r in runs) == sorted(ids)  # exactly one run per tenant
    assert {r[1] for r in runs} == {"succeeded"}
    takers = query(database, "SELECT DISTINCT taken_by FROM import_requests")
    assert len(takers) == 2, "both workers should have shared the work"
    assert query(database, "SELECT MAX(attempts) FROM import_requests") == [(1,)]
    # Each worker logged its own starts, and no tenant was started by both.
    started = [
        {
            line.split("started ", 1)[1].split(":")[0]
            for line in w.lines
            if " started Tenant" in line
        }
        for w in workers
    ]
    assert not started[0] & started[1]
    assert len(started[0] | started[1]) == 20
    assert max_overlap(runs) > 1, "the imports should have overlapped"
    print("imports at once, at most:", max_overlap(runs))


def max_overlap(runs: list[tuple[object, ...]]) -> int:
    """The most runs in progress at one time (from their started/ended times)."""
    edges = sorted([(str(r[2]), 1) for r in runs] + [(str(r[3]), -1) for r in runs])
    level = peak = 0
    for _, step in edges:
        level += step
        peak = max(peak, level)
    return peak


def test_a_request_of_a_killed_worker_is_taken_over(
    database: Database, workers: list[WorkerProcess]
) -> None:
    connection_id = add(database, "size:3000:7", "Sim tenant")
    # Queued through the command line, as a user would.
    queued = subprocess.run(
        [sys.executable, "-c", DRIVER, "0", "import", "Sim tenant", "--queue"],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=child_env(),
        timeout=60,
    )
    assert queued.returncode == 0, queued.stderr
    assert "Queued an import of “Sim tenant” for the workers (request 1)." in queued.stdout

    victim = WorkerProcess(latency=0.3)
    workers.append(victim)
    victim.wait_for("started Sim tenant")
    heir = WorkerProcess(latency=0.0)  # its rounds find the connection claimed meanwhile
    workers.append(heir)
    heir.wait_for("worker started")
    time.sleep(1.0)
    victim.proc.kill()
    victim.proc.wait(10)

    heir.wait_for("finished Sim tenant", timeout=120)
    rc, err = heir.stop()

    assert rc == 0, err
    stagers_gone(database.path)
    assert query(database, "SELECT status FROM import_runs ORDER BY id") == [
        ("interrupted",),
        ("succeeded",),
    ]
    request = query(database, "SELECT taken_by, attempts, outcome FROM import_requests")
    assert request == [(f"{os.uname().nodename}:{heir.proc.pid}", 2, "succeeded")]
    assert any("taken over" in line for line in heir.lines if "started Sim tenant" in line)
    assert query(database, "SELECT COUNT(*) FROM snapshots WHERE state = 'building'") == [(0,)]
    assert connection_id == 1


def test_sigterm_cancels_the_import_keeps_the_data_and_exits_0(
    controller: Controller, database: Database, workers: list[WorkerProcess]
) -> None:
    connection_id = add(database, "size:3000:7", "Sim tenant")
    assert controller.import_now(connection_id).status is ImportStatus.SUCCEEDED
    before = current_snapshot(database)
    users_before = query(database, "SELECT COUNT(*) FROM users")[0][0]
    controller.queue_import(connection_id)
    database.close_thread_connection()

    worker = WorkerProcess(latency=0.3)
    workers.append(worker)
    worker.wait_for("started Sim tenant")
    time.sleep(1.0)  # mid-import: pages staged, reports downloading
    rc, err = worker.stop(signal.SIGTERM)

    assert rc == 0, err
    assert "Traceback" not in err
    assert any("stopping (SIGTERM)" in line for line in worker.lines)
    assert any("finished Sim tenant: cancelled" in line for line in worker.lines)
    stagers_gone(database.path)
    assert query(database, "SELECT status FROM import_runs ORDER BY id") == [
        ("succeeded",),
        ("cancelled",),
    ]
    assert current_snapshot(database) == before
    assert query(database, "SELECT COUNT(*) FROM users")[0][0] == users_before
    assert query(database, "SELECT COUNT(*) FROM snapshots WHERE state = 'building'") == [(0,)]
    # Still wanted: back in the queue for the next worker.
    assert query(database, "SELECT taken_by, finished_at FROM import_requests") == [(None, None)]


def test_a_due_schedule_runs_once_across_two_workers(
    database: Database, workers: list[WorkerProcess]
) -> None:
    hourly = Schedule(kind=ScheduleKind.EVERY_N_HOURS, every_hours=1)
    connection_id = add(database, "size:1000:9", "Scheduled tenant", hourly)
    database.close_thread_connection()

    workers += [WorkerProcess(latency=0.05, poll=0.2), WorkerProcess(latency=0.05, poll=0.2)]
    wait_until(
        lambda: (
            query(database, "SELECT COUNT(*) FROM import_runs WHERE status != 'running'") != [(0,)]
        ),
        120,
        "the scheduled import",
    )
    time.sleep(2.0)  # several more rounds of both workers
    results = [worker.stop() for worker in workers]

    assert [rc for rc, _ in results] == [0, 0], results
    assert query(database, "SELECT connection_id, status FROM import_runs") == [
        (connection_id, "succeeded")
    ]
    started = sum(1 for w in workers for line in w.lines if "started Scheduled tenant" in line)
    assert started == 1


def test_two_workers_and_a_window_run_twenty_due_schedules_once_each(
    controller: Controller, database: Database, workers: list[WorkerProcess]
) -> None:
    """The team on one store: two worker processes and a window (its scheduler's calls,
    every 0.3 s instead of every minute) all find twenty hourly tenants due at once."""
    hourly = Schedule(kind=ScheduleKind.EVERY_N_HOURS, every_hours=1)
    ids = [add(database, f"size:300:{n}", f"Tenant {n:02}", hourly) for n in range(20)]
    database.close_thread_connection()

    workers += [WorkerProcess(latency=0.1, poll=0.3), WorkerProcess(latency=0.1, poll=0.3)]
    for worker in workers:
        worker.wait_for("worker started")
    by_window = []
    deadline = time.monotonic() + 240
    while controller.due_connections() or controller.running_imports():
        assert time.monotonic() < deadline, "timed out waiting for the schedules"
        for connection in controller.due_connections():
            handle = controller.start_scheduled_import(connection.id)
            if handle is not None:
                by_window.append(handle)
        time.sleep(0.3)
    assert controller.wait_all(60)
    wait_until(
        lambda: (
            query(database, "SELECT COUNT(*) FROM import_runs WHERE status = 'running'") == [(0,)]
        ),
        120,
        "the workers' imports to end",
    )
    time.sleep(1.0)  # more rounds of both workers: nothing is due any more
    results = [worker.stop() for worker in workers]

    assert [rc for rc, _ in results] == [0, 0], results
    runs = query(database, "SELECT connection_id, status FROM import_runs")
    assert sorted(r[0] for r in runs) == sorted(ids)  # exactly one run per tenant
    assert {r[1] for r in runs} == {"succeeded"}
    by_workers = [sum(" started Tenant" in line for line in w.lines) for w in workers]
    assert sum(by_workers) + len(by_window) == 20
    assert by_window and sum(by_workers), "the window and the workers should have shared it"
    print("imported by the window:", len(by_window), "by the workers:", by_workers)
