"""Licenses from an import: runs inside the import's commit transaction (a commit hook)."""

from __future__ import annotations

from datetime import datetime

from core.domain.licensing import LicenseSource, LicenseStatus
from core.licensing.catalog import SkuCatalog
from core.licensing.status import (
    BY_IMPORT,
    BY_SAAS,
    REASON_CREATED_RETIRED,
    record_change,
    saas_enabled,
)
from core.storage.db import iso
from core.storage.dialect import DbConnection


def sync_licenses(conn: DbConnection, snapshot_id: int, catalog: SkuCatalog, when: datetime) -> int:
    """One license per (connection, SKU, source) for every SKU of the snapshot; returns how
    many were created. New ones are Active, or Retired from the start while the SaaS
    Management connector is enabled. Existing ones keep their status; names are refreshed."""
    snap = conn.execute(
        "SELECT connection_id, source, tenant_id FROM snapshots WHERE id = ?", (snapshot_id,)
    ).fetchone()
    if snap is None:
        return 0
    connection_id, source, tenant_id = snap[0], snap[1], snap[2]
    if source == LicenseSource.SAAS_MANAGEMENT.value:
        return 0
    existing = {
        r[0]: r[1]
        for r in conn.execute(
            "SELECT sku_id, id FROM licenses WHERE connection_id = ? AND source = ?",
            (connection_id, source),
        )
    }
    retire = saas_enabled(conn)
    created = 0
    skus = conn.execute(
        "SELECT sku_id, sku_part_number FROM skus WHERE snapshot_id = ?", (snapshot_id,)
    ).fetchall()
    for sku_id, part in skus:
        name = catalog.product_name(sku_id, part)
        license_id = existing.get(sku_id)
        if license_id is not None:
            conn.execute(
                "UPDATE licenses SET sku_part_number = ?, tenant_id = ?, name = ? WHERE id = ?",
                (part, tenant_id, name, license_id),
            )
            continue
        status = LicenseStatus.RETIRED if retire else LicenseStatus.ACTIVE
        cur = conn.execute(
            "INSERT INTO licenses (source, connection_id, tenant_id, sku_id, sku_part_number, "
            "name, status, status_before_saas, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) "
            "RETURNING id",
            (
                source,
                connection_id,
                tenant_id,
                sku_id,
                part,
                name,
                status.value,
                LicenseStatus.ACTIVE.value if retire else None,
                iso(when),
            ),
        )
        new_id = int(cur.fetchone()[0])
        if retire:
            record_change(
                conn,
                new_id,
                None,
                status.value,
                by=BY_SAAS,
                reason=REASON_CREATED_RETIRED,
                when=when,
            )
        else:
            record_change(
                conn,
                new_id,
                None,
                status.value,
                by=BY_IMPORT,
                reason="Created by the import of this tenant's subscribed SKUs.",
                when=when,
            )
        created += 1
    refresh_email_matches(conn)
    return created


def refresh_email_matches(conn: DbConnection) -> None:
    """Point SaaS Management app users whose address is no UPN at the user whose mail it is,
    so reads match them through the UPN index. One pass over the current users, and only
    when there are app users at all."""
    if conn.execute("SELECT 1 FROM saas_app_users LIMIT 1").fetchone() is None:
        return
    conn.execute("UPDATE saas_app_users SET matched_upn = NULL WHERE matched_upn IS NOT NULL")
    conn.execute(
        """
        UPDATE saas_app_users SET matched_upn = m.upn
        FROM (
            SELECT lower(u.mail) AS mail_lower, MIN(u.upn_lower) AS upn
            FROM users u JOIN snapshots s ON s.id = u.snapshot_id AND s.state = 'current'
            WHERE u.mail IS NOT NULL AND lower(u.mail) != u.upn_lower
              AND lower(u.mail) IN (SELECT email_lower FROM saas_app_users)
            GROUP BY lower(u.mail)
        ) AS m
        WHERE m.mail_lower = saas_app_users.email_lower
          AND NOT EXISTS (
              SELECT 1 FROM users x JOIN snapshots xs ON xs.id = x.snapshot_id
              WHERE xs.state = 'current' AND x.snapshot_id = xs.id
                AND x.upn_lower = saas_app_users.email_lower)
        """
    )
