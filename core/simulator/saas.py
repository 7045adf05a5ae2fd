"""The simulated Flexera One SaaS Management API (reference: saas-management-api.md)."""

from __future__ import annotations

import re
import time
from dataclasses import dataclass, field
from typing import Any

from .tokens import seal, unseal
from .wire import SimRequest, SimResponse, json_response

SAAS_ZONES = {
    "nam": ("https://login.flexera.com", "https://api.flexera.com"),
    "eu": ("https://login.flexera.eu", "https://api.flexera.eu"),
    "apac": ("https://login.flexera.au", "https://api.flexera.au"),
}
_APPS_PATH = re.compile(r"^/saas/v1/orgs/([^/]+)/managed-apps(?:/([^/]+)/app-users)?/?$")
ACCESS_TOKEN_LIFETIME_S = 3600


@dataclass(frozen=True)
class SaasTerm:
    id: str
    term_type: str
    total_active: int
    ends_at: str  # ISO date-time
    annual_cost: float | None = None

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "id": self.id,
            "termType": self.term_type,
            "totalActive": self.total_active,
            "endsAt": self.ends_at,
        }
        if self.annual_cost is not None:
            out["annualCost"] = self.annual_cost
        return out


@dataclass(frozen=True)
class SaasLicense:
    id: str
    name: str
    terms: tuple[SaasTerm, ...]


@dataclass(frozen=True)
class SaasAppUser:
    first_name: str
    last_name: str
    email: str
    unique_id: str
    activated_at: str
    deactivated_at: str | None = None
    middle_name: str = ""

    def to_json(self) -> dict[str, Any]:
        return {
            "firstName": self.first_name,
            "middleName": self.middle_name,
            "lastName": self.last_name,
            "email": self.email,
            "uniqueId": self.unique_id,
            "activatedAt": self.activated_at,
            "deactivatedAt": self.deactivated_at,
        }


@dataclass(frozen=True)
class SaasApp:
    id: str
    app_id: str
    name: str
    vendor_name: str
    description: str = ""
    point_of_contact: str = ""
    is_active: bool = True
    licenses: tuple[SaasLicense, ...] = ()
    users: tuple[SaasAppUser, ...] = ()

    def extended(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "appId": self.app_id,
            "appName": self.name,
            "name": self.name,
            "vendorName": self.vendor_name,
            "description": self.description,
            "pointOfContact": self.point_of_contact,
            "isActive": self.is_active,
        }

    def license_usage(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "licenses": [
                {"id": lic.id, "name": lic.name, "terms": [t.to_json() for t in lic.terms]}
                for lic in self.licenses
            ],
        }


@dataclass(frozen=True)
class SaasOrgSpec:
    """A Flexera One organization with its managed apps."""

    org_id: str  # numeric, as a string
    refresh_token: str = field(repr=False)
    zone: str = "nam"  # nam, eu or apac
    apps: tuple[SaasApp, ...] = ()

    @property
    def token_url(self) -> str:
        return f"{SAAS_ZONES[self.zone][0]}/oidc/token"

    @property
    def api_url(self) -> str:
        return SAAS_ZONES[self.zone][1]


def _error(status: int, message: str, **extra: str) -> SimResponse:
    return json_response(status, {"message": message, **extra})


class SaasService:
    def __init__(self, org: SaasOrgSpec) -> None:
        self.org = org

    @staticmethod
    def hosts() -> list[str]:
        return [h for pair in SAAS_ZONES.values() for h in pair]

    @staticmethod
    def endpoint_name(req: SimRequest) -> str:
        if req.path.rstrip("/") == "/oidc/token":
            return "saas-token"
        return (
            "saas-app-users" if req.path.rstrip("/").endswith("app-users") else "saas-managed-apps"
        )

    def handle(self, req: SimRequest) -> SimResponse:
        login_host, api_host = SAAS_ZONES[self.org.zone]
        if req.path.rstrip("/") == "/oidc/token" and req.method == "POST":
            return self._token(req, req.host == login_host)
        match = _APPS_PATH.match(req.path)
        if match is None or req.method != "GET":
            return _error(404, "Not Found")
        if req.host != api_host or not self._authorized(req):
            return _error(401, "Unauthorized")
        if match.group(1) != self.org.org_id:
            return _error(403, f"Access to organization {match.group(1)} is forbidden")
        if match.group(2) is None:
            view = req.q("view") or "extended"
            if view == "licenseUsage":
                return json_response(200, {"values": [a.license_usage() for a in self.org.apps]})
            return json_response(200, {"values": [a.extended() for a in self.org.apps]})
        app = next((a for a in self.org.apps if a.id == match.group(2)), None)
        if app is None:
            return _error(404, f"Managed app {match.group(2)} not found")
        include_all = (req.q("includeAll") or "").lower() == "true"
        users = [u.to_json() for u in app.users if include_all or not u.deactivated_at]
        return json_response(200, {"values": users})

    def _token(self, req: SimRequest, right_zone: bool) -> SimResponse:
        form = req.form()
        if form.get("grant_type") != "refresh_token":
            return json_response(
                400,
                {"error": "unsupported_grant_type", "error_description": "Unsupported grant type"},
            )
        if not right_zone or form.get("refresh_token") != self.org.refresh_token:
            return json_response(
                400,
                {
                    "error": "invalid_grant",
                    "error_description": "The refresh token is invalid, expired or revoked.",
                },
            )
        access = seal("fx", {"o": self.org.org_id, "x": int(time.time()) + ACCESS_TOKEN_LIFETIME_S})
        body = {
            "access_token": access,
            "expires_in": ACCESS_TOKEN_LIFETIME_S,
            "refresh_token": self.org.refresh_token,
            "token_type": "Bearer",
        }
        return json_response(200, body, {"Cache-Control": "no-store"})

    def _authorized(self, req: SimRequest) -> bool:
        token = req.bearer()
        claims = unseal("fx", token) if token else None
        return bool(claims and claims.get("o") == self.org.org_id and claims["x"] > time.time())
