"""Test connection (spec §3): get a token, then check each permission separately. Saves nothing."""

from __future__ import annotations

from typing import Any

from core.domain.connection import (
    AuthMethod,
    ConnectionTestReport,
    PermissionCheck,
    PermissionState,
)
from core.errors import (
    AuthError,
    GraphError,
    LicenseDeskError,
    PermissionMissingError,
    PremiumRequiredError,
)
from core.graph import GraphClient
from core.graph.roles import DELEGATED_METHODS, forbidden_message, role_for

# (area, permission, required, path, params)
CHECKS: tuple[tuple[str, str, bool, str, dict[str, str] | None], ...] = (
    ("organization", "Organization.Read.All", True, "/organization", {"$select": "id,displayName"}),
    ("SKUs", "Organization.Read.All", True, "/subscribedSkus", None),
    ("users", "User.Read.All", True, "/users", {"$select": "id", "$top": "1"}),
    (
        "sign-in activity",
        "AuditLog.Read.All",
        False,
        "/users",
        {"$select": "id,signInActivity", "$top": "1"},
    ),
    ("report settings", "ReportSettings.Read.All", False, "/admin/reportSettings", None),
)
REPORT_CHECK = ("reports", "Reports.Read.All", True)


def run_connection_test(
    graph: GraphClient, *, reports_available: bool, method: AuthMethod = AuthMethod.OWN_APP
) -> ConnectionTestReport:
    try:
        graph.tokens.get_token()
    except AuthError as exc:
        return ConnectionTestReport(
            ok=False, error=exc.message, error_field=exc.field, consent_url=exc.consent_url
        )
    except LicenseDeskError as exc:
        return ConnectionTestReport(ok=False, error=exc.message, error_field=exc.field)
    checks: list[PermissionCheck] = []
    tenant_id = tenant_name = ""
    for area, permission, required, path, params in CHECKS:
        if path == "/admin/reportSettings" and not reports_available:
            checks.append(_na(area, permission, required, "Not available in this cloud."))
            continue
        if path == "/admin/reportSettings":  # beside the reports: v1.0 in Global only
            path = graph.report_api_url(path)
        check, body = _probe(graph, area, permission, required, path, params, method)
        checks.append(check)
        if area == "organization" and body:
            org = (body.get("value") or [{}])[0]
            tenant_id, tenant_name = str(org.get("id", "")), str(org.get("displayName", ""))
    checks.insert(4, _report_check(graph, reports_available, method))
    ok = all(c.state is not PermissionState.MISSING for c in checks if c.required)
    return ConnectionTestReport(
        ok=ok, tenant_id=tenant_id, tenant_name=tenant_name, checks=tuple(checks)
    )


def _na(area: str, permission: str, required: bool, message: str) -> PermissionCheck:
    return PermissionCheck(area, permission, required, PermissionState.NOT_APPLICABLE, message)


def _probe(
    graph: GraphClient,
    area: str,
    permission: str,
    required: bool,
    path: str,
    params: dict[str, str] | None,
    method: AuthMethod,
) -> tuple[PermissionCheck, dict[str, Any] | None]:
    try:
        body = graph.get_json(path, params)
    except PremiumRequiredError:
        return (
            _na(
                area,
                permission,
                required,
                "The tenant has no Entra ID P1/P2 license, so "
                "sign-in activity does not exist; usage comes from the reports.",
            ),
            None,
        )
    except PermissionMissingError as exc:
        return _missing(area, required, exc, method), None
    except GraphError as exc:
        return (
            PermissionCheck(area, permission, required, PermissionState.MISSING, exc.message),
            None,
        )
    return PermissionCheck(area, permission, required, PermissionState.GRANTED, "Granted."), body


def _missing(
    area: str, required: bool, exc: PermissionMissingError, method: AuthMethod
) -> PermissionCheck:
    if method in DELEGATED_METHODS and role_for(exc) is not None:
        message = forbidden_message(exc, method)  # the signed-in account's role
    else:
        severity = "required" if required else "optional"
        message = f"Add the {severity} permission {exc.permission} and grant admin consent."
    return PermissionCheck(area, exc.permission, required, PermissionState.MISSING, message)


def _report_check(
    graph: GraphClient, reports_available: bool, method: AuthMethod
) -> PermissionCheck:
    area, permission, required = REPORT_CHECK
    if not reports_available:
        return _na(area, permission, False, "Usage reports are not available in this cloud.")
    # The report the import reads, asked for but not downloaded; it still takes one of the
    # 14-per-10-minutes report slots.
    try:
        graph.check_report_access("getOffice365ActiveUserDetail(period='D7')")
    except PermissionMissingError as exc:
        return _missing(area, required, exc, method)
    except GraphError as exc:
        return PermissionCheck(area, permission, required, PermissionState.MISSING, exc.message)
    return PermissionCheck(area, permission, required, PermissionState.GRANTED, "Granted.")
