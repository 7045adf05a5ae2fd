"""Tenant simulator (spec §11): deterministic synthetic Microsoft 365 tenants served through a
`requests` transport adapter — Microsoft login, Microsoft Graph, the usage-report download
host and the Flexera SaaS Management API — with knobs for latency and faults.

Typical use::

    sim = Simulator([spec], knobs=Knobs(throttle_after=50))
    session = simulator_session(sim)          # or sim.mount(existing_session)
    app = msal.ConfidentialClientApplication(spec.client_id, client_credential=spec.client_secret,
        authority=f"https://login.microsoftonline.com/{spec.tenant_id}", http_client=session)
    truth = sim.tenant(spec.tenant_id).truth()  # what an importer must find
"""

from .adapter import (
    DEFAULT_REPORT_HOST,
    Knobs,
    LoggedRequest,
    Simulator,
    SimulatorAdapter,
    simulator_session,
)
from .model import ALL_PERMISSIONS, MULTI_TENANT_CLIENT_ID, TenantModel, TenantSpec
from .saas import SAAS_ZONES, SaasApp, SaasAppUser, SaasLicense, SaasOrgSpec, SaasTerm
from .synth import BASE_NOW, REPORT_REFRESH_DATE
from .truth import SkuTruth, Truth

__all__ = [
    "ALL_PERMISSIONS",
    "BASE_NOW",
    "DEFAULT_REPORT_HOST",
    "MULTI_TENANT_CLIENT_ID",
    "REPORT_REFRESH_DATE",
    "SAAS_ZONES",
    "Knobs",
    "LoggedRequest",
    "SaasApp",
    "SaasAppUser",
    "SaasLicense",
    "SaasOrgSpec",
    "SaasTerm",
    "Simulator",
    "SimulatorAdapter",
    "SkuTruth",
    "TenantModel",
    "TenantSpec",
    "Truth",
    "simulator_session",
]
