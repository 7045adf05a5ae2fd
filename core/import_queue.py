"""The queue of "Execute now" requests for the headless workers, on the store: each call is
one short transaction on the calling thread's connection."""

from __future__ import annotations

import getpass
from collections.abc import Sequence

from core.domain.queue import QueuedImport
from core.storage.db import Database
from core.storage.dialect import DbConnection
from core.storage.requests import ImportRequestRepository


def os_user() -> str:
    """Who queues a request: the operating system's user name."""
    try:
        return getpass.getuser()
    except (OSError, KeyError):  # no login name and no passwd entry (some containers)
        return "unknown"


class ImportQueue:
    def __init__(self, database: Database) -> None:
        self._database = database
        self._requests = ImportRequestRepository()

    def add(
        self, connection_id: int, *, incremental: bool = False, requested_by: str | None = None
    ) -> QueuedImport:
        """Queue an import of the connection for the workers."""
        with self._database.transaction(self._db()) as conn:
            request_id = self._requests.add(
                conn,
                connection_id,
                incremental=incremental,
                requested_by=requested_by or os_user(),
            )
            found = self._requests.get(conn, request_id)
        assert found is not None
        return found

    def recent(self, *, open_only: bool = False, limit: int = 1000) -> list[QueuedImport]:
        return self._requests.recent(self._db(), open_only=open_only, limit=limit)

    def open_connection_ids(self) -> set[int]:
        return self._requests.open_connection_ids(self._db())

    def take(self, connection_id: int, worker: str) -> list[QueuedImport]:
        """Take the connection's unfinished requests; the caller holds its claim."""
        with self._database.transaction(self._db()) as conn:
            return self._requests.take(conn, connection_id, worker)

    def finish(self, ids: Sequence[int], *, worker: str, outcome: str, run_id: int | None) -> None:
        with self._database.transaction(self._db()) as conn:
            self._requests.finish(conn, ids, worker=worker, outcome=outcome, run_id=run_id)

    def give_back(self, ids: Sequence[int], *, worker: str) -> None:
        with self._database.transaction(self._db()) as conn:
            self._requests.give_back(conn, ids, worker=worker)

    def _db(self) -> DbConnection:
        return self._database.thread_connection()
