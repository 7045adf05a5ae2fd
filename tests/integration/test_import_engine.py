"""The import engine against exact Graph answers (responses): parsing, fallbacks, concealed
names, and failed or cancelled imports that leave the previous snapshot intact."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator

import pytest
import responses

from core.domain.cancel import CancelToken
from core.domain.cloud import Cloud
from core.domain.connection import Connection
from core.domain.imports import ImportProgress, ImportStatus
from core.graph import GraphClient, ReportBudget
from core.imports.engine import ImportRequest, run_import
from core.storage.db import Database
from core.storage.dialect import CONFLICT_KEYS
from core.storage.repositories import ConnectionRepository
from tests.fixtures import graph as fx


class FakeTokens:
    def __init__(self) -> None:
        self.calls = 0

    def get_token(self, *, force_refresh: bool = False) -> str:
        self.calls += 1
        return "token-value"

    tenant_id = fx.TENANT_ID
    granted_roles = None


@pytest.fixture
def mock() -> Iterator[responses.RequestsMock]:
    with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
        yield rsps


@pytest.fixture
def connection(database: Database) -> Connection:
    from core.domain.connection import ConnectionDraft

    conn = database.thread_connection()
    repo = ConnectionRepository()
    with database.transaction(conn):
        cid = repo.insert(conn, ConnectionDraft(name="Contoso HQ", tenant="contoso.com"))
    found = repo.get(conn, cid)
    assert found is not None
    return found


def do_import(
    database: Database,
    connection: Connection,
    *,
    cancel: CancelToken | None = None,
    progress=None,
    reports: bool = True,
):
    import requests

    graph = GraphClient(
        requests.Session(),
        FakeTokens(),
        "https://graph.microsoft.com",
        sleep=lambda s: None,
        report_budget=ReportBudget(),
    )
    request = ImportRequest(
        connection=connection, graph=graph, database=database, reports_available=reports
    )
    events: list[ImportProgress] = []
    run = run_import(request, progress=progress or events.append, cancel=cancel or CancelToken())
    return run, events


def current(db: Database, table: str, where: str = "") -> list[sqlite3.Row]:
    sql = (
        f"SELECT t.* FROM {table} t JOIN snapshots s ON s.id = t.snapshot_id "
        f"WHERE s.state = 'current' {where} ORDER BY {CONFLICT_KEYS.get(table, 't.snapshot_id')}"
    )
    return db.thread_connection().execute(sql).fetchall()


def test_full_import_writes_one_current_snapshot(mock, database, connection) -> None:
    fx.add_tenant(mock)
    run, events = do_import(database, connection)
    assert run.status is ImportStatus.SUCCEEDED, run.error
    assert (run.counts.skus, run.counts.subscriptions, run.counts.users) == (2, 2, 4)
    assert run.counts.licensed_users == 3
    assert run.counts.report_rows == 5
    assert {e.step for e in events} >= {"organization", "skus", "users", "reports", "done"}
    skus = {r["sku_part_number"]: r for r in current(database, "skus")}
    assert skus["SPE_E3"]["warning"] == 1 and skus["SPE_E3"]["suspended"] == 5
    assert skus["SPE_E5"]["sku_id"] == fx.E5  # upper-case GUIDs are normalised
    paths = {(r["user_id"][-1], r["sku_id"]): r for r in current(database, "user_skus")}
    both = paths[("1", fx.E3)]
    assert both["direct"] == 1 and both["group_count"] == 1 and both["group_ids"] == fx.GROUP
    assert paths[("2", fx.E3)]["direct"] == 0
    assert len([k for k in paths if k[1] == fx.E3]) == 3  # distinct assignees of E3
    usage = {r["upn_lower"]: r for r in current(database, "report_usage")}
    assert "gone@contoso.com" not in usage  # deleted users are skipped
    assert usage["user1@contoso.com"]["last_activity"] == "2026-11-26"  # apps report is later
    assert usage["user1@contoso.com"]["has_workload_license"] == 1
    assert usage["user1@contoso.com"]["last_activation"] == "2026-02-01"
    snap = (
        database.thread_connection()
        .execute("SELECT * FROM snapshots WHERE state = 'current'")
        .fetchone()
    )
    assert snap["report_refresh_date"] == "2026-11-27" and snap["as_of"] == "2026-11-27"
    assert snap["sign_in_imported"] == 1 and snap["concealed_names"] == 0
    stored = ConnectionRepository().get(database.thread_connection(), connection.id)
    assert stored is not None and stored.tenant_id == fx.TENANT_ID
    assert stored.tenant_name == "Contoso Ltd"
    # The report download never carried the bearer token.
    downloads = [c for c in mock.calls if c.request.url.startswith(fx.DOWNLOAD)]
    assert len(downloads) == 3
    assert all("Authorization" not in c.request.headers for c in downloads)


def test_sign_in_activity_falls_back_without_premium(mock, database, connection) -> None:
    fx.add_tenant(mock, premium=False)
    run, _ = do_import(database, connection)
    assert run.status is ImportStatus.SUCCEEDED_WITH_WARNINGS
    assert run.counts.users == 4
    assert any("Entra ID P1/P2" in w for w in run.warnings)
    snap = (
        database.thread_connection()
        .execute("SELECT sign_in_imported FROM snapshots WHERE state = 'current'")
        .fetchone()
    )
    assert snap["sign_in_imported"] == 0
    assert all(r["last_sign_in"] is None for r in current(database, "users"))


def test_concealed_setting_gives_usage_unknown_and_tells_how_to_fix(
    mock, database, connection
) -> None:
    fx.add_tenant(mock, concealed_setting=True)
    run, _ = do_import(database, connection)
    assert run.status is ImportStatus.SUCCEEDED_WITH_WARNINGS
    assert any("Settings > Org settings > Reports" in w for w in run.warnings)
    assert any("next report refresh" in w for w in run.warnings)
    assert current(database, "report_usage") == []
    snap = (
        database.thread_connection()
        .execute("SELECT concealed_names FROM snapshots WHERE state = 'current'")
        .fetchone()
    )
    assert snap["concealed_names"] == 1


def test_hex_report_names_are_detected_as_concealed(mock, database, connection) -> None:
    hidden = [
        fx.active_row("77E5979DD60BA6EAA53E814DBEEEFA5F", "2026-11-25"),
        fx.active_row("0A1B2C3D4E5F60718293A4B5C6D7E8F9", "2026-11-20"),
    ]
    fx.add_tenant(
        mock,
        active_rows=hidden,
        apps_rows=[
            "2026-11-27,77E5979DD60BA6EAA53E814DBEEEFA5F,,2026-11-26,30,"
            "Yes,No,No,Yes,Yes,Yes,Yes,No,No,Yes"
        ],
        activation_rows=[
            "2026-11-27,77E5979DD60BA6EAA53E814DBEEEFA5F,X,"
            "MICROSOFT 365 APPS FOR ENTERPRISE,2026-02-01,1,0,0,1,0,False"
        ],
    )
    run, _ = do_import(database, connection)
    assert any("conceal user names" in w for w in run.warnings)
    assert current(database, "report_usage") == []


def test_missing_subscription_permission_is_a_warning(mock, database, connection) -> None:
    fx.add_tenant(mock)
    mock.replace(
        responses.GET,
        f"{fx.GRAPH}/directory/subscriptions",
        status=403,
        json=fx.graph_error("Authorization_RequestDenied"),
    )
    run, _ = do_import(database, connection)
    assert run.status is ImportStatus.SUCCEEDED_WITH_WARNINGS
    assert any("Organization.Read.All" in w for w in run.warnings)


def test_reports_outside_global_cloud_are_skipped_with_a_warning(
    mock, database, connection
) -> None:
    fx.add_tenant(mock)
    run, _ = do_import(database, connection, reports=False)
    assert run.status is ImportStatus.SUCCEEDED_WITH_WARNINGS
    assert any("not available in this cloud" in w for w in run.warnings)
    assert not any("/reports/" in c.request.url for c in mock.calls)


def _snapshot_fingerprint(db: Database) -> list[tuple]:
    conn = db.thread_connection()
    return [
        tuple(r)
        for r in conn.execute(
            "SELECT s.id, s.state, COUNT(u.id) FROM snapshots s LEFT JOIN users u "
            "ON u.snapshot_id = s.id GROUP BY s.id ORDER BY s.id"
        )
    ]


def test_malformed_page_fails_and_keeps_the_previous_snapshot(mock, database, connection) -> None:
    fx.add_tenant(mock)
    first, _ = do_import(database, connection)
    assert first.status is ImportStatus.SUCCEEDED
    before = _snapshot_fingerprint(database)
    mock.reset()
    fx.add_tenant(mock)
    mock.replace(
        responses.GET,
        f"{fx.GRAPH}/users",
        body="{not json",
        match=[responses.matchers.query_param_matcher({"$skiptoken": "page1"})],
    )
    run, _ = do_import(database, connection)
    assert run.status is ImportStatus.FAILED
    assert "users" in (run.error or "") + (run.error_detail or "")
    assert _snapshot_fingerprint(database) == before
    assert [r["user_principal_name"] for r in current(database, "users")][:1] == [
        "user1@contoso.com"
    ]


def test_cancel_between_pages_keeps_the_previous_snapshot(mock, database, connection) -> None:
    fx.add_tenant(mock)
    do_import(database, connection)
    before = _snapshot_fingerprint(database)
    mock.reset()
    fx.add_tenant(mock)
    token = CancelToken()
    users_events: list[ImportProgress] = []

    def progress(event: ImportProgress) -> None:
        if event.step == "users":
            users_events.append(event)
        if len(users_events) == 2:  # "Reading users", then the first page
            token.cancel()

    run, _ = do_import(database, connection, cancel=token, progress=progress)
    assert run.status is ImportStatus.CANCELLED
    assert _snapshot_fingerprint(database) == before
    history = (
        database.thread_connection()
        .execute("SELECT status FROM import_runs ORDER BY id")
        .fetchall()
    )
    assert [r["status"] for r in history] == ["succeeded", "cancelled"]


def test_organization_of_another_tenant_fails_the_import(mock, database) -> None:
    from core.domain.connection import ConnectionDraft

    conn = database.thread_connection()
    repo = ConnectionRepository()
    with database.transaction(conn):
        cid = repo.insert(
            conn, ConnectionDraft(name="Wrong", tenant="fabrikam.com", cloud=Cloud.GLOBAL)
        )
    wrong = repo.get(conn, cid)
    fx.add_tenant(mock)
    run, _ = do_import(database, wrong)
    assert run.status is ImportStatus.FAILED
    assert "fabrikam.com" in (run.error or "")
    assert conn.execute("SELECT COUNT(*) FROM snapshots").fetchone()[0] == 0
