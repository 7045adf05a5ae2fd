"""The SaaS Management connector against exact HTTP answers (`responses`), and the demo
organization of the simulator."""

from __future__ import annotations

from urllib.parse import parse_qs

import pytest
import responses

from core.bootstrap import SIMULATOR
from core.domain.licensing import LicenseSource, LicenseStatus
from core.domain.saas import SaasZone, SwitchCounts
from core.errors import LicenseDeskError, ValidationError
from core.saas.client import REFRESH_TOKEN_HELP
from core.saas.service import SaasManagementService
from tests.core.licensing_helpers import (
    SPE_E3,
    Tenant,
    hold,
    make_service,
    sku,
    user,
)
from tests.storage_dump import dump_text

TOKEN = "rt-secret-0123456789"
ORG = "31337"
API = "https://api.flexera.com"
LOGIN = "https://login.flexera.com/oidc/token"
APPS = f"{API}/saas/v1/orgs/{ORG}/managed-apps"


@pytest.fixture
def licensing(database):
    return make_service(database)


@pytest.fixture
def waits():
    return []


@pytest.fixture
def saas(database, secret_store, licensing, waits):
    from tests.core.licensing_helpers import NOW

    return SaasManagementService(
        database,
        secret_store,
        licensing=licensing,
        clock=lambda: NOW,
        sleep=waits.append,
        simulation=SIMULATOR,
    )


def _token(rsps, url=LOGIN, status=200):
    body = (
        {"access_token": "at-1", "expires_in": 3600, "refresh_token": TOKEN, "token_type": "Bearer"}
        if status == 200
        else {"error": "invalid_grant", "error_description": "The refresh token is invalid."}
    )
    return rsps.post(url, json=body, status=status)


def _org(rsps, api=API):
    apps = f"{api}/saas/v1/orgs/{ORG}/managed-apps"
    extended = {
        "values": [
            {
                "id": "m365",
                "appId": "a1",
                "appName": "Microsoft 365",
                "name": "Microsoft 365",
                "vendorName": "Microsoft",
                "isActive": True,
                "extra": {"ignored": 1},
            },
            {
                "id": "slack",
                "appId": "a2",
                "appName": "Slack",
                "name": "Slack",
                "vendorName": "Salesforce",
                "isActive": True,
            },
        ]
    }
    usage = {
        "values": [
            {
                "id": "m365",
                "licenses": [
                    {
                        "id": "e3",
                        "name": "Microsoft 365 E3",
                        "terms": [
                            {
                                "id": "t1",
                                "termType": "subscription",
                                "totalActive": 10,
                                "annualCost": 4320,
                                "endsAt": "2027-06-30T00:00:00Z",
                            },
                            {
                                "id": "t0",
                                "termType": "subscription",
                                "totalActive": 8,
                                "annualCost": 3000,
                                "endsAt": "2026-05-31T00:00:00Z",
                            },
                        ],
                    },
                    {
                        "id": "copilot",
                        "name": "Microsoft 365 Copilot",
                        "terms": [
                            {
                                "id": "t2",
                                "termType": "trial",
                                "totalActive": 5,
                                "endsAt": "2026-08-15T00:00:00Z",
                            },
                        ],
                    },
                ],
            },
            {"id": "slack", "licenses": [{"id": "biz", "name": "Business+", "terms": []}]},
        ]
    }
    users = {
        "values": [
            {
                "firstName": "Ann",
                "lastName": "A",
                "email": "Ann@Contoso.com",
                "uniqueId": "1",
                "activatedAt": "2025-01-01T00:00:00Z",
                "deactivatedAt": None,
            },
            {
                "firstName": "Bo",
                "lastName": "B",
                "email": "bo@contoso.com",
                "uniqueId": "2",
                "activatedAt": "2025-01-01T00:00:00Z",
                "deactivatedAt": "",
            },
            {
                "firstName": "Cy",
                "lastName": "C",
                "email": "cy@contoso.com",
                "uniqueId": "3",
                "activatedAt": "2025-01-01T00:00:00Z",
                "deactivatedAt": "2026-02-01T00:00:00Z",
            },
        ]
    }
    ext = rsps.get(
        apps, json=extended, match=[responses.matchers.query_param_matcher({"view": "extended"})]
    )
    lic = rsps.get(
        apps, json=usage, match=[responses.matchers.query_param_matcher({"view": "licenseUsage"})]
    )
    usr = rsps.get(
        f"{apps}/m365/app-users",
        json=users,
        match=[responses.matchers.query_param_matcher({"includeAll": "true"})],
    )
    return ext, lic, usr


def test_configure_keeps_the_refresh_token_out_of_sqlite(database, saas, secret_store):
    config = saas.configure("NAM", ORG, TOKEN)
    assert config.zone is SaasZone.NAM and config.org_id == ORG and config.configured
    assert (config.token_url, config.api_url) == (LOGIN, API)
    assert secret_store.get("saas/refresh_token") == TOKEN
    dump = dump_text(database)
    assert TOKEN not in dump and "saas_org_id" in dump
    # Re-configuring without a token keeps the stored one.
    assert saas.configure("eu", ORG, None).has_refresh_token
    assert secret_store.get("saas/refresh_token") == TOKEN


@pytest.mark.parametrize(
    ("zone", "login", "api"),
    [
        ("nam", "https://login.flexera.com", "https://api.flexera.com"),
        ("eu", "https://login.flexera.eu", "https://api.flexera.eu"),
        ("apac", "https://login.flexera.au", "https://api.flexera.au"),
    ],
)
def test_zones_use_their_hosts(saas, zone, login, api):
    saas.configure(zone, ORG, TOKEN)
    with responses.RequestsMock() as rsps:
        token = _token(rsps, f"{login}/oidc/token")
        rsps.get(f"{api}/saas/v1/orgs/{ORG}/managed-apps", json={"values": []})
        result = saas.test()
    assert result.ok, result.message
    assert parse_qs(token.calls[0].request.body) == {
        "grant_type": ["refresh_token"],
        "refresh_token": [TOKEN],
    }


def test_custom_zone_uses_the_typed_urls(saas):
    with pytest.raises(ValidationError) as err:
        saas.configure("custom", ORG, TOKEN, token_url="http://flexera.example/t", api_url="")
    assert set(err.value.errors) == {"token_url", "api_url"}
    with pytest.raises(ValidationError) as err:
        saas.configure("mars", "abc", TOKEN)
    assert set(err.value.errors) == {"zone", "org_id"}
    saas.configure(
        "custom",
        ORG,
        TOKEN,
        token_url="https://sso.example.test/oidc/token",
        api_url="https://saas.example.test/",
    )
    with responses.RequestsMock() as rsps:
        _token(rsps, "https://sso.example.test/oidc/token")
        apps = rsps.get(
            "https://saas.example.test/saas/v1/orgs/31337/managed-apps",
            json={"values": [{"id": "x", "vendorName": "Microsoft Corporation"}]},
        )
        result = saas.test()
    assert result.ok and result.apps == 1
    assert apps.calls[0].request.headers["Authorization"] == "Bearer at-1"


def test_wrong_refresh_token_says_how_to_fix_it(saas):
    saas.configure("nam", ORG, TOKEN)
    with responses.RequestsMock() as rsps:
        _token(rsps, status=400)
        result = saas.test()
    assert not result.ok and result.message == REFRESH_TOKEN_HELP
    assert TOKEN not in result.message + result.detail


def test_import_creates_licenses_terms_and_users(database, saas, licensing, waits):
    tenant = Tenant(database, licensing)
    tenant.load(
        skus=[sku(SPE_E3, 3, consumed=2)],
        users=[user("ann", sign_in="2026-06-29T00:00:00Z"), user("bo")],
        holds=[hold(SPE_E3, "ann"), hold(SPE_E3, "bo")],
    )
    saas.configure("nam", ORG, TOKEN)
    assert saas.import_now().ok is False  # not enabled yet
    assert saas.retire_preview_count() == 1
    assert saas.switch_preview(True).retired == 1
    assert saas.enable().retired == 1
    with responses.RequestsMock() as rsps:
        _token(rsps)
        # One throttled answer first: retried after Retry-After, without a real sleep.
        rsps.get(
            APPS,
            status=429,
            headers={"Retry-After": "1.5"},
            match=[responses.matchers.query_param_matcher({"view": "extended"})],
        )
        _org(rsps)
        result = saas.import_now()
    assert result.ok, result.message
    assert (result.apps, result.licenses, result.app_users) == (1, 2, 2)
    assert waits == [1.5]

    rows = {r.product: r for r in licensing.license_rows()}
    e3 = rows["Microsoft 365 E3"]
    assert e3.source is LicenseSource.SAAS_MANAGEMENT and e3.status is LicenseStatus.ACTIVE
    assert e3.entitlement == 10  # the term that ended in May adds nothing
    assert e3.annual_cost == pytest.approx(4320.0) and e3.monthly_cost == pytest.approx(360.0)
    assert e3.assigned_users == 2 and e3.inactive_users == 1  # bo never signed in
    assert rows["Microsoft 365 Copilot"].entitlement == 5
    assert rows["Microsoft 365 E3"].renewal.date().isoformat() == "2027-06-30"
    assert "Business+" not in rows  # not a Microsoft app
    assert rows["Microsoft 365 E3"].in_reconciliation
    assert not rows["Microsoft 365 E3"].retired_by_saas
    connector = next(r for r in licensing.license_rows() if r.source is LicenseSource.MICROSOFT_365)
    assert connector.status is LicenseStatus.RETIRED

    status = saas.status()
    assert status.saas_licenses == 2 and status.retired_by_connector == 1
    assert status.config.last_result.ok and status.config.last_import_at is not None

    # A second import with the license gone keeps it, without entitlement.
    with responses.RequestsMock() as rsps:
        _token(rsps)
        rsps.get(
            APPS,
            json={"values": [{"id": "m365", "vendorName": "Microsoft"}]},
            match=[responses.matchers.query_param_matcher({"view": "extended"})],
        )
        rsps.get(
            APPS,
            json={"values": [{"id": "m365", "licenses": []}]},
            match=[responses.matchers.query_param_matcher({"view": "licenseUsage"})],
        )
        rsps.get(f"{APPS}/m365/app-users", json={"values": []})
        assert saas.import_now().ok
    rows = {r.product: r for r in licensing.license_rows()}
    assert (
        rows["Microsoft 365 E3"].entitlement == 0 and rows["Microsoft 365 E3"].assigned_users == 0
    )

    assert saas.switch_preview(False) == SwitchCounts(False, retired=2, restored=1)
    counts = saas.disable()
    assert (counts.restored, counts.retired) == (1, 2)
    assert counts.describe() == (
        "1 Office 365 connector license restored, 2 SaaS Management licenses retired"
    )
    assert not saas.config().enabled
    # Disabled: its own licenses are retired by the same rule, so nothing is counted twice.
    rows = licensing.license_rows()
    assert [r.source for r in rows if r.in_reconciliation] == [LicenseSource.MICROSOFT_365]
    saas_rows = [r for r in rows if r.source is LicenseSource.SAAS_MANAGEMENT]
    assert all(r.status is LicenseStatus.RETIRED and r.retired_by_saas for r in saas_rows)
    assert "saas-disabled" not in [w.kind for w in licensing.overview().warnings]
    # Enabling again restores them (and retires the connector's license again).
    assert saas.enable() == SwitchCounts(True, retired=1, restored=2)
    assert all(
        r.status is LicenseStatus.ACTIVE
        for r in licensing.license_rows()
        if r.source is LicenseSource.SAAS_MANAGEMENT
    )


def test_failed_import_is_remembered_and_changes_nothing(database, saas, licensing):
    saas.configure("nam", ORG, TOKEN)
    saas.enable()
    with responses.RequestsMock() as rsps:
        _token(rsps)
        rsps.get(APPS, status=403, json={"message": "forbidden"})
        result = saas.import_now()
    assert not result.ok and "organization 31337" in result.message
    assert saas.config().last_result == result and saas.config().last_import_at is None
    failed = [w for w in licensing.overview().warnings if w.kind == "saas-import"]
    assert len(failed) == 1 and "organization 31337" in failed[0].message
    assert licensing.license_rows() == []


def test_enable_needs_a_configured_connector(saas):
    with pytest.raises(LicenseDeskError, match="Configure"):
        saas.enable()


def test_simulated_demo_organization(database, saas, licensing):
    saas.configure("nam", "0", None, simulated=True)
    assert saas.config().simulated and saas.config().configured
    assert saas.test().ok
    saas.enable()
    result = saas.import_now()
    assert result.ok, result.message
    assert result.licenses > 0 and result.app_users > 0
    saas_rows = [r for r in licensing.license_rows() if r.source is LicenseSource.SAAS_MANAGEMENT]
    assert saas_rows and all(r.entitlement >= 0 for r in saas_rows)
    assert not any("Slack" in r.product or r.product == "Business+" for r in saas_rows)


def test_the_import_stores_the_saas_statistics_so_reads_only_read(
    database, saas, licensing, monkeypatch
):
    tenant = Tenant(database, licensing)
    tenant.load(
        skus=[sku(SPE_E3, 3, consumed=2)],
        users=[user("ann", sign_in="2026-06-29T00:00:00Z"), user("bo")],
        holds=[hold(SPE_E3, "ann"), hold(SPE_E3, "bo")],
    )
    saas.configure("nam", ORG, TOKEN)
    saas.enable()
    with responses.RequestsMock() as rsps:
        _token(rsps)
        _org(rsps)
        assert saas.import_now().ok
    computed = {r.id: r for r in licensing.license_rows()}
    import core.licensing.service as service_module

    def no_computing(*_args):  # a read with the statistics stored computes nothing
        raise AssertionError("the SaaS statistics were computed by a read")

    monkeypatch.setattr(service_module, "saas_stats", no_computing)
    fresh = make_service(database)  # another process: nothing in memory
    assert {r.id: r for r in fresh.license_rows()} == computed


def test_answers_are_decoded_object_by_object_so_the_gil_can_change_hands(monkeypatch):
    import json

    import requests

    from core.saas import client

    seen = []
    monkeypatch.setattr(client, "_each_object", lambda value: seen.append(value) or value)
    answer = {"values": [{"email": f"u{i}@x", "activatedAt": None} for i in range(3)]}
    response = requests.Response()
    response._content = json.dumps(answer).encode()
    response.status_code = 200
    assert client._json(response) == answer
    assert len(seen) == 4  # each app user, then the answer: the interpreter ran between them
