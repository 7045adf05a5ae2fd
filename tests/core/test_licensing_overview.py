"""The Overview: totals per tenant, warnings that need action; stored holder aggregates."""

from __future__ import annotations

import json
from datetime import date

import pytest

from core.domain.connection import ConnectionDraft
from core.licensing import service as service_module
from core.storage.repositories import ConnectionRepository
from tests.core.licensing_helpers import (
    EMS,
    NOW,
    SPE_E3,
    Settings,
    Tenant,
    hold,
    make_service,
    sku,
    user,
)


@pytest.fixture
def settings():
    return Settings()


@pytest.fixture
def service(database, settings):
    return make_service(database, settings)


def _run(database, connection_id, name, status, warnings, error=None, started="2026-06-30"):
    conn = database.thread_connection()
    with database.transaction(conn):
        conn.execute(
            "INSERT INTO import_runs (connection_id, connection_name, started_at, ended_at, "
            "status, warnings, error) VALUES (?, ?, ?, ?, ?, ?, ?)",
            (
                connection_id,
                name,
                f"{started}T10:00:00+00:00",
                f"{started}T10:05:00+00:00",
                status,
                json.dumps(warnings),
                error,
            ),
        )


def test_totals_per_tenant_and_in_all(database, service):
    contoso = Tenant(database, service, "Contoso")
    contoso.load(
        skus=[sku(SPE_E3, 4, consumed=2), sku(EMS, 1, consumed=2)],
        users=[user("a", sign_in="2026-06-29T00:00:00Z"), user("b")],
        holds=[hold(SPE_E3, "a"), hold(SPE_E3, "b"), hold(EMS, "a"), hold(EMS, "b")],
    )
    fabrikam = Tenant(
        database, service, "Fabrikam", tenant_id="22222222-2222-2222-2222-222222222222"
    )
    fabrikam.load(skus=[sku(SPE_E3, 3)])
    service.set_price("SPE_E3", 30)
    service.set_price("EMS", 10)
    overview = service.overview()
    tenants = {t.key: t for t in overview.tenants}
    c = tenants["Contoso"]
    # E3: 4 entitled, 2 assigned (a active, b never active), 2 unassigned; EMS: shortfall 1.
    assert (c.entitled, c.assigned, c.active, c.unassigned, c.shortfall) == (5, 4, 2, 2, 1)
    assert c.monthly_cost == pytest.approx(4 * 30 + 1 * 10)
    # Waste: E3 2 unassigned + b inactive = 3 × 30; EMS: b inactive, capped at 1 entitled.
    assert c.monthly_waste == pytest.approx(3 * 30 + 1 * 10)
    f = tenants["Fabrikam"]
    assert (f.entitled, f.assigned, f.unassigned, f.monthly_cost) == (3, 0, 3, 90.0)
    total = overview.total
    assert (total.entitled, total.assigned, total.unassigned, total.shortfall) == (8, 4, 5, 1)
    assert total.monthly_cost == pytest.approx(c.monthly_cost + f.monthly_cost)
    assert overview.currency == "USD"
    chart = {p.product_key: p for p in overview.products}
    assert (chart["SPE_E3"].entitlement, chart["SPE_E3"].assigned_users) == (7, 2)
    assert chart["SPE_E3"].active_users == 1


def test_warnings_that_need_action(database, service):
    conn = database.thread_connection()
    with database.transaction(conn):
        expiring = ConnectionRepository().insert(
            conn,
            ConnectionDraft(name="Expiring", tenant="x.com", secret_expires_on=date(2026, 7, 20)),
        )
        ConnectionRepository().insert(
            conn, ConnectionDraft(name="Later", tenant="y.com", secret_expires_on=date(2027, 1, 1))
        )
    tenant = Tenant(database, service, "Contoso")
    tenant.load(skus=[sku(SPE_E3, 1)], sign_in=False, reports=True, concealed=True)
    _run(
        database,
        tenant.connection_id,
        "Contoso",
        "succeeded with warnings",
        [
            "Sign-in activity was not imported: the AuditLog.Read.All permission is missing.",
            "Usage reports of Contoso conceal user names, so usage is unknown …",
        ],
    )
    _run(database, expiring, "Expiring", "failed", [], error="The secret was rejected.")
    warnings = service.overview().warnings
    kinds = [w.kind for w in warnings]
    assert kinds.count("concealed-names") == 1  # the run's own concealed warning is folded in
    secret = next(w for w in warnings if w.kind == "expiring-secret")
    assert "“Expiring”" in secret.message and "2026-07-20" in secret.message
    assert secret.connection_id == expiring and kinds.count("expiring-secret") == 1
    permission = next(w for w in warnings if w.kind == "missing-permission")
    assert "AuditLog.Read.All" in permission.message and permission.tenant_name == "Contoso"
    failed = next(w for w in warnings if w.kind == "import-failed")
    assert failed.severity == "error" and "secret was rejected" in failed.message
    assert NOW.date() < date(2026, 7, 20)


def test_holder_aggregates_are_stored_per_snapshot(database, service, settings, monkeypatch):
    tenant = Tenant(database, service)
    tenant.load(
        skus=[sku(SPE_E3, 2)],
        users=[user("a"), user("b", sign_in="2026-06-29T00:00:00Z")],
        holds=[hold(SPE_E3, "a"), hold(SPE_E3, "b")],
    )
    assert service.license_rows()[0].inactive_users == 1

    def no_recompute(*args, **kwargs):
        raise AssertionError("stored aggregates should have been used")

    monkeypatch.setattr(service_module, "compute_sku_stats", no_recompute)
    fresh = make_service(database, settings)  # a new start of the app
    assert fresh.license_rows()[0].inactive_users == 1
    monkeypatch.undo()
    settings.set(min_assignment_age_days=1000)  # other settings: computed again, in memory
    assert fresh.license_rows()[0].inactive_users == 0

    def stored() -> list[str]:
        conn = database.thread_connection()
        return [r[0] for r in conn.execute("SELECT DISTINCT params FROM holder_stats")]

    old = f"{service_module.STATS_RULES}|-90 days|-14 days|{fresh._catalog.fingerprint()}"
    assert stored() == [old]  # a read never writes
    fresh.refresh_stored_stats()  # what changing the setting does
    assert stored() == [old.replace("-14 days", "-1000 days")]


def test_figures_flow_forward_and_a_read_never_writes(database, settings) -> None:
    """The import's commit stores the holder statistics; reading the licenses writes nothing
    (not even with another process holding the write lock); a setting that changes them stores
    them again, as part of that write."""
    import sqlite3

    from core.controller import Controller
    from core.paths import AppPaths

    service = make_service(database, settings)
    tenant = Tenant(database, service)
    tenant.load(skus=[sku(SPE_E3, 4, consumed=2)], users=[user("a"), user("b")],
                holds=[hold(SPE_E3, "a"), hold(SPE_E3, "b")])  # fmt: skip
    conn = database.thread_connection()
    stored = conn.execute("SELECT COUNT(*) FROM holder_stats").fetchone()[0]
    assert stored == 2  # the snapshot's row and its one SKU, written by the commit

    # Another process holds the write lock: a read must neither wait for it nor fail.
    if database.dialect.name == "sqlite":
        other = sqlite3.connect(database.path, timeout=0)
        other.execute("BEGIN IMMEDIATE")
        conn.execute("PRAGMA busy_timeout = 0")
    else:
        other = database.connect()
        other.execute("BEGIN")
        other.execute("SELECT pg_advisory_xact_lock(hashtext(current_schema()) & 2147483647)")
        conn.execute("SET lock_timeout = '100ms'")
    try:
        reader = make_service(database, settings)
        assert reader.license_rows()[0].inactive_users == 2
    finally:
        other.execute("ROLLBACK")
        other.close()

    controller = Controller.open(AppPaths(database.path.parent))
    try:
        controller.update_setting("min_assignment_age_days", "1000")
        params = {r[0] for r in conn.execute("SELECT params FROM holder_stats")}
        assert params == {f"{service_module.STATS_RULES}|-90 days|-1000 days|"
                          f"{service._catalog.fingerprint()}"}  # fmt: skip
    finally:
        controller.close()
