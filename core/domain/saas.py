"""The SaaS Management connector's settings, status and results (core.saas)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

# What turning the connector on means, said wherever it can be turned on (window and CLI).
SAAS_RULE = (
    "While the SaaS Management connector is enabled, it supersedes and overrides both Office "
    "365 connectors (Microsoft 365 and Microsoft Office 365 (deprecated)). Every license "
    "created from their imports gets the status Retired, automatically, so it has no effect "
    "on reconciliation; licenses their later imports create are Retired from the start. "
    "Licenses come from the SaaS Management imports instead and are reconciled as usual. "
    "Disabling the connector gives each license it retired the status it had just before, "
    "unless someone changed that license's status by hand in the meantime, and retires the "
    "licenses of its own imports by the same rule, so that no product is counted twice."
)


class SaasZone(StrEnum):
    NAM = "nam"
    EU = "eu"
    APAC = "apac"
    CUSTOM = "custom"


@dataclass(frozen=True)
class SwitchCounts:
    """What turning the SaaS Management connector on or off changes (or would change)."""

    enabled: bool  # the position after the switch
    retired: int  # licenses the switch retires: the connectors' (on) or SaaS Management's (off)
    restored: int  # licenses it gives their previous status back

    @property
    def connector_licenses(self) -> int:
        """Office 365 connector licenses changed: retired when enabling, restored otherwise."""
        return self.retired if self.enabled else self.restored

    @property
    def saas_licenses(self) -> int:
        """SaaS Management licenses changed: restored when enabling, retired otherwise."""
        return self.restored if self.enabled else self.retired

    def describe(self) -> str:
        """E.g. "24 Office 365 connector licenses retired, 4 SaaS Management licenses
        restored"."""
        connectors = _licenses(self.connector_licenses, "Office 365 connector")
        saas = _licenses(self.saas_licenses, "SaaS Management")
        if self.enabled:
            return f"{connectors} retired, {saas} restored"
        return f"{connectors} restored, {saas} retired"


def _licenses(count: int, kind: str) -> str:
    return f"{count:,} {kind} {'license' if count == 1 else 'licenses'}"


@dataclass(frozen=True)
class SaasResult:
    ok: bool
    message: str
    when: datetime | None = None
    apps: int = 0
    licenses: int = 0
    app_users: int = 0
    detail: str = ""


@dataclass(frozen=True)
class SaasConfig:
    """The SaaS Management connector's settings; the refresh token stays in the keychain."""

    enabled: bool = False
    zone: SaasZone = SaasZone.NAM
    org_id: str = ""
    token_url: str = ""
    api_url: str = ""
    has_refresh_token: bool = False
    simulated: bool = False
    last_import_at: datetime | None = None
    last_result: SaasResult | None = None

    @property
    def configured(self) -> bool:
        return bool(self.org_id and self.token_url and self.api_url and self.has_refresh_token)


@dataclass(frozen=True)
class SaasStatus:
    config: SaasConfig
    saas_licenses: int  # licenses with source SaaS Management
    retired_by_connector: int  # Office 365 connector licenses it holds Retired now
    would_retire: int  # licenses enabling would retire now (0 while enabled)
