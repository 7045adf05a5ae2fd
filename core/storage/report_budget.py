"""The usage-report budget kept in SQLite, so the window, the CLI and scheduled runs share it:
Microsoft counts 14 report requests per 10 minutes per tenant, whoever sends them."""

from __future__ import annotations

import time
from collections.abc import Callable

from core.graph.reports import ReportBudget
from core.storage.db import Database
from core.storage.dialect import DbConnection


class StoredReportBudget(ReportBudget):
    def __init__(
        self,
        database: Database,
        limit: int = 14,
        window: float = 600.0,
        *,
        clock: Callable[[], float] = time.time,
    ) -> None:
        super().__init__(limit, window, clock=clock)
        self._db = database

    def acquire(self, tenant_key: str) -> None:
        """Take one slot or raise ReportBudgetExceeded; atomic across processes."""
        conn = self._db.connect()
        try:
            with self._db.transaction(conn):
                now = self._clock()
                used = self._recent(conn, tenant_key, now)
                if len(used) >= self._limit:
                    opens_at = used[0] + self._window
                    raise self._exceeded(opens_at, opens_at - now)
                conn.execute(
                    "INSERT INTO report_requests (tenant_key, requested_at) VALUES (?, ?)",
                    (tenant_key, now),
                )
        finally:
            conn.close()

    def remaining(self, tenant_key: str) -> int:
        conn = self._db.connect()
        try:
            return self._limit - len(self._recent(conn, tenant_key, self._clock()))
        finally:
            conn.close()

    def reset(self, tenant_key: str | None = None) -> None:
        conn = self._db.connect()
        try:
            with self._db.transaction(conn):
                if tenant_key is None:
                    conn.execute("DELETE FROM report_requests")
                else:
                    conn.execute("DELETE FROM report_requests WHERE tenant_key = ?", (tenant_key,))
        finally:
            conn.close()

    def _recent(self, conn: DbConnection, tenant_key: str, now: float) -> list[float]:
        # Old rows go as they leave the window, so the table stays a few rows per tenant.
        conn.execute("DELETE FROM report_requests WHERE requested_at <= ?", (now - self._window,))
        rows = conn.execute(
            "SELECT requested_at FROM report_requests WHERE tenant_key = ? ORDER BY requested_at",
            (tenant_key,),
        )
        return [float(r[0]) for r in rows]
