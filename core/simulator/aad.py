"""Microsoft Entra (AADSTS) error bodies and token responses as the real STS shapes them."""

from __future__ import annotations

import time
import uuid
from datetime import UTC, datetime
from typing import Any

from .model import TenantModel
from .roles import role_ids
from .synth import guid, mix
from .tokens import b64url_json, make_jwt, seal
from .wire import SimRequest, SimResponse, json_response

LOGIN_HOST = "https://login.microsoftonline.com"
GRAPH_HOST = "https://graph.microsoft.com"
GRAPH_APP_ID = "00000003-0000-0000-c000-000000000000"
TOKEN_LIFETIME_S = 3599
RESERVED_SCOPES = frozenset({"openid", "profile", "offline_access", "email"})

_NO_STORE = {"Cache-Control": "no-store, no-cache", "Pragma": "no-cache"}


def aad_error(
    req: SimRequest,
    status: int,
    error: str,
    code: int,
    message: str,
    *,
    suberror: str | None = None,
) -> SimResponse:
    """Return an STS error: `error_description` is "AADSTSnnn: text\\r\\nTrace ID: …"."""
    trace = str(uuid.uuid4())
    correlation = req.headers.get("client-request-id") or str(uuid.uuid4())
    stamp = datetime.now(UTC).strftime("%Y-%m-%d %H:%M:%SZ")
    body: dict[str, Any] = {
        "error": error,
        "error_description": (
            f"AADSTS{code}: {message}\r\nTrace ID: {trace}\r\n"
            f"Correlation ID: {correlation}\r\nTimestamp: {stamp}"
        ),
        "error_codes": [code],
        "timestamp": stamp,
        "trace_id": trace,
        "correlation_id": correlation,
        "error_uri": f"{LOGIN_HOST}/error?code={code}",
    }
    if suberror:
        body["suberror"] = suberror
    headers = dict(_NO_STORE, **{"x-ms-request-id": trace})
    return json_response(status, body, headers)


def unknown_tenant(req: SimRequest, tenant: str) -> SimResponse:
    return aad_error(
        req,
        400,
        "invalid_tenant",
        90002,
        f"Tenant '{tenant}' not found. Check to make sure you have the correct tenant ID and "
        "are signing into the correct cloud. Check with your subscription administrator, this "
        "may happen if there are no active subscriptions for the tenant.",
    )


def unknown_client(req: SimRequest, client_id: str, tenant: TenantModel) -> SimResponse:
    return aad_error(
        req,
        400,
        "unauthorized_client",
        700016,
        f"Application with identifier '{client_id}' was not found in the directory "
        f"'{tenant.spec.name}'. This can happen if the application has not been installed by "
        "the administrator of the tenant or consented to by any user in the tenant. You may "
        "have sent your authentication request to the wrong tenant.",
    )


def admin_oid(tenant: TenantModel) -> str:
    return guid(mix(tenant.key ^ 0xAD), mix(tenant.key ^ 0xAE))


def _base_claims(tenant: TenantModel, client_id: str) -> dict[str, Any]:
    now = int(time.time())
    tid = tenant.tenant_id
    return {
        "aud": GRAPH_HOST,
        "iss": f"https://sts.windows.net/{tid}/",
        "iat": now,
        "nbf": now,
        "exp": now + TOKEN_LIFETIME_S,
        "appid": client_id,
        "appidacr": "1",
        "tid": tid,
        "uti": uuid.uuid4().hex[:22],
        "ver": "1.0",
    }


def app_token_response(tenant: TenantModel, client_id: str) -> SimResponse:
    """Client-credentials success: `roles` holds the consented application permissions."""
    claims = _base_claims(tenant, client_id)
    sp_oid = guid(mix(tenant.key ^ mix(len(client_id))), mix(tenant.key ^ 0x5B))
    claims.update({"idtyp": "app", "oid": sp_oid, "sub": sp_oid})
    roles = sorted(tenant.spec.granted_permissions)
    if roles:
        claims["roles"] = roles
    body = {
        "token_type": "Bearer",
        "expires_in": TOKEN_LIFETIME_S,
        "ext_expires_in": TOKEN_LIFETIME_S,
        "access_token": make_jwt(claims),
    }
    return json_response(200, body, dict(_NO_STORE))


def granted_scopes(tenant: TenantModel, requested: list[str]) -> list[str]:
    """Delegated permissions a token gets: requested Graph scopes the admin consented to
    (`.default` means all of them)."""
    granted = tenant.spec.granted_permissions
    out: set[str] = set()
    for item in requested:
        name = item.removeprefix(GRAPH_HOST + "/").removeprefix(GRAPH_APP_ID + "/")
        if name == ".default":
            out |= granted
        elif name in granted:
            out.add(name)
    return sorted(out)


def user_token_response(
    tenant: TenantModel,
    client_id: str,
    scopes: list[str],
    *,
    amr: list[str],
    nonce: str | None = None,
) -> SimResponse:
    """Delegated success with id_token, client_info and a refresh token msal can cache."""
    perms = granted_scopes(tenant, scopes)
    oid = admin_oid(tenant)
    upn = tenant.spec.admin_upn
    name = f"{tenant.spec.name} Administrator"
    claims = _base_claims(tenant, client_id)
    claims.update(
        {
            "idtyp": "user",
            "oid": oid,
            "sub": oid,
            "upn": upn,
            "unique_name": upn,
            "name": name,
            "amr": amr,
            "scp": " ".join(perms),
            "wids": role_ids(tenant.spec.admin_roles),
        }
    )
    now = claims["iat"]
    id_claims: dict[str, Any] = {"nonce": nonce} if nonce else {}
    id_token = make_jwt(
        {
            **id_claims,
            "aud": client_id,
            "iss": f"{LOGIN_HOST}/{tenant.tenant_id}/v2.0",
            "iat": now,
            "nbf": now,
            "exp": now + TOKEN_LIFETIME_S,
            "name": name,
            "oid": oid,
            "preferred_username": upn,
            "sub": oid,
            "tid": tenant.tenant_id,
            "ver": "2.0",
        }
    )
    refresh = seal("rt", {"t": tenant.tenant_id, "c": client_id, "s": scopes})
    body = {
        "token_type": "Bearer",
        "scope": " ".join(scopes),
        "expires_in": TOKEN_LIFETIME_S,
        "ext_expires_in": TOKEN_LIFETIME_S,
        "access_token": make_jwt(claims),
        "refresh_token": refresh,
        "id_token": id_token,
        "client_info": b64url_json({"uid": oid, "utid": tenant.tenant_id}),
    }
    return json_response(200, body, dict(_NO_STORE))


def openid_configuration(segment: str, tenant: TenantModel | None) -> dict[str, Any]:
    """The v2.0 discovery document; endpoints carry the GUID even when asked by domain."""
    tid = tenant.tenant_id if tenant else segment
    issuer_tid = tenant.tenant_id if tenant else "{tenantid}"
    base = f"{LOGIN_HOST}/{tid}"
    return {
        "token_endpoint": f"{base}/oauth2/v2.0/token",
        "token_endpoint_auth_methods_supported": [
            "client_secret_post",
            "private_key_jwt",
            "client_secret_basic",
        ],
        "jwks_uri": f"{base}/discovery/v2.0/keys",
        "response_modes_supported": ["query", "fragment", "form_post"],
        "subject_types_supported": ["pairwise"],
        "id_token_signing_alg_values_supported": ["RS256"],
        "response_types_supported": ["code", "id_token", "code id_token", "id_token token"],
        "scopes_supported": ["openid", "profile", "email", "offline_access"],
        "issuer": f"{LOGIN_HOST}/{issuer_tid}/v2.0",
        "request_uri_parameter_supported": False,
        "userinfo_endpoint": f"{GRAPH_HOST}/oidc/userinfo",
        "authorization_endpoint": f"{base}/oauth2/v2.0/authorize",
        "device_authorization_endpoint": f"{base}/oauth2/v2.0/devicecode",
        "http_logout_supported": True,
        "frontchannel_logout_supported": True,
        "end_session_endpoint": f"{base}/oauth2/v2.0/logout",
        "claims_supported": ["sub", "iss", "aud", "exp", "iat", "name", "oid", "tid", "email"],
        "kerberos_endpoint": f"{base}/kerberos",
        "tenant_region_scope": "NA",
        "cloud_instance_name": "microsoftonline.com",
        "cloud_graph_host_name": "graph.windows.net",
        "msgraph_host": "graph.microsoft.com",
        "rbac_url": "https://pas.windows.net",
    }


INSTANCE_METADATA = [
    {
        "preferred_network": "login.microsoftonline.com",
        "preferred_cache": "login.windows.net",
        "aliases": [
            "login.microsoftonline.com",
            "login.windows.net",
            "login.microsoft.com",
            "sts.windows.net",
        ],
    },
    {
        "preferred_network": "login.partner.microsoftonline.cn",
        "preferred_cache": "login.partner.microsoftonline.cn",
        "aliases": ["login.partner.microsoftonline.cn", "login.chinacloudapi.cn"],
    },
    {
        "preferred_network": "login.microsoftonline.us",
        "preferred_cache": "login.microsoftonline.us",
        "aliases": ["login.microsoftonline.us", "login.usgovcloudapi.net"],
    },
    {
        "preferred_network": "login-us.microsoftonline.com",
        "preferred_cache": "login-us.microsoftonline.com",
        "aliases": ["login-us.microsoftonline.com"],
    },
]
