"""On SQLite the staging worker never runs its two snapshot writes at once: the usage store
waits for the users move (a million users hold the write lock longer than SQLite's busy
timeout, and the reports now arrive before the users are moved); folding the usage, on the
temporary schema, does not wait. On PostgreSQL (row locks) the two run side by side."""

from __future__ import annotations

import queue
import time
from typing import Any

import pytest

from core.imports.staging_worker import Worker, snapshot_lock
from core.storage.dialect import POSTGRES, SQLITE, Dialect


class _Recorder:
    def __init__(self, log: list[tuple[str, float]], name: str, seconds: float) -> None:
        self._log, self._name, self._seconds = log, name, seconds

    def __call__(self, **_options: object) -> None:
        self._log.append((f"{self._name} start", time.monotonic()))
        time.sleep(self._seconds)
        self._log.append((f"{self._name} end", time.monotonic()))


@pytest.mark.parametrize(
    ("dialect", "expected"),
    [
        (
            SQLITE,
            ["users start", "fold start", "fold end", "users end", "usage start", "usage end"],
        ),
        (
            POSTGRES,
            ["users start", "fold start", "fold end", "usage start", "usage end", "users end"],
        ),
    ],
    ids=["sqlite", "postgresql"],
)
def test_the_usage_store_waits_for_the_users_move_only_where_the_store_has_one_writer(
    tmp_path: Any, dialect: Dialect, expected: list[str]
) -> None:
    log: list[tuple[str, float]] = []
    worker = Worker(tmp_path / "db.sqlite3", queue.SimpleQueue())
    worker.snapshot_lock = snapshot_lock(dialect)  # as `attach` sets it for the store

    class Writer:
        pass

    users = Writer()
    users.flush_users = _Recorder(log, "users", 0.3)  # type: ignore[attr-defined]
    worker.moves.attach([users, Writer()])
    worker.usage_writer = Writer()
    worker.usage_writer.fold_usage = _Recorder(log, "fold", 0.0)
    worker.usage_writer.store_usage = _Recorder(log, "usage", 0.0)
    worker.handle(("flush_users",))
    assert worker.moves._thread is not None  # the users flush runs in a thread
    worker.handle(("flush_usage",))
    worker.handle(("sync", 1))  # waits for both
    order = [name for name, _ in sorted(log, key=lambda entry: entry[1])]
    assert order == expected
