"""The simulated Microsoft Entra STS on login.microsoftonline.com: discovery, token grants
(client credentials, device code, password, refresh token, auth code), admin consent."""

from __future__ import annotations

import re
import threading
import time
from collections import deque
from collections.abc import Callable, Sequence
from urllib.parse import urlsplit

from .aad import (
    INSTANCE_METADATA,
    LOGIN_HOST,
    aad_error,
    app_token_response,
    openid_configuration,
    unknown_client,
    unknown_tenant,
)
from .model import TenantModel
from .sts_delegated import DelegatedGrants
from .tokens import jwt_claims
from .wire import SimRequest, SimResponse, json_response, text_response

_GUID = re.compile(r"^[0-9a-fA-F]{8}-([0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12}$")
_DOMAIN = re.compile(r"^(?=.{3,253}$)([a-zA-Z0-9-]{1,63}\.)+[a-zA-Z]{2,63}$")
_MULTI = frozenset({"common", "organizations"})
DEVICE_GRANT = "urn:ietf:params:oauth:grant-type:device_code"
JWT_BEARER = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
_Handler = Callable[[SimRequest, TenantModel | None, dict[str, str]], SimResponse]


class StsService:
    """Answers the login host. `tenants` is looked up by GUID or domain."""

    def __init__(
        self,
        find_tenant: Callable[[str], TenantModel | None],
        tenants: Callable[[], Sequence[TenantModel]],
        device_interval: Callable[[], int],
        loop_limit: Callable[[], int | None] = lambda: None,
    ) -> None:
        self._find = find_tenant
        self._tenants = tenants
        self._loop_limit = loop_limit
        self._token_times: dict[tuple[str, str], deque[float]] = {}
        self._lock = threading.Lock()
        self._delegated = DelegatedGrants(
            find_tenant, self._pick_tenant, self._client_auth, device_interval
        )
        flows = self._delegated
        self._grants: dict[str, _Handler] = {
            "client_credentials": self._client_credentials,
            DEVICE_GRANT: flows.device_code,
            "password": flows.password,
            "refresh_token": flows.refresh_token,
            "authorization_code": flows.auth_code,
        }

    def endpoint_name(self, req: SimRequest) -> str:
        segs = req.path.strip("/").split("/")
        if req.path.endswith("openid-configuration"):
            return "openid-configuration"
        if segs[:3] == ["common", "discovery", "instance"]:
            return "instance-discovery"
        if segs[:2] == ["common", "userrealm"]:
            return "userrealm"
        return segs[-1] if len(segs) > 1 else "login"

    def handle(self, req: SimRequest) -> SimResponse:
        segs = req.path.strip("/").split("/")
        if segs[:3] == ["common", "discovery", "instance"]:
            return self._instance_discovery(req)
        if segs[:2] == ["common", "userrealm"] and len(segs) == 3:
            return self._user_realm(segs[2])
        segment, rest = segs[0], "/".join(segs[1:])
        known = self._resolve(req, segment)
        if isinstance(known, SimResponse):
            return known
        tenant = known
        if rest == "v2.0/.well-known/openid-configuration" and req.method == "GET":
            return json_response(200, openid_configuration(segment, tenant))
        if rest == "oauth2/v2.0/token" and req.method == "POST":
            return self._token(req, tenant)
        if rest == "oauth2/v2.0/devicecode" and req.method == "POST":
            return self._delegated.device_authorization(req, tenant)
        if rest == "oauth2/v2.0/authorize" and req.method == "GET":
            return self._delegated.authorize(req, tenant)
        if rest in ("adminconsent", "v2.0/adminconsent") and req.method == "GET":
            return self._delegated.admin_consent(req, tenant)
        if rest in ("oauth2/v2.0/token", "oauth2/v2.0/devicecode"):
            return aad_error(
                req, 400, "invalid_request", 900561, "The endpoint only accepts POST requests."
            )
        return text_response(404, "Not Found", "text/html")

    # -- discovery ---------------------------------------------------------------------------
    def _resolve(self, req: SimRequest, segment: str) -> TenantModel | None | SimResponse:
        """Return the tenant, None for common/organizations, or an error response."""
        if segment.lower() in _MULTI:
            return None
        if not (_GUID.match(segment) or _DOMAIN.match(segment)):
            return aad_error(
                req,
                400,
                "invalid_request",
                900023,
                f"Specified tenant identifier '{segment}' is neither a valid DNS name, nor a "
                "valid external domain.",
            )
        tenant = self._find(segment)
        return tenant if tenant is not None else unknown_tenant(req, segment)

    def _instance_discovery(self, req: SimRequest) -> SimResponse:
        endpoint = req.q("authorization_endpoint") or f"{LOGIN_HOST}/common/oauth2/authorize"
        parts = urlsplit(endpoint)
        segment = parts.path.strip("/").split("/")[0] or "common"
        body = {
            "tenant_discovery_endpoint": (
                f"https://{parts.netloc}/{segment}/v2.0/.well-known/openid-configuration"
            ),
            "api-version": "1.1",
            "metadata": INSTANCE_METADATA,
        }
        return json_response(200, body)

    def _user_realm(self, username: str) -> SimResponse:
        domain = username.rpartition("@")[2]
        tenant = self._find(domain) if domain else None
        body = {
            "ver": "1.0",
            "account_type": "Managed" if tenant else "Unknown",
            "cloud_instance_name": "microsoftonline.com",
            "cloud_audience_urn": "urn:federation:MicrosoftOnline",
        }
        if tenant:
            body.update({"domain_name": tenant.spec.domain, "federation_protocol": ""})
        return json_response(200, body)

    # -- token endpoint ----------------------------------------------------------------------
    def _token(self, req: SimRequest, tenant: TenantModel | None) -> SimResponse:
        form = req.form()
        if self._in_a_loop(req.path.strip("/").split("/")[0], form.get("client_id", "")):
            return aad_error(
                req,
                400,
                "invalid_request",
                50196,
                "The server terminated an operation because it encountered a client request "
                "loop. Please contact your app vendor.",
            )
        grant = form.get("grant_type", "")
        handler = self._grants.get(grant)
        if handler is None:
            return aad_error(
                req,
                400,
                "unsupported_grant_type",
                70003,
                f"The app requested an unsupported grant type '{grant}'.",
            )
        return handler(req, tenant, form)

    def _in_a_loop(self, tenant: str, client_id: str) -> bool:
        """Count a token request; True past the per-minute limit (wall clock)."""
        limit = self._loop_limit()
        if limit is None:
            return False
        now = time.monotonic()
        with self._lock:
            times = self._token_times.setdefault((tenant.lower(), client_id.lower()), deque())
            while times and now - times[0] > 60:
                times.popleft()
            times.append(now)
            return len(times) > limit

    def _pick_tenant(self, hint: str | None) -> TenantModel | None:
        if hint:
            return self._find(hint)
        tenants = self._tenants()
        return tenants[0] if tenants else None

    def _client_auth(
        self, req: SimRequest, tenant: TenantModel, form: dict[str, str], *, public_ok: bool
    ) -> SimResponse | None:
        """Return None when the client may use this tenant, else the STS error."""
        client_id = form.get("client_id", "")
        spec = tenant.spec
        if client_id.lower() == spec.client_id.lower():
            if "client_secret" in form:
                if form["client_secret"] == spec.client_secret:
                    return None
                return aad_error(
                    req,
                    401,
                    "invalid_client",
                    7000215,
                    "Invalid client secret provided. Ensure the secret being sent in the request "
                    "is the client secret value, not the client secret ID, for a secret added to "
                    f"app '{spec.client_id}'.",
                )
            if "client_assertion" in form:
                claims = jwt_claims(form["client_assertion"])
                ok = form.get("client_assertion_type") == JWT_BEARER and claims is not None
                if ok and claims and claims.get("iss") == claims.get("sub") == client_id:
                    return None
                return aad_error(
                    req,
                    401,
                    "invalid_client",
                    700027,
                    "Client assertion failed signature validation.",
                )
            return _missing_credential(req)
        if client_id in spec.public_client_ids:
            return None if public_ok else _missing_credential(req)
        return unknown_client(req, client_id, tenant)

    def _client_credentials(
        self, req: SimRequest, tenant: TenantModel | None, form: dict[str, str]
    ) -> SimResponse:
        if tenant is None:
            tenant = next(
                (t for t in self._tenants() if t.spec.client_id == form.get("client_id")), None
            )
            if tenant is None:
                return unknown_tenant(req, "organizations")
        denied = self._client_auth(req, tenant, form, public_ok=False)
        if denied is not None:
            return denied
        scopes = form.get("scope", "").split()
        if len(scopes) != 1 or not scopes[0].endswith("/.default"):
            return aad_error(
                req,
                400,
                "invalid_scope",
                1002012,
                f"The provided value for scope {' '.join(scopes)} is not valid. Client credential "
                "flows must have a scope value with /.default suffixed to the resource "
                "identifier (application ID URI).",
            )
        resource = scopes[0].removesuffix("/.default").rstrip("/")
        if resource not in ("https://graph.microsoft.com", "00000003-0000-0000-c000-000000000000"):
            return aad_error(
                req,
                400,
                "invalid_resource",
                500011,
                f"The resource principal named {resource} was not found in the tenant named "
                f"{tenant.spec.name}. This can happen if the application has not been installed "
                "by the administrator of the tenant or consented to by any user in the tenant.",
            )
        return app_token_response(tenant, form.get("client_id", ""))


def _missing_credential(req: SimRequest) -> SimResponse:
    return aad_error(
        req,
        401,
        "invalid_client",
        7000218,
        "The request body must contain the following parameter: 'client_assertion' or "
        "'client_secret'.",
    )
