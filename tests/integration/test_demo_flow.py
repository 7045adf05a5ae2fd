"""The demo end to end through the CLI: two simulated tenants imported, positions and costs in
`licenses --format json`, and the SaaS Management switch retiring and restoring licenses."""

from __future__ import annotations

import json

from core.cli import main
from core.controller import Controller
from core.simulator.demo import get_model


def cli_json(controller: Controller, capsys, *argv: str) -> list[dict]:
    assert main([*argv, "--format", "json"], controller_factory=lambda: controller) == 0
    return json.loads(capsys.readouterr().out)


def totals(products: list[dict]) -> dict[str, object]:
    """The roll-up a license manager compares: entitled, assigned and cost over all products,
    and each product named once."""
    names = [p["product"] for p in products]
    assert len(names) == len(set(names)), names
    return {
        "products": sorted(names),
        "entitlement": sum(p["entitlement"] for p in products),
        "assigned": sum(p["assigned_users"] for p in products),
        "monthly_cost": round(sum(p["monthly_cost"] or 0 for p in products), 2),
    }


def test_demo_positions_costs_and_the_saas_switch(controller, capsys) -> None:
    assert main(["demo"], controller_factory=lambda: controller) == 0
    out = capsys.readouterr().out
    assert "Contoso demo: succeeded" in out and "[simulated]" in out

    licenses = cli_json(controller, capsys, "licenses")
    contoso = get_model("contoso").truth()
    e3 = next(
        r for r in licenses if r["sku_part_number"] == "SPE_E3" and r["tenant_name"] == "Contoso"
    )
    truth = contoso.sku("SPE_E3")
    assert e3["entitlement"] == truth.enabled + truth.warning
    assert e3["assigned_users"] == truth.consumed
    assert e3["compliance_position"] == truth.enabled + truth.warning - truth.consumed
    assert e3["unit_price"] == 36.0 and e3["waste_cost"] > 0  # sample demo prices
    free = next(r for r in licenses if r["sku_part_number"] == "FLOW_FREE")
    assert free["free"] is True and not free["waste_cost"]
    connector = [r for r in licenses if r["source"] == "Microsoft 365"]
    # Fabrikam's usage is entirely unknown (concealed names, no sign-in data): null, never 0.
    fabrikam = [r for r in connector if r["tenant_name"] == "Fabrikam" and r["assigned_users"]]
    assert fabrikam and all(r["active_users"] is None for r in fabrikam)
    assert all(r["inactive_users"] is None for r in fabrikam)
    assert all(r["usage_unknown_users"] == r["assigned_users"] for r in fabrikam)
    for r in licenses:
        known = (r["active_users"] or 0) + (r["inactive_users"] or 0)
        assert known + r["usage_unknown_users"] == r["assigned_users"], r["product"]
        assert r["available"] == max(0, r["entitlement"] - r["assigned_users"])

    before = totals(cli_json(controller, capsys, "licenses", "products"))

    assert main(["saas-management", "enable"], controller_factory=lambda: controller) == 0
    assert f"{len(connector)} Office 365 connector licenses retired" in capsys.readouterr().out
    assert main(["saas-management", "import"], controller_factory=lambda: controller) == 0
    capsys.readouterr()
    active = cli_json(controller, capsys, "licenses", "--hide-retired")
    assert active and {r["source"] for r in active} == {"SaaS Management"}
    saas_count = len(active)

    assert main(["saas-management", "disable"], controller_factory=lambda: controller) == 0
    out = capsys.readouterr().out
    assert f"{len(connector)} Office 365 connector licenses restored" in out
    assert f"{saas_count} SaaS Management licenses retired" in out
    licenses_after = cli_json(controller, capsys, "licenses")
    after = {r["id"]: r["status"] for r in licenses_after}
    assert all(after[r["id"]] == "Active" for r in connector)
    # Nothing counted twice: the totals before enabling equal the totals after disabling.
    assert totals(cli_json(controller, capsys, "licenses", "products")) == before
    assert not [
        r for r in licenses_after if r["source"] == "SaaS Management" and r["in_reconciliation"]
    ]


def test_connection_test_against_the_simulated_tenants(controller) -> None:
    from core.domain.connection import PermissionState

    contoso, fabrikam = controller.add_demo_connections(start_imports=False)
    report = controller.test_connection(
        controller.draft_for_edit(contoso.id), editing_id=contoso.id
    )
    assert report.ok and report.tenant_name == "Contoso"
    assert {c.area: c.state for c in report.checks} == {
        area: PermissionState.GRANTED
        for area in (
            "organization",
            "SKUs",
            "users",
            "sign-in activity",
            "reports",
            "report settings",
        )
    }
    report = controller.test_connection(
        controller.draft_for_edit(fabrikam.id), editing_id=fabrikam.id
    )
    states = {c.area: c.state for c in report.checks}
    assert report.ok
    assert states["sign-in activity"] is PermissionState.NOT_APPLICABLE  # no Entra ID P1/P2
