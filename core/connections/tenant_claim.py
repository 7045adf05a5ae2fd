"""One connection per tenant (spec §3), however the tenant is typed: a domain is looked up to
its tenant ID when a connection is created, edited or tested. The import checks again (the
engine), for connections saved while the lookup was not possible."""

from __future__ import annotations

import logging
from dataclasses import replace

from core.auth.discovery import TenantUnresolved, resolve_tenant_id
from core.connections.wiring import Transport
from core.domain.connection import Connection, ConnectionDraft, ConnectionTestReport
from core.errors import AuthError, ValidationError
from core.storage.dialect import DbConnection
from core.storage.repositories import ConnectionRepository

log = logging.getLogger(__name__)


def tenant_taken(typed: str, tenant_id: str, other: Connection) -> str:
    shown = typed if typed.lower() == tenant_id else f"{typed} (tenant ID {tenant_id})"
    return f"Tenant {shown} already has the connection “{other.name}”."


def claim_tenant(
    draft: ConnectionDraft,
    conn: DbConnection,
    *,
    transport: Transport,
    editing_id: int | None,
    warnings: list[str] | None = None,
) -> str | None:
    """The tenant GUID the draft reaches (None if none typed or it cannot be looked up);
    ValidationError when another connection has that tenant or the cloud does not know it.
    Network only for a domain: the tenant's OpenID configuration, no sign-in."""
    tenant = draft.tenant.strip()
    if not tenant:
        return None
    session = transport.session(draft)
    try:
        tenant_id = resolve_tenant_id(draft, session)
    except AuthError as exc:
        raise ValidationError({"tenant": exc.message}) from None
    except TenantUnresolved as exc:
        log.warning("tenant of %s not looked up: %s", draft.name, exc.message)
        if warnings is not None:
            warnings.append(
                f"{exc.message} Saved anyway; the first import checks that no other "
                "connection has this tenant."
            )
        return None
    finally:
        session.close()
    clash = ConnectionRepository().find_by_tenant(conn, tenant_id, exclude_id=editing_id)
    if clash is not None:
        raise ValidationError({"tenant": tenant_taken(tenant, tenant_id, clash)})
    return tenant_id


def refuse_taken_tenant(
    report: ConnectionTestReport,
    draft: ConnectionDraft,
    conn: DbConnection,
    *,
    editing_id: int | None,
) -> ConnectionTestReport:
    """The test report, failed on the tenant field if the organization it opened belongs to
    another connection."""
    if not report.tenant_id:
        return report
    clash = ConnectionRepository().find_by_tenant(conn, report.tenant_id, exclude_id=editing_id)
    if clash is None:
        return report
    taken = tenant_taken(draft.tenant.strip() or report.tenant_id, report.tenant_id, clash)
    return replace(report, ok=False, error=taken, error_field="tenant")
