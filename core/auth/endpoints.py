"""Where a connection signs in and reads: endpoints, scopes and the shipped app settings (spec §3,
Graph reference §1–§3). Below auth; knows nothing of beacon versions or the dialog."""

from __future__ import annotations

import functools
import json
from dataclasses import dataclass
from importlib import resources as importlib_resources

from core.domain.cloud import CLOUD_ENDPOINTS, Cloud
from core.domain.connection import AuthMethod, ConnectionDraft, effective_method
from core.errors import ValidationError

DELEGATED_PERMISSIONS: tuple[str, ...] = (
    "Organization.Read.All",
    "User.Read.All",
    "Reports.Read.All",
    "ReportSettings.Read.All",
    "AuditLog.Read.All",
)


@dataclass(frozen=True)
class ShippedSettings:
    """`resources/app_settings.json`: the multi-tenant public client and its redirect URI."""

    multi_tenant_client_id: str
    redirect_uri: str


@functools.cache
def shipped_settings() -> ShippedSettings:
    text = importlib_resources.files("resources").joinpath("app_settings.json").read_text("utf-8")
    data = json.loads(text)
    return ShippedSettings(
        multi_tenant_client_id=str(data["multi_tenant_client_id"]).strip(),
        redirect_uri=str(data.get("redirect_uri") or "http://localhost").strip(),
    )


def delegated_scopes(graph_endpoint: str) -> list[str]:
    root = graph_endpoint.rstrip("/")
    return [f"{root}/{permission}" for permission in DELEGATED_PERMISSIONS]


def default_scope(method: AuthMethod, graph_endpoint: str) -> str:
    """`.default` for app-only tokens; the delegated permissions for sign-in methods."""
    if method == AuthMethod.OWN_APP:
        return f"{graph_endpoint.rstrip('/')}/.default"
    return " ".join(delegated_scopes(graph_endpoint))


def normalize_graph_endpoint(url: str) -> str:
    """The Graph root without a trailing slash or version segment."""
    root = url.strip().rstrip("/")
    for suffix in ("/v1.0", "/beta"):
        if root.lower().endswith(suffix):
            root = root[: -len(suffix)]
    return root


@dataclass(frozen=True)
class ResolvedEndpoints:
    authority_host: str  # https://host, no trailing slash
    graph_endpoint: str  # root without version
    token_endpoint: str
    scope: str  # space-separated
    client_id: str
    redirect_uri: str  # "" for own-app connections
    instance_discovery: bool  # False for the Custom cloud (msal must not ask Microsoft)
    tenant: str = "organizations"  # the authority's tenant segment

    @property
    def authority(self) -> str:
        return f"{self.authority_host}/{self.tenant}"

    @property
    def scopes(self) -> list[str]:
        return self.scope.split()


def resolve_endpoints(draft: ConnectionDraft) -> ResolvedEndpoints:
    """The endpoints a connection uses: typed values win, else the cloud's.

    The beacon version does not change the result: a connection created with auto-populated fields
    keeps working when the setting moves to 2018 R2 (spec §2). The Custom cloud has no
    defaults, so its hosts must be typed (ValidationError otherwise).
    """
    cloud = CLOUD_ENDPOINTS.get(draft.cloud)
    host = draft.authority_host.strip().rstrip("/") or (cloud.authority_host if cloud else "")
    graph = normalize_graph_endpoint(draft.graph_endpoint) or (
        cloud.graph_endpoint if cloud else ""
    )
    missing = {
        name: f"Type the {label} of the custom cloud."
        for name, label, value in (
            ("authority_host", "authority host", host),
            ("graph_endpoint", "Graph endpoint", graph),
        )
        if not value
    }
    if missing:
        raise ValidationError(missing)
    method = effective_method(draft.source_type, draft.method)
    tenant = draft.tenant.strip() or "organizations"
    settings = shipped_settings()
    public_client = method != AuthMethod.OWN_APP
    return ResolvedEndpoints(
        authority_host=host,
        graph_endpoint=graph,
        token_endpoint=draft.token_endpoint.strip() or f"{host}/{tenant}/oauth2/v2.0/token",
        scope=" ".join(draft.scope.split()) or default_scope(method, graph),
        client_id=draft.client_id.strip()
        or (settings.multi_tenant_client_id if public_client else ""),
        redirect_uri=draft.redirect_uri.strip()
        or (settings.redirect_uri if method == AuthMethod.MULTI_TENANT else ""),
        instance_discovery=draft.cloud != Cloud.CUSTOM,
        tenant=tenant,
    )
