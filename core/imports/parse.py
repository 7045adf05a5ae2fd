"""Turning Graph JSON and report CSV rows into storage rows. Pure functions, hot path: users are
folded one at a time as their page arrives, so keep the per-user work small."""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable, Mapping
from operator import itemgetter
from typing import Any

from core.errors import MalformedResponseError
from core.storage.snapshots import ReportRow, UserRow, UserSkuRow

USER_FIELDS = (
    "id,displayName,userPrincipalName,mail,accountEnabled,userType,createdDateTime,"
    "assignedLicenses,licenseAssignmentStates"
)
SIGN_IN_FIELD = "signInActivity"
# Graph caps pages at 999 users, and at 500 when signInActivity is selected.
USERS_TOP = 999
USERS_TOP_WITH_SIGN_IN = 500

# Older sign-in data uses this sentinel for "never".
_NEVER = "0001-01-01T00:00:00Z"
_STATE_RANK = {"Active": 0, "Disabled": 1, "ActiveWithError": 2, "Error": 3}
_CONCEALED = re.compile(r"^[0-9A-F]{32}$")


def sku_row(item: Mapping[str, Any]) -> tuple[Any, ...]:
    try:
        units = item.get("prepaidUnits") or {}
        return (
            str(item["skuId"]).lower(),
            str(item.get("skuPartNumber") or item["skuId"]),
            item.get("appliesTo"),
            item.get("capabilityStatus"),
            int(units.get("enabled") or 0),
            int(units.get("warning") or 0),
            int(units.get("suspended") or 0),
            int(units.get("lockedOut") or 0),
            int(item.get("consumedUnits") or 0),
            json.dumps(item.get("servicePlans") or []),
        )
    except (KeyError, TypeError, ValueError) as exc:
        raise MalformedResponseError(
            f"Microsoft Graph sent a SKU without a usable {exc}.", url="/subscribedSkus"
        ) from exc


def subscription_row(item: Mapping[str, Any]) -> tuple[Any, ...]:
    return (
        str(item.get("id") or item.get("commerceSubscriptionId")),
        item.get("commerceSubscriptionId"),
        str(item.get("skuId") or "").lower() or None,
        item.get("skuPartNumber"),
        item.get("status"),
        int(item.get("totalLicenses") or 0),
        int(bool(item.get("isTrial"))),
        item.get("createdDateTime"),
        item.get("nextLifecycleDateTime"),
    )


def last_successful_sign_in(activity: Mapping[str, Any] | None) -> str | None:
    """The last successful sign-in; before Dec 2023 that field is empty, so fall back to the
    latest interactive or non-interactive sign-in. The 0001-01-01 sentinel means never."""
    if not activity:
        return None
    best = activity.get("lastSuccessfulSignInDateTime")
    if best and best != _NEVER:
        return str(best)
    candidates = [
        v
        for v in (
            activity.get("lastSignInDateTime"),
            activity.get("lastNonInteractiveSignInDateTime"),
        )
        if v and v != _NEVER
    ]
    return max(candidates) if candidates else None


def fold_user(user: Mapping[str, Any]) -> tuple[UserRow, list[UserSkuRow]]:
    """One Graph user -> its users row and one user_skus row per SKU it holds.

    `assignedLicenses` says which SKUs the user effectively holds (direct and group counted
    once); `licenseAssignmentStates` says by which paths. States for SKUs the user does not
    effectively hold (failed group assignments) are not consumption and are skipped.
    """
    uid = user["id"]
    upn = user.get("userPrincipalName") or ""
    user_row = (
        uid,
        upn,
        upn.lower(),
        user.get("displayName"),
        user.get("mail"),
        1 if user.get("accountEnabled", True) is not False else 0,
        user.get("userType"),
        user.get("createdDateTime"),
        last_successful_sign_in(user.get("signInActivity")),
    )
    assigned = user.get("assignedLicenses") or ()
    if not assigned:
        return user_row, []
    paths: dict[str, list[Any]] = {}
    for lic in assigned:
        # direct, groups, worst state, earliest change
        paths[str(lic["skuId"]).lower()] = [0, [], None, None]
    for st in user.get("licenseAssignmentStates") or ():
        entry = paths.get(str(st.get("skuId", "")).lower())
        if entry is None:
            continue
        group = st.get("assignedByGroup")
        if group:
            entry[1].append(group)
        else:
            entry[0] = 1
        state = st.get("state")
        if state and (entry[2] is None or _STATE_RANK.get(state, 0) > _STATE_RANK.get(entry[2], 0)):
            entry[2] = state
        changed = st.get("lastUpdatedDateTime")
        if changed and (entry[3] is None or changed < entry[3]):
            entry[3] = changed
    sku_rows = []
    for sku_id, (direct, groups, state, changed) in paths.items():
        if not direct and not groups:
            direct = 1  # no path information (e.g. from delta): the assignment is direct
        sku_rows.append((sku_id, uid, direct, ",".join(groups), len(groups), state, changed))
    return user_row, sku_rows


def fold_users(
    items: Iterable[Mapping[str, Any]], url: str
) -> tuple[list[UserRow], list[UserSkuRow]]:
    users: list[UserRow] = []
    skus: list[UserSkuRow] = []
    try:
        for item in items:
            user_row, sku_rows = fold_user(item)
            users.append(user_row)
            skus.extend(sku_rows)
    except (KeyError, TypeError, AttributeError) as exc:
        raise MalformedResponseError(
            f"Microsoft Graph sent a user without a usable {exc} field.", url=url
        ) from exc
    return users, skus


# Usage reports (Graph reference §4.6).

ACTIVE_USER_ACTIVITY_COLUMNS = (
    "Exchange Last Activity Date",
    "OneDrive Last Activity Date",
    "SharePoint Last Activity Date",
    "Skype For Business Last Activity Date",
    "Yammer Last Activity Date",
    "Teams Last Activity Date",
)
ACTIVE_USER_LICENSE_COLUMNS = (
    "Has Exchange License",
    "Has OneDrive License",
    "Has SharePoint License",
    "Has Skype For Business License",
    "Has Yammer License",
    "Has Teams License",
)


def is_concealed_upn(upn: str) -> bool:
    return "@" not in upn and bool(_CONCEALED.match(upn))


def _latest(row: Mapping[str, str], columns: Iterable[str]) -> str | None:
    dates = [row.get(c) or "" for c in columns]
    best = max(dates) if dates else ""
    return best or None


def _columns(indexes: list[int]) -> Callable[[list[str]], tuple[str, ...]]:
    """Pick these columns of a row as a tuple, in C (itemgetter) when there are several."""
    if len(indexes) > 1:
        return itemgetter(*indexes)
    return lambda row: tuple(row[i] for i in indexes)


def usage_folder(report: str, header: list[str]) -> Callable[[list[str]], ReportRow | None]:
    """A function folding one report row (a list in `header` order) into a report_usage row,
    or None for deleted users; `report` is "active", "apps" or "activations"."""
    col = {name: i for i, name in enumerate(header)}
    upn_i = col["User Principal Name"]
    deleted_i = col.get("Is Deleted")
    if report == "active":
        dates = _columns([col[c] for c in ACTIVE_USER_ACTIVITY_COLUMNS if c in col])
        flags = _columns([col[c] for c in ACTIVE_USER_LICENSE_COLUMNS if c in col])

        def fold(row: list[str]) -> ReportRow | None:
            upn = row[upn_i].strip()
            if not upn or (deleted_i is not None and row[deleted_i].lower() == "true"):
                return None
            last = max(dates(row), default="")  # ISO dates: the text maximum is the latest
            held = flags(row)
            has = "True" in held or "true" in held or "TRUE" in held
            return (upn.lower(), last or None, int(has), None)

        return fold
    date_i = col.get("Last Activity Date" if report == "apps" else "Last Activated Date")

    def fold_other(row: list[str]) -> ReportRow | None:
        upn = row[upn_i].strip()
        if not upn:
            return None
        value = (row[date_i] or None) if date_i is not None else None
        if report == "apps":
            return (upn.lower(), value, 0, None)
        return (upn.lower(), None, 0, value)

    return fold_other
