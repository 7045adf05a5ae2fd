"""The Overview screen: totals per tenant and in all, the product chart and the warnings that
need action. Totals count licenses in reconciliation only, and leave free/viral SKUs out (their
10,000 or 1,000,000 units would drown every number); the Licenses screen still shows them.
"Active" holders are those with known usage who are not inactive; active + inactive + usage
unknown = holders, and a figure whose usage is entirely unknown is None ("—"), never 0."""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import replace
from datetime import datetime

from core.domain.licensing import (
    ActionWarning,
    LicenseRow,
    LicenseSource,
    OverviewTotals,
    UnrecognizedSku,
)
from core.imports.engine import CONCEALED_HELP
from core.licensing.reconcile import usage_sums
from core.storage.dialect import DbConnection
from core.storage.repositories import ConnectionRepository, SettingsRepository

EXPIRY_WARNING_DAYS = 30
TOTAL_KEY = "Total"


def totals(
    key: str, rows: Iterable[LicenseRow], tenant_id: str = "", tenant_name: str = ""
) -> OverviewTotals:
    counted = [r for r in rows if r.in_reconciliation and not r.free]
    active, inactive, unknown = usage_sums(counted)
    return OverviewTotals(
        key=key,
        tenant_id=tenant_id,
        tenant_name=tenant_name,
        licenses=len(counted),
        entitled=sum(r.entitlement for r in counted),
        assigned=sum(r.assigned_users for r in counted),
        active=active,
        inactive=inactive,
        usage_unknown=unknown,
        unassigned=sum(r.unassigned for r in counted),
        shortfall=sum(r.shortfall for r in counted),
        monthly_cost=sum(r.monthly_cost or 0.0 for r in counted),
        monthly_waste=sum(r.waste_cost or 0.0 for r in counted),
        simulated=any(r.simulated for r in rows),
    )


def tenant_totals(rows: Sequence[LicenseRow]) -> list[OverviewTotals]:
    groups: dict[str, list[LicenseRow]] = {}
    for row in rows:
        groups.setdefault(row.connection or row.tenant_name, []).append(row)
    out = [
        totals(key, members, members[0].tenant_id, members[0].tenant_name)
        for key, members in groups.items()
    ]
    out.sort(key=lambda t: t.key.lower())
    return out


def warnings(
    conn: DbConnection,
    rows: Sequence[LicenseRow],
    unrecognized: Sequence[UnrecognizedSku],
    now: datetime,
) -> list[ActionWarning]:
    out: list[ActionWarning] = []
    concealed = _concealed(conn)
    out += concealed.values()
    out += _expiring_secrets(conn, now)
    out += _import_runs(conn, skip_concealed=set(concealed))
    out += _license_warnings(rows)
    out += _saas_warnings(conn, rows)
    for sku in unrecognized:
        out.append(
            ActionWarning(
                "unrecognized-sku",
                "info",
                f"SKU {sku.sku_part_number} ({sku.sku_id}) is not in the SKU name table; "
                "import Microsoft's licensing CSV to name it.",
                tenant_name=", ".join(sku.tenants),
            )
        )
    return _mark_simulated(conn, out, rows)


def _mark_simulated(
    conn: DbConnection, found: list[ActionWarning], rows: Sequence[LicenseRow]
) -> list[ActionWarning]:
    """Mark the warnings about simulated (demo) tenants, by connection or license."""
    connections = {
        r[0]
        for r in conn.execute(
            "SELECT id FROM connections "
            "WHERE json_extract(config, '$.simulated_tenant') IS NOT NULL"
        )
    }
    licenses = {r.id for r in rows if r.simulated}
    saas = any(r.simulated and r.source is LicenseSource.SAAS_MANAGEMENT for r in rows)
    return [
        replace(w, simulated=True)
        if w.connection_id in connections
        or w.license_id in licenses
        or (saas and w.kind.startswith("saas-"))
        else w
        for w in found
    ]


def _concealed(conn: DbConnection) -> dict[int, ActionWarning]:
    rows = conn.execute(
        "SELECT s.connection_id, COALESCE(s.tenant_name, c.name) FROM snapshots s "
        "JOIN connections c ON c.id = s.connection_id "
        "WHERE s.state = 'current' AND s.concealed_names = 1"
    ).fetchall()
    return {
        r[0]: ActionWarning(
            "concealed-names",
            "warning",
            CONCEALED_HELP.format(tenant=r[1]),
            tenant_name=r[1],
            connection_id=r[0],
        )
        for r in rows
    }


def _expiring_secrets(conn: DbConnection, now: datetime) -> list[ActionWarning]:
    out = []
    today = now.date()
    for connection in ConnectionRepository().list(conn):
        expires = connection.secret_expires_on
        if expires is None:
            continue
        days = (expires - today).days
        if days > EXPIRY_WARNING_DAYS:
            continue
        when = "expired on" if days < 0 else "expires on"
        out.append(
            ActionWarning(
                "expiring-secret",
                "error" if days < 0 else "warning",
                f"The client secret or certificate of connection “{connection.name}” {when} "
                f"{expires.isoformat()}: create a new one and edit the connection.",
                tenant_name=connection.tenant_name,
                connection_id=connection.id,
            )
        )
    return out


def _import_runs(conn: DbConnection, *, skip_concealed: set[int]) -> list[ActionWarning]:
    rows = conn.execute(
        """
        SELECT r.connection_id, r.connection_name, r.status, r.warnings, r.error,
               COALESCE(NULLIF(c.tenant_name, ''), (SELECT s.tenant_name FROM snapshots s
                        WHERE s.connection_id = c.id AND s.state = 'current'), '')
        FROM import_runs r JOIN connections c ON c.id = r.connection_id
        WHERE r.id = (SELECT id FROM import_runs x WHERE x.connection_id = r.connection_id
                      AND x.status != 'running' ORDER BY started_at DESC, id DESC LIMIT 1)
        """
    ).fetchall()
    out = []
    for cid, name, status, warnings_json, error, tenant in rows:
        if status == "failed" and error:
            out.append(
                ActionWarning(
                    "import-failed",
                    "error",
                    f"The last import of “{name}” failed: {error}",
                    tenant_name=tenant or "",
                    connection_id=cid,
                )
            )
        for text in json.loads(warnings_json or "[]"):
            if cid in skip_concealed and "conceal" in text.lower():
                continue
            kind = "missing-permission" if "permission" in text.lower() else "import"
            out.append(
                ActionWarning(
                    kind, "warning", f"{name}: {text}", tenant_name=tenant or "", connection_id=cid
                )
            )
    return out


def _license_warnings(rows: Sequence[LicenseRow]) -> list[ActionWarning]:
    out = []
    for row in rows:
        if not row.in_reconciliation:
            continue
        where = f" in {row.tenant_name}" if row.tenant_name else ""
        if row.shortfall:
            out.append(
                ActionWarning(
                    "shortfall",
                    "error",
                    f"{row.product}{where} is over-assigned by {row.shortfall} "
                    f"({row.assigned_users} users, {row.entitlement} entitled): buy more or "
                    "remove assignments.",
                    tenant_name=row.tenant_name,
                    connection_id=row.connection_id,
                    license_id=row.id,
                )
            )
        if row.grace:
            until = f" until {row.grace_until.date().isoformat()}" if row.grace_until else ""
            out.append(
                ActionWarning(
                    "grace-period",
                    "warning",
                    f"{row.warning} units of {row.product}{where} are expired and in the grace "
                    f"period{until}: renew them or they will be suspended.",
                    tenant_name=row.tenant_name,
                    connection_id=row.connection_id,
                    license_id=row.id,
                )
            )
        if row.consumed_mismatch:
            out.append(
                ActionWarning(
                    "consumed-mismatch",
                    "warning",
                    f"Microsoft reports {row.consumed_units} consumed units of {row.product}"
                    f"{where}, but {row.assigned_users} users hold it in the latest import.",
                    tenant_name=row.tenant_name,
                    connection_id=row.connection_id,
                    license_id=row.id,
                )
            )
    return out


def _saas_warnings(conn: DbConnection, rows: Sequence[LicenseRow]) -> list[ActionWarning]:
    settings = SettingsRepository().with_prefix(conn, "saas_")
    enabled = settings.get("saas_enabled") == "1"
    out = []
    try:
        last = json.loads(settings.get("saas_last_result") or "null")
    except ValueError:
        last = None
    if enabled and isinstance(last, dict) and not last.get("ok"):
        out.append(
            ActionWarning(
                "saas-import",
                "error",
                f"The last SaaS Management import failed: {last.get('message', '')}",
                tenant_name="SaaS Management",
            )
        )
    counted = [r for r in rows if r.source is LicenseSource.SAAS_MANAGEMENT and r.in_reconciliation]
    if not enabled and counted:
        out.append(
            ActionWarning(
                "saas-disabled",
                "warning",
                f"The SaaS Management connector is disabled, but {len(counted)} of its licenses "
                "are still in reconciliation beside the Office 365 connectors' licenses, which "
                "may count the same products twice: retire them or enable the connector again.",
                tenant_name="SaaS Management",
            )
        )
    return out
