"""Demo tenants (spec §11) and a process-wide registry of simulators.

`get_simulator(profile)` returns one cached `Simulator` per profile, so mutations and the
simulated clock persist for the life of the process. Profiles: "contoso", "fabrikam" (the
merger: concealed report names, no premium licence), "demo" (both), and "size:<users>:<seed>"
for any size. Every simulator also serves the demo Flexera SaaS Management organization.
"""

from __future__ import annotations

import functools
import re
import threading
from collections.abc import Iterable
from datetime import timedelta

from core.domain import (
    AuthMethod,
    Cloud,
    ConnectionDraft,
    ConnectionSecrets,
    CredentialKind,
    SourceType,
)

from .adapter import Knobs, Simulator
from .model import TenantModel, TenantSpec
from .saas import SaasApp, SaasAppUser, SaasLicense, SaasOrgSpec, SaasTerm
from .synth import BASE_NOW, guid, iso, key_of, mix, stamp
from .users import C_CREATED, C_ENABLED, C_GUEST, C_H2, C_PROFILE

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
DEMO_SAAS_ORG_ID = "41071"
DEMO_SAAS_REFRESH_TOKEN = "demo-flexera-refresh-token-0f3c9a7e5b1d"  # noqa: S105 (simulated)
# The demo polls the device-code endpoint faster than the real 5 s.
DEMO_KNOBS = Knobs(device_code_interval_s=2)

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


def _holders(model: TenantModel, parts: Iterable[str]) -> list[int]:
    """Indexes of base (unmutated) members holding any of `parts`."""
    wanted = {n for n, s in enumerate(model.sku_defs) if s.part in set(parts)}
    profiles = model.factory.profiles
    out = []
    for i in range(model.spec.users):
        core = model.factory.core(i)
        if not core[C_GUEST] and wanted & set(profiles[core[C_PROFILE]].effective):
            out.append(i)
    return out


def _members(model: TenantModel, indexes: Iterable[int]) -> list[int]:
    return [i for i in indexes if not model.factory.core(i)[C_GUEST]]


def _app_users(model: TenantModel, indexes: list[int]) -> list[SaasAppUser]:
    out = []
    for i in indexes:
        core = model.factory.core(i)
        first, last, _, upn, _ = model.factory.names(i, False)
        gone = not core[C_ENABLED] or (core[C_H2] >> 52) % 33 == 0  # disabled, or ~3 % more
        out.append(
            SaasAppUser(
                first_name=first,
                last_name=last,
                email=upn,
                unique_id=model.factory.user_id(i, core[C_H2]),
                activated_at=stamp(core[C_CREATED], 32400),
                deactivated_at=stamp(5 + (core[C_H2] >> 40) % 200, 50400) if gone else None,
            )
        )
    return out


def _term(tag: str, units: int, monthly: float, ends_in_days: int) -> SaasTerm:
    return SaasTerm(
        id=f"term-{tag}",
        term_type="Subscription",
        total_active=units,
        ends_at=iso(BASE_NOW + timedelta(days=ends_in_days)),
        annual_cost=round(units * monthly * 12, 2),
    )


@functools.cache
def demo_saas_org() -> SaasOrgSpec:
    """The demo Flexera organization: Microsoft 365 apps mirroring the demo tenants' main paid
    SKUs (one term already ended), app users matching tenant users, and Slack (not Microsoft)."""
    contoso, fabrikam = TenantModel(CONTOSO), TenantModel(FABRIKAM)
    c, f = contoso.truth(), fabrikam.truth()
    suites = ("SPE_E3", "SPE_E5", "ENTERPRISEPACK")
    m365 = SaasApp(
        id="1001",
        app_id="microsoft-365",
        name="Microsoft 365",
        vendor_name="Microsoft",
        description="Microsoft 365 and Office 365 suites",
        point_of_contact="it-licensing@contoso.com",
        licenses=(
            SaasLicense(
                "lic-m365-e3",
                "Microsoft 365 E3",
                (
                    _term("m365-e3-2026", c.sku("SPE_E3").enabled, 36.0, 214),
                    _term("m365-e3-2025", 200, 32.0, -333),
                ),
            ),
            SaasLicense(
                "lic-m365-e5",
                "Microsoft 365 E5",
                (_term("m365-e5", c.sku("SPE_E5").enabled, 57.0, 214),),
            ),
            SaasLicense(
                "lic-o365-e3",
                "Office 365 E3",
                (
                    _term("o365-e3-contoso", c.sku("ENTERPRISEPACK").enabled, 23.0, 88),
                    _term("o365-e3-fabrikam", f.sku("ENTERPRISEPACK").enabled, 23.0, 140),
                ),
            ),
        ),
        users=tuple(
            _app_users(contoso, _holders(contoso, suites))
            + _app_users(fabrikam, _holders(fabrikam, suites))
        ),
    )
    power_bi = SaasApp(
        id="1002",
        app_id="power-bi",
        name="Power BI",
        vendor_name="Microsoft",
        description="Power BI Pro",
        licenses=(
            SaasLicense(
                "lic-pbi-pro",
                "Power BI Pro",
                (
                    _term("pbi-contoso", c.sku("POWER_BI_PRO").enabled, 10.0, 160),
                    _term("pbi-fabrikam", f.sku("POWER_BI_PRO").enabled, 10.0, 95),
                ),
            ),
        ),
        users=tuple(
            _app_users(contoso, _holders(contoso, ["POWER_BI_PRO"]))
            + _app_users(fabrikam, _holders(fabrikam, ["POWER_BI_PRO"]))
        ),
    )
    slack = SaasApp(
        id="2001",
        app_id="slack",
        name="Slack",
        vendor_name="Slack Technologies",
        description="Team chat (not a Microsoft product)",
        licenses=(SaasLicense("lic-slack", "Business+", (_term("slack", 250, 12.5, 45),)),),
        users=tuple(_app_users(contoso, _members(contoso, range(0, 1500, 6)))),
    )
    return SaasOrgSpec(DEMO_SAAS_ORG_ID, DEMO_SAAS_REFRESH_TOKEN, "nam", (m365, power_bi, slack))
