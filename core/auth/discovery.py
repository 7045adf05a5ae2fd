"""Which tenant a typed tenant (GUID or verified domain) is, without signing in: the tenant's
OpenID configuration names its GUID (`issuer`, `token_endpoint`). Used where a connection is
created or tested, so two connections cannot reach one tenant typed two ways."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

import requests

from core.auth.endpoints import resolve_endpoints
from core.auth.failures import TENANT_NOT_FOUND, clean_description
from core.domain.connection import ConnectionDraft
from core.errors import AuthError, LicenseDeskError

_GUID = re.compile(r"[0-9a-f]{8}-(?:[0-9a-f]{4}-){3}[0-9a-f]{12}")
TIMEOUT_S = (5.0, 10.0)


class TenantUnresolved(LicenseDeskError):
    """The tenant could not be looked up (offline, proxy, an answer without a GUID)."""


def tenant_guid(text: str) -> str | None:
    text = text.strip().lower()
    return text if _GUID.fullmatch(text) else None


def resolve_tenant_id(draft: ConnectionDraft, session: requests.Session) -> str:
    """The GUID of the draft's tenant. AuthError(90002) when the cloud does not know it;
    TenantUnresolved when it could not be asked."""
    tenant = draft.tenant.strip()
    known = tenant_guid(tenant)
    if known is not None:
        return known
    host = resolve_endpoints(draft).authority_host
    url = f"{host}/{tenant}/v2.0/.well-known/openid-configuration"
    try:
        response = session.get(url, timeout=TIMEOUT_S)
    except requests.RequestException as exc:
        raise TenantUnresolved(
            f"The tenant {tenant} could not be looked up ({type(exc).__name__}).",
            detail=f"GET {url}",
        ) from None
    try:
        body = response.json()
    except ValueError:
        body = None
    if not isinstance(body, dict):
        body = {}
    if response.status_code == 400 and (
        body.get("error") == "invalid_tenant" or 90002 in (body.get("error_codes") or [])
    ):
        detail = clean_description(str(body.get("error_description") or ""), draft)
        raise AuthError(TENANT_NOT_FOUND, code=90002, field="tenant", detail=detail)
    for key in ("issuer", "token_endpoint"):
        segments = urlsplit(str(body.get(key) or "")).path.split("/")
        guid = tenant_guid(segments[1]) if len(segments) > 1 else None
        if response.status_code == 200 and guid is not None:
            return guid
    raise TenantUnresolved(
        f"The tenant {tenant} could not be looked up (answer {response.status_code}).",
        detail=f"GET {url}",
    )
