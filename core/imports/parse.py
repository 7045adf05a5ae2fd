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


# Counts of licenses beyond this are not real answers (and overflow SQLite past 2**63).
MAX_UNITS = 2**31 - 1


def unexpected_value(
    field: str, value: Any, owner: str, url: str, expected: str
) -> MalformedResponseError:
    """The error for a value Graph does not document: one sentence naming all of it."""
    from core.graph.faults import describe_url

    try:
        shown = json.dumps(value, ensure_ascii=False, default=repr)
    except ValueError:  # a circular structure cannot come from JSON, but never fail here
        shown = repr(value)
    if len(shown) > 80:
        shown = shown[:80] + "…"
    where = describe_url(url) if "://" in url else url
    return MalformedResponseError(
        f"Microsoft Graph sent {field} = {shown} for {owner} on {where}; expected {expected}.",
        url=url,
        detail=f"{field} = {shown} ({owner}) GET {url}",
    )


def count_value(value: Any, field: str, owner: str, url: str) -> int:
    """A license count as Graph documents it: a whole number from 0 up (absent means 0)."""
    if value is None:
        return 0
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if type(value) is int and 0 <= value <= MAX_UNITS:
        return value
    raise unexpected_value(field, value, owner, url, "a whole number of licenses")


def sku_row(item: Mapping[str, Any], url: str = "/subscribedSkus") -> tuple[Any, ...]:
    try:
        sku = str(item.get("skuPartNumber") or item["skuId"])
        units = item.get("prepaidUnits") or {}
        if not isinstance(units, Mapping):
            raise unexpected_value("prepaidUnits", units, f"SKU {sku}", url, "an object")
        owner = f"SKU {sku}"
        return (
            str(item["skuId"]).lower(),
            sku,
            item.get("appliesTo"),
            item.get("capabilityStatus"),
            count_value(units.get("enabled"), "prepaidUnits.enabled", owner, url),
            count_value(units.get("warning"), "prepaidUnits.warning", owner, url),
            count_value(units.get("suspended"), "prepaidUnits.suspended", owner, url),
            count_value(units.get("lockedOut"), "prepaidUnits.lockedOut", owner, url),
            count_value(item.get("consumedUnits"), "consumedUnits", owner, url),
            json.dumps(item.get("servicePlans") or []),
        )
    except KeyError as exc:
        raise MalformedResponseError(
            f"Microsoft Graph sent a SKU without {exc} on {url}.", url=url
        ) from exc


def subscription_row(
    item: Mapping[str, Any], url: str = "/directory/subscriptions"
) -> tuple[Any, ...]:
    owner = f"subscription {item.get('id') or item.get('commerceSubscriptionId')}"
    return (
        str(item.get("id") or item.get("commerceSubscriptionId")),
        item.get("commerceSubscriptionId"),
        str(item.get("skuId") or "").lower() or None,
        item.get("skuPartNumber"),
        item.get("status"),
        count_value(item.get("totalLicenses"), "totalLicenses", owner, url),
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
    _check_user(user)
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


_TEXT_FIELDS = ("displayName", "userPrincipalName", "mail", "userType", "createdDateTime")
_LIST_FIELDS = ("assignedLicenses", "licenseAssignmentStates")


class _BadField(Exception):
    """A user field of a type Graph does not document (turned into MalformedResponseError)."""

    def __init__(self, field: str, value: Any, expected: str) -> None:
        super().__init__(field)
        self.field, self.value, self.expected = field, value, expected


def _check_user(user: Mapping[str, Any]) -> None:
    """Type checks of the fields folded, so odd values fail with their name, not deep in SQL."""
    if type(user.get("id")) is not str or not user["id"]:
        raise _BadField("id", user.get("id"), "an object id (text)")
    for name in _TEXT_FIELDS:
        value = user.get(name)
        if value is not None and type(value) is not str:
            raise _BadField(name, value, "text")
    enabled = user.get("accountEnabled")
    if enabled is not None and type(enabled) is not bool:
        raise _BadField("accountEnabled", enabled, "true or false")
    activity = user.get("signInActivity")
    if activity is not None and not isinstance(activity, dict):
        raise _BadField("signInActivity", activity, "an object")
    for name in _LIST_FIELDS:
        value = user.get(name)
        if value is not None and not (
            isinstance(value, list) and all(isinstance(v, dict) for v in value)
        ):
            raise _BadField(name, value, "a list of objects")


def fold_users(
    items: Iterable[Mapping[str, Any]], url: str
) -> tuple[list[UserRow], list[UserSkuRow]]:
    users: list[UserRow] = []
    skus: list[UserSkuRow] = []
    item: Any = None
    try:
        for item in items:
            user_row, sku_rows = fold_user(item)
            users.append(user_row)
            skus.extend(sku_rows)
    except _BadField as bad:
        owner = f"user {item.get('id')}" if bad.field != "id" else "a user"
        raise unexpected_value(bad.field, bad.value, owner, url, bad.expected) from None
    except (KeyError, TypeError, AttributeError) as exc:
        owner = f"user {item.get('id')}" if isinstance(item, Mapping) else "a user"
        what = f"without {exc}" if isinstance(exc, KeyError) else "with a field of the wrong type"
        from core.graph.faults import describe_url

        raise MalformedResponseError(
            f"Microsoft Graph sent {owner} {what} on {describe_url(url)}.",
            url=url,
            detail=f"{type(exc).__name__} GET {url}",
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
