"""The demo Flexera SaaS Management organization, built from the demo tenants: Microsoft 365
apps whose licenses mirror the tenants' main paid SKUs (one term already ended), app users
whose emails are tenant users (some deactivated), and Slack, which the connector must ignore."""

from __future__ import annotations

import functools
from collections.abc import Iterable
from datetime import timedelta

from .model import TenantModel, TenantSpec
from .saas import SaasApp, SaasAppUser, SaasLicense, SaasOrgSpec, SaasTerm
from .synth import BASE_NOW, iso, stamp
from .truth import Truth
from .users import C_CREATED, C_ENABLED, C_GUEST, C_H2, C_PROFILE

DEMO_SAAS_ORG_ID = "41071"
DEMO_SAAS_REFRESH_TOKEN = "demo-flexera-refresh-token-0f3c9a7e5b1d"  # noqa: S105 (simulated)
_SUITES = ("SPE_E3", "SPE_E5", "ENTERPRISEPACK")


def _holders(model: TenantModel, parts: Iterable[str]) -> list[int]:
    """Indexes of base (unmutated) members holding any of `parts`."""
    names = set(parts)
    wanted = {n for n, s in enumerate(model.sku_defs) if s.part in names}
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


def _microsoft_365(contoso: TenantModel, fabrikam: TenantModel, c: Truth, f: Truth) -> SaasApp:
    e3 = SaasLicense(
        "lic-m365-e3",
        "Microsoft 365 E3",
        (
            _term("m365-e3-2026", c.sku("SPE_E3").enabled, 36.0, 214),
            _term("m365-e3-2025", 200, 32.0, -333),  # ended
        ),
    )
    e5 = SaasLicense(
        "lic-m365-e5", "Microsoft 365 E5", (_term("m365-e5", c.sku("SPE_E5").enabled, 57.0, 214),)
    )
    o365 = SaasLicense(
        "lic-o365-e3",
        "Office 365 E3",
        (
            _term("o365-e3-contoso", c.sku("ENTERPRISEPACK").enabled, 23.0, 88),
            _term("o365-e3-fabrikam", f.sku("ENTERPRISEPACK").enabled, 23.0, 140),
        ),
    )
    users = _app_users(contoso, _holders(contoso, _SUITES))
    users += _app_users(fabrikam, _holders(fabrikam, _SUITES))
    return SaasApp(
        id="1001",
        app_id="microsoft-365",
        name="Microsoft 365",
        vendor_name="Microsoft",
        description="Microsoft 365 and Office 365 suites",
        point_of_contact="it-licensing@contoso.com",
        licenses=(e3, e5, o365),
        users=tuple(users),
    )


def _power_bi(contoso: TenantModel, fabrikam: TenantModel, c: Truth, f: Truth) -> SaasApp:
    pro = SaasLicense(
        "lic-pbi-pro",
        "Power BI Pro",
        (
            _term("pbi-contoso", c.sku("POWER_BI_PRO").enabled, 10.0, 160),
            _term("pbi-fabrikam", f.sku("POWER_BI_PRO").enabled, 10.0, 95),
        ),
    )
    users = _app_users(contoso, _holders(contoso, ["POWER_BI_PRO"]))
    users += _app_users(fabrikam, _holders(fabrikam, ["POWER_BI_PRO"]))
    return SaasApp(
        id="1002",
        app_id="power-bi",
        name="Power BI",
        vendor_name="Microsoft",
        description="Power BI Pro",
        licenses=(pro,),
        users=tuple(users),
    )


def _slack(contoso: TenantModel) -> SaasApp:
    return SaasApp(
        id="2001",
        app_id="slack",
        name="Slack",
        vendor_name="Slack Technologies",
        description="Team chat (not a Microsoft product)",
        licenses=(SaasLicense("lic-slack", "Business+", (_term("slack", 250, 12.5, 45),)),),
        users=tuple(_app_users(contoso, _members(contoso, range(0, 1500, 6)))),
    )


@functools.cache
def build_demo_saas_org(contoso_spec: TenantSpec, fabrikam_spec: TenantSpec) -> SaasOrgSpec:
    """Build (once) the organization from fresh, unmutated models of the two tenants."""
    contoso, fabrikam = TenantModel(contoso_spec), TenantModel(fabrikam_spec)
    c, f = contoso.truth(), fabrikam.truth()
    apps = (_microsoft_365(contoso, fabrikam, c, f), _power_bi(contoso, fabrikam, c, f))
    return SaasOrgSpec(DEMO_SAAS_ORG_ID, DEMO_SAAS_REFRESH_TOKEN, "nam", (*apps, _slack(contoso)))


@functools.cache
def build_tenant_saas_org(spec: TenantSpec) -> SaasOrgSpec:
    """An organization for one simulated tenant (the benchmarks at any size): Microsoft 365
    and Power BI apps whose licenses mirror its suites and whose app users are their holders."""
    model = TenantModel(spec)
    truth = model.truth()
    suites = SaasLicense(
        "lic-m365-e3",
        "Microsoft 365 E3",
        (_term("m365-e3", truth.sku("SPE_E3").enabled, 36.0, 214),),
    )
    e5 = SaasLicense(
        "lic-m365-e5",
        "Microsoft 365 E5",
        (_term("m365-e5", truth.sku("SPE_E5").enabled, 57.0, 214),),
    )
    o365 = SaasLicense(
        "lic-o365-e3",
        "Office 365 E3",
        (_term("o365-e3", truth.sku("ENTERPRISEPACK").enabled, 23.0, 88),),
    )
    microsoft = SaasApp(
        id="1001",
        app_id="microsoft-365",
        name="Microsoft 365",
        vendor_name="Microsoft",
        description="Microsoft 365 and Office 365 suites",
        licenses=(suites, e5, o365),
        users=tuple(_app_users(model, _holders(model, _SUITES))),
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
                (_term("pbi", truth.sku("POWER_BI_PRO").enabled, 10.0, 160),),
            ),
        ),
        users=tuple(_app_users(model, _holders(model, ["POWER_BI_PRO"]))),
    )
    return SaasOrgSpec(DEMO_SAAS_ORG_ID, DEMO_SAAS_REFRESH_TOKEN, "nam", (microsoft, power_bi))
