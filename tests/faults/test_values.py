"""Values Graph does not document end the import with one sentence naming the field, the
value and the address, never "unexpected error" or a Python exception's text."""

from __future__ import annotations

import copy
from typing import Any

import pytest
import requests
import responses

from core.auth import build_token_provider
from core.domain.connection import Connection
from core.domain.imports import ImportStatus
from core.errors import AuthError
from core.storage.db import Database
from tests.auth_fakes import (
    FakeSts,
)
from tests.core.test_auth_client import DRAFT, SECRET, TENANT
from tests.faults.helpers import do_import
from tests.fixtures import graph as fx

PYTHON_WORDS = ("unexpected error", "worker failed", "invalid literal", "object has no", "int()")


def failed_with(database: Database, connection: Connection, *needles: str) -> str:
    run = do_import(database, connection)
    assert run.status is ImportStatus.FAILED
    error = run.error or ""
    for needle in needles:
        assert needle in error, error
    for word in PYTHON_WORDS:
        assert word not in error, error
    assert error.count(". ") == 0 and error.endswith(".")  # one sentence
    return error


@pytest.mark.parametrize(
    ("path", "value", "shown"),
    [
        (("consumedUnits",), 10**30, "1000000000000000000000000000000"),
        (("consumedUnits",), "lots", '"lots"'),
        (("consumedUnits",), -3, "-3"),
        (("consumedUnits",), 2.5, "2.5"),
        (("prepaidUnits", "enabled"), "lots", '"lots"'),
        (("prepaidUnits", "warning"), {"n": 1}, '{"n": 1}'),
    ],
)
def test_a_license_count_that_is_not_a_count(
    mock: responses.RequestsMock,
    database: Database,
    connection: Connection,
    path: tuple[str, ...],
    value: Any,
    shown: str,
) -> None:
    skus = copy.deepcopy(fx.SKUS)
    target = skus["value"][0]
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = value
    mock.get(f"{fx.GRAPH}/subscribedSkus", json=skus)
    fx.add_tenant(mock)
    failed_with(database, connection, ".".join(path), shown, "/subscribedSkus")


def test_a_subscription_count_that_is_not_a_count(
    mock: responses.RequestsMock, database: Database, connection: Connection
) -> None:
    subscriptions = copy.deepcopy(fx.SUBSCRIPTIONS)
    subscriptions["value"][0]["totalLicenses"] = "lots"
    mock.get(f"{fx.GRAPH}/directory/subscriptions", json=subscriptions)
    fx.add_tenant(mock)
    failed_with(database, connection, "totalLicenses", '"lots"', "/directory/subscriptions")


@pytest.mark.parametrize(
    ("field", "value", "shown"),
    [
        ("displayName", {"first": "Ada"}, '{"first": "Ada"}'),
        ("userPrincipalName", {"upn": "x"}, '{"upn": "x"}'),
        ("mail", ["a@contoso.com"], '["a@contoso.com"]'),
        ("userType", 7, "7"),
        ("signInActivity", "yesterday", '"yesterday"'),
        ("assignedLicenses", "E3", '"E3"'),
        ("accountEnabled", "yes", '"yes"'),
    ],
)
def test_a_user_field_of_the_wrong_type(
    mock: responses.RequestsMock,
    database: Database,
    connection: Connection,
    field: str,
    value: Any,
    shown: str,
) -> None:
    bad = fx.user(1, skus=[(fx.E3, None)])
    bad[field] = value
    fx.add_tenant(mock, users_pages=[[bad]])
    error = failed_with(database, connection, field, shown, "/users")
    assert bad["id"] in error


def test_an_unreadable_report_refresh_date_fails_the_import(
    mock: responses.RequestsMock, database: Database, connection: Connection
) -> None:
    rows = [fx.active_row("user1@contoso.com", "2026-11-25").replace("2026-11-27", "soon", 1)]
    fx.add_tenant(mock, active_rows=rows)
    failed_with(
        database,
        connection,
        "Report Refresh Date",
        '"soon"',
        "/reports/getOffice365ActiveUserDetail(period='D30')",
    )


def test_a_report_redirect_to_plain_http_fails_the_import(
    mock: responses.RequestsMock, database: Database, connection: Connection
) -> None:
    function = "getOffice365ActiveUserDetail(period='D30')"
    mock.get(
        f"{fx.GRAPH}/reports/{function}",
        status=302,
        headers={"Location": "http://reports.office.com/data/download/token0"},
    )
    fx.add_tenant(mock)
    failed_with(database, connection, "http://reports.office.com/", f"/reports/{function}")


@pytest.mark.parametrize("body", [{"error": "temporarily_unavailable"}, None])
def test_a_429_from_the_token_endpoint_says_so(
    sts: FakeSts, session: requests.Session, body: dict[str, str] | None
) -> None:
    sts.tenant(TENANT)
    url = sts.token_url(TENANT)
    if body is None:
        sts.mock.post(url, status=429, body="Too Many Requests", headers={"Retry-After": "30"})
    else:
        sts.token(TENANT, body, status=429)
    provider = build_token_provider(DRAFT, session=session)
    with pytest.raises(AuthError) as caught:
        provider.get_token()
    message = caught.value.message
    assert message.startswith(f"The sign-in service answered 429 (too many requests) for {url};")
    assert "secret" not in message.lower() and SECRET not in caught.value.detail


@pytest.mark.parametrize("value", [{"skuId": "x"}, ["SPE_E3"], "lots"])
def test_a_sku_list_that_is_not_a_list_of_objects(
    mock: responses.RequestsMock, database: Database, connection: Connection, value: Any
) -> None:
    mock.get(f"{fx.GRAPH}/subscribedSkus", json={"value": value})
    fx.add_tenant(mock)
    failed_with(database, connection, "'value' is not a list of objects", "/subscribedSkus")


@pytest.mark.parametrize("value", [{"id": "x"}, ["contoso"], [{"id": {"n": 1}}], []])
def test_an_organization_that_is_not_one(
    mock: responses.RequestsMock, database: Database, connection: Connection, value: Any
) -> None:
    mock.get(f"{fx.GRAPH}/organization", json={"value": value})
    fx.add_tenant(mock)
    failed_with(database, connection, "/organization")
