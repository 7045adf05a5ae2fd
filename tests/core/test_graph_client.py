"""GraphClient paging, retries and error typing, against `responses`."""

from __future__ import annotations

import logging
from typing import Any

import pytest
import requests
import responses

from core.domain.cancel import CancelToken
from core.errors import (
    AuthError,
    DeltaExpiredError,
    GraphError,
    ImportCancelled,
    MalformedResponseError,
    PermissionMissingError,
    PremiumRequiredError,
    ThrottledError,
)
from core.graph import GraphClient, GraphUnreachable, ReportBudget

ROOT = "https://graph.microsoft.com"
USERS = f"{ROOT}/v1.0/users"


class FakeTokens:
    """A token source that counts calls; a forced refresh hands out the next token."""

    def __init__(self) -> None:
        self.calls: list[bool] = []
        self.generation = 1

    def get_token(self, *, force_refresh: bool = False) -> str:
        self.calls.append(force_refresh)
        if force_refresh:
            self.generation += 1
        return f"secret-token-{self.generation}"


class RecordingSession(requests.Session):
    """Records the keyword arguments of every `get`, to prove timeouts are always set."""

    def __init__(self) -> None:
        super().__init__()
        self.get_kwargs: list[dict[str, Any]] = []

    def get(self, url: str | bytes, **kwargs: Any) -> requests.Response:  # type: ignore[override]
        self.get_kwargs.append(kwargs)
        return super().get(url, **kwargs)


class Harness:
    def __init__(self, **options: Any) -> None:
        self.tokens = FakeTokens()
        self.session = RecordingSession()
        self.sleeps: list[float] = []
        options.setdefault("sleep", self.sleeps.append)
        options.setdefault("report_budget", ReportBudget())
        self.client = GraphClient(self.session, self.tokens, ROOT, **options)

    def assert_every_request_bounded(self) -> None:
        assert self.session.get_kwargs, "no request was sent"
        for kwargs in self.session.get_kwargs:
            assert kwargs["timeout"] == (10.0, 120.0)
            assert kwargs["allow_redirects"] is False
        for call in responses.calls:
            assert call.request.req_kwargs["timeout"] == (10.0, 120.0)  # type: ignore[attr-defined]


@pytest.fixture
def harness() -> Harness:
    return Harness()


def page(items: list[dict[str, Any]], **links: str) -> dict[str, Any]:
    return {"@odata.context": f"{ROOT}/v1.0/$metadata#users", "value": items, **links}


@responses.activate
def test_iter_pages_follows_next_links_verbatim_through_an_empty_page(harness: Harness) -> None:
    second = f"{USERS}?$select=id&$top=2&$skiptoken=RFNwdAIAAQAAAD8xOjE"
    third = f"{USERS}?$select=id&$top=2&$skiptoken=RFNwdAoAAQAAAD8yOjI"
    responses.get(USERS, json=page([{"id": "a"}, {"id": "b"}], **{"@odata.nextLink": second}))
    responses.get(second, json=page([], **{"@odata.nextLink": third}))
    responses.get(third, json=page([{"id": "c"}]))

    pages = harness.client.iter_pages("/users", params={"$select": "id", "$top": 2})
    first = next(pages)
    assert len(responses.calls) == 1  # pages are yielded as they arrive
    rest = list(pages)

    assert [p.items for p in [first, *rest]] == [[{"id": "a"}, {"id": "b"}], [], [{"id": "c"}]]
    assert [p.next_link for p in [first, *rest]] == [second, third, None]
    assert responses.calls[1].request.url == second
    assert responses.calls[2].request.url == third
    assert rest[-1].url == third
    harness.assert_every_request_bounded()


@responses.activate
def test_select_and_top_go_out_as_query_parameters(harness: Harness) -> None:
    responses.get(USERS, json=page([]))
    list(harness.client.iter_pages("/users", {"$select": "id,assignedLicenses", "$top": 999}))
    params = responses.calls[0].request.params  # type: ignore[attr-defined]
    assert params == {"$select": "id,assignedLicenses", "$top": "999"}


@responses.activate
def test_delta_link_ends_the_round(harness: Harness) -> None:
    delta = f"{USERS}/delta?$deltatoken=abc"
    responses.get(f"{USERS}/delta", json=page([{"id": "a"}], **{"@odata.deltaLink": delta}))
    (only,) = harness.client.iter_pages("/users/delta")
    assert only.delta_link == delta and only.next_link is None


@responses.activate
def test_requests_carry_graph_headers_and_bearer_token(harness: Harness) -> None:
    responses.get(f"{ROOT}/v1.0/organization", json=page([{"id": "t"}]))
    assert harness.client.get_json("organization")["value"] == [{"id": "t"}]
    headers = responses.calls[0].request.headers
    assert headers["Authorization"] == "Bearer secret-token-1"
    assert headers["Accept"] == "application/json"
    assert headers["x-ms-throttle-priority"] == "low"
    assert len(headers["client-request-id"]) == 36


def test_tokens_are_exposed_for_an_early_sign_in_check(harness: Harness) -> None:
    assert harness.client.tokens.get_token() == "secret-token-1"


def test_url_joins_paths_and_keeps_absolute_urls(harness: Harness) -> None:
    beta = GraphClient(requests.Session(), FakeTokens(), f"{ROOT}/", version="beta")
    assert harness.client.url("/users") == USERS
    assert harness.client.url("users") == USERS
    assert beta.url("/reports/x") == f"{ROOT}/beta/reports/x"
    assert harness.client.url("http://127.0.0.1:8080/v1.0/users") == (
        "http://127.0.0.1:8080/v1.0/users"
    )


@responses.activate
def test_fractional_retry_after_is_honoured(harness: Harness) -> None:
    responses.get(USERS, status=429, headers={"Retry-After": "2.128"}, json={})
    responses.get(USERS, json=page([{"id": "a"}]))
    (only,) = harness.client.iter_pages("/users")
    assert only.items == [{"id": "a"}]
    assert harness.sleeps == [2.128]
    assert responses.calls[0].request.url == responses.calls[1].request.url
    harness.assert_every_request_bounded()


@responses.activate
def test_backoff_without_retry_after_grows_and_is_capped() -> None:
    harness = Harness(max_retries=7, max_backoff=20.0, rng=lambda: 1.0)
    for _ in range(7):
        responses.get(USERS, status=503)
    responses.get(USERS, json=page([]))
    list(harness.client.iter_pages("/users"))
    assert harness.sleeps == [2.0, 4.0, 8.0, 16.0, 20.0, 20.0, 20.0]


@responses.activate
def test_backoff_is_jittered_below_the_ceiling() -> None:
    harness = Harness(rng=lambda: 0.25)
    responses.get(USERS, status=429)
    responses.get(USERS, status=429)
    responses.get(USERS, json=page([]))
    list(harness.client.iter_pages("/users"))
    assert harness.sleeps == [0.5, 1.0]


@pytest.mark.parametrize("status", [500, 502, 503, 504])
@responses.activate
def test_transient_server_errors_are_retried(harness: Harness, status: int) -> None:
    responses.get(USERS, status=status, json={"error": {"code": "ServiceNotAvailable"}})
    responses.get(USERS, json=page([{"id": "a"}]))
    assert next(harness.client.iter_pages("/users")).items == [{"id": "a"}]
    assert len(responses.calls) == 2
    assert len(harness.sleeps) == 1


@responses.activate
def test_exhausted_retries_raise_throttled_error() -> None:
    harness = Harness(max_retries=3)
    responses.get(
        USERS,
        status=429,
        headers={"Retry-After": "1"},
        json={"error": {"code": "TooManyRequests", "innerError": {"request-id": "rid-1"}}},
    )
    with pytest.raises(ThrottledError) as caught:
        list(harness.client.iter_pages("/users", {"$select": "id"}))
    assert str(caught.value) == (
        "Microsoft Graph kept answering 429 (too many requests) for /users; try again later."
    )
    assert caught.value.status == 429 and caught.value.code == "TooManyRequests"
    assert "rid-1" in caught.value.detail
    assert len(responses.calls) == 4  # the first try plus three retries
    assert harness.sleeps == [1.0, 1.0, 1.0]


@responses.activate
def test_connection_error_then_success(harness: Harness) -> None:
    responses.get(USERS, body=requests.ConnectionError("connection refused"))
    responses.get(USERS, json=page([{"id": "a"}]))
    assert next(harness.client.iter_pages("/users")).items == [{"id": "a"}]
    assert len(harness.sleeps) == 1
    harness.assert_every_request_bounded()


@responses.activate
def test_timeouts_until_exhausted_raise_unreachable() -> None:
    harness = Harness(max_retries=2)
    responses.get(USERS, body=requests.exceptions.ReadTimeout("read timed out"))
    with pytest.raises(GraphUnreachable) as caught:
        harness.client.get_json("/users")
    assert isinstance(caught.value, ThrottledError)
    assert str(caught.value).startswith("Could not reach Microsoft Graph for /users (ReadTimeout)")
    assert len(responses.calls) == 3
    harness.assert_every_request_bounded()


@responses.activate
def test_body_dropped_mid_way_is_retried(harness: Harness) -> None:
    responses.get(USERS, body=requests.exceptions.ChunkedEncodingError("connection broken"))
    responses.get(USERS, json=page([{"id": "a"}]))
    assert next(harness.client.iter_pages("/users")).items == [{"id": "a"}]
    assert len(responses.calls) == 2


@responses.activate
def test_certificate_failure_is_not_retried(harness: Harness) -> None:
    responses.get(USERS, body=requests.exceptions.SSLError("certificate verify failed"))
    with pytest.raises(GraphUnreachable, match="certificate check"):
        harness.client.get_json("/users")
    assert len(responses.calls) == 1


@responses.activate
def test_401_refreshes_the_token_once_then_succeeds(harness: Harness) -> None:
    responses.get(USERS, status=401, json={"error": {"code": "InvalidAuthenticationToken"}})
    responses.get(USERS, json=page([{"id": "a"}]))
    assert next(harness.client.iter_pages("/users")).items == [{"id": "a"}]
    assert harness.tokens.calls == [False, True]
    assert responses.calls[1].request.headers["Authorization"] == "Bearer secret-token-2"
    assert harness.sleeps == []


@responses.activate
def test_second_401_raises_auth_error(harness: Harness) -> None:
    responses.get(
        USERS,
        status=401,
        json={"error": {"code": "InvalidAuthenticationToken", "message": "Invalid audience."}},
    )
    with pytest.raises(AuthError, match="rejected the access token") as caught:
        harness.client.get_json("/users")
    assert harness.tokens.calls == [False, True]
    assert len(responses.calls) == 2
    assert "Invalid audience." in caught.value.detail
    assert "secret-token" not in str(caught.value) + caught.value.detail


FORBIDDEN = {"error": {"code": "Authorization_RequestDenied", "message": "Insufficient privileges"}}


@pytest.mark.parametrize(
    ("path", "params", "permission"),
    [
        ("/organization", None, "Organization.Read.All"),
        ("/subscribedSkus", None, "Organization.Read.All"),
        ("/directory/subscriptions", None, "Organization.Read.All"),
        ("/users", {"$select": "id,assignedLicenses"}, "User.Read.All"),
        ("/users/delta", {"$select": "id"}, "User.Read.All"),
        ("/users", {"$select": "id,signInActivity", "$top": 500}, "AuditLog.Read.All"),
        ("/reports/getOffice365ActiveUserDetail(period='D30')", None, "Reports.Read.All"),
        ("/admin/reportSettings", None, "ReportSettings.Read.All"),
    ],
)
@responses.activate
def test_403_names_the_missing_permission_without_retrying(
    harness: Harness, path: str, params: dict[str, Any] | None, permission: str
) -> None:
    responses.get(harness.client.url(path), status=403, json=FORBIDDEN)
    with pytest.raises(PermissionMissingError) as caught:
        harness.client.get_json(path, params)
    assert caught.value.permission == permission
    assert permission in str(caught.value)
    assert caught.value.code == "Authorization_RequestDenied"
    assert len(responses.calls) == 1
    assert harness.sleeps == [] and harness.tokens.calls == [False]


@responses.activate
def test_403_on_subscribed_skus_mentions_the_newer_permission(harness: Harness) -> None:
    responses.get(f"{ROOT}/v1.0/subscribedSkus", status=403, json=FORBIDDEN)
    with pytest.raises(PermissionMissingError) as caught:
        harness.client.get_json("/subscribedSkus")
    assert "LicenseAssignment.Read.All" in caught.value.detail


@pytest.mark.parametrize("status", [401, 403])
@responses.activate
def test_s2s_unauthorized_on_reports_means_reports_permission(
    harness: Harness, status: int
) -> None:
    url = harness.client.url("/reports/getOffice365ActiveUserDetail(period='D30')")
    responses.get(url, status=status, json={"error": {"code": "S2SUnauthorized"}})
    with pytest.raises(PermissionMissingError) as caught:
        harness.client.check_report_access("getOffice365ActiveUserDetail(period='D30')")
    assert caught.value.permission == "Reports.Read.All"
    assert len(responses.calls) == 1


@responses.activate
def test_non_premium_tenant_raises_premium_required(harness: Harness) -> None:
    code = "Authentication_RequestFromNonPremiumTenantOrB2CTenant"
    responses.get(USERS, status=403, json={"error": {"code": code, "message": "no premium"}})
    with pytest.raises(PremiumRequiredError) as caught:
        list(harness.client.iter_pages("/users", {"$select": "id,signInActivity"}))
    assert caught.value.code == code and len(responses.calls) == 1


@responses.activate
def test_other_4xx_carries_code_and_request_id(harness: Harness) -> None:
    body = {
        "error": {
            "code": "Request_UnsupportedQuery",
            "message": "Unsupported query.",
            "innerError": {"request-id": "rid-42"},
        }
    }
    responses.get(USERS, status=400, json=body)
    with pytest.raises(GraphError) as caught:
        harness.client.get_json("/users", {"$filter": "userType ne 'Guest'"})
    error = caught.value
    assert type(error) is GraphError
    assert (error.status, error.code) == (400, "Request_UnsupportedQuery")
    assert "rid-42" in error.detail and "Unsupported query." in error.detail
    assert "/users" in str(error) and "Guest" not in str(error)
    assert len(responses.calls) == 1


@pytest.mark.parametrize(
    ("status", "code"), [(400, "syncStateNotFound"), (410, "")], ids=["sync-state", "gone"]
)
@responses.activate
def test_expired_delta_link_raises_delta_expired(harness: Harness, status: int, code: str) -> None:
    delta = f"{USERS}/delta?$deltatoken=old"
    responses.get(delta, status=status, json={"error": {"code": code}})
    with pytest.raises(DeltaExpiredError):
        list(harness.client.iter_pages(delta))


@pytest.mark.parametrize(
    ("body", "what"),
    [
        (b'{"value": [1,', "something that is not JSON for /users (line 1 column 14)"),
        (b"", "an empty answer for /users"),
        (b"[1, 2]", "JSON that is not an object (list) for /users"),
        (b'{"error": "nope"}', "a page without a 'value' list for /users"),
        (b'{"value": [], "@odata.nextLink": 7}', "a page whose @odata.nextLink is not a string"),
    ],
)
@responses.activate
def test_malformed_json_names_the_url(harness: Harness, body: bytes, what: str) -> None:
    responses.get(USERS, body=body, content_type="application/json")
    with pytest.raises(MalformedResponseError) as caught:
        list(harness.client.iter_pages("/users"))
    assert what in str(caught.value)
    assert caught.value.url.startswith(USERS)
    assert len(responses.calls) == 1


class WaitCancelsToken(CancelToken):
    """Stands in for Cancel being pressed while the client waits out a Retry-After."""

    def __init__(self) -> None:
        super().__init__()
        self.waits: list[float] = []

    def wait(self, seconds: float) -> bool:
        self.waits.append(seconds)
        self.cancel()
        return True


@responses.activate
def test_cancel_during_retry_wait_raises_import_cancelled() -> None:
    token = WaitCancelsToken()
    harness = Harness(cancel=token, sleep=None)
    responses.get(USERS, status=429, headers={"Retry-After": "2.128"})
    with pytest.raises(ImportCancelled):
        list(harness.client.iter_pages("/users"))
    assert token.waits == [2.128]
    assert len(responses.calls) == 1


@responses.activate
def test_cancel_is_checked_before_each_page() -> None:
    token = CancelToken()
    harness = Harness(cancel=token)
    responses.get(USERS, json=page([{"id": "a"}], **{"@odata.nextLink": f"{USERS}?$skiptoken=x"}))
    pages = harness.client.iter_pages("/users")
    next(pages)
    token.cancel()
    with pytest.raises(ImportCancelled):
        next(pages)
    assert len(responses.calls) == 1


@responses.activate
def test_logs_hold_neither_token_nor_query(
    harness: Harness, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="core.graph")
    responses.get(USERS, status=401, json={})
    responses.get(USERS, status=503)
    responses.get(USERS, json=page([{"id": "a", "userPrincipalName": "ann@contoso.com"}]))
    list(harness.client.iter_pages("/users", {"$filter": "startswith(mail,'ann')"}))
    assert "/users" in caplog.text
    assert "secret-token" not in caplog.text
    assert "ann" not in caplog.text
