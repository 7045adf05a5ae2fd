"""Turning what msal and the STS say into AuthError messages a license manager understands.

We branch on `error_codes` (the AADSTS numbers), never on the description text. The
description goes to `detail`, trimmed of its Trace/Correlation/Timestamp lines and with any
secret of the draft blanked out.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, urlencode, urlsplit

import requests
from msal.exceptions import MsalServiceError

from core.auth.endpoints import ResolvedEndpoints, resolve_endpoints, shipped_settings
from core.domain.cloud import Cloud
from core.domain.connection import AuthMethod, ConnectionDraft, ProxyMode
from core.errors import AuthError, ValidationError

MFA_MESSAGE = (
    "This account requires multi-factor authentication, which the deprecated Microsoft Office "
    "365 connector cannot do. Use the Microsoft 365 connector instead."
)
TENANT_NOT_FOUND = "Tenant not found in this cloud. Check the tenant ID or domain and the cloud."
CONSENT_MESSAGE = "An administrator must consent to the app's permissions in this tenant first."
BUSY_MESSAGE = "The sign-in service is busy; try again in a few minutes."
LOOP_MESSAGE = (
    "The sign-in service stopped this app because it asked for tokens too often (AADSTS50196, "
    "a request loop); wait a few minutes, then try again."
)
SECURITY_DEFAULTS_PASSWORD_MESSAGE = (
    "The tenant's security defaults block the legacy password sign-in of the deprecated "
    "Microsoft Office 365 connector. Use the Microsoft 365 connector instead."
)
SECURITY_DEFAULTS_MESSAGE = (
    "Sign-in was blocked by the tenant's security defaults; an administrator must review "
    "them for this app."
)


@dataclass(frozen=True)
class _Rule:
    field: str | None
    message: str
    consent: bool = False


_RULES: dict[int, _Rule] = {
    90002: _Rule("tenant", TENANT_NOT_FOUND),
    900023: _Rule("tenant", "The tenant is neither a tenant ID nor a domain name."),
    7000215: _Rule(
        "client_secret", "The secret value was rejected; check you copied the value, not its ID."
    ),
    7000222: _Rule(
        "client_secret",
        "The client secret has expired; create a new one in the app registration and paste "
        "its value.",
    ),
    7000218: _Rule("client_secret", "No client secret or certificate was sent; add one."),
    700016: _Rule(
        "client_id",
        "The app is not known in this tenant: an administrator must consent to it first.",
        consent=True,
    ),
    65001: _Rule("client_id", CONSENT_MESSAGE, consent=True),
    90094: _Rule("client_id", CONSENT_MESSAGE, consent=True),
    650056: _Rule("client_id", CONSENT_MESSAGE, consent=True),
    650057: _Rule("client_id", CONSENT_MESSAGE, consent=True),
    7000112: _Rule(
        "client_id", "The app is disabled in this tenant; an administrator must enable it."
    ),
    700027: _Rule(
        "certificate_path",
        "The certificate was rejected: upload it to the app registration (Certificates & "
        "secrets), or choose the certificate that is there.",
    ),
    50076: _Rule("password", MFA_MESSAGE),
    50079: _Rule("password", MFA_MESSAGE),
    50126: _Rule("password", "User name or password is wrong."),
    50055: _Rule("password", "The password has expired; change it, then type the new one."),
    50034: _Rule("username", "This user does not exist in the tenant."),
    50053: _Rule("username", "The account is locked after too many sign-in attempts."),
    50057: _Rule("username", "The account is disabled."),
    53003: _Rule(
        None,
        "Sign-in was blocked by a Conditional Access policy of the tenant; an administrator "
        "must allow this app.",
    ),
    500011: _Rule(
        "cloud", "Microsoft Graph was not found in this tenant's cloud; check the cloud."
    ),
    70011: _Rule("scope", "The scope was refused; check the scope."),
    700082: _Rule(None, "The saved sign-in has expired."),
    70008: _Rule(None, "The saved sign-in has expired."),
    50173: _Rule(None, "The saved sign-in is no longer valid (password changed or revoked)."),
    50133: _Rule(None, "The saved sign-in is no longer valid (password changed or revoked)."),
    90055: _Rule(None, BUSY_MESSAGE),
    90024: _Rule(None, BUSY_MESSAGE),
    50196: _Rule(None, LOOP_MESSAGE),
    530035: _Rule(None, SECURITY_DEFAULTS_MESSAGE),
}
# The password connector signs in with ROPC, the legacy sign-in security defaults block.
_PASSWORD_RULES: dict[int, _Rule] = {
    530035: _Rule("password", SECURITY_DEFAULTS_PASSWORD_MESSAGE),
}

# Answers that carry no AADSTS code (device code flow).
_ERROR_RULES: dict[str, _Rule] = {
    "expired_token": _Rule(None, "The sign-in code expired before it was used; sign in again."),
    "authorization_declined": _Rule(None, "The sign-in was declined."),
    "bad_verification_code": _Rule(None, "The sign-in code was not recognised; sign in again."),
}

_CLOUD_NAMES: dict[Cloud, str] = {
    Cloud.GLOBAL: "the Global cloud",
    Cloud.GCC_HIGH: "US Government GCC High",
    Cloud.DOD: "US Government DoD",
    Cloud.CHINA: "China (21Vianet)",
}
_NOISE = ("Trace ID:", "Correlation ID:", "Timestamp:")


def redact(text: str, draft: ConnectionDraft) -> str:
    """`text` with every secret of the draft (also URL-quoted, as in a proxy URL) as ***."""
    for _, value in draft.secrets.items():
        for form in {value, quote(value, safe="")} if value else ():
            text = text.replace(form, "***")
    return text


def clean_description(description: str, draft: ConnectionDraft) -> str:
    lines = (line.strip() for line in description.replace("\r", "\n").split("\n"))
    kept = [line for line in lines if line and not line.startswith(_NOISE)]
    return redact(" ".join(kept), draft)


def _endpoints(draft: ConnectionDraft) -> ResolvedEndpoints | None:
    try:
        return resolve_endpoints(draft)
    except ValidationError:
        return None


def admin_consent_url(draft: ConnectionDraft, endpoints: ResolvedEndpoints | None = None) -> str:
    """Where an administrator grants consent (Graph reference §2).

    Own app: the classic endpoint with the client ID only, which grants the application
    permissions of the app registration. No redirect_uri: a daemon app rarely registers one,
    and an unregistered one stops the page before the admin can consent (AADSTS50011).
    Multi-tenant public client: the v2.0 endpoint with the delegated scopes, because that
    app's registration does not list them, and its registered loopback redirect.
    """
    endpoints = endpoints or _endpoints(draft)
    host = endpoints.authority_host if endpoints else "https://login.microsoftonline.com"
    client_id = endpoints.client_id if endpoints else draft.client_id.strip()
    tenant = draft.tenant.strip()
    if draft.method == AuthMethod.OWN_APP:
        query = urlencode({"client_id": client_id})
        return f"{host}/{tenant or 'common'}/adminconsent?{query}"
    redirect = (endpoints.redirect_uri if endpoints else "") or shipped_settings().redirect_uri
    scope = endpoints.scope if endpoints else ""
    query = urlencode({"client_id": client_id, "scope": scope, "redirect_uri": redirect})
    return f"{host}/{tenant or 'organizations'}/v2.0/adminconsent?{query}"


OWN_APP_CONSENT_STEPS = (
    "Send the admin-consent link to an administrator of the tenant. They sign in, then see "
    "the list of application permissions this app registration asks for (read the "
    "organization, users and usage reports) and accept them for the whole organization. "
    "Microsoft then sends the browser to the app's redirect address; if the app registration "
    "has none, an error page (such as AADSTS500113, no reply address) appears instead. That "
    "page is harmless: the consent was already granted. Test the connection again a minute "
    "or two later."
)
MULTI_TENANT_CONSENT_STEPS = (
    "Send the admin-consent link to an administrator of the tenant. They sign in, then see "
    "the list of permissions the multi-tenant app asks for on behalf of signed-in users "
    "(read the organization, users and usage reports) and accept them for the whole "
    "organization. The browser then goes to http://localhost, which may show that it cannot "
    "connect; that is harmless. Sign in again a minute or two later."
)


def admin_consent_steps(method: AuthMethod) -> str:
    """What an administrator sees on the admin-consent link of this method, step by step."""
    return OWN_APP_CONSENT_STEPS if method == AuthMethod.OWN_APP else MULTI_TENANT_CONSENT_STEPS


def _codes(result: dict[str, Any]) -> list[int]:
    codes = []
    for code in result.get("error_codes") or []:
        try:
            codes.append(int(code))
        except (TypeError, ValueError):
            continue
    return codes


def _rule_for(code: int, draft: ConnectionDraft) -> _Rule | None:
    if draft.method == AuthMethod.PASSWORD and code in _PASSWORD_RULES:
        return _PASSWORD_RULES[code]
    return _RULES.get(code)


def auth_error_from_result(
    result: dict[str, Any],
    draft: ConnectionDraft,
    endpoints: ResolvedEndpoints | None = None,
    *,
    error_class: type[AuthError] = AuthError,
) -> AuthError:
    """The AuthError for an STS error answer (`error`, `error_description`, `error_codes`)."""
    codes = _codes(result)
    code = next((c for c in codes if c in _RULES), codes[0] if codes else None)
    error = str(result.get("error") or "")
    rule = _rule_for(code, draft) if code is not None else _ERROR_RULES.get(error)
    description = clean_description(str(result.get("error_description") or ""), draft)
    detail = ": ".join(part for part in (error, description) if part)
    if rule is None:
        message = f"Sign-in failed (AADSTS{code})." if code else f"Sign-in failed ({error or '?'})."
        return error_class(message, code=code, detail=detail)
    consent = admin_consent_url(draft, endpoints) if rule.consent else None
    return error_class(
        rule.message, code=code, detail=detail, field=rule.field, consent_url=consent
    )


def cloud_name(draft: ConnectionDraft, endpoints: ResolvedEndpoints | None) -> str:
    name = _CLOUD_NAMES.get(draft.cloud)
    host = urlsplit(endpoints.authority_host).hostname if endpoints else None
    if name and host:
        return f"{name} ({host})"
    return name or host or "the custom cloud"


def _discovery_body(exc: ValueError) -> dict[str, Any] | None:
    """The STS answer msal chained to its 'Unable to get authority configuration' error."""
    inner = exc.__context__
    text = str(inner) if isinstance(inner, ValueError) else ""
    start = text.find("{")
    if start < 0:
        return None
    try:
        body = json.loads(text[start:])
    except ValueError:
        return None
    return body if isinstance(body, dict) else None


def _from_value_error(
    exc: ValueError, draft: ConnectionDraft, endpoints: ResolvedEndpoints | None
) -> AuthError:
    detail = redact(str(exc), draft)
    body = _discovery_body(exc)
    if body is not None and (body.get("error_codes") or body.get("error")):
        return auth_error_from_result(body, draft, endpoints)
    if "authority configuration" in detail or "OIDC Discovery" in detail:
        return AuthError(TENANT_NOT_FOUND, code=90002, detail=detail, field="tenant")
    if "invalid_instance" in detail:
        return AuthError(
            "This authority host is not a Microsoft sign-in service; for a private endpoint "
            "choose the Custom cloud.",
            detail=detail,
            field="authority_host",
        )
    if "https url" in detail:
        return AuthError(
            "The authority host must be an https:// address.", detail=detail, field="authority_host"
        )
    return AuthError("The sign-in service sent an answer that could not be read.", detail=detail)


def auth_error_from_exception(
    exc: Exception, draft: ConnectionDraft, endpoints: ResolvedEndpoints | None = None
) -> AuthError:
    """Wrap what msal or requests raised while signing in."""
    where = cloud_name(draft, endpoints)
    detail = redact(f"{type(exc).__name__}: {exc}", draft)
    if isinstance(exc, AuthError):
        return exc
    if isinstance(exc, requests.exceptions.ProxyError):
        field = "proxy_url" if draft.proxy_mode == ProxyMode.URL else "proxy_mode"
        return AuthError(
            f"Cannot reach the sign-in service of {where} through the proxy; check the proxy "
            "settings.",
            detail=detail,
            field=field,
        )
    if isinstance(exc, requests.exceptions.SSLError):
        return AuthError(
            f"The secure connection to the sign-in service of {where} failed: its certificate "
            "is not trusted. If your network inspects TLS, set REQUESTS_CA_BUNDLE to your "
            "organization's CA file.",
            detail=detail,
        )
    if isinstance(exc, requests.exceptions.ConnectionError | requests.exceptions.Timeout):
        return AuthError(
            f"Cannot reach the sign-in service of {where}. Check the network connection and "
            "the proxy settings.",
            detail=detail,
        )
    if isinstance(exc, MsalServiceError):
        return AuthError(
            f"The sign-in service of {where} is not available right now; try again later.",
            detail=detail,
        )
    if isinstance(exc, ValueError):
        return _from_value_error(exc, draft, endpoints)
    return AuthError("Sign-in failed.", detail=detail)


WRAPPED_EXCEPTIONS: tuple[type[Exception], ...] = (
    requests.exceptions.RequestException,
    MsalServiceError,
    ValueError,
)
