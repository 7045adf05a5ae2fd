"""Directory roles of the simulated administrator: delegated tokens carry their template ids
(`wids`), and Graph grants some data to a signed-in account only with one of them."""

from __future__ import annotations

# Role template ids (Microsoft Entra built-in roles).
ROLE_IDS = {
    "Global Administrator": "62e90394-69f5-4237-9190-012177145e10",
    "Global Reader": "f2ef992c-3afb-46b9-b7cf-a126ee74c451",
    "Reports Reader": "4a5d8f65-41da-4de4-8968-e035b65339cf",
    "Security Reader": "5d6b6bb7-de71-4623-b4af-96380a352509",
    "Security Administrator": "194ae4cb-b126-40b2-bd5b-6091b380977d",
    "Directory Readers": "88d8e3e3-8f55-4a1e-953a-9b9898b8876b",
    "User Administrator": "fe930be7-5e62-47db-91af-98c3a49a38b1",
    "Exchange Administrator": "29232cdf-9323-42fd-ade2-1d097af3e4de",
}
ROLE_NAMES = {v: k for k, v in ROLE_IDS.items()}

# Who may read what with a delegated token (Graph docs: report authorization, signIn, and
# companySubscription pages). Global Reader sees report totals only, not per-user reports.
REPORT_ROLES = frozenset({"Global Administrator", "Reports Reader", "Exchange Administrator"})
SIGN_IN_ROLES = frozenset(
    {
        "Global Administrator",
        "Global Reader",
        "Reports Reader",
        "Security Reader",
        "Security Administrator",
    }
)
SUBSCRIPTION_ROLES = frozenset({"Global Administrator", "Global Reader", "Directory Readers"})


def role_ids(names: frozenset[str]) -> list[str]:
    return sorted(ROLE_IDS[n] for n in names if n in ROLE_IDS)


def role_names(ids: object) -> frozenset[str]:
    if not isinstance(ids, list):
        return frozenset()
    return frozenset(ROLE_NAMES[i] for i in ids if i in ROLE_NAMES)


def needed_roles(path: str, select: str) -> frozenset[str] | None:
    """The roles one of which a signed-in account needs for this Graph path, or None."""
    if path.startswith("reports/"):
        return REPORT_ROLES
    if path == "directory/subscriptions":
        return SUBSCRIPTION_ROLES
    if path == "users" and "signinactivity" in select.lower():
        return SIGN_IN_ROLES
    return None
