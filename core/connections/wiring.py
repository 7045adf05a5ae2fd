"""Building the per-connection collaborators: session (proxy, simulator), token provider and
Graph client. One requests.Session per connection is shared by msal and Graph, so the proxy
and, for simulated tenants, the simulator adapter apply to both."""

from __future__ import annotations

from dataclasses import replace

import requests

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
from core.graph import GraphClient, ReportBudget
from core.secrets import SecretStore, connection_secret_key

USER_AGENT = "LicenseDesk/0.1 (+Microsoft Graph license importer)"


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


def with_simulated_secrets(draft: ConnectionDraft) -> ConnectionDraft:
    """Demo connections authenticate against the simulator with its published credentials."""
    if draft.simulated_tenant is None:
        return draft
    from core.simulator.demo import profile_spec

    spec = profile_spec(draft.simulated_tenant)
    return replace(
        draft,
        secrets=ConnectionSecrets(client_secret=spec.client_secret, password=spec.password),
    )


def build_session(draft: ConnectionDraft) -> requests.Session:
    session = requests.Session()
    session.headers["User-Agent"] = USER_AGENT
    configure_session_proxy(session, draft)
    if draft.simulated_tenant is not None:
        from core.simulator.demo import get_simulator

        get_simulator(draft.simulated_tenant).mount(session)
    return session


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
