"""With a signed-in account (delegated token), a 403 on reports, subscriptions or sign-in
activity usually means the account lacks a directory role, not consent: the messages name the
role. The simulator now gates these on the roles in the token (`wids`), as Graph does."""

from __future__ import annotations

from dataclasses import replace

import pytest
import requests

from core.connections.check import run_connection_test
from core.connections.wiring import build_tokens
from core.domain.cancel import CancelToken
from core.domain.connection import (
    AuthMethod,
    Connection,
    ConnectionDraft,
    ConnectionSecrets,
    PermissionState,
    SourceType,
)
from core.domain.imports import ImportStatus
from core.errors import PermissionMissingError
from core.graph import GraphClient, ReportBudget
from core.graph.roles import forbidden_message
from core.imports.engine import ImportRequest, run_import
from core.simulator.adapter import Simulator
from core.simulator.demo import profile_spec
from core.simulator.model import TenantModel
from core.storage.db import Database
from core.storage.repositories import ConnectionRepository
from tests.integration.test_simulated_imports import PROFILE

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")  # msal's ROPC warning

USER_ADMIN = replace(
    profile_spec(PROFILE), password="pw-1", admin_roles=frozenset({"User Administrator"})
)


def password_connection(database: Database, secrets: bool = True) -> tuple[Connection, object]:
    draft = ConnectionDraft(
        name="Legacy",
        source_type=SourceType.OFFICE_365,
        method=AuthMethod.PASSWORD,
        tenant=USER_ADMIN.domain,
        username=USER_ADMIN.admin_upn,
        secrets=ConnectionSecrets(password="pw-1"),
    )
    conn = database.thread_connection()
    with database.transaction(conn):
        cid = ConnectionRepository().insert(conn, draft)
    found = ConnectionRepository().get(conn, cid)
    assert found is not None
    return found, draft


def graph_for(sim: Simulator, draft: ConnectionDraft) -> GraphClient:
    session = sim.mount(requests.Session())
    tokens = build_tokens(draft, session=session, cache_store=None)
    return GraphClient(
        session,
        tokens,
        "https://graph.microsoft.com",
        sleep=lambda s: None,
        report_budget=ReportBudget(),
        max_retries=1,
    )


def test_a_signed_in_account_without_roles_gets_role_messages(database) -> None:
    sim = Simulator([TenantModel(USER_ADMIN)])
    connection, draft = password_connection(database)
    request = ImportRequest(connection=connection, graph=graph_for(sim, draft), database=database)

    run = run_import(request, progress=lambda e: None, cancel=CancelToken())

    assert run.status is ImportStatus.SUCCEEDED_WITH_WARNINGS, run.error
    warnings = "\n".join(run.warnings)
    assert (
        "Subscriptions (trials, renewal dates) were not read: Microsoft Graph refused the "
        "subscriptions to the signed-in account. With a signed-in account this usually means "
        "it lacks a directory role, not consent: assign it the Global Reader role in the "
        "Microsoft Entra admin center, then try again."
    ) in run.warnings
    assert (
        "Usage reports were not read: Microsoft Graph refused the usage reports to the "
        "signed-in account. With a signed-in account this usually means it lacks a directory "
        "role, not consent: assign it the Reports Reader role (Global Reader sees tenant "
        "totals only, not the per-user reports) in the Microsoft Entra admin center, then "
        "try again."
    ) in run.warnings
    assert (
        "Sign-in activity was not imported: Microsoft Graph refused the sign-in activity to "
        "the signed-in account. With a signed-in account this usually means it lacks a "
        "directory role, not consent: assign it the Reports Reader role (or Security Reader) "
        "in the Microsoft Entra admin center, then try again. Last activity comes from the "
        "reports."
    ) in run.warnings
    assert "grant admin consent" not in warnings
    assert run.counts.users > 0


def test_the_connection_test_names_the_role_for_a_signed_in_account(database) -> None:
    sim = Simulator([TenantModel(USER_ADMIN)])
    _, draft = password_connection(database)
    report = run_connection_test(
        graph_for(sim, draft), reports_available=True, method=AuthMethod.PASSWORD
    )
    by_area = {c.area: c for c in report.checks}
    assert by_area["reports"].state is PermissionState.MISSING
    assert "assign it the Reports Reader role" in by_area["reports"].message
    assert "assign it the Reports Reader role (or Security Reader)" in (
        by_area["sign-in activity"].message
    )
    assert by_area["users"].state is PermissionState.GRANTED


def test_the_own_app_keeps_the_missing_permission_message() -> None:
    url = "https://graph.microsoft.com/v1.0/reports/getOffice365ActiveUserDetail(period='D30')"
    exc = PermissionMissingError("Reports.Read.All", url=url)
    assert forbidden_message(exc, AuthMethod.OWN_APP) == (
        "Permission Reports.Read.All is missing: add it to the app and grant admin consent."
    )
    assert "Reports Reader" in forbidden_message(exc, AuthMethod.MULTI_TENANT)
    users = PermissionMissingError("User.Read.All", url="https://graph.microsoft.com/v1.0/users")
    assert forbidden_message(users, AuthMethod.MULTI_TENANT) == users.message
