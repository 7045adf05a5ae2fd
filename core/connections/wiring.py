"""Building the per-connection collaborators: session (proxy, simulator), secrets, token
provider and Graph client. One requests.Session per connection is shared by msal and Graph, so
the proxy and, for simulated tenants, the simulator plugged in apply to both."""

from __future__ import annotations

from dataclasses import replace

import requests

from core import APP_NAME, __version__
from core.auth import (
    MemoryTokenCacheStore,
    SecretStoreTokenCacheStore,
    TokenCacheStore,
    TokenProvider,
    build_token_provider,
    configure_session_proxy,
)
from core.auth.endpoints import resolve_endpoints
from core.domain.cancel import CancelToken
from core.domain.cloud import CLOUD_ENDPOINTS, Cloud
from core.domain.connection import AuthMethod, ConnectionDraft, ConnectionSecrets
from core.errors import LicenseDeskError
from core.graph import GraphClient, ReportBudget
from core.secrets import SecretStore, connection_secret_key
from core.simulation import Simulation

USER_AGENT = f"{APP_NAME}/{__version__} (+Microsoft Graph license importer)"


def token_cache_key(connection_id: int) -> str:
    return connection_secret_key(connection_id, "token_cache")


def load_secrets(store: SecretStore, connection_id: int) -> ConnectionSecrets:
    values = {
        name: store.get(connection_secret_key(connection_id, name)) or ""
        for name, _ in ConnectionSecrets().items()
    }
    return ConnectionSecrets(**values)


def save_secrets(store: SecretStore, connection_id: int, secrets: ConnectionSecrets) -> None:
    """Store the secrets typed in; an empty field keeps what the keychain already holds."""
    for name, value in secrets.items():
        if value:
            store.set(connection_secret_key(connection_id, name), value)


def delete_secrets(store: SecretStore, connection_id: int) -> None:
    for name, _ in ConnectionSecrets().items():
        store.delete(connection_secret_key(connection_id, name))
    store.delete_blob(token_cache_key(connection_id))


class Transport:
    """Builds the one session of a connection: user agent, proxy and, for a simulated (demo)
    tenant, the simulator plugged in at the composition root (`core.bootstrap`)."""

    def __init__(self, simulation: Simulation | None = None) -> None:
        self._simulation = simulation

    def session(self, draft: ConnectionDraft) -> requests.Session:
        session = requests.Session()
        session.headers["User-Agent"] = USER_AGENT
        configure_session_proxy(session, draft)
        if draft.simulated_tenant is not None:
            self._simulated().mount(session, draft.simulated_tenant)
        return session

    def with_secrets(self, draft: ConnectionDraft) -> ConnectionDraft:
        """Demo connections authenticate against the simulator with its published
        credentials; other drafts are returned as they are."""
        if draft.simulated_tenant is None:
            return draft
        return replace(draft, secrets=self._simulated().secrets(draft.simulated_tenant))

    def _simulated(self) -> Simulation:
        if self._simulation is None:
            raise LicenseDeskError(
                "This is a simulated (demo) connection, and this build has no simulator."
            )
        return self._simulation


def cache_store_for(
    draft: ConnectionDraft, store: SecretStore, connection_id: int | None
) -> TokenCacheStore | None:
    if draft.method is not AuthMethod.MULTI_TENANT:
        return None
    if connection_id is None:
        return MemoryTokenCacheStore()
    return SecretStoreTokenCacheStore(store, token_cache_key(connection_id))


def reports_available(draft: ConnectionDraft) -> bool:
    if draft.use_beta_reports:
        return True
    if draft.cloud is Cloud.CUSTOM:
        return True  # private endpoints and test servers: try, 404/403 become warnings
    return CLOUD_ENDPOINTS[draft.cloud].reports_in_v1


def build_graph(
    draft: ConnectionDraft,
    *,
    session: requests.Session,
    tokens: TokenProvider,
    report_budget: ReportBudget,
    cancel: CancelToken | None = None,
    max_retries: int = 5,
) -> GraphClient:
    endpoints = resolve_endpoints(draft)
    tenant_key = (draft.tenant or draft.name).lower()
    return GraphClient(
        session,
        tokens,
        endpoints.graph_endpoint,
        report_version="beta" if draft.use_beta_reports else None,
        cancel=cancel,
        max_retries=max_retries,
        report_budget=report_budget,
        tenant_key=tenant_key,
    )


def build_tokens(
    draft: ConnectionDraft,
    *,
    session: requests.Session,
    cache_store: TokenCacheStore | None,
) -> TokenProvider:
    return build_token_provider(draft, session=session, cache_store=cache_store)
