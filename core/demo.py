"""The demo: the simulated tenants' connections, sample prices and the demo SaaS Management
organization. The same for `licensedesk --demo`, the window's "Add demo tenants" and
`licensedesk-cli demo`; what it sets up comes from the simulator plugged in at the composition
root (`core.bootstrap`)."""

from __future__ import annotations

from collections.abc import Callable
from importlib import resources
from importlib.resources.abc import Traversable

from core.connections.service import ConnectionService
from core.domain.connection import Connection, ConnectionDraft
from core.domain.saas import SaasZone
from core.licensing.service import LicensingService
from core.saas.service import SaasManagementService


class DemoSetup:
    """`drafts` lists the demo tenants' connections; `prices_csv` the sample list prices."""

    def __init__(
        self,
        *,
        connections: ConnectionService,
        licensing: LicensingService,
        saas: SaasManagementService,
        drafts: Callable[[], list[ConnectionDraft]],
        prices_csv: Traversable,
    ) -> None:
        self._connections = connections
        self._licensing = licensing
        self._saas = saas
        self._drafts = drafts
        self._prices_csv = prices_csv

    def add_connections(self) -> list[Connection]:
        """Create the demo tenants' connections (once), add sample prices where none are set
        and set up the demo SaaS Management organization."""
        created = []
        for draft in self._drafts():
            existing = self._connections.find_existing(draft.name)
            created.append(existing or self._connections.create(draft))
        if not self._licensing.prices():
            # Sample list prices (USD per user per month) so the demo shows cost and waste;
            # the user's own prices are never overwritten.
            with resources.as_file(self._prices_csv) as path:
                self._licensing.import_prices_csv(path)
        self.set_up_saas()
        return created

    def set_up_saas(self) -> bool:
        """Point the SaaS Management connector at the simulated demo organization, left
        disabled (enabling it then shows the connector retiring the Office 365 licenses). A
        connector already set up is kept. Returns whether it was set up now."""
        if self._saas.config().configured:
            return False
        self._saas.configure(SaasZone.NAM, "", None, simulated=True)
        return True
