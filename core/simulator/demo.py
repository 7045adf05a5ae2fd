"""Demo tenants (spec §11) and a process-wide registry of simulators.

`get_simulator(profile)` returns one cached `Simulator` per profile, so mutations and the
simulated clock persist for the life of the process. Profiles: "contoso", "fabrikam" (the
merger: concealed report names, no premium licence), "demo" (both), and "size:<users>:<seed>"
for any size. Every simulator also serves the demo Flexera SaaS Management organization.
"""

from __future__ import annotations

import re
import threading

from core.domain.cloud import Cloud
from core.domain.connection import (
    AuthMethod,
    ConnectionDraft,
    ConnectionSecrets,
    CredentialKind,
    SourceType,
)

from .adapter import Knobs, Simulator
from .demo_saas import DEMO_SAAS_ORG_ID, DEMO_SAAS_REFRESH_TOKEN, build_demo_saas_org
from .model import TenantModel, TenantSpec
from .saas import SaasOrgSpec
from .synth import guid, key_of, mix

CONTOSO = TenantSpec(
    name="Contoso",
    domain="contoso.onmicrosoft.com",
    tenant_id="d4f7c9a2-3b1e-4c8d-9a6f-2e5b7c1d0a34",
    users=3000,
    seed=20261128,
    client_id="c0a80164-5a1b-4c2d-8e3f-6f7a8b9c0d1e",
    client_secret="Cq8~demo.contoso-simulated-secret",
    premium=True,
    concealed_names=False,
    username="admin@contoso.onmicrosoft.com",
    password="Demo-Contoso-Password1",
    sku_mix="m365",
)
FABRIKAM = TenantSpec(
    name="Fabrikam",
    domain="fabrikam.onmicrosoft.com",
    tenant_id="5e8a1b3c-7d2f-4a9e-b6c4-0f1e2d3c4b5a",
    users=800,
    seed=20250301,
    client_id="f1b2c3d4-e5f6-4a7b-8c9d-0e1f2a3b4c5d",
    client_secret="Fk3~demo.fabrikam-simulated-secret",
    premium=False,
    concealed_names=True,
    username="admin@fabrikam.onmicrosoft.com",
    password="Demo-Fabrikam-Password1",
    sku_mix="o365",
)
DEMO_PROFILES: dict[str, TenantSpec] = {"contoso": CONTOSO, "fabrikam": FABRIKAM}
# The demo polls the device-code endpoint faster than the real 5 s: at 1 s a simulated
# sign-in polls twice without waiting, and msal warns of nothing.
DEMO_KNOBS = Knobs(device_code_interval_s=1)

_SIZE = re.compile(r"^size:(\d+):(-?\d+)$")
_MAX_USERS = 5_000_000


def profile_spec(name: str) -> TenantSpec:
    """Return the spec of a demo profile, or of "size:<users>:<seed>" (any size)."""
    key = name.strip().lower()
    if key in DEMO_PROFILES:
        return DEMO_PROFILES[key]
    match = _SIZE.match(key)
    if not match:
        raise ValueError(
            f"unknown simulator profile {name!r}: use contoso, fabrikam or size:<users>:<seed>"
        )
    users, seed = int(match.group(1)), int(match.group(2))
    if not 1 <= users <= _MAX_USERS:
        raise ValueError(f"simulated tenant size must be 1..{_MAX_USERS} users")
    h = key_of("size-profile", users, seed)
    return TenantSpec(
        name=f"Simulated {users:,} users (seed {seed})",
        domain=f"sim{users}s{seed & 0xFFFFFFFF}.onmicrosoft.com",
        tenant_id=guid(h, mix(h)),
        users=users,
        seed=seed,
        client_id=guid(mix(h ^ 1), mix(h ^ 2)),
        client_secret=f"Sz~{mix(h ^ 3):016x}",
        password=f"Size-{mix(h ^ 4) % 100000:05d}",
    )


_lock = threading.RLock()
_models: dict[str, TenantModel] = {}
_simulators: dict[str, Simulator] = {}


def _canonical(profile: str) -> str:
    key = profile.strip().lower()
    if key != "demo":
        profile_spec(key)  # validates
    return key


def get_model(profile: str) -> TenantModel:
    """Return the process-wide tenant model of a profile (shared by all its simulators)."""
    key = _canonical(profile)
    with _lock:
        if key not in _models:
            _models[key] = TenantModel(profile_spec(key))
        return _models[key]


def get_simulator(profile: str) -> Simulator:
    """Return the cached simulator of a profile ("demo" serves Contoso and Fabrikam)."""
    key = _canonical(profile)
    with _lock:
        sim = _simulators.get(key)
        if sim is None:
            names = list(DEMO_PROFILES) if key == "demo" else [key]
            knobs = Knobs(**vars(DEMO_KNOBS))
            sim = Simulator([get_model(n) for n in names], knobs=knobs, saas=demo_saas_org())
            _simulators[key] = sim
        return sim


def reset_simulators() -> None:
    """Forget every cached model and simulator (tests)."""
    with _lock:
        _models.clear()
        _simulators.clear()


def size_draft(profile: str, *, name: str | None = None) -> ConnectionDraft:
    """Return a connection draft for a simulated profile: own registered app with a client
    secret (the simulator's published credentials), Global cloud."""
    key = _canonical(profile)
    spec = profile_spec(key)
    return ConnectionDraft(
        name=name or f"Simulated {spec.users} users {abs(spec.seed)}",
        source_type=SourceType.MICROSOFT_365,
        method=AuthMethod.OWN_APP,
        tenant=spec.tenant_id,
        client_id=spec.client_id,
        credential_kind=CredentialKind.SECRET,
        cloud=Cloud.GLOBAL,
        simulated_tenant=key,
        secrets=ConnectionSecrets(client_secret=spec.client_secret),
    )


def demo_drafts() -> list[ConnectionDraft]:
    """The two demo connections: Contoso and Fabrikam (the merger)."""
    return [
        size_draft("contoso", name="Contoso demo"),
        size_draft("fabrikam", name="Fabrikam demo"),
    ]


def demo_saas_org() -> SaasOrgSpec:
    """The demo Flexera organization (see `demo_saas`); built once per process."""
    return build_demo_saas_org(CONTOSO, FABRIKAM)


__all__ = [
    "CONTOSO",
    "DEMO_KNOBS",
    "DEMO_PROFILES",
    "DEMO_SAAS_ORG_ID",
    "DEMO_SAAS_REFRESH_TOKEN",
    "FABRIKAM",
    "demo_drafts",
    "demo_saas_org",
    "get_model",
    "get_simulator",
    "profile_spec",
    "reset_simulators",
    "size_draft",
]
