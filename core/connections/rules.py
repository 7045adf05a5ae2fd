"""Validation of a ConnectionDraft (spec §3): field name -> a short sentence a license manager
understands. Pure apart from checking that a certificate file exists."""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path
from urllib.parse import urlsplit

from core.connections.versions import (
    M365_NEEDS_2018R2,
    M365FieldMode,
    band_for,
    m365_field_mode,
    methods_for,
)
from core.domain.beacon import BeaconVersion
from core.domain.cloud import Cloud
from core.domain.connection import (
    AuthMethod,
    Connection,
    ConnectionDraft,
    CredentialKind,
    ProxyMode,
    Schedule,
    ScheduleKind,
    SourceType,
    UsagePeriod,
)

GUID_RE = re.compile(r"[0-9a-fA-F]{8}-(?:[0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12}")
_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
DOMAIN_RE = re.compile(rf"(?:{_LABEL}\.)+(?:[A-Za-z]{{2,63}}|xn--[A-Za-z0-9-]{{1,59}})")
_NAME_RE = re.compile(r"[^\W_][\w ]*")
# Long enough for any real name; short enough for a table column and a scheduler's task name.
NAME_MAX_LENGTH = 100
_UPN_RE = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s.]+")
_TIME_RE = re.compile(r"(?:[01]\d|2[0-3]):[0-5]\d")
_LOOPBACK_HOSTS = {"localhost", "127.0.0.1", "::1"}
_CERT_SUFFIXES = {CredentialKind.PEM: (".pem",), CredentialKind.PFX: (".pfx", ".p12")}

Errors = dict[str, str]


def is_guid(text: str) -> bool:
    return GUID_RE.fullmatch(text.strip()) is not None


def is_domain(text: str) -> bool:
    text = text.strip()
    return len(text) <= 253 and DOMAIN_RE.fullmatch(text) is not None


def validate(
    draft: ConnectionDraft,
    *,
    version: BeaconVersion,
    existing: Sequence[Connection] = (),
    editing_id: int | None = None,
    require_secrets: bool = True,
) -> Errors:
    """Check a draft; an empty dict means it is valid.

    `existing` are the saved connections; `editing_id` the one being edited (excluded from
    the uniqueness checks, and allowed to keep a source type the version no longer offers).
    On edit an empty secret keeps the stored one: pass `require_secrets=False`.
    """
    errors: Errors = {}
    others = [c for c in existing if editing_id is None or c.id != editing_id]
    edited = next((c for c in existing if editing_id is not None and c.id == editing_id), None)
    manual = m365_field_mode(draft.source_type, version) == M365FieldMode.MANUAL
    _check_name(draft.name, others, errors)
    _check_source_type(draft, version, edited, errors)
    _check_tenant(draft, manual, others, errors)
    _check_client_id(draft, manual, errors)
    _check_credentials(draft, require_secrets, errors)
    _check_endpoints(draft, manual, errors)
    _check_proxy(draft, errors)
    _check_schedule(draft.schedule, errors)
    if draft.cloud not in tuple(Cloud):
        errors["cloud"] = "Choose a cloud."
    if draft.usage_period not in tuple(UsagePeriod):
        errors["usage_period"] = "Choose a usage period: D7, D30, D90 or D180."
    return errors


def _name_key(name: str) -> str:
    return " ".join(name.split()).casefold()


def _check_name(name: str, others: Sequence[Connection], errors: Errors) -> None:
    if not name.strip():
        errors["name"] = "Type a name for the connection."
    elif len(name.strip()) > NAME_MAX_LENGTH:
        errors["name"] = f"Keep the name to {NAME_MAX_LENGTH} characters or fewer."
    elif _NAME_RE.fullmatch(name) is None:
        errors["name"] = (
            "Use only letters, digits, underscores and spaces, starting with a letter or digit."
        )
    else:
        clash = next((c for c in others if _name_key(c.name) == _name_key(name)), None)
        if clash is not None:
            errors["name"] = f"A connection named “{clash.name}” already exists."


def _check_source_type(
    draft: ConnectionDraft, version: BeaconVersion, edited: Connection | None, errors: Errors
) -> None:
    if draft.source_type not in tuple(SourceType):
        errors["source_type"] = "Choose a source type."
        return
    offered = band_for(version).label_for(draft.source_type) is not None
    kept = edited is not None and edited.source_type == draft.source_type
    if not offered and not kept:
        errors["source_type"] = (
            M365_NEEDS_2018R2
            if draft.source_type == SourceType.MICROSOFT_365
            else f"Beacon {version} does not offer this source type."
        )
    allowed = [method for _, method in methods_for(draft.source_type)]
    if draft.method not in allowed:
        errors["method"] = (
            "The deprecated connector signs in with a user name and password."
            if draft.source_type == SourceType.OFFICE_365
            else "Choose the multi-tenant app or your own registered app."
        )


def _check_tenant(
    draft: ConnectionDraft, manual: bool, others: Sequence[Connection], errors: Errors
) -> None:
    tenant = draft.tenant.strip()
    if not tenant:
        if draft.method == AuthMethod.OWN_APP or manual:
            errors["tenant"] = "Type the tenant ID or a verified domain of the tenant."
        return
    if not (is_guid(tenant) or is_domain(tenant)):
        errors["tenant"] = (
            "The tenant is a tenant ID (a GUID) or a domain such as contoso.onmicrosoft.com."
        )
        return
    mine = {tenant.casefold(), getattr(draft, "tenant_id", "").strip().casefold()} - {""}
    for other in others:
        theirs = {other.tenant.strip().casefold(), other.tenant_id.strip().casefold()} - {""}
        if mine & theirs:
            errors["tenant"] = f"Tenant {tenant} already has the connection “{other.name}”."
            return


def _check_client_id(draft: ConnectionDraft, manual: bool, errors: Errors) -> None:
    client_id = draft.client_id.strip()
    if not client_id:
        if draft.method == AuthMethod.OWN_APP or (
            manual and draft.method == AuthMethod.MULTI_TENANT
        ):
            errors["client_id"] = "Type the application (client) ID from the app registration."
    elif not is_guid(client_id):
        errors["client_id"] = (
            "The application (client) ID is a GUID such as 14d82eec-204b-4c2f-b7e8-296a70dab67e."
        )


def _check_credentials(draft: ConnectionDraft, require_secrets: bool, errors: Errors) -> None:
    secrets = draft.secrets
    if draft.method == AuthMethod.OWN_APP:
        if draft.credential_kind == CredentialKind.SECRET:
            if require_secrets and not secrets.client_secret:
                errors["client_secret"] = "Paste the client secret value."
            elif secrets.client_secret != secrets.client_secret.strip():
                errors["client_secret"] = (
                    "The secret starts or ends with a space; paste the value only."
                )
        elif draft.credential_kind in _CERT_SUFFIXES:
            _check_certificate(draft.certificate_path, draft.credential_kind, errors)
        else:
            errors["credential_kind"] = "Choose a client secret or a certificate."
    elif draft.method == AuthMethod.PASSWORD:
        username = draft.username.strip()
        if not username:
            errors["username"] = "Type the user name of an account with read access."
        elif _UPN_RE.fullmatch(username) is None:
            errors["username"] = "Type the user name as name@domain, e.g. reader@contoso.com."
        if require_secrets and not secrets.password:
            errors["password"] = "Type the password."


def _check_certificate(raw_path: str, kind: CredentialKind, errors: Errors) -> None:
    if not raw_path.strip():
        errors["certificate_path"] = "Choose the certificate file."
        return
    path = Path(raw_path.strip()).expanduser()
    if path.suffix.lower() not in _CERT_SUFFIXES[kind]:
        errors["certificate_path"] = (
            "A PEM certificate file ends in .pem."
            if kind == CredentialKind.PEM
            else "A PFX certificate file ends in .pfx or .p12."
        )
    elif not path.is_file():
        errors["certificate_path"] = f"The certificate file {path} does not exist."


_URL_FIELDS = {
    "authority_host": ("authority host", "https://login.microsoftonline.com"),
    "graph_endpoint": ("Graph endpoint", "https://graph.microsoft.com"),
    "token_endpoint": (
        "token endpoint",
        "https://login.microsoftonline.com/contoso.com/oauth2/v2.0/token",
    ),
}


def _https_problem(value: str, *, host_only: bool = False) -> str | None:
    """None when `value` is an https URL (with only a host when `host_only`)."""
    parts = urlsplit(value)
    try:
        parts.port  # noqa: B018 - raises ValueError on a bad port
    except ValueError:
        return "bad"
    if parts.scheme.lower() != "https" or not parts.hostname or any(c.isspace() for c in value):
        return "bad"
    if parts.username or parts.password or parts.query or parts.fragment:
        return "bad"
    if host_only and parts.path not in ("", "/"):
        return "path"
    return None


def _check_endpoints(draft: ConnectionDraft, manual: bool, errors: Errors) -> None:
    typed_hosts = manual or draft.cloud == Cloud.CUSTOM
    required = {"authority_host": typed_hosts, "graph_endpoint": typed_hosts}
    required["token_endpoint"] = manual
    for name, (label, example) in _URL_FIELDS.items():
        value = str(getattr(draft, name)).strip()
        if not value:
            if required[name]:
                errors[name] = f"Type the {label}, e.g. {example}."
            continue
        problem = _https_problem(value, host_only=name == "authority_host")
        if problem == "path":
            errors[name] = f"Type only the host, e.g. {example}, without a tenant or path."
        elif problem:
            errors[name] = f"The {label} must be an https:// address such as {example}."
    scopes = draft.scope.split()
    if not scopes and manual:
        errors["scope"] = "Type the scope, e.g. https://graph.microsoft.com/.default."
    elif any(_https_problem(scope) for scope in scopes):
        errors["scope"] = (
            "Each scope is an https:// address such as https://graph.microsoft.com/.default."
        )
    if draft.method == AuthMethod.MULTI_TENANT:
        _check_redirect_uri(draft.redirect_uri.strip(), manual, errors)


def _check_redirect_uri(value: str, manual: bool, errors: Errors) -> None:
    if not value:
        if manual:
            errors["redirect_uri"] = "Type the redirect URI, e.g. http://localhost."
        return
    parts = urlsplit(value)
    try:
        parts.port  # noqa: B018 - raises ValueError on a bad port
    except ValueError:
        parts = urlsplit("")
    if parts.scheme != "http" or parts.hostname not in _LOOPBACK_HOSTS:
        errors["redirect_uri"] = (
            "The redirect URI must be a loopback address such as http://localhost."
        )


def _check_proxy(draft: ConnectionDraft, errors: Errors) -> None:
    if draft.proxy_mode not in tuple(ProxyMode):
        errors["proxy_mode"] = "Choose no proxy, the system proxy or a proxy address."
        return
    if draft.proxy_mode != ProxyMode.URL:
        return
    value = draft.proxy_url.strip()
    example = "http://proxy.contoso.com:8080"
    if not value:
        errors["proxy_url"] = f"Type the proxy address, e.g. {example}."
        return
    parts = urlsplit(value)
    try:
        parts.port  # noqa: B018 - raises ValueError on a bad port
    except ValueError:
        errors["proxy_url"] = "The proxy port must be a number between 1 and 65535."
        return
    if parts.username or parts.password:
        errors["proxy_url"] = "Type the proxy user name and password in their own fields."
    elif (
        parts.scheme.lower() not in ("http", "https")
        or not parts.hostname
        or parts.path not in ("", "/")
        or parts.query
        or any(c.isspace() for c in value)
    ):
        errors["proxy_url"] = f"The proxy address looks like {example}."


def _check_schedule(schedule: Schedule, errors: Errors) -> None:
    if schedule.kind == ScheduleKind.EVERY_N_HOURS:
        hours = schedule.every_hours
        if isinstance(hours, bool) or not isinstance(hours, int) or not 1 <= hours <= 168:
            errors["schedule"] = "Run every 1 to 168 hours."
    elif schedule.kind == ScheduleKind.DAILY:
        if _TIME_RE.fullmatch(str(schedule.daily_at)) is None:
            errors["schedule"] = "Type the time as HH:MM, e.g. 02:00."
    elif schedule.kind != ScheduleKind.MANUAL:
        errors["schedule"] = "Choose manual, every N hours or daily."
