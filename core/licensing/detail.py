"""The license properties: the subscriptions or terms behind a license and one page of the
users who hold it, with the same usage rules as everywhere else (usage_sql)."""

from __future__ import annotations

from datetime import datetime

from core.domain.licensing import LicenseHolder, LicenseRow, LicenseSubscription, SaasTerm
from core.licensing.usage_sql import (
    APP_USER_JOINS,
    APP_USER_USAGE,
    ASSIGNED,
    ATTRIBUTED,
    CURRENT_CTE,
    INACTIVE,
    KNOWN,
    LAST_ACTIVITY,
    NEVER_ACTIVE,
    OVERLAP,
    SAAS_LICENSES_CTE,
)
from core.storage.db import from_iso
from core.storage.dialect import DbConnection, Row

_HOLDERS = f"""
WITH {CURRENT_CTE},
h AS (
    SELECT u.id AS user_id, u.user_principal_name AS upn, u.display_name AS display_name,
           COALESCE(u.account_enabled, 1) AS account_enabled, us.direct AS direct,
           us.group_ids AS group_ids, us.assigned_at AS assigned_at,
           {KNOWN} AS known, {LAST_ACTIVITY} AS last_act, {ASSIGNED} AS assigned,
           cur.cutoff AS cutoff, cur.hire_cutoff AS hire_cutoff, {OVERLAP} AS overlap
    FROM user_skus us
    JOIN cur ON cur.id = us.snapshot_id
    JOIN users u ON u.snapshot_id = us.snapshot_id AND u.id = us.user_id
    LEFT JOIN report_usage r ON r.snapshot_id = us.snapshot_id AND r.upn_lower = u.upn_lower
    WHERE us.snapshot_id = ? AND us.sku_id = ?
)
SELECT *, {INACTIVE} AS inactive, {NEVER_ACTIVE} AS never FROM h
ORDER BY display_name COLLATE NOCASE, user_id LIMIT ? OFFSET ?
"""

_APP_HOLDERS = f"""
WITH {CURRENT_CTE}, {SAAS_LICENSES_CTE},
h AS (
    SELECT a.email_lower AS email, a.unique_id AS unique_id, a.activated_at AS activated_at,
           MAX(u.id) AS user_id, MAX(u.user_principal_name) AS upn,
           MAX(u.display_name) AS display_name,
           MIN(COALESCE(u.account_enabled, 1)) AS account_enabled,
           {APP_USER_USAGE}
{APP_USER_JOINS}
    WHERE lic.license_id = ? AND {ATTRIBUTED}
    GROUP BY a.email_lower, a.unique_id, a.activated_at  -- one app: one row per address
)
SELECT *, {INACTIVE} AS inactive, {NEVER_ACTIVE} AS never FROM h
ORDER BY email LIMIT ? OFFSET ?
"""


def current_snapshot(conn: DbConnection, connection_id: int | None, source: str) -> int | None:
    row = conn.execute(
        "SELECT id FROM snapshots WHERE connection_id = ? AND state = 'current' AND source = ?",
        (connection_id, source),
    ).fetchone()
    return int(row[0]) if row else None


def subscriptions(
    conn: DbConnection, snapshot_id: int | None, sku_id: str
) -> tuple[LicenseSubscription, ...]:
    if snapshot_id is None:
        return ()
    rows = conn.execute(
        "SELECT id, status, total_licenses, is_trial, created_at, next_lifecycle_at "
        "FROM subscriptions WHERE snapshot_id = ? AND sku_id = ? ORDER BY next_lifecycle_at",
        (snapshot_id, sku_id),
    ).fetchall()
    return tuple(
        LicenseSubscription(
            id=r[0],
            status=r[1] or "",
            total_licenses=int(r[2] or 0),
            is_trial=bool(r[3]),
            created_at=from_iso(r[4]),
            next_lifecycle_at=from_iso(r[5]),
        )
        for r in rows
    )


def terms(conn: DbConnection, license_id: int, now: datetime) -> tuple[SaasTerm, ...]:
    out = []
    for r in conn.execute(
        "SELECT term_id, term_type, total_active, annual_cost, ends_at FROM saas_terms "
        "WHERE license_id = ? ORDER BY ends_at",
        (license_id,),
    ):
        ends = from_iso(r[4])
        out.append(
            SaasTerm(
                term_id=r[0],
                term_type=r[1] or "",
                total_active=int(r[2] or 0),
                annual_cost=r[3],
                ends_at=ends,
                current=ends is None or ends > now,
            )
        )
    return tuple(out)


def holders(
    conn: DbConnection,
    row: LicenseRow,
    saas: bool,
    window: tuple[str, str],
    *,
    offset: int,
    limit: int,
) -> tuple[LicenseHolder, ...]:
    if saas:
        result = conn.execute(_APP_HOLDERS, (*window, row.id, limit, offset))
        return tuple(_app_holder(r) for r in result)
    snapshot_id = current_snapshot(conn, row.connection_id, row.source.value)
    if snapshot_id is None:
        return ()
    result = conn.execute(_HOLDERS, (*window, snapshot_id, row.sku_id, limit, offset))
    return tuple(
        LicenseHolder(
            user_id=r["user_id"],
            user_principal_name=r["upn"] or "",
            display_name=r["display_name"] or "",
            account_enabled=bool(r["account_enabled"]),
            direct=bool(r["direct"]),
            groups=tuple(g for g in (r["group_ids"] or "").split(",") if g),
            assigned_at=r["assigned_at"],
            last_activity=r["last_act"] or None,
            usage_known=bool(r["known"]),
            inactive=bool(r["inactive"]),
            never_active=bool(r["never"]),
            overlap=bool(r["overlap"]),
        )
        for r in result
    )


def _app_holder(r: Row) -> LicenseHolder:
    return LicenseHolder(
        user_id=r["user_id"] or r["unique_id"] or r["email"],
        user_principal_name=r["upn"] or r["email"],
        display_name=r["display_name"] or "",
        account_enabled=bool(r["account_enabled"]),
        direct=True,
        groups=(),
        assigned_at=r["activated_at"],
        last_activity=r["last_act"] or None,
        usage_known=bool(r["known"]),
        inactive=bool(r["inactive"]),
        never_active=bool(r["never"]),
    )


def license_warnings(row: LicenseRow) -> tuple[str, ...]:
    out = []
    where = f" in {row.tenant_name}" if row.tenant_name else ""
    if row.retired_by_saas:
        out.append("Retired by the SaaS Management connector; disabling the connector restores it.")
    if not row.recognized:
        out.append(
            f"SKU {row.sku_part_number} is not in the SKU name table; import Microsoft's "
            "licensing CSV to name it."
        )
    if row.unattributed_users:
        out.append(
            f"{row.unattributed_users} active users of this app hold none of its licenses in "
            "the imported tenants, so no license of the app counts them."
        )
    if row.consumed_mismatch:
        out.append(
            f"Microsoft reports {row.consumed_units} consumed units{where}, but "
            f"{row.assigned_users} users hold {row.product} in the latest import."
        )
    if row.in_reconciliation and row.shortfall:
        out.append(f"Over-assigned by {row.shortfall}{where}: buy more or remove assignments.")
    if row.in_reconciliation and row.grace:
        until = f" until {row.grace_until.date().isoformat()}" if row.grace_until else ""
        out.append(
            f"{row.warning} units are expired and in the grace period{until}: renew them or "
            "they will be suspended."
        )
    return tuple(out)
