"""Repositories for connections, settings and import history. Each method takes the sqlite3
connection it runs on, so callers decide the thread and the transaction."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import asdict, fields, replace
from datetime import date, datetime
from typing import Any

from core.domain.cloud import Cloud
from core.domain.connection import (
    AuthMethod,
    Connection,
    ConnectionDraft,
    ConnectionSecrets,
    CredentialKind,
    ProxyMode,
    Schedule,
    ScheduleKind,
    SourceType,
    UsagePeriod,
)
from core.domain.imports import ImportCounts, ImportRun, ImportStatus
from core.storage.db import from_iso, iso, this_process, utc_now
from core.storage.dialect import DbConnection, Row

# Import runs with whether their connection is a simulated (demo) tenant.
_RUNS = (
    "SELECT r.*, json_extract(c.config, '$.simulated_tenant') IS NOT NULL AS simulated "
    "FROM import_runs r LEFT JOIN connections c ON c.id = r.connection_id"
)
_DRAFT_FIELDS = [f.name for f in fields(ConnectionDraft) if f.name not in ("secrets", "sign_in_id")]


def draft_to_json(draft: ConnectionDraft) -> str:
    data: dict[str, Any] = {}
    for name in _DRAFT_FIELDS:
        value = getattr(draft, name)
        if name == "schedule":
            value = asdict(value)
        elif isinstance(value, date):
            value = value.isoformat()
        data[name] = value
    return json.dumps(data, sort_keys=True)


def draft_kwargs_from_json(text: str) -> dict[str, Any]:
    data = json.loads(text)
    out: dict[str, Any] = {k: v for k, v in data.items() if k in _DRAFT_FIELDS}
    enums = {
        "source_type": SourceType,
        "method": AuthMethod,
        "credential_kind": CredentialKind,
        "cloud": Cloud,
        "proxy_mode": ProxyMode,
        "usage_period": UsagePeriod,
    }
    for key, enum in enums.items():
        if key in out:
            out[key] = enum(out[key])
    if "schedule" in out:
        sched = dict(out["schedule"])
        sched["kind"] = ScheduleKind(sched.get("kind", "manual"))
        out["schedule"] = Schedule(**sched)
    if out.get("secret_expires_on"):
        out["secret_expires_on"] = date.fromisoformat(out["secret_expires_on"])
    return out


def tenant_key(tenant: str) -> str | None:
    return tenant.strip().lower() or None


class ConnectionRepository:
    def list(self, conn: DbConnection) -> list[Connection]:
        rows = conn.execute(
            """
            SELECT c.*, r.started_at AS last_started, r.status AS last_status
            FROM connections c
            LEFT JOIN import_runs r ON r.id = (
                SELECT id FROM import_runs WHERE connection_id = c.id
                ORDER BY started_at DESC, id DESC LIMIT 1)
            ORDER BY c.name COLLATE NOCASE
            """
        ).fetchall()
        return [self._from_row(r) for r in rows]

    def get(self, conn: DbConnection, connection_id: int) -> Connection | None:
        return next((c for c in self.list(conn) if c.id == connection_id), None)

    def find_by_name(self, conn: DbConnection, name: str) -> Connection | None:
        key = name.strip().lower()
        return next((c for c in self.list(conn) if c.name.lower() == key), None)

    def find_by_tenant(
        self, conn: DbConnection, tenant: str, *, exclude_id: int | None = None
    ) -> Connection | None:
        """The connection already bound to this tenant (typed value or resolved GUID)."""
        key = tenant_key(tenant)
        if key is None:
            return None
        row = conn.execute(
            "SELECT id FROM connections WHERE (tenant_key = ? OR tenant_id = ?) AND id IS NOT ?",
            (key, key, exclude_id),
        ).fetchone()
        return self.get(conn, row["id"]) if row else None

    def insert(self, conn: DbConnection, draft: ConnectionDraft) -> int:
        now = iso(utc_now())
        cur = conn.execute(
            "INSERT INTO connections (name, source_type, tenant_key, config, created_at, "
            "updated_at) VALUES (?, ?, ?, ?, ?, ?) RETURNING id",
            (
                draft.name.strip(),
                draft.source_type.value,
                tenant_key(draft.tenant),
                draft_to_json(draft),
                now,
                now,
            ),
        )
        return int(cur.fetchone()[0])

    def update(self, conn: DbConnection, connection_id: int, draft: ConnectionDraft) -> None:
        conn.execute(
            "UPDATE connections SET name = ?, source_type = ?, tenant_key = ?, config = ?, "
            "updated_at = ? WHERE id = ?",
            (
                draft.name.strip(),
                draft.source_type.value,
                tenant_key(draft.tenant),
                draft_to_json(draft),
                iso(utc_now()),
                connection_id,
            ),
        )

    def set_tenant(
        self, conn: DbConnection, connection_id: int, tenant_id: str, tenant_name: str
    ) -> None:
        conn.execute(
            "UPDATE connections SET tenant_id = ?, tenant_name = ? WHERE id = ?",
            (tenant_id.lower(), tenant_name, connection_id),
        )

    def set_tenant_id(self, conn: DbConnection, connection_id: int, tenant_id: str | None) -> None:
        """The tenant GUID looked up for the typed tenant (None: not known yet)."""
        conn.execute(
            "UPDATE connections SET tenant_id = ? WHERE id = ?",
            (tenant_id.lower() if tenant_id else None, connection_id),
        )

    def delete(self, conn: DbConnection, connection_id: int) -> None:
        conn.execute("DELETE FROM connections WHERE id = ?", (connection_id,))

    def set_delta_link(
        self, conn: DbConnection, connection_id: int, link: str | None, selected: str = ""
    ) -> None:
        """Keep the delta link and the $select it was made with (what it tracks)."""
        if link is None:
            conn.execute("DELETE FROM delta_links WHERE connection_id = ?", (connection_id,))
            return
        conn.execute(
            "INSERT INTO delta_links (connection_id, delta_link, saved_at, selected) "
            "VALUES (?, ?, ?, ?) "
            "ON CONFLICT(connection_id) DO UPDATE SET delta_link = excluded.delta_link, "
            "saved_at = excluded.saved_at, selected = excluded.selected",
            (connection_id, link, iso(utc_now()), selected),
        )

    def incremental_base(
        self, conn: DbConnection, connection_id: int, *, max_age_days: int = 7
    ) -> tuple[str, int, bool, str] | None:
        """(delta link, current snapshot id, sign-in imported, the link's $select) when an
        incremental import can start from here: a link younger than the 7 days Graph keeps it,
        and a current snapshot. The $select is '' for links saved before it was recorded."""
        row = conn.execute(
            "SELECT d.delta_link, d.saved_at, d.selected, s.id, s.sign_in_imported "
            "FROM delta_links d "
            "JOIN snapshots s ON s.connection_id = d.connection_id AND s.state = 'current' "
            "WHERE d.connection_id = ?",
            (connection_id,),
        ).fetchone()
        if row is None:
            return None
        saved = from_iso(row["saved_at"])
        if saved is None or (utc_now() - saved).days >= max_age_days:
            return None
        return (
            row["delta_link"],
            int(row["id"]),
            bool(row["sign_in_imported"]),
            row["selected"],
        )

    @staticmethod
    def _from_row(row: Row) -> Connection:
        kwargs = draft_kwargs_from_json(row["config"])
        kwargs["name"] = row["name"]
        last_status = row["last_status"]
        return Connection(
            **kwargs,
            secrets=ConnectionSecrets(),
            id=row["id"],
            tenant_id=row["tenant_id"] or "",
            tenant_name=row["tenant_name"] or "",
            last_import_at=from_iso(row["last_started"]),
            last_import_status=ImportStatus(last_status) if last_status else None,
        )


def connection_as_draft(connection: Connection, secrets: ConnectionSecrets) -> ConnectionDraft:
    """The draft behind a saved connection, with its secrets put back (for Edit and Test)."""
    kwargs = {name: getattr(connection, name) for name in _DRAFT_FIELDS}
    return replace(ConnectionDraft(**kwargs), secrets=secrets)


class SettingsRepository:
    def get_all(self, conn: DbConnection) -> dict[str, str]:
        return {r["key"]: r["value"] for r in conn.execute("SELECT key, value FROM settings")}

    def get(self, conn: DbConnection, key: str) -> str | None:
        row = conn.execute("SELECT value FROM settings WHERE key = ?", (key,)).fetchone()
        return row["value"] if row else None

    def with_prefix(self, conn: DbConnection, prefix: str) -> dict[str, str]:
        """The settings whose key starts with `prefix` (e.g. the SaaS connector's `saas_`)."""
        pattern = prefix.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        rows = conn.execute(
            "SELECT key, value FROM settings WHERE key LIKE ? ESCAPE '\\'", (pattern,)
        )
        return {r["key"]: r["value"] for r in rows}

    def set(self, conn: DbConnection, key: str, value: str) -> None:
        conn.execute(
            "INSERT INTO settings (key, value) VALUES (?, ?) "
            "ON CONFLICT(key) DO UPDATE SET value = excluded.value",
            (key, value),
        )

    def set_many(self, conn: DbConnection, values: Mapping[str, str | None]) -> None:
        """Store each value; None removes the setting."""
        for key, value in values.items():
            if value is None:
                conn.execute("DELETE FROM settings WHERE key = ?", (key,))
            else:
                self.set(conn, key, value)


class ImportRunRepository:
    def start(self, conn: DbConnection, connection: Connection) -> int:
        cur = conn.execute(
            "INSERT INTO import_runs (connection_id, connection_name, started_at, status, run_by) "
            "VALUES (?, ?, ?, ?, ?) RETURNING id",
            (
                connection.id,
                connection.name,
                iso(utc_now()),
                ImportStatus.RUNNING.value,
                this_process(),
            ),
        )
        return int(cur.fetchone()[0])

    def finish(
        self,
        conn: DbConnection,
        run_id: int,
        *,
        status: ImportStatus,
        counts: ImportCounts,
        warnings: list[str],
        error: str | None = None,
        error_detail: str | None = None,
        snapshot_id: int | None = None,
    ) -> None:
        conn.execute(
            """UPDATE import_runs SET ended_at = ?, status = ?, sku_count = ?,
               subscription_count = ?, user_count = ?, licensed_user_count = ?,
               report_row_count = ?, warnings = ?, error = ?, error_detail = ?, snapshot_id = ?
               WHERE id = ?""",
            (
                iso(utc_now()),
                status.value,
                counts.skus,
                counts.subscriptions,
                counts.users,
                counts.licensed_users,
                counts.report_rows,
                json.dumps(warnings),
                error,
                error_detail,
                snapshot_id,
                run_id,
            ),
        )

    def list(
        self, conn: DbConnection, *, connection_id: int | None = None, limit: int = 1000
    ) -> list[ImportRun]:
        sql = _RUNS
        args: tuple[Any, ...] = ()
        if connection_id is not None:
            sql += " WHERE r.connection_id = ?"
            args = (connection_id,)
        sql += " ORDER BY r.started_at DESC, r.id DESC LIMIT ?"
        return [self._from_row(r) for r in conn.execute(sql, (*args, limit))]

    def get(self, conn: DbConnection, run_id: int) -> ImportRun | None:
        row = conn.execute(_RUNS + " WHERE r.id = ?", (run_id,)).fetchone()
        return self._from_row(row) if row else None

    def last_successful_starts(self, conn: DbConnection) -> dict[int, datetime]:
        """Per connection, when its last successful import started."""
        rows = conn.execute(
            "SELECT connection_id, MAX(started_at) FROM import_runs "
            "WHERE connection_id IS NOT NULL AND status IN (?, ?) GROUP BY connection_id",
            (ImportStatus.SUCCEEDED.value, ImportStatus.SUCCEEDED_WITH_WARNINGS.value),
        ).fetchall()
        out = {}
        for connection_id, started in rows:
            when = from_iso(started)
            if when is not None:
                out[int(connection_id)] = when
        return out

    @staticmethod
    def _from_row(row: Row) -> ImportRun:
        started = from_iso(row["started_at"])
        assert started is not None
        return ImportRun(
            id=row["id"],
            connection_id=row["connection_id"],
            connection_name=row["connection_name"],
            started_at=started,
            ended_at=from_iso(row["ended_at"]),
            status=ImportStatus(row["status"]),
            counts=ImportCounts(
                skus=row["sku_count"],
                subscriptions=row["subscription_count"],
                users=row["user_count"],
                licensed_users=row["licensed_user_count"],
                report_rows=row["report_row_count"],
            ),
            warnings=tuple(json.loads(row["warnings"] or "[]")),
            error=row["error"],
            error_detail=row["error_detail"],
            simulated=bool(row["simulated"]),
            run_by=row["run_by"],
        )
