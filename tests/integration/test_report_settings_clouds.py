"""`/admin/reportSettings` exists in v1.0 in the Global cloud only: it is read under the reports'
version (beta where the connection turned beta reports on), and it is optional, so any failure
of it is a warning, never a failed import."""

from __future__ import annotations

from dataclasses import replace

import pytest
import requests

from core.bootstrap import transport
from core.connections.wiring import build_tokens
from core.domain.cancel import CancelToken
from core.domain.imports import ImportStatus
from core.graph import GraphClient, ReportBudget
from core.imports.engine import ImportRequest, run_import
from core.simulator.adapter import Simulator
from core.simulator.demo import profile_spec
from core.simulator.graph import GraphService
from core.simulator.model import TenantModel
from core.simulator.odata import graph_error
from tests.integration.test_simulated_imports import PROFILE, assert_matches_truth, make_connection


def run(sim: Simulator, database, *, report_version: str | None, reports_available: bool = True):
    connection = make_connection(database)
    draft = transport().with_secrets(connection)
    session = sim.mount(requests.Session())
    tokens = build_tokens(draft, session=session, cache_store=None)
    graph = GraphClient(
        session,
        tokens,
        "https://graph.microsoft.com",
        report_version=report_version,
        sleep=lambda s: None,
        report_budget=ReportBudget(),
        max_retries=2,
    )
    request = ImportRequest(
        connection=connection,
        graph=graph,
        database=database,
        reports_available=reports_available,
    )
    return run_import(request, progress=lambda e: None, cancel=CancelToken())


def national_cloud_tenant() -> TenantModel:
    return TenantModel(replace(profile_spec(PROFILE), v1_reports=False))


def test_beta_reports_read_the_report_settings_from_beta_too(database) -> None:
    model = national_cloud_tenant()
    sim = Simulator([model])
    result = run(sim, database, report_version="beta")
    assert result.status is ImportStatus.SUCCEEDED, (result.error, result.warnings)
    assert_matches_truth(result, model, database)
    settings = [e for e in sim.log if e.endpoint == "reportSettings"]
    assert [e.status for e in settings] == [200]
    assert "/beta/admin/reportSettings" in settings[0].url
    assert not [e for e in sim.log if "/v1.0/admin/reportSettings" in e.url]


def test_without_beta_reports_a_national_cloud_skips_settings_and_reports(database) -> None:
    sim = Simulator([national_cloud_tenant()])
    result = run(sim, database, report_version=None, reports_available=False)
    assert result.status is ImportStatus.SUCCEEDED_WITH_WARNINGS
    assert any("turn on beta reports" in w for w in result.warnings)
    assert not [e for e in sim.log if e.endpoint == "reportSettings"]


@pytest.mark.parametrize(
    ("status", "code"),
    [(400, "BadRequest"), (404, "Request_ResourceNotFound"), (503, "ServiceNotAvailable")],
)
def test_any_failure_of_the_report_settings_is_a_warning(
    database, monkeypatch, status: int, code: str
) -> None:
    monkeypatch.setattr(
        GraphService,
        "_settings",
        staticmethod(lambda req, caller, version: graph_error(status, code, "No.", req)),
    )
    model = TenantModel(profile_spec(PROFILE))
    result = run(Simulator([model]), database, report_version=None)
    assert result.status is ImportStatus.SUCCEEDED_WITH_WARNINGS, result.error
    assert_matches_truth(result, model, database)
    (warning,) = [w for w in result.warnings if "report settings" in w]
    assert warning.startswith("The report settings were not read (Microsoft Graph ")
    assert warning.endswith("concealed names are detected from the report rows instead.")
    assert result.counts.report_rows == sum(model.truth().report_rows.values())


def test_connection_test_checks_the_report_settings_under_beta(database) -> None:
    from core.connections.check import run_connection_test
    from core.domain.connection import PermissionState

    sim = Simulator([national_cloud_tenant()])
    draft = transport().with_secrets(make_connection(database))
    session = sim.mount(requests.Session())
    tokens = build_tokens(draft, session=session, cache_store=None)
    graph = GraphClient(
        session, tokens, "https://graph.microsoft.com", report_version="beta", max_retries=0
    )
    report = run_connection_test(graph, reports_available=True)
    states = {c.area: c.state for c in report.checks}
    assert states["report settings"] is PermissionState.GRANTED
    assert states["reports"] is PermissionState.GRANTED
