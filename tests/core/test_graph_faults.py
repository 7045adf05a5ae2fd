"""Pure pieces of core.graph: permission mapping, Retry-After parsing, the retry policy."""

from __future__ import annotations

import pytest

from core.graph import RetryPolicy, parse_retry_after, permission_for
from core.graph.faults import describe_url

ROOT = "https://graph.microsoft.com"


@pytest.mark.parametrize(
    ("url", "permission"),
    [
        (f"{ROOT}/v1.0/organization", "Organization.Read.All"),
        (f"{ROOT}/v1.0/subscribedSkus?$select=skuId", "Organization.Read.All"),
        (f"{ROOT}/beta/directory/subscriptions", "Organization.Read.All"),
        (f"{ROOT}/v1.0/users?$select=id,assignedLicenses&$top=999", "User.Read.All"),
        (f"{ROOT}/v1.0/users/delta?$deltatoken=x", "User.Read.All"),
        (f"{ROOT}/v1.0/users?%24select=id%2CsignInActivity", "AuditLog.Read.All"),
        (f"{ROOT}/v1.0/reports/getM365AppUserDetail(period='D30')", "Reports.Read.All"),
        (f"{ROOT}/v1.0/admin/reportSettings", "ReportSettings.Read.All"),
        ("http://127.0.0.1:5000/graph/v1.0/users", "User.Read.All"),
        (f"{ROOT}/v1.0/groups", ""),
        (f"{ROOT}/v1.0/usersettings", ""),
    ],
)
def test_permission_for_maps_paths(url: str, permission: str) -> None:
    assert permission_for(url) == permission


def test_permission_for_reads_sign_in_activity_from_params() -> None:
    url = f"{ROOT}/v1.0/users"
    assert permission_for(url, {"$select": "id,signInActivity"}) == "AuditLog.Read.All"


def test_describe_url_hides_queries_and_download_paths() -> None:
    assert describe_url(f"{ROOT}/v1.0/users?$filter=mail eq 'ann@contoso.com'") == "/users"
    hidden = describe_url("https://reports.office.com/data/download/tok", graph=False)
    assert hidden == "https://reports.office.com/…"


@pytest.mark.parametrize(
    ("header", "seconds"),
    [
        ("2.128", 2.128),
        (" 7 ", 7.0),
        ("-3", 0.0),
        ("Wed, 21 Oct 2015 07:28:30 GMT", 30.0),
        ("Wed, 21 Oct 2015 07:27:00 GMT", 0.0),
        ("soon", None),
        ("nan", None),
        ("", None),
        (None, None),
    ],
)
def test_parse_retry_after(header: str | None, seconds: float | None) -> None:
    now = 1445412480.0  # Wed, 21 Oct 2015 07:28:00 GMT
    assert parse_retry_after(header, lambda: now) == seconds


def test_policy_honours_retry_after_up_to_its_ceiling() -> None:
    policy = RetryPolicy(max_retry_after=120.0, rng=lambda: 0.0)
    assert policy.delay(0, "2.128") == 2.128
    assert policy.delay(3, "3600") == 120.0


def test_policy_backoff_doubles_to_the_cap_and_counts_retries() -> None:
    policy = RetryPolicy(max_retries=3, max_backoff=60.0, rng=lambda: 1.0)
    assert [policy.delay(n) for n in range(7)] == [2.0, 4.0, 8.0, 16.0, 32.0, 60.0, 60.0]
    assert policy.delay(10_000) == 60.0
    assert [policy.can_retry(n) for n in range(5)] == [True, True, True, False, False]
