"""What other processes change on the store, read cheaply for a window that polls it.

`data_version()` is a token built from the tables others write (import runs and snapshots,
license status changes, licenses, connections, settings, prices, SaaS Management data and the
workers' queue): plain aggregates that any SQL store answers, so a server store needs nothing
of its own. Equal tokens mean nothing a window shows changed.
"""

from __future__ import annotations

import hashlib

from core.domain.imports import ImportProgress
from core.domain.queue import RequestState, WorkerImport
from core.storage.claims import ConnectionClaims
from core.storage.db import Database, from_iso, this_process
from core.storage.dialect import DbConnection

# One row of aggregates; each part moves when its table gets, loses or changes rows. An import
# that starts changes nothing shown (its connection shows as importing through
# `worker_imports`); the one that ends does.
_VERSION_SQL = """
SELECT
  (SELECT COALESCE(MAX(id), 0) || '/' || COUNT(*) FROM import_runs WHERE ended_at IS NOT NULL),
  (SELECT COALESCE(MAX(id), 0) || '/' || COUNT(*) FROM snapshots WHERE state = 'current'),
  (SELECT COALESCE(MAX(id), 0) || '/' || COUNT(*) FROM license_status_changes),
  (SELECT COALESCE(MAX(id), 0) || '/' || COUNT(*) FROM licenses),
  (SELECT COUNT(*) || '/' || COALESCE(SUM(total_active), 0) FROM saas_terms),
  (SELECT COUNT(*) FROM saas_app_users),
  (SELECT COALESCE(MAX(id), 0) || '/' || COUNT(finished_at) || '/' || COUNT(taken_by)
     FROM import_requests)
"""
# Settings, prices and connections are few (hundreds of rows at most), and an edit need not
# move a count or a time kept to the second: their values are part of the token.
_SMALL_TABLES_SQL = (
    "SELECT key, value FROM settings ORDER BY key",
    "SELECT product_key, unit_price FROM prices ORDER BY product_key",
    "SELECT id, name, config FROM connections ORDER BY id",
)


class ChangeWatch:
    """Reads for a window's poll: the change token and the imports other processes run."""

    def __init__(self, database: Database, claims: ConnectionClaims) -> None:
        self._database = database
        self._claims = claims

    def data_version(self) -> str:
        """A token that changes whenever data a window shows changes, in any process."""
        conn = self._conn()
        digest = hashlib.sha256()
        digest.update(repr(tuple(conn.execute(_VERSION_SQL).fetchone())).encode())
        for sql in _SMALL_TABLES_SQL:
            for row in conn.execute(sql):
                digest.update(repr(tuple(row)).encode())
        return digest.hexdigest()[:32]

    def worker_imports(self) -> list[WorkerImport]:
        """Imports queued for the workers, or running in another live process; a request
        whose worker died shows as queued again (the next worker takes it over)."""
        conn = self._conn()
        me = this_process()
        found: dict[int, WorkerImport] = {}
        for row in conn.execute(
            "SELECT connection_id, run_by, started_at, connection_name, progress_step, "
            "progress_done, progress_total, progress_message FROM import_runs "
            "WHERE status = 'running' AND connection_id IS NOT NULL AND run_by IS NOT NULL "
            "AND run_by != ? ORDER BY id",
            (me,),
        ):
            connection_id = int(row[0])
            if self._claims.is_claimed(connection_id):
                progress = None
                if row[4] is not None:
                    progress = ImportProgress(
                        connection_id, row[4], int(row[5] or 0), row[6], row[7] or ""
                    )
                found[connection_id] = WorkerImport(
                    connection_id, row[3], RequestState.RUNNING, row[1], from_iso(row[2]), progress
                )
        for row in conn.execute(
            "SELECT q.connection_id, q.taken_by, q.requested_at, q.taken_at, c.name "
            "FROM import_requests q JOIN connections c ON c.id = q.connection_id "
            "WHERE q.finished_at IS NULL ORDER BY q.id"
        ):
            connection_id = int(row[0])
            if connection_id in found:
                continue
            if row[1] and row[1] != me and self._claims.is_claimed(connection_id):
                found[connection_id] = WorkerImport(
                    connection_id, row[4], RequestState.RUNNING, row[1], from_iso(row[3])
                )
            else:
                found[connection_id] = WorkerImport(
                    connection_id, row[4], RequestState.QUEUED, None, from_iso(row[2])
                )
        return list(found.values())

    def _conn(self) -> DbConnection:
        return self._database.thread_connection()
