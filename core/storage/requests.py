"""The queue of imports for the headless workers (`import_requests`). Each method takes the
sqlite3 connection it runs on, so callers decide the thread and the transaction.

Taking is a compare-and-set (`UPDATE … WHERE taken_by IS <what was read>`), so a request is
taken once however many workers read it; a worker takes the requests of a connection only
while it holds the connection's claim, so one taken and unfinished while the claim is free
belongs to a worker that died and may be taken over."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from core.domain.queue import QueuedImport
from core.storage.db import from_iso, iso, utc_now
from core.storage.dialect import DbConnection, Row

_SELECT = (
    "SELECT q.*, c.name AS connection_name FROM import_requests q "
    "JOIN connections c ON c.id = q.connection_id"
)


class ImportRequestRepository:
    def add(
        self, conn: DbConnection, connection_id: int, *, incremental: bool, requested_by: str
    ) -> int:
        cur = conn.execute(
            "INSERT INTO import_requests (connection_id, incremental, requested_at, "
            "requested_by) VALUES (?, ?, ?, ?) RETURNING id",
            (connection_id, int(incremental), iso(utc_now()), requested_by),
        )
        return int(cur.fetchone()[0])

    def recent(
        self, conn: DbConnection, *, open_only: bool = False, limit: int = 1000
    ) -> list[QueuedImport]:
        """Newest first; `open_only`: those not finished (queued, or taken)."""
        sql = _SELECT + (" WHERE q.finished_at IS NULL" if open_only else "")
        sql += " ORDER BY q.requested_at DESC, q.id DESC LIMIT ?"
        return [self._from_row(r) for r in conn.execute(sql, (limit,))]

    def get(self, conn: DbConnection, request_id: int) -> QueuedImport | None:
        row = conn.execute(_SELECT + " WHERE q.id = ?", (request_id,)).fetchone()
        return self._from_row(row) if row else None

    def open_connection_ids(self, conn: DbConnection) -> set[int]:
        """Connections with a request not finished (queued, running, or left by a dead
        worker), for a worker to try."""
        rows = conn.execute(
            "SELECT DISTINCT connection_id FROM import_requests WHERE finished_at IS NULL"
        )
        return {int(r[0]) for r in rows}

    def take(self, conn: DbConnection, connection_id: int, worker: str) -> list[QueuedImport]:
        """Take every unfinished request of the connection for `worker` (the caller holds the
        connection's claim, so any that another worker took were left by a dead one). Returns
        those this call took; none when another caller took them first."""
        taken: list[QueuedImport] = []
        now = iso(utc_now())
        rows = conn.execute(
            _SELECT + " WHERE q.connection_id = ? AND q.finished_at IS NULL ORDER BY q.id",
            (connection_id,),
        ).fetchall()
        for row in rows:
            cur = conn.execute(
                "UPDATE import_requests SET taken_by = ?, taken_at = ?, attempts = attempts + 1 "
                "WHERE id = ? AND finished_at IS NULL AND taken_by IS ?",
                (worker, now, row["id"], row["taken_by"]),
            )
            if cur.rowcount == 1:
                before = self._from_row(row)
                taken.append(
                    replace(
                        before,
                        taken_by=worker,
                        taken_at=from_iso(now),
                        attempts=before.attempts + 1,
                    )
                )
        return taken

    def finish(
        self,
        conn: DbConnection,
        ids: Sequence[int],
        *,
        worker: str,
        outcome: str,
        run_id: int | None,
    ) -> int:
        """Mark the requests `worker` took as done; returns how many it still held."""
        cur = conn.executemany(
            "UPDATE import_requests SET finished_at = ?, outcome = ?, run_id = ? "
            "WHERE id = ? AND taken_by = ? AND finished_at IS NULL",
            [(iso(utc_now()), outcome, run_id, i, worker) for i in ids],
        )
        return int(cur.rowcount)

    def give_back(self, conn: DbConnection, ids: Sequence[int], *, worker: str) -> int:
        """Put the requests `worker` took back in the queue (the worker is stopping)."""
        cur = conn.executemany(
            "UPDATE import_requests SET taken_by = NULL, taken_at = NULL "
            "WHERE id = ? AND taken_by = ? AND finished_at IS NULL",
            [(i, worker) for i in ids],
        )
        return int(cur.rowcount)

    @staticmethod
    def _from_row(row: Row) -> QueuedImport:
        requested = from_iso(row["requested_at"])
        assert requested is not None
        return QueuedImport(
            id=row["id"],
            connection_id=row["connection_id"],
            connection_name=row["connection_name"],
            incremental=bool(row["incremental"]),
            requested_at=requested,
            requested_by=row["requested_by"],
            taken_by=row["taken_by"],
            taken_at=from_iso(row["taken_at"]),
            attempts=row["attempts"],
            run_id=row["run_id"],
            finished_at=from_iso(row["finished_at"]),
            outcome=row["outcome"],
        )
