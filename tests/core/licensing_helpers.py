"""Builders for licensing tests: tenants and snapshots written through the real SnapshotWriter
and committed with the licensing commit hook, exactly as an import does. No tests here."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any

from core.domain.connection import ConnectionDraft, SourceType
from core.domain.settings import AppSettings
from core.licensing.service import LicensingService
from core.licensing.sync import refresh_email_matches
from core.storage.db import Database
from core.storage.repositories import ConnectionRepository
from core.storage.snapshots import SnapshotWriter

NOW = datetime(2026, 7, 1, 12, 0, tzinfo=UTC)
AS_OF = "2026-06-30"
OLD = "2025-01-10T08:00:00Z"  # an assignment or account creation long ago

SPE_E3 = "05e9a617-0261-4cee-bb44-138d3ef5d965"
SPE_E5 = "06ebc4ee-1bb5-47dd-8120-11324bc54e06"
ENTERPRISEPACK = "6fd2c87f-b296-42f0-b197-1e91e994b900"
STANDARDPACK = "18181a46-0d4e-45cd-891e-60aabd171b4e"
EMS = "efccb6f7-5641-4e0e-bd10-b4976e1bf68e"
FLOW_FREE = "f30db892-07e9-47e9-837c-80727f46fd3d"
PARTS = {
    SPE_E3: "SPE_E3",
    SPE_E5: "SPE_E5",
    ENTERPRISEPACK: "ENTERPRISEPACK",
    STANDARDPACK: "STANDARDPACK",
    EMS: "EMS",
    FLOW_FREE: "FLOW_FREE",
}


@dataclass
class Settings:
    value: AppSettings = field(default_factory=AppSettings)

    def __call__(self) -> AppSettings:
        return self.value

    def set(self, **kw: Any) -> None:
        self.value = replace(self.value, **kw)


def make_service(database: Database, settings: Settings | None = None) -> LicensingService:
    return LicensingService(database, settings=settings or Settings(), clock=lambda: NOW)


def sku(
    sku_id: str,
    enabled: int,
    *,
    warning: int = 0,
    suspended: int = 0,
    locked: int = 0,
    consumed: int = 0,
    part: str | None = None,
    applies_to: str = "User",
) -> tuple[Any, ...]:
    return (
        sku_id,
        part or PARTS[sku_id],
        applies_to,
        "Enabled",
        enabled,
        warning,
        suspended,
        locked,
        consumed,
        json.dumps([]),
    )


def user(
    uid: str,
    *,
    enabled: bool = True,
    created: str = OLD,
    sign_in: str | None = None,
    mail: str | None = None,
    name: str | None = None,
    user_type: str = "Member",
    domain: str = "contoso.com",
) -> tuple[Any, ...]:
    upn = f"{uid}@{domain}"
    return (
        uid,
        upn,
        upn.lower(),
        name or uid.title(),
        mail,
        int(enabled),
        user_type,
        created,
        sign_in,
    )


def hold(
    sku_id: str,
    uid: str,
    *,
    direct: bool = True,
    groups: Sequence[str] = (),
    assigned: str | None = OLD,
) -> tuple[Any, ...]:
    return (sku_id, uid, int(direct), ",".join(groups), len(groups), "Active", assigned)


def usage(
    uid: str, last: str | None, *, workload: bool = True, domain: str = "contoso.com"
) -> tuple[Any, ...]:
    return (f"{uid}@{domain}".lower(), last, int(workload), None)


def subscription(
    sub_id: str,
    sku_id: str,
    status: str,
    total: int,
    *,
    next_at: str | None = None,
    trial: bool = False,
) -> tuple[Any, ...]:
    return (
        sub_id,
        f"c-{sub_id}",
        sku_id,
        PARTS.get(sku_id),
        status,
        total,
        int(trial),
        OLD,
        next_at,
    )


class Tenant:
    """One connection; each `load` is one committed import of it."""

    def __init__(
        self,
        database: Database,
        service: LicensingService,
        name: str = "Contoso",
        *,
        source_type: SourceType = SourceType.MICROSOFT_365,
        tenant_id: str = "11111111-1111-1111-1111-111111111111",
    ) -> None:
        self.database = database
        self.service = service
        self.name = name
        self.tenant_id = tenant_id
        conn = database.thread_connection()
        with database.transaction(conn):
            self.connection_id = ConnectionRepository().insert(
                conn, ConnectionDraft(name=name, source_type=source_type, tenant=tenant_id)
            )
        self._runs = 0

    def load(
        self,
        *,
        skus: Sequence[tuple[Any, ...]] = (),
        users: Sequence[tuple[Any, ...]] = (),
        holds: Sequence[tuple[Any, ...]] = (),
        usage_rows: Sequence[tuple[Any, ...]] = (),
        subscriptions: Sequence[tuple[Any, ...]] = (),
        sign_in: bool = True,
        reports: bool = False,
        concealed: bool = False,
        as_of: str = AS_OF,
    ) -> int:
        conn = self.database.thread_connection()
        connection = ConnectionRepository().get(conn, self.connection_id)
        assert connection is not None
        self._runs += 1
        writer = SnapshotWriter(self.database, connection, self._runs)
        try:
            sid = writer.begin(tenant_id=self.tenant_id, tenant_name=self.name, domains=[], now=NOW)
            writer.write_skus(skus)
            writer.write_subscriptions(subscriptions)
            writer.write_users(list(users), list(holds))
            if usage_rows:
                writer.write_usage(list(usage_rows))
            # Writers that stage pages move them into the snapshot tables before commit.
            for flush in ("flush_users", "flush_usage"):
                if hasattr(writer, flush):
                    getattr(writer, flush)()
            writer.set_usage_meta(
                as_of=as_of,
                report_refresh_date=as_of if reports else None,
                sign_in_imported=sign_in,
                reports_imported=reports,
                concealed_names=concealed,
            )
            writer.commit(snapshots_kept=3, hooks=[self.service.sync_after_import])
        finally:
            writer.close()
        return sid

    def license_id(self, sku_id: str) -> int:
        row = (
            self.database.thread_connection()
            .execute(
                "SELECT id FROM licenses WHERE connection_id = ? AND sku_id = ?",
                (self.connection_id, sku_id),
            )
            .fetchone()
        )
        assert row is not None, f"no license for {sku_id}"
        return int(row[0])


def add_saas_license(
    database: Database,
    *,
    license_key: str = "lic-1",
    app_id: str = "app-1",
    name: str = "Microsoft 365 E3 (SaaS)",
    terms: Sequence[tuple[str, int, float | None, str | None]] = (),
    app_users: Sequence[tuple[str, str | None, str | None]] = (),
) -> int:
    """A SaaS Management license as its import stores it: terms (id, totalActive, annualCost,
    endsAt) and app users (email, activatedAt, deactivatedAt)."""
    conn = database.thread_connection()
    with database.transaction(conn):
        cur = conn.execute(
            "INSERT INTO licenses (source, saas_license_id, saas_app_id, name, status, "
            "created_at) VALUES ('SaaS Management', ?, ?, ?, 'Active', ?) RETURNING id",
            (license_key, app_id, name, NOW.isoformat()),
        )
        license_id = int(cur.fetchone()[0])
        conn.executemany(
            "INSERT INTO saas_terms (license_id, term_id, term_type, total_active, annual_cost, "
            "ends_at) VALUES (?, ?, 'subscription', ?, ?, ?)",
            [(license_id, *t) for t in terms],
        )
        conn.executemany(
            "INSERT OR REPLACE INTO saas_app_users (saas_app_id, email_lower, unique_id, "
            "activated_at, deactivated_at) VALUES (?, ?, ?, ?, ?)",
            [(app_id, e.lower(), e, a, d) for e, a, d in app_users],
        )
        refresh_email_matches(conn)
    return license_id
