"""Static catalogue of the simulator: service plans, SKUs (real part numbers and skuIds of the
Graph reference §7), how each tenant flavour buys them and how its users hold them."""

from __future__ import annotations

from dataclasses import dataclass

# Workload flags, in the order of the active-user report's "Has … License" columns.
EXCHANGE, ONEDRIVE, SHAREPOINT, SKYPE, YAMMER, TEAMS = range(6)
WORKLOADS = ("Exchange", "OneDrive", "SharePoint", "Skype For Business", "Yammer", "Teams")


@dataclass(frozen=True)
class PlanDef:
    name: str
    plan_id: str
    workloads: tuple[int, ...] = ()
    activation: str | None = None  # product type in the activations report
    applies_to: str = "User"


_PLAN_LIST = (
    PlanDef("EXCHANGE_S_FOUNDATION", "113feb6c-3fe4-4440-bddc-54d774bf0318"),
    PlanDef("EXCHANGE_S_ENTERPRISE", "efb87545-963c-4e0d-99df-69c6916d9eb0", (EXCHANGE,)),
    PlanDef("EXCHANGE_S_STANDARD", "9aaf7827-d63c-4b61-89c3-182f06f82e5c", (EXCHANGE,)),
    PlanDef("SHAREPOINTENTERPRISE", "5dbe027f-2339-4123-9542-606e4d348a72", (ONEDRIVE, SHAREPOINT)),
    PlanDef("SHAREPOINTSTANDARD", "c7699d2e-19aa-44de-8edf-1736da088ca1", (ONEDRIVE, SHAREPOINT)),
    PlanDef("MCOSTANDARD", "0feaeb32-d00e-4d66-bd5a-43b5b83db82c", (SKYPE,)),
    PlanDef("YAMMER_ENTERPRISE", "7547a3fe-08ee-4ccb-b430-5077c5041653", (YAMMER,)),
    PlanDef("TEAMS1", "57ff2da0-773e-42df-b2af-ffb7a2317929", (TEAMS,)),
    PlanDef("SWAY", "a23b959c-7ce8-4e57-9140-b90eb88a9e97"),
    PlanDef(
        "OFFICESUBSCRIPTION",
        "43de0ff5-c92c-492b-9116-175376d08c38",
        activation="MICROSOFT 365 APPS FOR ENTERPRISE",
    ),
    PlanDef("INTUNE_A", "c1ec4a95-1f05-45b3-a911-aa3fa01094f5"),
    PlanDef("AAD_PREMIUM", "41781fb2-bc02-4b7c-bd55-b576c07bb09d"),
    PlanDef("AAD_PREMIUM_P2", "eec0eb4f-6444-4f95-aba0-50c24d67f998"),
    PlanDef("MFA_PREMIUM", "8a256a2b-b617-496d-b51b-e76466e88db0"),
    PlanDef("RMS_S_ENTERPRISE", "bea4c11e-220a-4e6d-8eb8-8ea15d019f90"),
    PlanDef("RMS_S_PREMIUM", "6c57d4b6-3b23-47a5-9bc9-69f17b4947b3"),
    PlanDef("ADALLOM_S_DISCOVERY", "932ad362-64a8-4783-9106-97849a1a30b9"),
    PlanDef("MCOMEETADV", "3e26ee1f-8a5f-4d52-aee2-b81ce45c8f40"),
    PlanDef("BI_AZURE_P0", "2049e525-b859-401b-b2a0-e0a31c4b1fe4"),
    PlanDef("BI_AZURE_P2", "70d33638-9c74-4d01-bfd3-562de28bd4ba"),
    PlanDef("FLOW_P2_VIRAL", "50e68c76-46c6-4674-81f9-75456511b170"),
    PlanDef(
        "VISIO_CLIENT_SUBSCRIPTION",
        "663a804f-1c30-4ff0-9915-9db84f0d1cea",
        activation="VISIO ONLINE PLAN 2",
    ),
    PlanDef(
        "PROJECT_CLIENT_SUBSCRIPTION",
        "fafd7243-e5c1-4a3a-9e40-495efcb1d3c3",
        activation="PROJECT ONLINE DESKTOP CLIENT",
    ),
    PlanDef("M365_COPILOT_APPS", "a62f8878-de10-42f3-b68f-6149a25ceb97"),
    PlanDef("M365_COPILOT_BUSINESS_CHAT", "3f30311c-6b1e-48a4-ab79-725b469da960"),
    PlanDef("M365_COPILOT_TEAMS", "b95945de-b3bd-46db-8437-f2beb6ea2347"),
    PlanDef("MCOPSTNC", "505e180f-f7e0-4b65-91d4-00d670bbd18c", applies_to="Company"),
)
PLANS: dict[str, PlanDef] = {p.name: p for p in _PLAN_LIST}

_O365_CORE = (
    "EXCHANGE_S_ENTERPRISE",
    "SHAREPOINTENTERPRISE",
    "MCOSTANDARD",
    "YAMMER_ENTERPRISE",
    "TEAMS1",
    "SWAY",
    "OFFICESUBSCRIPTION",
    "EXCHANGE_S_FOUNDATION",
)
_EMS_CORE = ("AAD_PREMIUM", "INTUNE_A", "MFA_PREMIUM", "RMS_S_PREMIUM", "RMS_S_ENTERPRISE")


@dataclass(frozen=True)
class SkuDef:
    part: str
    sku_id: str
    product: str  # display name (Graph reference §7)
    report_name: str  # upper-case name used in the reports' Assigned Products
    plans: tuple[str, ...]
    applies_to: str = "User"


_SKU_LIST = (
    SkuDef(
        "SPE_E3",
        "05e9a617-0261-4cee-bb44-138d3ef5d965",
        "Microsoft 365 E3",
        "MICROSOFT 365 E3",
        _O365_CORE + _EMS_CORE,
    ),
    SkuDef(
        "SPE_E5",
        "06ebc4ee-1bb5-47dd-8120-11324bc54e06",
        "Microsoft 365 E5",
        "MICROSOFT 365 E5",
        _O365_CORE + _EMS_CORE + ("AAD_PREMIUM_P2", "BI_AZURE_P2", "MCOMEETADV"),
    ),
    SkuDef(
        "ENTERPRISEPACK",
        "6fd2c87f-b296-42f0-b197-1e91e994b900",
        "Office 365 E3",
        "OFFICE 365 E3",
        _O365_CORE,
    ),
    SkuDef(
        "STANDARDPACK",
        "18181a46-0d4e-45cd-891e-60aabd171b4e",
        "Office 365 E1",
        "OFFICE 365 E1",
        (
            "EXCHANGE_S_STANDARD",
            "SHAREPOINTSTANDARD",
            "MCOSTANDARD",
            "YAMMER_ENTERPRISE",
            "TEAMS1",
            "EXCHANGE_S_FOUNDATION",
        ),
    ),
    SkuDef(
        "EMS",
        "efccb6f7-5641-4e0e-bd10-b4976e1bf68e",
        "Enterprise Mobility + Security E3",
        "ENTERPRISE MOBILITY + SECURITY E3",
        _EMS_CORE + ("ADALLOM_S_DISCOVERY", "EXCHANGE_S_FOUNDATION"),
    ),
    SkuDef(
        "POWER_BI_PRO",
        "f8a1db68-be16-40ed-86d5-cb42ce701560",
        "Power BI Pro",
        "POWER BI PRO",
        ("BI_AZURE_P2", "EXCHANGE_S_FOUNDATION"),
    ),
    SkuDef(
        "Microsoft_365_Copilot",
        "639dec6b-bb19-468b-871c-c5c441c4b0cb",
        "Microsoft 365 Copilot",
        "MICROSOFT 365 COPILOT",
        ("M365_COPILOT_APPS", "M365_COPILOT_BUSINESS_CHAT", "M365_COPILOT_TEAMS"),
    ),
    SkuDef(
        "VISIOCLIENT",
        "c5928f49-12ba-48f7-ada3-0d743a3601d5",
        "Visio Plan 2",
        "VISIO PLAN 2",
        ("VISIO_CLIENT_SUBSCRIPTION", "EXCHANGE_S_FOUNDATION"),
    ),
    SkuDef(
        "PROJECTPROFESSIONAL",
        "53818b1b-4a27-454b-8896-0dba576410e6",
        "Planner and Project Plan 3",
        "PROJECT PLAN 3",
        ("PROJECT_CLIENT_SUBSCRIPTION", "EXCHANGE_S_FOUNDATION"),
    ),
    SkuDef(
        "PROJECTPREMIUM",
        "09015f9f-377f-4538-bbb5-f75ceb09358a",
        "Project Online Premium",
        "PROJECT ONLINE PREMIUM",
        ("PROJECT_CLIENT_SUBSCRIPTION", "EXCHANGE_S_FOUNDATION"),
    ),
    SkuDef(
        "Microsoft_Teams_Premium",
        "36a0f3b3-adb5-49ea-bf66-762134cf063a",
        "Microsoft Teams Premium Introductory Pricing",
        "MICROSOFT TEAMS PREMIUM INTRODUCTORY PRICING",
        ("EXCHANGE_S_FOUNDATION",),
    ),
    SkuDef(
        "FLOW_FREE",
        "f30db892-07e9-47e9-837c-80727f46fd3d",
        "Microsoft Power Automate Free",
        "MICROSOFT POWER AUTOMATE FREE",
        ("FLOW_P2_VIRAL", "EXCHANGE_S_FOUNDATION"),
    ),
    SkuDef(
        "POWER_BI_STANDARD",
        "a403ebcc-fae0-4ca2-8c8c-7a907fd6c235",
        "Microsoft Fabric (Free)",
        "MICROSOFT FABRIC (FREE)",
        ("BI_AZURE_P0", "EXCHANGE_S_FOUNDATION"),
    ),
    SkuDef(
        "TEAMS_EXPLORATORY",
        "710779e8-3d4a-4c88-adb9-386c958d1fdf",
        "Microsoft Teams Exploratory",
        "MICROSOFT TEAMS EXPLORATORY",
        ("TEAMS1", "EXCHANGE_S_FOUNDATION"),
    ),
    SkuDef(
        "MCOPSTNC",
        "47794cd0-f0e5-45c5-9033-2eb6b5fc84e0",
        "Communications Credits",
        "COMMUNICATIONS CREDITS",
        ("MCOPSTNC",),
        applies_to="Company",
    ),
)
SKUS: dict[str, SkuDef] = {s.part: s for s in _SKU_LIST}


@dataclass(frozen=True)
class SubDef:
    """One commercial subscription of a SKU. Units are `share` × distinct assignees of the SKU
    in the base tenant (rounded up), at least `floor`; free SKUs use `floor` alone."""

    status: str  # Enabled, Warning, Suspended, LockedOut
    share: float = 0.0
    floor: int = 0
    trial: bool = False
    lifecycle_days: int = 365  # next lifecycle event, days after the simulated now


@dataclass(frozen=True)
class SkuLayout:
    part: str
    subs: tuple[SubDef, ...]


# A path is a SKU part number and how it is assigned: "direct", a group key, or "error:<group>"
# (a group assignment that failed with CountViolation and grants nothing).
Path = tuple[str, str]


@dataclass(frozen=True)
class ProfileDef:
    weight: int
    paths: tuple[Path, ...]
    disabled_plans: tuple[str, ...] = ()  # plan names disabled on the direct paths


_FREE_UNITS = 10000

M365_LAYOUT = (
    SkuLayout(
        "SPE_E3",
        (SubDef("Enabled", 0.70, lifecycle_days=123), SubDef("Enabled", 0.42, lifecycle_days=301)),
    ),
    SkuLayout("SPE_E5", (SubDef("Enabled", 0.95, lifecycle_days=210),)),  # over-assigned
    SkuLayout(
        "ENTERPRISEPACK",
        (
            SubDef("Enabled", 1.0, 1, lifecycle_days=88),
            SubDef("Warning", 0.15, 1, lifecycle_days=21),
        ),
    ),
    SkuLayout("EMS", (SubDef("Enabled", 1.05, 1), SubDef("LockedOut", 0.0, 25, lifecycle_days=9))),
    SkuLayout(
        "POWER_BI_PRO",
        (SubDef("Enabled", 1.3, 1), SubDef("Suspended", 0.2, 5, lifecycle_days=40)),
    ),
    SkuLayout("Microsoft_365_Copilot", (SubDef("Enabled", 1.25, 1, lifecycle_days=160),)),
    SkuLayout("VISIOCLIENT", (SubDef("Warning", 1.1, 1, lifecycle_days=12),)),
    SkuLayout("PROJECTPROFESSIONAL", (SubDef("Enabled", 2.0, 5, lifecycle_days=77),)),
    SkuLayout("PROJECTPREMIUM", (SubDef("Suspended", 1.0, 1, lifecycle_days=55),)),
    SkuLayout("Microsoft_Teams_Premium", (SubDef("Enabled", 1.0, 25, True, lifecycle_days=19),)),
    SkuLayout("FLOW_FREE", (SubDef("Enabled", 0.0, _FREE_UNITS, lifecycle_days=3650),)),
    SkuLayout("POWER_BI_STANDARD", (SubDef("Enabled", 0.0, 1000000, lifecycle_days=3650),)),
    SkuLayout("TEAMS_EXPLORATORY", (SubDef("Enabled", 0.0, _FREE_UNITS, lifecycle_days=3650),)),
    SkuLayout("MCOPSTNC", (SubDef("Enabled", 0.0, 10000000, lifecycle_days=3650),)),
)

O365_LAYOUT = (
    SkuLayout(
        "ENTERPRISEPACK",
        (
            SubDef("Enabled", 1.08, 1, lifecycle_days=140),
            SubDef("Warning", 0.1, 1, lifecycle_days=17),
        ),
    ),
    SkuLayout("STANDARDPACK", (SubDef("Enabled", 1.2, 1, lifecycle_days=140),)),
    SkuLayout("POWER_BI_PRO", (SubDef("Enabled", 0.9, lifecycle_days=95),)),  # over-assigned
    SkuLayout("VISIOCLIENT", (SubDef("Enabled", 1.5, 2, lifecycle_days=140),)),
    SkuLayout(
        "PROJECTPROFESSIONAL",
        (
            SubDef("Enabled", 1.0, 1, lifecycle_days=140),
            SubDef("Suspended", 0.3, 2, lifecycle_days=33),
        ),
    ),
    SkuLayout("Microsoft_Teams_Premium", (SubDef("Enabled", 1.0, 10, True, lifecycle_days=25),)),
    SkuLayout("FLOW_FREE", (SubDef("Enabled", 0.0, _FREE_UNITS, lifecycle_days=3650),)),
    SkuLayout("POWER_BI_STANDARD", (SubDef("Enabled", 0.0, 1000000, lifecycle_days=3650),)),
    SkuLayout("TEAMS_EXPLORATORY", (SubDef("Enabled", 0.0, _FREE_UNITS, lifecycle_days=3650),)),
    SkuLayout("MCOPSTNC", (SubDef("Enabled", 0.0, 10000000, lifecycle_days=3650),)),
)

# Group key -> display name; group ids are derived per tenant.
GROUPS = {
    "e3": "LIC-M365-E3-Users",
    "e5": "LIC-M365-E5-Users",
    "ems": "LIC-EMS-E3-Users",
    "o365": "LIC-O365-E3-Users",
    "pbi": "LIC-PowerBI-Pro",
}

_D = "direct"
M365_MEMBER_PROFILES = (
    ProfileDef(700, ()),
    ProfileDef(2300, (("SPE_E3", _D),)),
    ProfileDef(2000, (("SPE_E3", "e3"),)),
    ProfileDef(300, (("SPE_E3", _D), ("SPE_E3", "e3"))),
    ProfileDef(
        800,
        (("SPE_E3", _D), ("POWER_BI_STANDARD", _D), ("FLOW_FREE", _D)),
        disabled_plans=("YAMMER_ENTERPRISE",),
    ),
    ProfileDef(500, (("SPE_E5", _D),)),
    ProfileDef(600, (("SPE_E5", "e5"),)),
    ProfileDef(250, (("SPE_E3", "e3"), ("SPE_E5", _D))),
    ProfileDef(100, (("SPE_E3", "e3"), ("SPE_E5", "e5"))),
    ProfileDef(250, (("SPE_E5", _D), ("Microsoft_365_Copilot", _D))),
    ProfileDef(600, (("SPE_E3", "e3"), ("EMS", "ems"), ("POWER_BI_PRO", _D))),
    ProfileDef(300, (("SPE_E3", _D), ("VISIOCLIENT", _D))),
    ProfileDef(200, (("SPE_E3", "e3"), ("PROJECTPROFESSIONAL", _D))),
    ProfileDef(60, (("SPE_E3", "e3"), ("PROJECTPREMIUM", _D))),
    ProfileDef(600, (("ENTERPRISEPACK", _D), ("EMS", _D))),
    ProfileDef(
        200, (("ENTERPRISEPACK", "o365"), ("POWER_BI_PRO", "pbi"), ("TEAMS_EXPLORATORY", _D))
    ),
    ProfileDef(40, (("SPE_E3", "e3"), ("Microsoft_Teams_Premium", _D))),
    ProfileDef(200, (("FLOW_FREE", _D), ("POWER_BI_STANDARD", _D))),
    ProfileDef(150, (("TEAMS_EXPLORATORY", _D),)),
    ProfileDef(50, (("SPE_E5", "error:e5"),)),
    ProfileDef(100, (("EMS", _D),)),
)

O365_MEMBER_PROFILES = (
    ProfileDef(600, ()),
    ProfileDef(3000, (("ENTERPRISEPACK", _D),)),
    ProfileDef(1800, (("ENTERPRISEPACK", "o365"),)),
    ProfileDef(300, (("ENTERPRISEPACK", _D), ("ENTERPRISEPACK", "o365"))),
    ProfileDef(1700, (("STANDARDPACK", _D),)),
    ProfileDef(300, (("STANDARDPACK", _D), ("ENTERPRISEPACK", "o365"))),
    ProfileDef(900, (("ENTERPRISEPACK", "o365"), ("POWER_BI_PRO", "pbi"))),
    ProfileDef(400, (("ENTERPRISEPACK", _D), ("VISIOCLIENT", _D))),
    ProfileDef(300, (("ENTERPRISEPACK", _D), ("PROJECTPROFESSIONAL", _D))),
    ProfileDef(60, (("ENTERPRISEPACK", _D), ("Microsoft_Teams_Premium", _D))),
    ProfileDef(
        400,
        (("STANDARDPACK", _D), ("FLOW_FREE", _D), ("POWER_BI_STANDARD", _D)),
        disabled_plans=("YAMMER_ENTERPRISE",),
    ),
    ProfileDef(200, (("TEAMS_EXPLORATORY", _D),)),
    ProfileDef(40, (("POWER_BI_PRO", "error:pbi"),)),
)

GUEST_PROFILES = (
    ProfileDef(850, ()),
    ProfileDef(60, (("TEAMS_EXPLORATORY", _D),)),
    ProfileDef(50, (("POWER_BI_PRO", _D),)),
    ProfileDef(40, (("FLOW_FREE", _D),)),
)

O365_GUEST_PROFILES = (
    ProfileDef(880, ()),
    ProfileDef(70, (("POWER_BI_PRO", _D),)),
    ProfileDef(50, (("STANDARDPACK", _D),)),
)

MIXES = {
    "m365": (M365_LAYOUT, M365_MEMBER_PROFILES, GUEST_PROFILES),
    "o365": (O365_LAYOUT, O365_MEMBER_PROFILES, O365_GUEST_PROFILES),
}
