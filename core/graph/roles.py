"""403s with a delegated token (multi-tenant app, or the deprecated connector's password
sign-in): Microsoft Graph grants usage reports, subscriptions and sign-in activity to a
signed-in account only when it also holds a directory role, so there a 403 usually means a
missing role, not missing consent. App-only tokens (own app) keep the permission message."""

from __future__ import annotations

from core.domain.connection import AuthMethod
from core.errors import PermissionMissingError

DELEGATED_METHODS = frozenset({AuthMethod.MULTI_TENANT, AuthMethod.PASSWORD})

# (what was refused, the least privileged role that reads it, a note on others)
REPORTS_ROLE = (
    "the usage reports",
    "Reports Reader",
    " (Global Reader sees tenant totals only, not the per-user reports)",
)
SUBSCRIPTIONS_ROLE = ("the subscriptions", "Global Reader", "")
SIGN_IN_ROLE = ("the sign-in activity", "Reports Reader", " (or Security Reader)")


def role_for(exc: PermissionMissingError) -> tuple[str, str, str] | None:
    """The directory role a delegated caller needs for what `exc` refused, if one applies."""
    if exc.permission == "Reports.Read.All":
        return REPORTS_ROLE
    if exc.permission == "AuditLog.Read.All":
        return SIGN_IN_ROLE
    if exc.permission == "Organization.Read.All" and "/directory/subscriptions" in exc.url:
        return SUBSCRIPTIONS_ROLE
    return None


def forbidden_message(exc: PermissionMissingError, method: AuthMethod) -> str:
    """What to do about a 403: name the role for delegated sign-ins, else the permission."""
    role = role_for(exc) if method in DELEGATED_METHODS else None
    if role is None:
        return exc.message
    what, name, note = role
    return (
        f"Microsoft Graph refused {what} to the signed-in account. With a signed-in account "
        f"this usually means it lacks a directory role, not consent: assign it the {name} "
        f"role{note} in the Microsoft Entra admin center, then try again."
    )
