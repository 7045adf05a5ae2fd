"""Reconciliation, usage, waste and cost, on worked examples computed by hand (spec §5, §7)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from core.domain.licensing import LicenseSource, LicenseStatus
from tests.core.licensing_helpers import (
    EMS,
    FLOW_FREE,
    SPE_E3,
    SPE_E5,
    Settings,
    Tenant,
    hold,
    make_service,
    sku,
    subscription,
    usage,
    user,
)


@pytest.fixture
def settings():
    return Settings()


@pytest.fixture
def service(database, settings):
    return make_service(database, settings)


def _by_part(rows):
    return {r.sku_part_number: r for r in rows}


def test_reconciliation_counts_holders_once_and_entitles_warning_units(database, service):
    tenant = Tenant(database, service)
    tenant.load(
        skus=[
            # 5 enabled + 2 warning = 7 entitled; suspended and locked out are shown only.
            sku(SPE_E3, 5, warning=2, suspended=3, locked=1, consumed=4),
            sku(SPE_E5, 2, consumed=3),
            sku(EMS, 10, consumed=5),  # Graph says 5 consumed, but only one user holds it
        ],
        users=[user("u1"), user("u2"), user("u3"), user("u4")],
        holds=[
            hold(SPE_E3, "u1"),
            hold(SPE_E3, "u2", direct=False, groups=["g-e3"]),
            hold(SPE_E3, "u3", direct=True, groups=["g-e3"]),  # both paths: one user
            hold(SPE_E3, "u4"),
            hold(SPE_E5, "u1"),
            hold(SPE_E5, "u2"),
            hold(SPE_E5, "u3", direct=False, groups=["g-e5"]),
            hold(EMS, "u4"),
        ],
        subscriptions=[
            subscription("s1", SPE_E3, "Enabled", 5, next_at="2027-01-01T00:00:00Z"),
            subscription("s2", SPE_E3, "Warning", 2, next_at="2026-07-15T00:00:00Z"),
        ],
    )
    rows = _by_part(service.license_rows())
    e3, e5, ems = rows["SPE_E3"], rows["SPE_E5"], rows["EMS"]

    assert (e3.enabled, e3.warning, e3.suspended, e3.locked_out) == (5, 2, 3, 1)
    assert e3.entitlement == 7
    assert e3.assigned_users == 4  # u3's direct and group paths count once
    assert e3.duplicate_paths == 1
    assert e3.compliance_position == 3 and e3.unassigned == 3 and e3.shortfall == 0
    assert e3.grace and e3.grace_until == datetime(2026, 7, 15, tzinfo=UTC)
    assert not e3.consumed_mismatch
    assert e3.product == "Microsoft 365 E3" and e3.source is LicenseSource.MICROSOFT_365
    assert e3.tenant_name == "Contoso" and e3.connection == "Contoso"

    assert e5.compliance_position == -1 and e5.shortfall == 1 and e5.unassigned == 0
    assert ems.consumed_mismatch and ems.consumed_units == 5 and ems.assigned_users == 1

    # Overlaps: u1..u3 hold E5, which contains E3; u4 holds E3, which contains EMS.
    assert e3.overlap_users == 3
    assert ems.overlap_users == 1
    assert e5.overlap_users == 0

    kinds = {(w.kind, w.license_id) for w in service.overview().warnings}
    assert ("shortfall", e5.id) in kinds
    assert ("consumed-mismatch", ems.id) in kinds
    assert ("grace-period", e3.id) in kinds

    detail = service.license_detail(e3.id)
    assert [s.id for s in detail.subscriptions] == ["s2", "s1"]
    assert detail.holders_total == 4 and len(detail.holders) == 4
    u3 = next(h for h in detail.holders if h.user_id == "u3")
    assert u3.direct and u3.groups == ("g-e3",) and u3.overlap


def test_product_rollup_sums_tenants_and_skips_retired(database, service):
    contoso = Tenant(database, service, "Contoso")
    fabrikam = Tenant(
        database, service, "Fabrikam", tenant_id="22222222-2222-2222-2222-222222222222"
    )
    contoso.load(
        skus=[sku(SPE_E3, 3, consumed=2)],
        users=[user("a"), user("b")],
        holds=[hold(SPE_E3, "a"), hold(SPE_E3, "b")],
    )
    fabrikam.load(
        skus=[sku(SPE_E3, 1, consumed=3), sku(EMS, 4)],
        users=[user("c", domain="fabrikam.com"), user("d"), user("e")],
        holds=[hold(SPE_E3, "c"), hold(SPE_E3, "d"), hold(SPE_E3, "e")],
    )
    rollup = {p.product_key: p for p in service.product_rollup()}
    e3 = rollup["SPE_E3"]
    assert (e3.licenses, e3.tenants, e3.entitlement, e3.assigned_users) == (2, 2, 4, 5)
    # Positions +1 and −2: the roll-up nets them, unassigned and shortfall stay apart.
    assert (e3.compliance_position, e3.unassigned, e3.shortfall) == (-1, 1, 2)

    service.set_license_status(fabrikam.license_id(SPE_E3), "Retired", "sold to a partner")
    e3 = {p.product_key: p for p in service.product_rollup()}["SPE_E3"]
    assert (e3.licenses, e3.entitlement, e3.assigned_users, e3.shortfall) == (1, 3, 2, 0)
    retired = next(r for r in service.license_rows() if r.id == fabrikam.license_id(SPE_E3))
    assert retired.status is LicenseStatus.RETIRED and not retired.in_reconciliation
    assert retired.compliance_position is None and retired.assigned_users == 3
    assert all(r.in_reconciliation for r in service.license_rows(include_retired=False))
    overview = service.overview()
    fab = next(t for t in overview.tenants if t.key == "Fabrikam")
    assert (fab.entitled, fab.assigned, fab.shortfall) == (4, 0, 0)  # only EMS counts
    assert overview.total.entitled == 7 and overview.total.shortfall == 0
    assert not [w for w in overview.warnings if w.kind == "shortfall"]


def test_inactivity_rules(database, service, settings):
    """as-of 2026-06-30, N = 90 days (cutoff 2026-04-01), M = 14 days (2026-06-16)."""
    tenant = Tenant(database, service)
    tenant.load(
        skus=[sku(SPE_E3, 10, consumed=7)],
        users=[
            user("active", sign_in="2026-06-20T10:00:00Z"),
            user("stale", sign_in="2026-03-01T10:00:00Z"),
            user("never"),
            user("newhire", created="2026-06-20T00:00:00Z"),
            user("blocked", enabled=False, sign_in="2026-06-01T10:00:00Z"),
            user("reportonly", sign_in="2026-03-01T10:00:00Z"),
            user("edge", sign_in="2026-04-01T09:00:00Z"),
        ],
        holds=[
            hold(SPE_E3, "active"),
            hold(SPE_E3, "stale"),
            hold(SPE_E3, "never"),
            hold(SPE_E3, "newhire", assigned="2026-06-25T00:00:00Z"),
            hold(SPE_E3, "blocked"),
            hold(SPE_E3, "reportonly"),
            hold(SPE_E3, "edge"),
        ],
        # The report shows activity on 2026-06-10, later than the sign-in: the latest wins.
        usage_rows=[usage("reportonly", "2026-06-10")],
        sign_in=True,
    )
    e3 = service.license_rows()[0]
    assert e3.assigned_users == 7
    assert e3.inactive_users == 2  # stale, never (newhire is within M days)
    assert e3.never_active_users == 2  # never, newhire
    # active, blocked, reportonly, edge (on the cutoff day), and newhire: not yet judged,
    # so active + inactive + usage unknown = holders (spec §7).
    assert e3.active_users == 5
    assert e3.active_users + e3.inactive_users + e3.usage_unknown_users == 7
    assert e3.disabled_users == 1 and e3.usage_unknown_users == 0

    users = {u.id: u for u in service.iter_user_rows()}
    assert users["stale"].inactive and not users["stale"].never_active
    assert users["never"].inactive and users["never"].never_active
    assert users["newhire"].never_active and not users["newhire"].inactive
    assert users["reportonly"].last_activity == "2026-06-10" and not users["reportonly"].inactive
    assert users["blocked"].disabled_with_license

    settings.set(inactive_days=180)  # cutoff 2026-01-01: nobody is stale any more
    assert service.license_rows()[0].inactive_users == 1
    settings.set(inactive_days=90, min_assignment_age_days=3)  # the new hire is old enough
    assert service.license_rows()[0].inactive_users == 3


def test_concealed_names_give_usage_unknown_never_inactive(database, service):
    tenant = Tenant(database, service)
    tenant.load(
        skus=[sku(SPE_E3, 3, consumed=3)],
        users=[user("a"), user("b"), user("c")],
        holds=[hold(SPE_E3, "a"), hold(SPE_E3, "b"), hold(SPE_E3, "c")],
        sign_in=False,  # no Entra ID P1: no sign-in data
        reports=True,
        concealed=True,  # the engine dropped the concealed report rows
    )
    e3 = service.license_rows()[0]
    assert e3.usage_unknown_users == 3
    # Every holder's usage is unknown: no active or inactive figure at all, never a 0.
    assert e3.inactive_users is None and e3.active_users is None
    assert e3.never_active_users == 0 and e3.wasted_units == 0
    users = list(service.iter_user_rows())
    assert all(not u.usage_known and not u.inactive for u in users)
    concealed = [w for w in service.overview().warnings if w.kind == "concealed-names"]
    assert len(concealed) == 1 and "Org settings > Reports" in concealed[0].message


def test_report_rows_decide_usage_when_sign_in_is_missing(database, service):
    tenant = Tenant(database, service)
    tenant.load(
        skus=[sku(EMS, 3, consumed=3)],
        users=[user("mailbox"), user("idle"), user("emsonly")],
        holds=[hold(EMS, "mailbox"), hold(EMS, "idle"), hold(EMS, "emsonly")],
        usage_rows=[
            usage("mailbox", "2026-06-29"),
            usage("idle", None),  # a workload license and no activity at all
            usage("emsonly", "2026-01-01", workload=False),  # no workload license: unknown
        ],
        sign_in=False,
        reports=True,
    )
    ems = service.license_rows()[0]
    assert (ems.active_users, ems.inactive_users, ems.never_active_users) == (1, 1, 1)
    assert ems.usage_unknown_users == 1


def test_waste_and_cost(database, service):
    tenant = Tenant(database, service)
    tenant.load(
        skus=[sku(SPE_E3, 10, consumed=6), sku(SPE_E5, 1, consumed=1)],
        users=[
            user("gone", enabled=False, sign_in="2025-12-01T00:00:00Z"),  # disabled + inactive
            user("idle", sign_in="2026-01-05T00:00:00Z"),  # inactive
            user("boss", sign_in="2026-06-29T00:00:00Z"),  # also holds E5: overlap
            user("twice", sign_in="2026-06-29T00:00:00Z"),  # direct + group: no waste
            user("ok1", sign_in="2026-06-29T00:00:00Z"),
            user("ok2", sign_in="2026-06-29T00:00:00Z"),
        ],
        holds=[
            hold(SPE_E3, "gone"),
            hold(SPE_E3, "idle"),
            hold(SPE_E3, "boss"),
            hold(SPE_E5, "boss"),
            hold(SPE_E3, "twice", groups=["g"]),
            hold(SPE_E3, "ok1"),
            hold(SPE_E3, "ok2"),
        ],
    )
    service.set_price("spe_e3", 36)
    e3 = _by_part(service.license_rows())["SPE_E3"]
    # 4 unassigned + gone (once, though disabled and inactive) + idle + boss = 7 units.
    assert (e3.unassigned, e3.disabled_users, e3.inactive_users, e3.overlap_users) == (4, 1, 2, 1)
    assert e3.duplicate_paths == 1
    assert e3.wasted_units == 7
    assert e3.unit_price == 36.0
    assert e3.waste_cost == pytest.approx(252.0)
    assert e3.monthly_cost == pytest.approx(360.0) and e3.annual_cost == pytest.approx(4320.0)
    e5 = _by_part(service.license_rows())["SPE_E5"]
    assert e5.unit_price is None and e5.monthly_cost is None and e5.waste_cost is None
    total = service.overview().total
    assert total.monthly_cost == pytest.approx(360.0)
    assert total.monthly_waste == pytest.approx(252.0)


def test_free_skus_are_flagged_and_cost_nothing(database, service):
    tenant = Tenant(database, service)
    tenant.load(
        skus=[
            sku(FLOW_FREE, 10000, consumed=1),
            sku("99999999-0000-0000-0000-000000000001", 20000, part="CONTOSO_VIRAL"),
            sku("99999999-0000-0000-0000-000000000002", 5, part="CONTOSO_ADDON"),
        ],
        users=[user("a")],
        holds=[hold(FLOW_FREE, "a")],
    )
    service.set_price("FLOW_FREE", 5)
    rows = _by_part(service.license_rows())
    flow, viral, addon = rows["FLOW_FREE"], rows["CONTOSO_VIRAL"], rows["CONTOSO_ADDON"]
    assert flow.free and flow.waste_cost == 0.0 and flow.monthly_cost == 0.0
    assert viral.free and viral.product == "CONTOSO_VIRAL" and not viral.recognized
    assert not addon.free
    overview = service.overview()
    assert overview.total.entitled == 5  # free units stay out of the totals
    assert {p.product_key for p in overview.products} == {"CONTOSO_ADDON"}
    unknown = {u.sku_part_number: u for u in service.unrecognized_skus()}
    assert set(unknown) == {"CONTOSO_VIRAL", "CONTOSO_ADDON"}
    assert unknown["CONTOSO_ADDON"].tenants == ("Contoso",)
    service.set_price("CONTOSO_VIRAL", 2.5)  # a price says it is paid for after all
    assert not _by_part(service.license_rows())["CONTOSO_VIRAL"].free


def test_a_large_tenants_paid_sku_without_a_price_is_not_taken_for_free(database, service):
    stream = "1f2f344a-700d-42c9-9427-5cea1d5d7ba6"  # listed as paid; viral quota in tenants
    tenant = Tenant(database, service)
    tenant.load(
        skus=[sku(SPE_E3, 60000, consumed=1), sku(stream, 1_000_000, part="STREAM")],
        users=[user("a")],
        holds=[hold(SPE_E3, "a")],
    )
    rows = _by_part(service.license_rows())
    assert rows["SPE_E3"].recognized and not rows["SPE_E3"].free  # no price, still paid for
    assert rows["STREAM"].recognized and rows["STREAM"].free  # a viral quota
    assert service.overview().total.entitled == 60000


def test_office365_connector_licenses_have_their_own_source(database, service):
    from core.domain.connection import SourceType

    tenant = Tenant(database, service, "Legacy", source_type=SourceType.OFFICE_365)
    tenant.load(skus=[sku(SPE_E3, 1)])
    row = service.license_rows()[0]
    assert row.source is LicenseSource.OFFICE_365 and row.status is LicenseStatus.ACTIVE
    history = service.status_history(row.id)
    assert [(c.old_status, c.new_status, c.changed_by) for c in history] == [
        (None, LicenseStatus.ACTIVE, "import")
    ]
    tenant.load(skus=[sku(SPE_E3, 2)])  # a second import updates, never duplicates
    rows = service.license_rows()
    assert len(rows) == 1 and rows[0].enabled == 2
