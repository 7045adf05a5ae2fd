"""License status and the SaaS Management connector's rule (spec §5, §6)."""

from __future__ import annotations

import getpass
from datetime import UTC, datetime

import pytest

from core.domain.connection import SourceType
from core.domain.licensing import LicenseSource, LicenseStatus
from core.domain.saas import SwitchCounts
from core.errors import LicenseDeskError
from tests.core.licensing_helpers import (
    EMS,
    ENTERPRISEPACK,
    SPE_E3,
    SPE_E5,
    STANDARDPACK,
    Tenant,
    add_saas_license,
    make_service,
    sku,
)


@pytest.fixture
def service(database):
    return make_service(database)


@pytest.fixture
def estate(database, service):
    """A Microsoft 365 tenant, a deprecated-connector tenant and one SaaS Management license."""
    m365 = Tenant(database, service, "Contoso")
    m365.load(skus=[sku(SPE_E3, 10), sku(SPE_E5, 5)])
    o365 = Tenant(
        database,
        service,
        "Fabrikam",
        source_type=SourceType.OFFICE_365,
        tenant_id="22222222-2222-2222-2222-222222222222",
    )
    o365.load(skus=[sku(ENTERPRISEPACK, 20), sku(STANDARDPACK, 8)])
    saas = add_saas_license(database, terms=[("t1", 30, 3600.0, "2027-06-30T00:00:00Z")])
    return m365, o365, saas


def _statuses(service):
    return {r.id: r.status for r in service.license_rows()}


def _history(service, license_id):
    return [(c.old_status, c.new_status, c.changed_by) for c in service.status_history(license_id)]


def test_user_status_change_is_recorded(service, estate):
    m365, _, _ = estate
    lid = m365.license_id(SPE_E3)
    assert service.set_license_status(lid, "in stock", "spare seats")
    assert not service.set_license_status(lid, LicenseStatus.IN_STOCK)  # nothing changed
    change = service.status_history(lid)[-1]
    assert (change.old_status, change.new_status) == (LicenseStatus.ACTIVE, LicenseStatus.IN_STOCK)
    # The author is the OS user who made the change, not a fixed word.
    assert change.changed_by == getpass.getuser() and change.reason == "spare seats"
    assert change.changed_at == datetime(2026, 7, 1, 12, 0, tzinfo=UTC)
    with pytest.raises(LicenseDeskError, match="Unknown license status"):
        service.set_license_status(lid, "Lost")
    with pytest.raises(LicenseDeskError, match="no license"):
        service.set_license_status(9999, "Active")


def test_enabling_retires_connector_licenses_of_both_kinds_only(database, service, estate):
    m365, o365, saas = estate
    service.set_license_status(o365.license_id(STANDARDPACK), "Retired", "cancelled")
    service.set_license_status(m365.license_id(SPE_E5), "In stock", "spares")
    assert service.retire_preview_count() == 3  # E3, E5 (in stock), ENTERPRISEPACK

    assert service.switch_preview(True) == SwitchCounts(True, retired=3, restored=0)
    assert service.set_saas_enabled(True) == SwitchCounts(True, retired=3, restored=0)
    assert service.saas_enabled()
    statuses = _statuses(service)
    assert statuses[saas] is LicenseStatus.ACTIVE
    connector = [r for r in service.license_rows() if r.source is not LicenseSource.SAAS_MANAGEMENT]
    assert {r.source for r in connector} == {LicenseSource.MICROSOFT_365, LicenseSource.OFFICE_365}
    assert all(r.status is LicenseStatus.RETIRED for r in connector)
    assert service.retire_preview_count() == 0
    # Already enabled: nothing happens.
    assert service.set_saas_enabled(True) == SwitchCounts(True, retired=0, restored=0)
    last = service.status_history(m365.license_id(SPE_E3))[-1]
    assert last.changed_by == "saas-management" and "supersedes" in last.reason

    # Retired licenses leave every total: only the SaaS Management license counts now.
    overview = service.overview()
    assert overview.total.licenses == 1 and overview.total.entitled == 30
    assert [p.product_key for p in service.product_rollup()] == ["saas:Microsoft 365 E3 (SaaS)"]

    # Disabling restores the connectors' licenses and retires SaaS Management's own.
    assert service.set_saas_enabled(False) == SwitchCounts(False, retired=1, restored=3)
    statuses = _statuses(service)
    assert statuses[saas] is LicenseStatus.RETIRED
    assert statuses[m365.license_id(SPE_E3)] is LicenseStatus.ACTIVE
    assert statuses[m365.license_id(SPE_E5)] is LicenseStatus.IN_STOCK  # its status before
    assert statuses[o365.license_id(ENTERPRISEPACK)] is LicenseStatus.ACTIVE
    assert statuses[o365.license_id(STANDARDPACK)] is LicenseStatus.RETIRED  # was retired
    assert _history(service, m365.license_id(SPE_E5)) == [
        (None, LicenseStatus.ACTIVE, "import"),
        (LicenseStatus.ACTIVE, LicenseStatus.IN_STOCK, getpass.getuser()),
        (LicenseStatus.IN_STOCK, LicenseStatus.RETIRED, "saas-management"),
        (LicenseStatus.RETIRED, LicenseStatus.IN_STOCK, "saas-management"),
    ]
    assert _history(service, o365.license_id(STANDARDPACK))[-1][2] == getpass.getuser()


def test_every_change_names_the_os_user_whose_process_made_it(service, estate, monkeypatch):
    m365, _, _ = estate
    lid = m365.license_id(SPE_E3)
    monkeypatch.setenv("LOGNAME", "carol")
    monkeypatch.setenv("USER", "carol")
    service.set_license_status(lid, "in stock", "spare seats")
    monkeypatch.setenv("LOGNAME", "dave")
    monkeypatch.setenv("USER", "dave")
    service.set_saas_enabled(True)

    created, by_hand, switched = service.status_history(lid)
    assert created.changed_by == "import" and created.changed_by_user
    assert created.author == f"Import ({created.changed_by_user})"
    assert (by_hand.changed_by, by_hand.changed_by_user, by_hand.author) == ("carol",) * 3
    assert (switched.changed_by, switched.changed_by_user) == ("saas-management", "dave")
    assert switched.author == "SaaS Management connector (dave)"


def test_a_status_changed_by_hand_while_enabled_survives_disabling(service, estate):
    m365, o365, _ = estate
    service.set_saas_enabled(True)
    service.set_license_status(o365.license_id(ENTERPRISEPACK), "Purchased", "true-up order")
    # Confirming Retired by hand also pins it: disabling will not bring it back.
    service.set_license_status(m365.license_id(SPE_E5), "Retired", "moved to SaaS Management")
    row = next(r for r in service.license_rows() if r.id == o365.license_id(ENTERPRISEPACK))
    assert row.in_reconciliation and not row.retired_by_saas
    assert service.retired_by_connector_count() == 2  # E3 and STANDARDPACK

    service.set_saas_enabled(False)
    statuses = _statuses(service)
    assert statuses[o365.license_id(ENTERPRISEPACK)] is LicenseStatus.PURCHASED
    assert statuses[m365.license_id(SPE_E5)] is LicenseStatus.RETIRED
    assert statuses[m365.license_id(SPE_E3)] is LicenseStatus.ACTIVE
    assert statuses[o365.license_id(STANDARDPACK)] is LicenseStatus.ACTIVE


def test_licenses_created_while_enabled_are_retired_from_the_start(service, estate):
    m365, _, _ = estate
    service.set_saas_enabled(True)
    m365.load(skus=[sku(SPE_E3, 10), sku(SPE_E5, 5), sku(EMS, 7)])
    ems = m365.license_id(EMS)
    row = next(r for r in service.license_rows() if r.id == ems)
    assert row.status is LicenseStatus.RETIRED and row.retired_by_saas
    assert _history(service, ems) == [(None, LicenseStatus.RETIRED, "saas-management")]
    assert "retired from the start" in service.status_history(ems)[0].reason

    service.set_saas_enabled(False)
    assert _statuses(service)[ems] is LicenseStatus.ACTIVE


def test_upgrading_a_database_retires_saas_licenses_counted_while_disabled(app_paths) -> None:
    """A database from before the rule (schema 2) may hold SaaS Management licenses in
    reconciliation while the connector is disabled: the upgrade retires them, recording why,
    and enabling the connector restores them."""
    import sqlite3

    from core.storage.db import Database
    from core.storage.schema import MIGRATIONS

    raw = sqlite3.connect(app_paths.database)
    raw.executescript(MIGRATIONS[0] + MIGRATIONS[1] + "PRAGMA user_version = 2;")
    raw.execute(
        "INSERT INTO licenses (source, saas_license_id, saas_app_id, name, status, created_at) "
        "VALUES ('SaaS Management', 'k1', 'app', 'Microsoft 365 E3', 'In stock', '2026-06-01')"
    )
    raw.execute("INSERT INTO settings (key, value) VALUES ('saas_enabled', '0')")
    raw.commit()
    raw.close()

    database = Database(app_paths.database, backups_dir=app_paths.backups_dir)
    database.migrate()
    service = make_service(database)
    (row,) = service.license_rows()
    assert row.status is LicenseStatus.RETIRED and not row.in_reconciliation
    assert _history(service, row.id) == [
        (LicenseStatus.IN_STOCK, LicenseStatus.RETIRED, "saas-management")
    ]
    assert service.switch_preview(True) == SwitchCounts(True, retired=0, restored=1)
    service.set_saas_enabled(True)
    assert service.license_rows()[0].status is LicenseStatus.IN_STOCK
    database.close_thread_connection()


def test_several_statuses_change_in_one_transaction_with_one_reason(database, service, estate):
    from core.licensing.status import set_statuses_by_user

    m365, o365, _ = estate
    ids = [m365.license_id(SPE_E3), m365.license_id(SPE_E5), o365.license_id(STANDARDPACK)]
    when = datetime(2026, 7, 2, tzinfo=UTC)
    with database.transaction(database.thread_connection()) as conn:
        changed = set_statuses_by_user(conn, ids, LicenseStatus.IN_STOCK, "year-end count", when)
    assert changed == 3
    for license_id in ids:
        last = service.status_history(license_id)[-1]
        assert (last.new_status, last.reason) == (LicenseStatus.IN_STOCK, "year-end count")
        assert last.changed_by == getpass.getuser()
    # All or none: an unknown id rolls the whole change back.
    with (
        pytest.raises(LicenseDeskError, match="no license"),
        database.transaction(database.thread_connection()) as conn,
    ):
        set_statuses_by_user(conn, [ids[0], 999_999], LicenseStatus.RETIRED, "oops", when)
    assert _statuses(service)[ids[0]] is LicenseStatus.IN_STOCK
