"""National clouds and their hosts (Graph reference §3)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum


class Cloud(StrEnum):
    GLOBAL = "global"
    GCC_HIGH = "gcc-high"
    DOD = "dod"
    CHINA = "china"
    CUSTOM = "custom"

    @property
    def label(self) -> str:
        return CLOUD_LABELS[self]


CLOUD_LABELS: Mapping[Cloud, str] = {
    Cloud.GLOBAL: "Global (also Microsoft 365 GCC)",
    Cloud.GCC_HIGH: "US Government GCC High",
    Cloud.DOD: "US Government DoD",
    Cloud.CHINA: "China (21Vianet)",
    Cloud.CUSTOM: "Custom",
}


@dataclass(frozen=True)
class CloudEndpoints:
    """Hosts of one national cloud (Graph reference §3)."""

    authority_host: str  # e.g. https://login.microsoftonline.com
    graph_endpoint: str  # root without version, e.g. https://graph.microsoft.com
    reports_in_v1: bool  # usage reports and reportSettings exist in v1.0 only in Global

    @property
    def scope(self) -> str:
        return f"{self.graph_endpoint.rstrip('/')}/.default"


CLOUD_ENDPOINTS: Mapping[Cloud, CloudEndpoints] = {
    Cloud.GLOBAL: CloudEndpoints(
        "https://login.microsoftonline.com", "https://graph.microsoft.com", True
    ),
    Cloud.GCC_HIGH: CloudEndpoints(
        "https://login.microsoftonline.us", "https://graph.microsoft.us", False
    ),
    Cloud.DOD: CloudEndpoints(
        "https://login.microsoftonline.us", "https://dod-graph.microsoft.us", False
    ),
    Cloud.CHINA: CloudEndpoints(
        "https://login.partner.microsoftonline.cn",
        "https://microsoftgraph.chinacloudapi.cn",
        False,
    ),
}
