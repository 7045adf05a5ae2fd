"""Usage figures a license manager can add up (spec §5, §7): active + inactive + usage unknown
= holders for every license, product and tenant; entirely unknown usage is None ("—"), never 0;
available is the positive part of the compliance position."""

from __future__ import annotations

import pytest

from tests.core.licensing_helpers import (
    EMS,
    SPE_E3,
    Settings,
    Tenant,
    hold,
    make_service,
    sku,
    user,
)

RECENT = "2026-06-29T00:00:00Z"
LONG_AGO = "2025-11-01T00:00:00Z"
NEW_HIRE = "2026-06-25T00:00:00Z"  # assigned within the 14-day new-hire window


@pytest.fixture
def service(database):
    return make_service(database, Settings())


def _holders_add_up(row) -> None:
    active = row.active_users or 0
    inactive = row.inactive_users or 0
    assert active + inactive + row.usage_unknown_users == row.assigned_users, row


def test_a_new_hire_with_old_activity_is_counted_as_active_so_the_figures_add_up(
    database, service
) -> None:
    contoso = Tenant(database, service, "Contoso")
    contoso.load(
        skus=[sku(SPE_E3, 10, consumed=3)],
        users=[
            user("a", sign_in=RECENT),
            user("b", sign_in=LONG_AGO),
            user("c", sign_in=LONG_AGO),
        ],
        holds=[hold(SPE_E3, "a"), hold(SPE_E3, "b"), hold(SPE_E3, "c", assigned=NEW_HIRE)],
    )
    (row,) = service.license_rows()
    # c was assigned days ago: not yet judged inactive, so not idle either.
    assert (row.active_users, row.inactive_users, row.usage_unknown_users) == (2, 1, 0)
    _holders_add_up(row)
    (product,) = service.product_rollup()
    assert (product.active_users, product.inactive_users, product.usage_unknown_users) == (2, 1, 0)


def test_entirely_unknown_usage_reads_none_not_zero(database, service) -> None:
    fabrikam = Tenant(database, service, "Fabrikam")
    fabrikam.load(
        skus=[sku(SPE_E3, 5, consumed=2), sku(EMS, 5, consumed=2)],
        users=[user("a"), user("b")],
        holds=[hold(SPE_E3, "a"), hold(SPE_E3, "b"), hold(EMS, "a"), hold(EMS, "b")],
        sign_in=False,
        reports=True,
        concealed=True,
    )
    rows = service.license_rows()
    for row in rows:
        assert row.active_users is None and row.inactive_users is None
        assert row.usage_unknown_users == row.assigned_users == 2
    overview = service.overview()
    (tenant,) = overview.tenants
    assert tenant.active is None and tenant.inactive is None
    assert tenant.usage_unknown == tenant.assigned == 4
    assert overview.total.active is None
    for product in overview.products:
        assert product.active_users is None and product.usage_unknown_users == 2


def test_partly_unknown_usage_sums_the_known_part(database, service) -> None:
    contoso = Tenant(database, service, "Contoso")
    contoso.load(
        skus=[sku(SPE_E3, 4, consumed=2)],
        users=[user("a", sign_in=RECENT), user("b", sign_in=LONG_AGO)],
        holds=[hold(SPE_E3, "a"), hold(SPE_E3, "b")],
    )
    fabrikam = Tenant(
        database, service, "Fabrikam", tenant_id="22222222-2222-2222-2222-222222222222"
    )
    fabrikam.load(
        skus=[sku(SPE_E3, 3, consumed=3)],
        users=[user("x", domain="fabrikam.com"), user("y"), user("z")],
        holds=[hold(SPE_E3, "x"), hold(SPE_E3, "y"), hold(SPE_E3, "z")],
        sign_in=False,
    )
    total = service.overview().total
    assert (total.assigned, total.active, total.inactive, total.usage_unknown) == (5, 1, 1, 3)
    (product,) = service.product_rollup()
    assert (product.active_users, product.inactive_users, product.usage_unknown_users) == (1, 1, 3)


def test_available_is_the_positive_part_of_the_compliance_position(database, service) -> None:
    contoso = Tenant(database, service, "Contoso")
    # Microsoft counts 9 consumed units (e.g. licenses of deleted users), 3 users hold it: the
    # position is +2 by holders, and available must agree with it, not with enabled - consumed.
    contoso.load(
        skus=[sku(SPE_E3, 5, consumed=9), sku(EMS, 1, consumed=1)],
        users=[user("a"), user("b"), user("c")],
        holds=[hold(SPE_E3, "a"), hold(SPE_E3, "b"), hold(SPE_E3, "c"), hold(EMS, "a")]
        + [hold(EMS, "b")],
    )
    by_part = {r.sku_part_number: r for r in service.license_rows()}
    e3, ems = by_part["SPE_E3"], by_part["EMS"]
    assert (e3.compliance_position, e3.available) == (2, 2)
    assert (ems.compliance_position, ems.available) == (-1, 0)


def test_one_product_one_price_across_tenants_and_sources(database, service) -> None:
    """Microsoft 365 E3 from a tenant and from SaaS Management is one product: one roll-up
    row, one price (the price table's, not the contract's own 20.00)."""
    from core.domain.licensing import LicenseSource
    from tests.core.licensing_helpers import add_saas_license

    contoso = Tenant(database, service, "Contoso")
    contoso.load(
        skus=[sku(SPE_E3, 10, consumed=2)],
        users=[user("a"), user("b")],
        holds=[hold(SPE_E3, "a"), hold(SPE_E3, "b")],
    )
    # 5 seats for 1,200 a year: 20.00 a seat a month by the contract.
    add_saas_license(database, name="Microsoft 365 E3", terms=[("t1", 5, 1200.0, None)])
    service.set_price("SPE_E3", 36)
    rows = service.license_rows()
    saas = next(r for r in rows if r.source is LicenseSource.SAAS_MANAGEMENT)
    assert (saas.product_key, saas.sku_part_number, saas.unit_price) == ("SPE_E3", "SPE_E3", 36)
    assert saas.monthly_cost == 5 * 36 and saas.annual_cost == 5 * 36 * 12
    (product,) = service.product_rollup()
    assert (product.product, product.licenses, product.entitlement) == ("Microsoft 365 E3", 2, 15)
    assert product.unit_price == 36 and product.monthly_cost == 15 * 36

    # Without a price in the table, the contract's own price is used.
    service.set_price("SPE_E3", None)
    saas = next(r for r in service.license_rows() if r.source is LicenseSource.SAAS_MANAGEMENT)
    assert saas.unit_price == 20.0 and saas.annual_cost == 1200.0
