"""What a simulator of tenants offers when it is plugged in (by `core.bootstrap`, the one
composition root that knows `core.simulator`). Production code sees only this protocol: a
simulated connection is one more transport, mounted on its session."""

from __future__ import annotations

from typing import Protocol

import requests

from core.domain.connection import ConnectionDraft, ConnectionSecrets


class SimulatedOrganization(Protocol):
    """The demo SaaS Management organization."""

    @property
    def zone(self) -> str: ...

    @property
    def org_id(self) -> str: ...

    @property
    def token_url(self) -> str: ...

    @property
    def api_url(self) -> str: ...

    @property
    def refresh_token(self) -> str: ...


class Simulation(Protocol):
    def mount(self, session: requests.Session, tenant: str) -> None:
        """Serve the simulated tenant profile `tenant` on `session` (msal and Graph alike)."""

    def secrets(self, tenant: str) -> ConnectionSecrets:
        """The published credentials of a simulated tenant."""

    def mount_saas(self, session: requests.Session) -> None:
        """Serve the demo SaaS Management organization on `session`."""

    def saas_organization(self) -> SimulatedOrganization:
        """The demo SaaS Management organization."""

    def demo_drafts(self) -> list[ConnectionDraft]:
        """The demo tenants' connections."""
