"""Imports in real processes: one connection is never imported twice at once across
processes; a lock left by a dead process is taken over; what a killed import leaves behind
(its 'running' history row, partial snapshot and report files) is cleaned up at the next start;
SIGTERM is handled like Cancel.

The CLI runs as `python -c` around `core.cli.main` so the simulator's latency knob can slow the
import down enough to act on it mid-run."""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from core.controller import Controller
from core.domain.imports import ImportStatus
from core.simulator.demo import size_draft
from core.storage.db import Database
from core.storage.repositories import ConnectionRepository
from tests.conftest import open_test_database
from tests.integration.processes import (
    ROOT,
    WatchedProcess,
    child_env,
    current_snapshot,
    query,
    stagers_gone,
)

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals")

PROFILE = "size:3000:7"
NAME = "Sim tenant"
DRIVER = """
import sys
from core.simulator.demo import get_simulator
get_simulator(sys.argv[1]).knobs.latency_s = float(sys.argv[2])
from core.cli import main
sys.exit(main(sys.argv[3:]))
"""
HOLDER = """
import sys, time
from datetime import datetime, UTC
from pathlib import Path
from core.storage.location import database_url, open_database
claims = open_database(Path(sys.argv[1]), url=database_url()).claims
claim = claims.acquire(int(sys.argv[2]), name=sys.argv[3], started_at=datetime.now(UTC))
print("locked", flush=True)
time.sleep(600)
"""


class CliProcess(WatchedProcess):
    """A running `licensedesk-cli`, its stderr collected line by line."""

    def __init__(self, *argv: str, latency: float = 0.0, own_group: bool = False) -> None:
        super().__init__(
            [sys.executable, "-c", DRIVER, PROFILE, str(latency), *argv],
            watch="stderr",
            own_group=own_group,
        )

    def finish(self, timeout: float = 60) -> tuple[int, str, str]:
        # Not communicate(): it would read stderr too, from under the reader thread.
        assert self.proc.stdout is not None
        out = self.proc.stdout.read()
        self.proc.wait(timeout)
        self.join_reader()
        return self.proc.returncode, out, "\n".join(self.lines)


def run_cli(*argv: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", DRIVER, PROFILE, "0", *argv],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=child_env(),
        timeout=120,
    )


@pytest.fixture
def connection_id(database: Database) -> int:
    conn = database.thread_connection()
    with database.transaction(conn):
        return ConnectionRepository().insert(conn, size_draft(PROFILE, name=NAME))


@pytest.fixture
def imported(controller: Controller, database: Database, connection_id: int) -> int:
    """A first import succeeded: returns its current snapshot id."""
    run = controller.import_now(connection_id)
    assert run.status is ImportStatus.SUCCEEDED, run.error
    database.close_thread_connection()
    return current_snapshot(database)


def on_disk(database: Database) -> int:
    return sum(
        Path(f"{database.path}{suffix}").stat().st_size
        for suffix in ("", "-wal")
        if Path(f"{database.path}{suffix}").exists()
    )


def test_second_cli_import_of_a_connection_is_refused_naming_the_running_one(
    database: Database, connection_id: int
) -> None:
    # A second a request: the first import is still reading users however slowly the second
    # process starts on a busy machine.
    first = CliProcess("import", NAME, latency=1.0)
    try:
        first.wait_for("Reading users")
        second = run_cli("import", NAME)
        # A start while it runs leaves the running import alone (its lock is held).
        assert open_test_database(database.path).recover_interrupted_imports() == 0
    finally:
        first.proc.send_signal(signal.SIGTERM)
        first.finish()

    assert second.returncode == 1
    lines = second.stderr.strip().splitlines()
    assert len(lines) == 1, second.stderr
    host = re.escape(socket.gethostname())
    pattern = (
        rf"error: {NAME} is already being imported \(started \d\d:\d\d by pid "
        rf"{first.proc.pid} on {host}\)\."
    )
    assert re.fullmatch(pattern, lines[0]), lines[0]
    # Only the first import has a history row.
    assert query(database, "SELECT status FROM import_runs") == [("cancelled",)]


def test_lock_of_a_dead_process_is_taken_over(
    controller: Controller, database: Database, connection_id: int
) -> None:
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLDER, str(database.path), str(connection_id)] + [NAME],
        stdout=subprocess.PIPE,
        text=True,
        cwd=ROOT,
        env=child_env(),
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "locked"
        with pytest.raises(Exception, match=rf"by pid {holder.pid} on"):
            controller.start_import(connection_id)
    finally:
        holder.kill()
        holder.wait(10)
    if database.dialect.name == "sqlite":
        lock_file = database.path.parent / "locks" / f"import-{connection_id}.lock"
        assert json.loads(lock_file.read_text())["pid"] == holder.pid  # left by the dead

    run = controller.import_now(connection_id)

    assert run.status is ImportStatus.SUCCEEDED, run.error


# The reports download on their own thread from the start, while the users page in: killed at
# the first page or half-way, the import leaves a partial snapshot and report files behind.
@pytest.mark.parametrize("stage", ["Reading users", "Read 1,500 users"])
def test_killed_cli_import_is_cleaned_up_at_the_next_start(
    database: Database, imported: int, stage: str
) -> None:
    database.close_thread_connection()
    users_before = query(database, "SELECT COUNT(*) FROM users")[0][0]

    victim = CliProcess("import", NAME, latency=0.3)
    victim.wait_for(stage)
    time.sleep(0.5)  # mid-step: pages staged, a report being written
    victim.proc.kill()
    rc, _, _ = victim.finish()
    assert rc == -signal.SIGKILL
    stagers_gone(database.path)
    assert query(database, "SELECT status FROM import_runs ORDER BY id") == [
        ("succeeded",),
        ("running",),
    ]
    assert query(database, "SELECT COUNT(*) FROM snapshots WHERE state = 'building'") == [(1,)]
    leftovers = list((database.path.parent / "tmp").glob("reports-run*"))
    assert leftovers, "the killed import left no report files to clean"
    size_killed = on_disk(database)

    start = run_cli("history", "--format", "json")  # the next start

    assert start.returncode == 0, start.stderr
    runs = json.loads(start.stdout)
    assert [r["status"] for r in runs] == ["interrupted", "succeeded"]
    assert "stopped before it finished" in runs[0]["error"]
    assert query(database, "SELECT COUNT(*) FROM snapshots WHERE state = 'building'") == [(0,)]
    assert not list((database.path.parent / "tmp").glob("reports-run*"))
    assert current_snapshot(database) == imported
    assert query(database, "SELECT COUNT(*) FROM users")[0][0] == users_before
    size_clean = on_disk(database)
    print(f"{stage}: {size_killed:,} bytes after the kill, {size_clean:,} after the start")
    if database.dialect.name == "sqlite":  # PostgreSQL's autovacuum reuses the space
        assert size_clean < size_killed


def test_sigterm_cancels_the_cli_import_and_keeps_the_previous_data(
    database: Database, imported: int
) -> None:
    database.close_thread_connection()
    victim = CliProcess("import", NAME, latency=0.3)
    victim.wait_for("Reading users")
    victim.proc.send_signal(signal.SIGTERM)
    rc, out, err = victim.finish()

    assert rc == 143, (rc, err)
    assert "Traceback" not in err
    assert "error: terminated" in err.splitlines()
    stagers_gone(database.path)
    assert query(database, "SELECT status FROM import_runs ORDER BY id") == [
        ("succeeded",),
        ("cancelled",),
    ]
    assert query(database, "SELECT COUNT(*) FROM snapshots WHERE state = 'building'") == [(0,)]
    assert current_snapshot(database) == imported
    assert not list((database.path.parent / "tmp").glob("reports-run*"))


def test_ctrl_c_cancels_the_cli_import_in_one_line(database: Database, imported: int) -> None:
    database.close_thread_connection()
    victim = CliProcess("import", NAME, latency=0.3, own_group=True)
    victim.wait_for("Reading users")
    os.killpg(victim.proc.pid, signal.SIGINT)  # the terminal signals the whole job
    rc, out, err = victim.finish()

    assert rc == 130, (rc, err)
    assert "Traceback" not in err  # the staging process ignores it; the import cancels
    assert "error: interrupted" in err.splitlines()
    stagers_gone(database.path)
    assert query(database, "SELECT status FROM import_runs ORDER BY id") == [
        ("succeeded",),
        ("cancelled",),
    ]
    assert current_snapshot(database) == imported


def test_import_all_skips_a_connection_another_process_imports(
    controller: Controller, database: Database, connection_id: int, capsys
) -> None:
    from core.cli import main
    from core.storage.db import utc_now

    conn = database.thread_connection()
    with database.transaction(conn):
        other = ConnectionRepository().insert(conn, size_draft("size:50:3", name="Other"))
    # Taken on its own file handle (database session), as another process would.
    held = database.claims.acquire(connection_id, name=NAME, started_at=utc_now())
    try:
        code = main(["import", "--all", "--quiet"], controller_factory=lambda: controller)
    finally:
        held.release()

    assert code == 1
    err = capsys.readouterr().err
    assert f"error: {NAME} is already being imported (started" in err
    statuses = {r.connection_id: r.status for r in controller.import_history()}
    assert statuses == {other: ImportStatus.SUCCEEDED}
