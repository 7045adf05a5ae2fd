"""The Users screen's SQL paging and filters, SaaS Management license numbers, prices and SKU
names."""

from __future__ import annotations

import pytest

from core.domain.licensing import UserFlag, UserQuery, UserSort
from core.errors import ValidationError
from tests.core.licensing_helpers import (
    EMS,
    SPE_E3,
    SPE_E5,
    Tenant,
    add_saas_license,
    hold,
    make_service,
    sku,
    user,
)


@pytest.fixture
def service(database):
    return make_service(database)


@pytest.fixture
def two_tenants(database, service):
    contoso = Tenant(database, service, "Contoso")
    contoso.load(
        skus=[sku(SPE_E3, 5), sku(SPE_E5, 2), sku(EMS, 5)],
        users=[
            user("alice", name="Alice Adams", sign_in="2026-06-28T00:00:00Z"),
            user("bob", name="Bob Brown"),  # never active
            user("carol", name="Carol Chen", enabled=False, sign_in="2026-06-01T00:00:00Z"),
            user("dave", name="Dave Diaz", sign_in="2026-06-01T00:00:00Z"),
            user("erin", name="Erin Evans"),  # no license
        ],
        holds=[
            hold(SPE_E3, "alice", groups=["g1"]),  # direct + group
            hold(SPE_E5, "alice"),
            hold(SPE_E3, "bob"),
            hold(SPE_E3, "carol"),
            hold(EMS, "dave"),
        ],
    )
    fabrikam = Tenant(
        database, service, "Fabrikam", tenant_id="22222222-2222-2222-2222-222222222222"
    )
    fabrikam.load(
        skus=[sku(SPE_E3, 5)],
        users=[user("frank", name="Frank Fox", domain="fabrikam.com")],
        holds=[hold(SPE_E3, "frank")],
        sign_in=False,
    )
    return contoso, fabrikam


def _ids(rows):
    return [r.id for r in rows]


def test_user_page_sorts_pages_and_counts_in_sql(service, two_tenants):
    rows, total = service.user_page(UserQuery(limit=2))
    assert total == 6 and _ids(rows) == ["alice", "bob"]
    rows, total = service.user_page(UserQuery(limit=2, offset=4))
    assert _ids(rows) == ["erin", "frank"]
    rows, _ = service.user_page(UserQuery(sort=UserSort.LICENSES, descending=True, limit=1))
    assert _ids(rows) == ["alice"]
    rows, _ = service.user_page(UserQuery(sort=UserSort.TENANT, descending=True, limit=1))
    assert rows[0].tenant_name == "Fabrikam"

    alice = service.user_page(UserQuery(search="ADAMS"))[0][0]
    assert alice.user_principal_name == "alice@contoso.com" and alice.connection == "Contoso"
    assert alice.duplicate_path and alice.overlap and not alice.inactive
    refs = {r.sku_part_number: r for r in alice.skus}
    assert refs["SPE_E3"].direct and refs["SPE_E3"].groups == ("g1",)
    assert refs["SPE_E3"].overlap and not refs["SPE_E5"].overlap
    assert refs["SPE_E5"].product == "Microsoft 365 E5"


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        (UserQuery(flag=UserFlag.INACTIVE), ["bob"]),
        (UserQuery(flag=UserFlag.NEVER_ACTIVE), ["bob"]),
        (UserQuery(flag=UserFlag.DISABLED_WITH_LICENSE), ["carol"]),
        (UserQuery(flag=UserFlag.DUPLICATE_PATH), ["alice"]),
        (UserQuery(flag=UserFlag.USAGE_UNKNOWN), ["frank"]),
        (UserQuery(flag=UserFlag.OVERLAP), ["alice"]),  # E3 and E5, which contains E3
        (UserQuery(flag=UserFlag.UNLICENSED), ["erin"]),
        (UserQuery(tenant="fabrikam"), ["frank"]),
        (UserQuery(tenant="22222222-2222-2222-2222-222222222222"), ["frank"]),
        (UserQuery(search="fabrikam.com"), ["frank"]),
        (UserQuery(search="%"), []),  # LIKE wildcards are taken literally
        (
            UserQuery(search="a", flag=UserFlag.LICENSED, tenant="Contoso"),
            ["alice", "carol", "dave"],
        ),
    ],
)
def test_user_filters(service, two_tenants, query, expected):
    rows, total = service.user_page(query)
    assert _ids(rows) == expected and total == len(expected)


def test_iter_user_rows_streams_everything_in_order(service, two_tenants, monkeypatch):
    from core.licensing import users

    monkeypatch.setattr(users, "BATCH", 2)  # several batches
    rows = list(service.iter_user_rows(UserQuery(limit=1, offset=3)))  # paging is ignored
    assert _ids(rows) == ["alice", "bob", "carol", "dave", "erin", "frank"]
    assert [r.id for r in service.iter_user_rows(UserQuery(flag=UserFlag.INACTIVE))] == ["bob"]
    assert [r.id for r in service.iter_user_rows(UserQuery(flag=UserFlag.OVERLAP))] == ["alice"]


def test_saas_management_license_terms_users_and_cost(database, service):
    contoso = Tenant(database, service, "Contoso")
    contoso.load(
        skus=[sku(SPE_E3, 1)],
        users=[
            user("ann", sign_in="2026-06-29T00:00:00Z"),
            user("ben", mail="Benjamin@Contoso.com"),  # never signed in; matched by mail
        ],
        holds=[hold(SPE_E3, "ann"), hold(SPE_E3, "ben")],
    )
    lid = add_saas_license(
        database,
        terms=[
            ("current", 10, 1200.0, "2027-03-31T00:00:00Z"),
            ("later", 2, None, "2027-01-31T00:00:00Z"),
            ("ended", 5, 600.0, "2026-06-30T00:00:00Z"),  # ended yesterday: nothing
        ],
        app_users=[
            ("ANN@contoso.com", "2025-01-01T00:00:00Z", None),  # matched by UPN
            ("benjamin@contoso.com", "2025-01-01T00:00:00Z", None),  # by mail: inactive
            ("zoe@partner.com", None, None),  # not an imported user: usage unknown
            ("left@contoso.com", "2025-01-01T00:00:00Z", "2026-01-01T00:00:00Z"),  # deactivated
        ],
    )
    row = next(r for r in service.license_rows() if r.id == lid)
    assert row.tenant_name == "SaaS Management" and row.product == "Microsoft 365 E3 (SaaS)"
    assert row.entitlement == 12 and row.assigned_users == 3
    assert row.compliance_position == 9 and row.unassigned == 9
    assert (row.active_users, row.inactive_users, row.usage_unknown_users) == (1, 1, 1)
    assert row.renewal is not None and row.renewal.date().isoformat() == "2027-01-31"
    assert row.annual_cost == pytest.approx(1200.0)
    assert row.monthly_cost == pytest.approx(100.0)
    assert row.unit_price == pytest.approx(100.0 / 12)
    assert row.waste_cost == pytest.approx(10 * 100.0 / 12)  # 9 unassigned + 1 inactive
    detail = service.license_detail(lid)
    assert [t.term_id for t in detail.terms if t.current] == ["later", "current"]
    holders = {h.user_principal_name: h for h in detail.holders}
    assert set(holders) == {"ann@contoso.com", "ben@contoso.com", "zoe@partner.com"}
    assert holders["ben@contoso.com"].inactive and not holders["zoe@partner.com"].usage_known

    service.set_price("saas:Microsoft 365 E3 (SaaS)", 20)
    row = next(r for r in service.license_rows() if r.id == lid)
    assert row.monthly_cost == pytest.approx(240.0) and row.annual_cost == pytest.approx(2880.0)


def test_prices_csv_import(tmp_path, service):
    path = tmp_path / "prices.csv"
    path.write_text(
        "\ufeffProduct;Unit_Price\nOffice 365 E3;23,00\nspe_e5;57.00\nsaas:Copilot;30\n;\n",
        encoding="utf-8",
    )
    assert service.import_prices_csv(path) == 3
    assert service.prices() == {"ENTERPRISEPACK": 23.0, "SPE_E5": 57.0, "saas:Copilot": 30.0}
    bad = tmp_path / "bad.csv"
    bad.write_text("sku_part_number,price\nSPE_E3,12\nEMS,lots\n", encoding="utf-8")
    with pytest.raises(ValidationError, match="Line 3"):
        service.import_prices_csv(bad)
    assert "SPE_E3" not in service.prices()  # all or nothing
    with pytest.raises(ValidationError, match="price column"):
        (tmp_path / "x.csv").write_text("a,b\n1,2\n", encoding="utf-8")
        service.import_prices_csv(tmp_path / "x.csv")
    with pytest.raises(ValidationError):
        service.set_price("SPE_E3", -1)
    service.set_price("SPE_E5", None)
    assert "SPE_E5" not in service.prices()


def test_sku_names_from_microsofts_csv_win_over_the_shipped_table(
    tmp_path, database, service, app_paths
):
    tenant = Tenant(database, service)
    custom = "99999999-0000-0000-0000-000000000003"
    tenant.load(skus=[sku(SPE_E3, 1), sku(custom, 4, part="CONTOSO_NEW")])
    assert [u.sku_part_number for u in service.unrecognized_skus()] == ["CONTOSO_NEW"]
    csv_path = tmp_path / "ms.csv"
    csv_path.write_text(
        "\ufeffProduct_Display_Name,String_Id,GUID,Service_Plan_Name,Service_Plan_Id,"
        "Service_Plans_Included_Friendly_Names\n"
        f"Contoso New Thing,CONTOSO_NEW,{custom.upper()},PLAN_A,1,Plan A\n"
        f"Contoso New Thing,CONTOSO_NEW,{custom.upper()},PLAN_B,2,Plan B\n"
        "Microsoft 365 E3 (renamed),SPE_E3,05e9a617-0261-4cee-bb44-138d3ef5d965,P,3,P\n",
        encoding="utf-8",
    )
    assert service.import_sku_names_csv(csv_path) == 2
    assert (app_paths.data_dir / "sku_names.csv").exists()
    assert service.unrecognized_skus() == []
    names = {r.sku_part_number: r.product for r in service.license_rows()}
    assert names == {"CONTOSO_NEW": "Contoso New Thing", "SPE_E3": "Microsoft 365 E3 (renamed)"}
    # A new service (next start) reads the stored table; free and suite data stay shipped.
    again = make_service(database)
    assert {r.product for r in again.license_rows()} == set(names.values())
    with pytest.raises(ValidationError, match="String_Id"):
        (tmp_path / "wrong.csv").write_text("Name,GUID\nx,y\n", encoding="utf-8")
        service.import_sku_names_csv(tmp_path / "wrong.csv")


def test_app_users_are_attributed_to_the_licenses_they_hold(database, service):
    contoso = Tenant(database, service, "Contoso")
    contoso.load(
        skus=[sku(SPE_E3, 5), sku(SPE_E5, 5)],
        users=[user("ann", sign_in="2026-06-29T00:00:00Z"), user("ben")],
        holds=[hold(SPE_E3, "ann"), hold(SPE_E3, "ben"), hold(SPE_E5, "ben")],
    )
    people = [
        ("ann@contoso.com", "2025-01-01T00:00:00Z", None),
        ("ben@contoso.com", "2025-01-01T00:00:00Z", None),
        ("zoe@partner.com", "2025-01-01T00:00:00Z", None),  # holds nothing we imported
    ]
    e3 = add_saas_license(
        database,
        license_key="e3",
        app_id="m365",
        name="Microsoft 365 E3",
        terms=[("t1", 10, None, None)],
        app_users=people,
    )
    e5 = add_saas_license(
        database,
        license_key="e5",
        app_id="m365",
        name="microsoft 365 e5",
        terms=[("t2", 2, None, None)],
        app_users=people,
    )
    rows = {r.id: r for r in service.license_rows()}
    # One app, two licenses: each counts the users whose Microsoft 365 user holds its product.
    assert rows[e3].assigned_users == 2 and rows[e5].assigned_users == 1
    assert rows[e5].inactive_users == 1  # ben never signed in
    assert rows[e3].unattributed_users == rows[e5].unattributed_users == 1
    detail = service.license_detail(e5)
    assert [h.user_principal_name for h in detail.holders] == ["ben@contoso.com"]
    assert any("hold none of its licenses" in w for w in detail.warnings)
