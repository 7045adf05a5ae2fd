"""Writing one import's snapshot: rows go in page by page under a 'building' snapshot on the
import's own SQLite connection; `commit` flips it to 'current' in one transaction.

Users and report rows arrive in random key order (object ids, UPNs). Inserting them straight
into the keyed tables costs a random B-tree write per row and, at 100,000 users, most of the
import's time. So pages are appended to unindexed staging tables on the connection's temporary
(file-backed) schema as they arrive, and `flush_users` / `flush_usage` move them into the keyed
tables sorted by key, in a few large batches. Memory stays flat: nothing is held in Python
between pages. The import's staging worker (core.imports.stager) does that part on writers
made with `for_staging`; the import process keeps begin, commit and discard.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Sequence
from datetime import datetime
from typing import Any

from core.domain.connection import Connection
from core.domain.licensing import LicenseSource
from core.storage.db import Database, iso
from core.storage.dialect import SQLITE, BulkLoader, DbConnection

UserRow = tuple[Any, ...]  # (id, upn, upn_lower, display, mail, enabled, type, created, sign-in)
UserSkuRow = tuple[Any, ...]  # (sku_id, user_id, direct, group_ids, group_count, state, at)
ReportRow = tuple[Any, ...]  # (upn_lower, last_activity, has_workload_license, last_activation)

_USER_COLUMNS = (
    "snapshot_id, id, user_principal_name, upn_lower, display_name, mail, account_enabled, "
    "user_type, created_at, last_sign_in"
)
_USER_SKU_COLUMNS = (
    "snapshot_id, sku_id, user_id, direct, group_ids, group_count, state, assigned_at"
)
_INSERT_USER = f"INSERT OR REPLACE INTO users ({_USER_COLUMNS}) VALUES ({', '.join('?' * 10)})"
_INSERT_USER_SKU = (
    f"INSERT OR REPLACE INTO user_skus ({_USER_SKU_COLUMNS}) VALUES ({', '.join('?' * 8)})"
)
# Staged rows carry no snapshot id (a connection stages for one snapshot): one value fewer to
# bind per row.
_STAGED_USER = _USER_COLUMNS.removeprefix("snapshot_id, ")
_STAGED_USER_SKU = _USER_SKU_COLUMNS.removeprefix("snapshot_id, ")
_STAGING = f"""
CREATE TEMP TABLE IF NOT EXISTS stage_users ({_STAGED_USER});
CREATE TEMP TABLE IF NOT EXISTS stage_user_skus ({_STAGED_USER_SKU});
CREATE TEMP TABLE IF NOT EXISTS stage_usage (
    upn_lower, last_activity, has_workload_license, last_activation);
CREATE TEMP TABLE IF NOT EXISTS folded_usage (
    upn_lower PRIMARY KEY, last_activity, has_workload_license, last_activation) WITHOUT ROWID;
"""
# PostgreSQL's temporary tables need types: the same columns, typed as the snapshot's tables.
# No folded_usage: the usage folds as it is stored there (`SnapshotWriter.fold_usage`).
_STAGED_USAGE = "upn_lower, last_activity, has_workload_license, last_activation"
# One row per user from the staged report rows: the latest dates, any workload license.
_FOLD_STAGED_USAGE = (
    "SELECT upn_lower, MAX(NULLIF(last_activity, '')) AS last_activity, "
    "MAX(has_workload_license) AS has_workload_license, "
    "MAX(NULLIF(last_activation, '')) AS last_activation FROM stage_usage GROUP BY upn_lower"
)
_PG_STAGING = f"""
CREATE TEMP TABLE IF NOT EXISTS stage_users AS SELECT {_STAGED_USER} FROM users WITH NO DATA;
CREATE TEMP TABLE IF NOT EXISTS stage_user_skus AS
    SELECT {_STAGED_USER_SKU} FROM user_skus WITH NO DATA;
CREATE TEMP TABLE IF NOT EXISTS stage_usage AS
    SELECT {_STAGED_USAGE} FROM report_usage WITH NO DATA;
"""


def _open_staging(database: Database, *, check_same_thread: bool = True) -> DbConnection:
    conn = database.connect(check_same_thread=check_same_thread)
    if database.dialect is SQLITE:
        conn.execute("PRAGMA temp_store = FILE")
        conn.executescript(_STAGING)
    else:
        conn.executescript(_PG_STAGING)
    return conn


# Called inside the commit transaction with (sqlite connection, snapshot id), so licenses are
# created or updated atomically with the snapshot they describe.
CommitHook = Callable[[DbConnection, int], None]


class SnapshotWriter:
    def __init__(self, database: Database, connection: Connection, run_id: int) -> None:
        self._db = database
        self._connection = connection
        self._run_id = run_id
        self._conn = _open_staging(database)
        self.snapshot_id: int | None = None
        self.last_staged = 0

    @classmethod
    def for_staging(
        cls, database: Database, snapshot_id: int, *, any_thread: bool = False
    ) -> SnapshotWriter:
        """A writer that stages rows for an existing 'building' snapshot (the staging worker)."""
        writer = cls.__new__(cls)
        writer._db = database
        writer._run_id = 0
        writer._conn = _open_staging(database, check_same_thread=not any_thread)
        writer.snapshot_id = snapshot_id
        writer.last_staged = 0
        return writer

    def close(self) -> None:
        self._conn.close()

    def begin(
        self, *, tenant_id: str, tenant_name: str, domains: Sequence[str], now: datetime
    ) -> int:
        source = LicenseSource.for_source_type(self._connection.source_type)
        with self._db.transaction(self._conn) as conn:
            cur = conn.execute(
                "INSERT INTO snapshots (connection_id, run_id, state, created_at, tenant_id, "
                "tenant_name, domains, usage_period, source) VALUES (?, ?, 'building', ?, ?, ?, "
                "?, ?, ?) RETURNING id",
                (
                    self._connection.id,
                    self._run_id,
                    iso(now),
                    tenant_id.lower(),
                    tenant_name,
                    json.dumps(list(domains)),
                    self._connection.usage_period.value,
                    source.value,
                ),
            )
            self.snapshot_id = int(cur.fetchone()[0])
        return self.snapshot_id

    def write_skus(self, rows: Iterable[tuple[Any, ...]]) -> None:
        self._executemany(
            "INSERT OR REPLACE INTO skus (snapshot_id, sku_id, sku_part_number, applies_to, "
            "capability_status, enabled, warning, suspended, locked_out, consumed_units, "
            "service_plans) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            rows,
        )

    def write_subscriptions(self, rows: Iterable[tuple[Any, ...]]) -> None:
        self._executemany(
            "INSERT OR REPLACE INTO subscriptions (snapshot_id, id, commerce_subscription_id, "
            "sku_id, sku_part_number, status, total_licenses, is_trial, created_at, "
            "next_lifecycle_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            rows,
        )

    def write_users(self, users: list[UserRow], user_skus: list[UserSkuRow]) -> None:
        """Stage one page of users (temporary schema: no lock on the database)."""
        self._require_snapshot()
        self._stage("stage_users", _STAGED_USER, users)
        self._stage("stage_user_skus", _STAGED_USER_SKU, user_skus)

    def _stage(self, table: str, columns: str, rows: list[tuple[Any, ...]]) -> None:
        conn = self._conn
        if isinstance(conn, BulkLoader):  # PostgreSQL: COPY, in a transaction of its own
            conn.copy_rows(table, columns, rows)
            return
        width = columns.count(",") + 1
        conn.execute("BEGIN")
        try:
            conn.executemany(f"INSERT INTO {table} VALUES ({', '.join('?' * width)})", rows)
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        conn.execute("COMMIT")

    def flush_users(self, *, last: bool = True) -> None:
        """Move the staged users into the snapshot, in key order, in one transaction. The
        planner's statistics are refreshed after the `last` move only: the holder figures are
        computed right after it, and the moves before it do not need them."""
        sid = self._require_snapshot()  # an int: written into the SELECT, no type to infer
        dialect = self._db.dialect
        users_first, users_last = dialect.last_per_key("id")
        skus_first, skus_last = dialect.last_per_key("sku_id, user_id")
        with self._db.snapshot_transaction(self._conn) as conn:
            conn.execute(
                f"INSERT OR REPLACE INTO users ({_USER_COLUMNS}) SELECT {users_first}"
                f"{int(sid)}, {_STAGED_USER} FROM stage_users ORDER BY id{users_last}"
            )
            conn.execute(
                f"INSERT OR REPLACE INTO user_skus ({_USER_SKU_COLUMNS}) "
                f"SELECT {skus_first}{int(sid)}, {_STAGED_USER_SKU} FROM stage_user_skus "
                f"ORDER BY sku_id, user_id{skus_last}"
            )
            conn.execute(dialect.empty("stage_users"))
            conn.execute(dialect.empty("stage_user_skus"))
        if last:
            self._refresh_statistics("users, user_skus")

    def clear_users(self) -> None:
        """Drop the users written so far (the listing restarts without signInActivity)."""
        sid = self._require_snapshot()
        with self._db.snapshot_transaction(self._conn) as conn:
            conn.execute("DELETE FROM stage_users")
            conn.execute("DELETE FROM stage_user_skus")
            conn.execute("DELETE FROM user_skus WHERE snapshot_id = ?", (sid,))
            conn.execute("DELETE FROM users WHERE snapshot_id = ?", (sid,))

    def copy_users_from(self, previous_snapshot_id: int) -> int:
        """Start from the previous snapshot's users (incremental import); returns the count."""
        sid = self._require_snapshot()
        with self._db.snapshot_transaction(self._conn) as conn:
            cur = conn.execute(
                "INSERT INTO users SELECT ?, id, user_principal_name, upn_lower, display_name, "
                "mail, account_enabled, user_type, created_at, last_sign_in FROM users "
                "WHERE snapshot_id = ?",
                (sid, previous_snapshot_id),
            )
            conn.execute(
                "INSERT INTO user_skus SELECT ?, sku_id, user_id, direct, group_ids, "
                "group_count, state, assigned_at FROM user_skus WHERE snapshot_id = ?",
                (sid, previous_snapshot_id),
            )
        return int(cur.rowcount)

    def replace_users(
        self, remove_ids: Sequence[str], users: list[UserRow], user_skus: list[UserSkuRow]
    ) -> None:
        """Drop these users (deleted or about to be rewritten), then write the new rows."""
        sid = self._require_snapshot()
        with self._db.snapshot_transaction(self._conn) as conn:
            gone = [(sid, uid) for uid in remove_ids]
            conn.executemany("DELETE FROM user_skus WHERE snapshot_id = ? AND user_id = ?", gone)
            conn.executemany("DELETE FROM users WHERE snapshot_id = ? AND id = ?", gone)
            conn.executemany(_INSERT_USER, [(sid, *u) for u in users])
            conn.executemany(_INSERT_USER_SKU, [(sid, *s) for s in user_skus])

    def user_count(self) -> int:
        sid = self._require_snapshot()
        row = self._conn.execute("SELECT COUNT(*) FROM users WHERE snapshot_id = ?", (sid,))
        return int(row.fetchone()[0])

    def write_usage(self, rows: list[ReportRow]) -> None:
        """Stage report rows; one user has a row per report, folded by `flush_usage`."""
        self._require_snapshot()
        self._stage("stage_usage", _STAGED_USAGE, rows)

    def flush_usage(self) -> None:
        """Fold the staged report rows per user and store them in the snapshot."""
        self.fold_usage()
        self.store_usage()

    def fold_usage(self) -> None:
        """Fold the staged report rows per user (latest dates, any workload license) on the
        temporary schema, where the store has one write lock: no lock is held meanwhile, so it
        runs beside a users move, and `store_usage` holds the lock for a plain copy only.
        Elsewhere `store_usage` folds as it stores (one pass over the rows instead of two)."""
        if not self._db.dialect.one_writer:
            return
        conn = self._conn
        conn.execute("BEGIN")
        try:
            conn.execute(
                f"INSERT OR REPLACE INTO folded_usage ({_STAGED_USAGE}) {_FOLD_STAGED_USAGE}"
            )
            conn.execute("DELETE FROM stage_usage")
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        conn.execute("COMMIT")

    def store_usage(self) -> None:
        """Move the folded report rows into the snapshot, in key order."""
        sid = self._require_snapshot()
        dialect = self._db.dialect
        folded, source = (
            ("folded_usage", "folded_usage")
            if dialect.one_writer
            else ("stage_usage", f"({_FOLD_STAGED_USAGE}) AS folded")
        )
        with self._db.snapshot_transaction(self._conn) as conn:
            conn.execute(
                f"INSERT OR REPLACE INTO report_usage (snapshot_id, {_STAGED_USAGE}) "
                f"SELECT {int(sid)}, {_STAGED_USAGE} FROM {source} ORDER BY upn_lower"
            )
            conn.execute(dialect.empty(folded))
        self._refresh_statistics("report_usage")

    def _refresh_statistics(self, tables: str) -> None:
        statement = self._db.dialect.refresh_statistics(tables)
        if statement is not None:
            self._conn.execute(statement)

    def clear_usage(self) -> None:
        sid = self._require_snapshot()
        with self._db.snapshot_transaction(self._conn) as conn:
            conn.execute("DELETE FROM stage_usage")
            if self._db.dialect.one_writer:  # where the usage is folded before it is stored
                conn.execute("DELETE FROM folded_usage")
            conn.execute("DELETE FROM report_usage WHERE snapshot_id = ?", (sid,))

    def set_usage_meta(
        self,
        *,
        as_of: str,
        report_refresh_date: str | None,
        sign_in_imported: bool,
        reports_imported: bool,
        concealed_names: bool,
    ) -> None:
        sid = self._require_snapshot()
        with self._db.transaction(self._conn) as conn:
            conn.execute(
                "UPDATE snapshots SET as_of = ?, report_refresh_date = ?, sign_in_imported = ?, "
                "reports_imported = ?, concealed_names = ? WHERE id = ?",
                (
                    as_of,
                    report_refresh_date,
                    int(sign_in_imported),
                    int(reports_imported),
                    int(concealed_names),
                    sid,
                ),
            )

    def licensed_user_count(self) -> int:
        sid = self._require_snapshot()
        row = self._conn.execute(
            "SELECT COUNT(DISTINCT user_id) FROM user_skus WHERE snapshot_id = ?", (sid,)
        ).fetchone()
        return int(row[0])

    def commit(self, *, snapshots_kept: int, hooks: Sequence[CommitHook] = ()) -> None:
        """Make this snapshot current, demote the previous one, prune old ones: one transaction."""
        sid = self._require_snapshot()
        cid = self._connection.id
        with self._db.transaction(self._conn) as conn:
            conn.execute(
                "UPDATE snapshots SET state = 'previous' WHERE connection_id = ? "
                "AND state = 'current'",
                (cid,),
            )
            conn.execute("UPDATE snapshots SET state = 'current' WHERE id = ?", (sid,))
            for hook in hooks:
                hook(conn, sid)
            conn.execute(
                "DELETE FROM snapshots WHERE connection_id = ? AND state = 'previous' AND id NOT "
                "IN (SELECT id FROM snapshots WHERE connection_id = ? AND state != 'building' "
                "ORDER BY id DESC LIMIT ?)",
                (cid, cid, max(1, snapshots_kept)),
            )

    def discard(self) -> None:
        """Drop a snapshot that never became current (failed or cancelled import)."""
        if self.snapshot_id is None:
            return
        with self._db.transaction(self._conn) as conn:
            conn.execute(
                "DELETE FROM snapshots WHERE id = ? AND state = 'building'", (self.snapshot_id,)
            )

    def _executemany(self, sql: str, rows: Iterable[tuple[Any, ...]]) -> None:
        sid = self._require_snapshot()
        with self._db.transaction(self._conn) as conn:
            conn.executemany(sql, [(sid, *r) for r in rows])

    def _require_snapshot(self) -> int:
        if self.snapshot_id is None:
            raise RuntimeError("begin() first")
        return self.snapshot_id
