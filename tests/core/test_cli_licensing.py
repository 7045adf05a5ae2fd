"""licensedesk-cli licenses, users, settings and saas-management with a real Controller on
tmp_path (real SQLite, `responses` for Flexera)."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator

import pytest
import responses

from core.bootstrap import Services, assemble
from core.cli import main
from core.controller import Controller
from tests.core.licensing_helpers import (
    EMS,
    SPE_E3,
    SPE_E5,
    Tenant,
    hold,
    sku,
    user,
)
from tests.storage_dump import dump_text

LICENSE_KEYS = {
    "id",
    "tenant_id",
    "tenant_name",
    "connection",
    "source",
    "sku_id",
    "sku_part_number",
    "product",
    "status",
    "in_reconciliation",
    "enabled",
    "warning",
    "suspended",
    "locked_out",
    "consumed_units",
    "assigned_users",
    "entitlement",
    "compliance_position",
    "inactive_users",
    "disabled_users",
    "unassigned",
    "free",
    "unit_price",
    "waste_cost",
}
USER_KEYS = {
    "tenant_id",
    "id",
    "user_principal_name",
    "display_name",
    "account_enabled",
    "user_type",
    "skus",
    "last_activity",
    "usage_known",
    "inactive",
    "never_active",
}
TOKEN = "flexera-refresh-token-xyz"
FABRIKAM = "22222222-2222-2222-2222-222222222222"


@pytest.fixture
def services(app_paths, database, secret_store) -> Services:
    return assemble(paths=app_paths, database=database, secret_store=secret_store)


@pytest.fixture
def controller(services) -> Iterator[Controller]:
    ctl = Controller(services)
    yield ctl
    ctl.close()


@pytest.fixture
def tenant(database, services) -> Tenant:
    contoso = Tenant(database, services.licensing, "Contoso")
    contoso.load(
        skus=[sku(SPE_E3, 2, consumed=3), sku(SPE_E5, 4, consumed=1), sku(EMS, 1)],
        users=[
            user("amy", name="Amy", sign_in="2026-06-29T00:00:00Z"),
            user("ben", name="Ben"),
            user("cat", name="Cat", enabled=False, sign_in="2026-06-01T00:00:00Z"),
        ],
        holds=[
            hold(SPE_E3, "amy", groups=["grp-1"]),
            hold(SPE_E3, "ben"),
            hold(SPE_E3, "cat"),
            hold(SPE_E5, "amy"),
        ],
        as_of="2026-06-30",
    )
    return contoso


def cli(controller: Controller, *argv: str) -> int:
    return main(list(argv), controller_factory=lambda: controller)


def run_json(controller, capsys, *argv):
    assert cli(controller, *argv, "--format", "json") == 0
    return json.loads(capsys.readouterr().out)


def test_licenses_json_csv_and_table(controller, tenant, capsys):
    rows = run_json(controller, capsys, "licenses")
    assert len(rows) == 3 and set(rows[0]) >= LICENSE_KEYS
    e3 = next(r for r in rows if r["sku_part_number"] == "SPE_E3")
    assert e3["tenant_name"] == "Contoso" and e3["connection"] == "Contoso"
    assert e3["source"] == "Microsoft 365" and e3["status"] == "Active"
    assert (e3["entitlement"], e3["assigned_users"], e3["compliance_position"]) == (2, 3, -1)
    assert e3["inactive_users"] == 1 and e3["disabled_users"] == 1

    assert cli(controller, "licenses", "--format", "csv") == 0
    table = list(csv.DictReader(io.StringIO(capsys.readouterr().out)))
    assert set(table[0]) >= LICENSE_KEYS and len(table) == 3

    assert cli(controller, "licenses") == 0
    out = capsys.readouterr().out
    assert "Microsoft 365 E3" in out and "compliance_position" in out

    products = run_json(controller, capsys, "licenses", "products")
    assert {p["product_key"] for p in products} == {"SPE_E3", "SPE_E5", "EMS"}


def test_set_status_and_retired_filter(controller, tenant, capsys):
    e5 = tenant.license_id(SPE_E5)
    assert cli(controller, "licenses", "set-status", str(e5), "retired", "--reason", "gone") == 0
    assert "is now Retired" in capsys.readouterr().out
    listed = run_json(controller, capsys, "licenses", "--include-retired")
    assert next(r for r in listed if r["id"] == e5)["in_reconciliation"] is False
    hidden = run_json(controller, capsys, "licenses", "--hide-retired")
    assert e5 not in {r["id"] for r in hidden} and len(hidden) == 2

    assert cli(controller, "licenses", "set-status", str(e5), "Lost") == 1
    assert "Unknown license status" in capsys.readouterr().err
    assert cli(controller, "licenses", "set-status", "999", "Active") == 1
    assert "no license with id 999" in capsys.readouterr().err


def test_users_filters_and_json_shape(controller, tenant, capsys):
    users = run_json(controller, capsys, "users")
    assert [u["id"] for u in users] == ["amy", "ben", "cat"] and set(users[0]) >= USER_KEYS
    amy = users[0]
    e3 = next(s for s in amy["skus"] if s["sku_part_number"] == "SPE_E3")
    assert e3 == {
        "sku_id": SPE_E3,
        "sku_part_number": "SPE_E3",
        "product": "Microsoft 365 E3",
        "direct": True,
        "groups": ["grp-1"],
        "assigned_at": "2025-01-10T08:00:00Z",
        "overlap": True,
    }
    assert amy["last_activity"] == "2026-06-29" and amy["usage_known"] is True
    assert [u["id"] for u in run_json(controller, capsys, "users", "--inactive")] == ["ben"]
    assert run_json(controller, capsys, "users", "--search", "CAT")[0]["account_enabled"] is False
    assert len(run_json(controller, capsys, "users", "--tenant", "contoso")) == 3

    assert cli(controller, "users", "--format", "csv", "--disabled-with-license") == 0
    rows = list(csv.DictReader(io.StringIO(capsys.readouterr().out)))
    assert [r["user_principal_name"] for r in rows] == ["cat@contoso.com"]
    assert rows[0]["skus"] == "SPE_E3 (direct)"
    assert cli(controller, "users") == 0
    assert "amy@contoso.com" in capsys.readouterr().out


def test_settings_get_and_set(controller, tenant, capsys):
    assert cli(controller, "settings", "get", "inactive_days") == 0
    assert capsys.readouterr().out.strip() == "90"
    values = {r["key"]: r["value"] for r in run_json(controller, capsys, "settings", "get")}
    assert set(values) == {
        "beacon_version",
        "inactive_days",
        "min_assignment_age_days",
        "currency",
        "snapshots_kept",
        "run_imports_on",
    }
    assert values["currency"] == "USD" and values["beacon_version"]

    assert cli(controller, "settings", "set", "inactive_days", "45") == 2
    assert "inactive_days" in capsys.readouterr().err
    assert cli(controller, "settings", "set", "colour", "red") == 2
    assert "Unknown setting colour" in capsys.readouterr().err
    assert cli(controller, "settings", "set", "currency", "eur") == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0] == "currency = EUR"
    assert "relabels every amount; it does not convert them" in out[1]
    assert cli(controller, "settings", "set", "currency", "EUR") == 0  # unchanged: no note
    assert capsys.readouterr().out.strip() == "currency = EUR"
    # Ben never signed in and got E3 on 2025-01-10, 536 days before the as-of date: inactive,
    # until the new-hire window is longer than that. The setting reaches the rules.
    e3 = tenant.license_id(SPE_E3)
    assert controller.license(e3).inactive_users == 1
    assert cli(controller, "settings", "set", "min_assignment_age_days", "600") == 0
    capsys.readouterr()
    assert controller.license(e3).inactive_users == 0
    assert run_json(controller, capsys, "users", "--inactive") == []


def _serve_flexera(rsps: responses.RequestsMock, login: str, api: str) -> None:
    rsps.post(f"{login}/oidc/token", json={"access_token": "at", "expires_in": 3600})
    apps = f"{api}/saas/v1/orgs/42/managed-apps"
    rsps.get(
        apps,
        json={"values": [{"id": "m", "vendorName": "Microsoft", "name": "Microsoft 365"}]},
        match=[responses.matchers.query_param_matcher({"view": "extended"})],
    )
    rsps.get(
        apps,
        json={
            "values": [
                {
                    "id": "m",
                    "licenses": [
                        {
                            "id": "l",
                            "name": "Microsoft 365 E5",
                            "terms": [
                                {"id": "t", "totalActive": 7, "endsAt": "2099-01-01T00:00:00Z"}
                            ],
                        }
                    ],
                }
            ]
        },
        match=[responses.matchers.query_param_matcher({"view": "licenseUsage"})],
    )
    rsps.get(f"{apps}/m/app-users", json={"values": [{"email": "amy@contoso.com"}]})


def test_saas_management_commands(controller, tenant, capsys, monkeypatch, database):
    monkeypatch.setenv("FLEXERA_TOKEN", TOKEN)
    assert cli(controller, "saas-management", "enable") == 1
    assert "Configure the SaaS Management connector first" in capsys.readouterr().err
    assert (
        cli(
            controller,
            "saas-management",
            "configure",
            "--zone",
            "eu",
            "--org-id",
            "42",
            "--refresh-token-env",
            "FLEXERA_TOKEN",
        )
        == 0
    )
    out = capsys.readouterr().out
    assert "https://api.flexera.eu" in out and "would retire 3" in out
    status = run_json(controller, capsys, "saas-management", "status")[0]
    assert status["zone"] == "eu" and status["refresh_token_stored"] and not status["enabled"]
    assert TOKEN not in json.dumps(status)

    assert cli(controller, "saas-management", "enable") == 0
    assert "3 Office 365 connector licenses retired" in capsys.readouterr().out
    with responses.RequestsMock() as rsps:
        _serve_flexera(rsps, "https://login.flexera.eu", "https://api.flexera.eu")
        assert cli(controller, "saas-management", "import") == 0
    assert "Imported 1 licenses" in capsys.readouterr().out
    rows = run_json(controller, capsys, "licenses", "--hide-retired")
    assert [(r["source"], r["product"], r["entitlement"]) for r in rows] == [
        ("SaaS Management", "Microsoft 365 E5", 7)
    ]

    with responses.RequestsMock() as rsps:
        rsps.post(
            "https://login.flexera.eu/oidc/token", status=400, json={"error": "invalid_grant"}
        )
        assert cli(controller, "saas-management", "import") == 1
    assert "API Credentials" in capsys.readouterr().err

    assert cli(controller, "saas-management", "disable") == 0
    out = capsys.readouterr().out
    assert "3 Office 365 connector licenses restored, 1 SaaS Management license retired" in out
    # The SaaS Management license is retired while disabled: only the connectors' count.
    counted = run_json(controller, capsys, "licenses", "--hide-retired")
    assert len(counted) == 3 and "SaaS Management" not in {r["source"] for r in counted}
    assert TOKEN not in dump_text(database)


def test_saas_management_custom_zone_urls(controller, capsys, monkeypatch):
    monkeypatch.setenv("FLEXERA_TOKEN", TOKEN)
    assert (
        cli(
            controller,
            "saas-management",
            "configure",
            "--zone",
            "nam",
            "--org-id",
            "42",
            "--token-url",
            "https://x.test/t",
            "--refresh-token-env",
            "FLEXERA_TOKEN",
        )
        == 2
    )
    assert "--zone custom" in capsys.readouterr().err
    assert (
        cli(
            controller,
            "saas-management",
            "configure",
            "--zone",
            "custom",
            "--org-id",
            "42",
            "--refresh-token-env",
            "FLEXERA_TOKEN",
        )
        == 2
    )
    assert "token_url" in capsys.readouterr().err
    assert (
        cli(
            controller,
            "saas-management",
            "configure",
            "--zone",
            "custom",
            "--org-id",
            "42",
            "--token-url",
            "http://127.0.0.1:8443/oidc/token",
            "--api-url",
            "http://127.0.0.1:8444",
            "--refresh-token-env",
            "FLEXERA_TOKEN",
        )
        == 0
    )
    capsys.readouterr()
    with responses.RequestsMock() as rsps:
        rsps.post("http://127.0.0.1:8443/oidc/token", json={"access_token": "at"})
        rsps.get(
            "http://127.0.0.1:8444/saas/v1/orgs/42/managed-apps",
            json={"values": [{"id": "m", "vendorName": "Microsoft"}, {"id": "z"}]},
        )
        assert cli(controller, "saas-management", "test") == 0
        assert rsps.calls[0].request.url == "http://127.0.0.1:8443/oidc/token"
    assert "1 from Microsoft" in capsys.readouterr().out
    assert (
        cli(
            controller,
            "saas-management",
            "configure",
            "--zone",
            "eu",
            "--org-id",
            "42",
            "--refresh-token-env",
            "MISSING_VAR_X",
        )
        == 1
    )
    assert "MISSING_VAR_X" in capsys.readouterr().err


@pytest.mark.parametrize("command", ["users", "licenses"])
def test_an_unknown_tenant_is_named_with_the_known_ones(controller, tenant, capsys, command):
    assert cli(controller, command, "--tenant", "nosuch") == 1
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err == "error: There is no tenant “nosuch”; known connections: Contoso.\n"


def test_licenses_of_one_tenant(controller, services, tenant, capsys):
    Tenant(tenant.database, services.licensing, "Fabrikam", tenant_id=FABRIKAM).load(
        skus=[sku(EMS, 5)], as_of="2026-06-30"
    )
    assert len(run_json(controller, capsys, "licenses")) == 4
    for value in ("Contoso", "CONTOSO", tenant.tenant_id):
        rows = run_json(controller, capsys, "licenses", "--tenant", value)
        assert {r["tenant_name"] for r in rows} == {"Contoso"} and len(rows) == 3
    rows = run_json(controller, capsys, "licenses", "--tenant", "Fabrikam")
    assert [r["sku_part_number"] for r in rows] == ["EMS"]
