"""Tenant simulator: model consistency, Graph paging and $select, reports, delta."""

from __future__ import annotations

import csv
import io
import re
from collections import Counter
from typing import Any

import pytest
import requests

from core.simulator import ALL_PERMISSIONS, Simulator, TenantSpec, simulator_session
from core.simulator.reports import ACTIVATION_COLUMNS, ACTIVE_USER_COLUMNS, APP_USER_COLUMNS
from core.simulator.tokens import make_jwt

GRAPH = "https://graph.microsoft.com/v1.0"
USER_SELECT = (
    "id,displayName,userPrincipalName,accountEnabled,userType,createdDateTime,"
    "assignedLicenses,licenseAssignmentStates,signInActivity"
)


def spec(users: int = 300, seed: int = 1, **overrides: Any) -> TenantSpec:
    base: dict[str, Any] = {
        "name": "Contoso",
        "domain": "contoso.onmicrosoft.com",
        "tenant_id": "7a3c1f0e-2b4d-4e6f-8a9b-0c1d2e3f4a5b",
        "users": users,
        "seed": seed,
        "client_id": "11111111-2222-3333-4444-555555555555",
        "client_secret": "s3cret-value",
    }
    base.update(overrides)
    return TenantSpec(**base)


def app_token(sim: Simulator, s: TenantSpec) -> dict[str, str]:
    """Get an app-only token the way the importer does (form POST to the token endpoint)."""
    session = simulator_session(sim)
    resp = session.post(
        f"https://login.microsoftonline.com/{s.tenant_id}/oauth2/v2.0/token",
        data={
            "grant_type": "client_credentials",
            "client_id": s.client_id,
            "client_secret": s.client_secret,
            "scope": "https://graph.microsoft.com/.default",
        },
    )
    assert resp.status_code == 200, resp.text
    return {"Authorization": f"Bearer {resp.json()['access_token']}"}


def all_pages(session: requests.Session, url: str, headers: dict[str, str]) -> list[dict[str, Any]]:
    pages = []
    next_url: str | None = url
    while next_url:
        resp = session.get(next_url, headers=headers)
        assert resp.status_code == 200, resp.text
        page = resp.json()
        pages.append(page)
        next_url = page.get("@odata.nextLink")
    return pages


@pytest.mark.parametrize("users", [1, 57, 2500])
def test_pages_agree_with_skus_subscriptions_and_truth(users: int) -> None:
    s = spec(users=users, seed=users)
    sim = Simulator([s])
    session, auth = simulator_session(sim), app_token(sim, s)
    pages = all_pages(session, f"{GRAPH}/users?$select={USER_SELECT}&$top=500", auth)
    people = [u for p in pages for u in p["value"]]
    holders: dict[str, set[str]] = {}
    for user in people:
        for lic in user["assignedLicenses"]:
            holders.setdefault(lic["skuId"], set()).add(user["id"])
    skus = session.get(f"{GRAPH}/subscribedSkus", headers=auth).json()["value"]
    subs = session.get(f"{GRAPH}/directory/subscriptions", headers=auth).json()["value"]
    truth = sim.tenant(s.tenant_id).truth()

    assert len({u["id"] for u in people}) == len(people) == truth.users == users
    assert sum(1 for u in people if u["assignedLicenses"]) == truth.licensed_users
    for sku in skus:
        assert sku["consumedUnits"] == len(holders.get(sku["skuId"], ())), sku["skuPartNumber"]
        assert sku["consumedUnits"] == truth.skus[sku["skuId"]].consumed
        total = sum(x["totalLicenses"] for x in subs if x["skuId"] == sku["skuId"])
        assert total == sum(sku["prepaidUnits"].values())
        assert total == truth.skus[sku["skuId"]].total_units
        assert sorted(sku["subscriptionIds"]) == sorted(
            x["commerceSubscriptionId"] for x in subs if x["skuId"] == sku["skuId"]
        )


def test_tenant_holds_every_licensing_edge_case() -> None:
    s = spec(users=3000, seed=11)
    sim = Simulator([s])
    session, auth = simulator_session(sim), app_token(sim, s)
    people = [
        u
        for p in all_pages(session, f"{GRAPH}/users?$select={USER_SELECT}&$top=999", auth)
        for u in p["value"]
    ]
    truth = sim.tenant(s.tenant_id).truth()
    by_status = Counter(t.capability_status for t in truth.skus.values())
    assert {"Enabled", "Warning", "Suspended"} <= set(by_status)
    assert any(t.available < 0 for t in truth.skus.values() if not t.free)  # a shortfall
    assert any(t.trial for t in truth.skus.values())
    assert any(t.applies_to == "Company" for t in truth.skus.values())
    assert truth.sku("FLOW_FREE").enabled == 10000
    assert truth.sku("POWER_BI_STANDARD").enabled == 1000000
    guests = [u for u in people if u["userType"] == "Guest"]
    assert guests and all("#EXT#@" in u["userPrincipalName"] for u in guests)
    assert len(guests) == truth.guests
    disabled_licensed = [u for u in people if not u["accountEnabled"] and u["assignedLicenses"]]
    assert len(disabled_licensed) == truth.licensed_disabled > 0
    sign_ins = [u["signInActivity"] for u in people]
    assert sum(1 for x in sign_ins if x is None) > 0
    sentinel = [x for x in sign_ins if x and x["lastSignInDateTime"].startswith("0001-01-01")]
    assert len(sentinel) == truth.sentinel_sign_ins > 0
    assert truth.inactive_users > 0 and truth.never_active_users > 0 and truth.new_hires > 0
    both = [u for u in people if _paths(u) & {"direct"} and any(p != "direct" for p in _paths(u))]
    assert both and truth.duplicate_path_users > 0
    assert truth.e3_e5_overlap > 0 and truth.group_errors > 0


def _paths(user: dict[str, Any]) -> set[str]:
    return {
        "direct" if st["assignedByGroup"] is None else st["assignedByGroup"]
        for st in user["licenseAssignmentStates"]
        if st["state"] == "Active"
    }


@pytest.mark.parametrize("top", [999, 500])
def test_paging_returns_every_user_exactly_once(top: int) -> None:
    s = spec(users=2100, seed=5)
    sim = Simulator([s])
    session, auth = simulator_session(sim), app_token(sim, s)
    pages = all_pages(session, f"{GRAPH}/users?$select=id&$top={top}", auth)
    ids = [u["id"] for p in pages for u in p["value"]]
    assert len(ids) == len(set(ids)) == 2100
    assert [len(p["value"]) for p in pages[:-1]] == [top] * (len(pages) - 1)
    assert "$skiptoken=" in pages[0]["@odata.nextLink"] and "$top=" in pages[0]["@odata.nextLink"]


def test_sign_in_activity_caps_pages_at_500() -> None:
    s = spec(users=1200)
    sim = Simulator([s])
    session, auth = simulator_session(sim), app_token(sim, s)
    pages = all_pages(session, f"{GRAPH}/users?$select=id,signInActivity&$top=999", auth)
    assert [len(p["value"]) for p in pages] == [500, 500, 200]


def test_select_is_honoured_and_unknown_properties_are_rejected() -> None:
    s = spec(users=20)
    sim = Simulator([s])
    session, auth = simulator_session(sim), app_token(sim, s)
    page = session.get(f"{GRAPH}/users?$select=id,mail,usageLocation", headers=auth).json()
    assert all(set(u) == {"id", "mail", "usageLocation"} for u in page["value"])
    assert page["@odata.context"].endswith("#users(id,mail,usageLocation)")
    default = session.get(f"{GRAPH}/users", headers=auth).json()["value"][0]
    assert "userPrincipalName" in default and "assignedLicenses" not in default
    bad = session.get(f"{GRAPH}/users?$select=id,nonsense", headers=auth)
    assert bad.status_code == 400
    assert bad.json()["error"]["code"] == "Request_BadRequest"
    assert session.get(f"{GRAPH}/users?$top=1000", headers=auth).status_code == 400


def test_same_seed_gives_same_bytes_and_another_seed_does_not() -> None:
    def snapshot(seed: int) -> tuple[bytes, bytes, bytes]:
        s = spec(users=400, seed=seed)
        sim = Simulator([s])
        session, auth = simulator_session(sim), app_token(sim, s)
        users = session.get(f"{GRAPH}/users?$select={USER_SELECT}&$top=999", headers=auth)
        skus = session.get(f"{GRAPH}/subscribedSkus", headers=auth)
        report = session.get(
            f"{GRAPH}/reports/getOffice365ActiveUserDetail(period='D30')", headers=auth
        )
        return users.content, skus.content, report.content

    assert snapshot(3) == snapshot(3)
    assert snapshot(3)[0] != snapshot(4)[0]


def test_premium_and_permission_gates() -> None:
    non_premium = spec(users=10, premium=False)
    no_audit = spec(
        users=10,
        tenant_id="0b5e2b7a-0000-4000-8000-000000000002",
        domain="noaudit.onmicrosoft.com",
        granted_permissions=frozenset({"User.Read.All"}),
    )
    sim = Simulator([non_premium, no_audit])
    session = simulator_session(sim)
    url = f"{GRAPH}/users?$select=id,signInActivity"
    premium_403 = session.get(url, headers=app_token(sim, non_premium))
    assert premium_403.status_code == 403
    error = premium_403.json()["error"]
    assert error["code"] == "Authentication_RequestFromNonPremiumTenantOrB2CTenant"
    assert error["innerError"]["request-id"] == premium_403.headers["request-id"]
    auth = app_token(sim, no_audit)
    assert session.get(url, headers=auth).json()["error"]["code"] == "Authorization_RequestDenied"
    for path in ("organization", "subscribedSkus", "reports/getOffice365ActivationsUserDetail"):
        resp = session.get(f"{GRAPH}/{path}", headers=auth, allow_redirects=False)
        assert resp.status_code == 403, path
    assert session.get(f"{GRAPH}/users?$select=id", headers=auth).status_code == 200


def test_graph_rejects_missing_and_forged_tokens() -> None:
    s = spec(users=5)
    sim = Simulator([s])
    session = simulator_session(sim)
    missing = session.get(f"{GRAPH}/organization")
    assert missing.status_code == 401 and "WWW-Authenticate" in missing.headers
    assert missing.json()["error"]["code"] == "InvalidAuthenticationToken"
    forged = make_jwt({"tid": s.tenant_id, "aud": "https://graph.microsoft.com"})[:-4] + "AAAA"
    resp = session.get(f"{GRAPH}/organization", headers={"Authorization": f"Bearer {forged}"})
    assert resp.status_code == 401
    auth = app_token(sim, s)
    org = session.get(f"{GRAPH}/organization", headers=auth).json()["value"][0]
    assert org["id"] == s.tenant_id and org["verifiedDomains"][0]["name"] == s.domain
    sim.invalidate_tokens()
    assert session.get(f"{GRAPH}/organization", headers=auth).status_code == 401


def _report(session: requests.Session, auth: dict[str, str], call: str) -> requests.Response:
    resp = session.get(f"{GRAPH}/reports/{call}", headers=auth)
    assert resp.status_code == 200, resp.text
    return resp


def test_reports_redirect_to_another_host_and_serve_bom_crlf_csv() -> None:
    s = spec(users=600, seed=9)
    sim = Simulator([s], report_host="https://reports.example.invalid")
    session, auth = simulator_session(sim), app_token(sim, s)
    first = session.get(
        f"{GRAPH}/reports/getOffice365ActiveUserDetail(period='D30')",
        headers=auth,
        allow_redirects=False,
    )
    assert first.status_code == 302
    assert first.headers["Location"].startswith("https://reports.example.invalid/data/download/")
    truth = sim.tenant(s.tenant_id).truth()
    calls = {
        "getOffice365ActiveUserDetail(period='D30')": ACTIVE_USER_COLUMNS,
        "getM365AppUserDetail(period='D30')": APP_USER_COLUMNS,
        "getOffice365ActivationsUserDetail": ACTIVATION_COLUMNS,
    }
    for call, columns in calls.items():
        resp = _report(session, auth, call)
        body = resp.content
        assert body.startswith(b"\xef\xbb\xbf" + columns.encode() + b"\r\n")
        assert b"\n" not in body.replace(b"\r\n", b"")
        rows = list(csv.reader(io.StringIO(body.decode("utf-8-sig"), newline="")))
        assert rows[0] == columns.split(",")
        assert all(len(r) == len(rows[0]) for r in rows)
        assert len(rows) - 1 == truth.report_rows[call.split("(")[0]]
    active = _report(session, auth, "getOffice365ActiveUserDetail(period='D30')")
    rows = list(csv.DictReader(io.StringIO(active.content.decode("utf-8-sig"))))
    assert sum(1 for r in rows if r["Is Deleted"] == "True") == truth.deleted_report_rows
    assert sim.report_auth_violations == 0
    location = first.headers["Location"]
    session.get(location, headers=auth)  # a client that wrongly forwards the header
    assert sim.report_auth_violations == 1


def test_concealed_tenant_reports_hex_names_and_setting_can_be_patched() -> None:
    perms = ALL_PERMISSIONS | {"ReportSettings.ReadWrite.All"}
    s = spec(users=50, concealed_names=True, granted_permissions=perms)
    sim = Simulator([s])
    session, auth = simulator_session(sim), app_token(sim, s)
    settings = session.get(f"{GRAPH}/admin/reportSettings", headers=auth).json()
    assert settings["displayConcealedNames"] is True
    body = _report(session, auth, "getOffice365ActiveUserDetail(period='D7')").content
    rows = list(csv.DictReader(io.StringIO(body.decode("utf-8-sig"))))
    assert all(re.fullmatch(r"[0-9A-F]{32}", r["User Principal Name"]) for r in rows)
    assert all(re.fullmatch(r"[0-9A-F]{32}", r["Display Name"]) for r in rows)
    patch = session.patch(
        f"{GRAPH}/admin/reportSettings", json={"displayConcealedNames": False}, headers=auth
    )
    assert patch.status_code == 204
    body = _report(session, auth, "getOffice365ActiveUserDetail(period='D7')").content
    assert b"@contoso.onmicrosoft.com" in body


def _delta_round(session: requests.Session, url: str, auth: dict[str, str]) -> tuple[list, str]:
    pages = all_pages(session, url, auth)
    assert all("@odata.deltaLink" not in p for p in pages[:-1])
    return [u for p in pages for u in p["value"]], pages[-1]["@odata.deltaLink"]


def test_delta_round_then_mutation_returns_exactly_the_changes() -> None:
    s = spec(users=700, seed=21)
    sim = Simulator([s])
    session, auth = simulator_session(sim), app_token(sim, s)
    model = sim.tenant(s.domain)
    initial, link = _delta_round(
        session, f"{GRAPH}/users/delta?$select=displayName,assignedLicenses", auth
    )
    assert len({u["id"] for u in initial}) == 700 and "$deltatoken=" in link
    before = {u["id"]: u for u in initial}
    consumed_before = model.truth().skus
    model.mutate(seed=5, changes=30)
    changes, link2 = _delta_round(session, link, auth)
    changed_ids = {model.user_id(i) for i in model.changed_between(0, model.version)}
    assert {u["id"] for u in changes} == changed_ids
    removed = [u for u in changes if "@removed" in u]
    assert removed and all(u["@removed"] == {"reason": "deleted"} for u in removed)
    assert all(u["id"] in before for u in removed)
    added = [u for u in changes if u["id"] not in before]
    assert added and all("displayName" in u for u in added)
    assert model.truth().skus != consumed_before
    assert model.truth().users == 700 - len(removed) + len(added)
    again, _ = _delta_round(session, link2, auth)
    assert again == []
    latest = session.get(f"{GRAPH}/users/delta?$select=id&$deltatoken=latest", headers=auth)
    assert latest.json()["value"] == [] and "@odata.deltaLink" in latest.json()
    model.mutate(seed=6, changes=3)
    from_latest, _ = _delta_round(session, latest.json()["@odata.deltaLink"], auth)
    # The link tracks only its $select (id): license changes are not reported, as in Graph.
    latest_changes = model.changed_between(model.version - 1, model.version, ("id",))
    assert len(from_latest) == len(latest_changes)
    assert len(latest_changes) < len(model.changed_between(model.version - 1, model.version))


def test_delta_token_expires_after_seven_simulated_days() -> None:
    s = spec(users=30)
    sim = Simulator([s])
    session, auth = simulator_session(sim), app_token(sim, s)
    _, link = _delta_round(session, f"{GRAPH}/users/delta?$select=id", auth)
    sim.tenant(s.tenant_id).advance_clock(days=8)
    expired = session.get(link, headers=auth)
    assert expired.status_code == 400
    assert expired.json()["error"]["code"] == "syncStateNotFound"
    garbage = session.get(f"{GRAPH}/users/delta?$deltatoken=bogus.token", headers=auth)
    assert garbage.json()["error"]["code"] == "syncStateNotFound"


def test_a_million_user_tenant_is_generated_lazily() -> None:
    s = spec(users=1_000_000, seed=2)
    sim = Simulator([s])
    session, auth = simulator_session(sim), app_token(sim, s)
    page = session.get(f"{GRAPH}/users?$select=id,assignedLicenses&$top=999", headers=auth).json()
    assert len(page["value"]) == 999
    model = sim.tenant(s.tenant_id)
    assert model.user(999_999)["userPrincipalName"].endswith("@contoso.onmicrosoft.com")
    assert model._base_hist is None  # no pass over the users was needed
