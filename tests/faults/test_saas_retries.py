"""The SaaS Management client retries through the Graph RetryPolicy: Retry-After as seconds or
an HTTP date, a bound on how long it waits, and the cancel token."""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import pytest
import requests
import responses

from core.domain.cancel import CancelToken
from core.errors import ImportCancelled
from core.saas.client import SaasClient, SaasError

LOGIN = "https://login.flexera.com/oidc/token"
API = "https://api.flexera.com"
APPS = f"{API}/saas/v1/orgs/42/managed-apps"


def client(**options: object) -> SaasClient:
    return SaasClient(
        requests.Session(),
        token_url=LOGIN,
        api_url=API,
        org_id="42",
        refresh_token="refresh-secret",
        **options,  # type: ignore[arg-type]
    )


@pytest.fixture
def rsps() -> responses.RequestsMock:
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        mock.post(LOGIN, json={"access_token": "at", "expires_in": 3600})
        yield mock  # type: ignore[misc]


def test_a_retry_after_http_date_is_honoured(rsps: responses.RequestsMock) -> None:
    when = format_datetime(datetime.now(UTC) + timedelta(seconds=90), usegmt=True)
    rsps.get(APPS, status=429, headers={"Retry-After": when})
    rsps.get(APPS, json={"values": []})
    waits: list[float] = []
    assert client(sleep=waits.append).managed_apps() == []
    assert len(waits) == 1 and 80 < waits[0] <= 90


def test_a_retry_after_past_the_bound_fails_at_once(rsps: responses.RequestsMock) -> None:
    rsps.get(APPS, status=503, headers={"Retry-After": "86400"})
    waits: list[float] = []
    with pytest.raises(SaasError) as caught:
        client(sleep=waits.append).managed_apps()
    assert caught.value.message.startswith("Flexera One asked to wait 24 h; try again after ")
    assert waits == []


def test_backoff_without_retry_after_uses_the_policy(rsps: responses.RequestsMock) -> None:
    for _ in range(3):
        rsps.get(APPS, status=502)
    rsps.get(APPS, json={"values": []})
    waits: list[float] = []
    client(sleep=waits.append, rng=lambda: 1.0).managed_apps()
    assert waits == [2.0, 4.0, 8.0]


def test_cancel_cuts_a_retry_wait_short(rsps: responses.RequestsMock) -> None:
    rsps.get(APPS, status=429, headers={"Retry-After": "120"})
    rsps.get(APPS, json={"values": []})
    cancel = CancelToken()
    timer = threading.Timer(0.3, cancel.cancel)
    timer.start()
    started = time.monotonic()
    with pytest.raises(ImportCancelled):
        client(cancel=cancel).managed_apps()
    assert time.monotonic() - started < 5.0
