"""Usage-report download through GraphClient, the CSV wrapper and the report budget."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
import responses

from core.errors import GraphError, MalformedResponseError, ThrottledError
from core.graph import GraphClient, ReportBudget, ReportBudgetExceeded, ReportCsv
from core.graph.reports import iter_report_file

ROOT = "https://graph.microsoft.com"
FUNCTION = "getOffice365ActiveUserDetail(period='D30')"
REPORT = f"{ROOT}/v1.0/reports/{FUNCTION}"
DOWNLOAD = "https://reports.office.com/data/download/pre-authenticated-download-token"
CSV = (
    "\ufeffReport Refresh Date,User Principal Name,Display Name,Assigned Products\r\n"
    "2025-06-28,ann@contoso.com,Ann,MICROSOFT 365 E3+POWER BI PRO\r\n"
    '2025-06-28,bob@contoso.com,"Bob, Jr.",\r\n'
)


class FakeTokens:
    def __init__(self) -> None:
        self.calls: list[bool] = []

    def get_token(self, *, force_refresh: bool = False) -> str:
        self.calls.append(force_refresh)
        return "secret-token"


class FakeClock:
    def __init__(self, now: float = 1_750_000_000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def fetch(
    client: GraphClient, target: Path, function: str = FUNCTION
) -> tuple[str, list[str], Iterator[list[str]]]:
    """Download a report to `target`; return (Graph URL, header, rows)."""
    url = client.download_report(function, target)
    header, rows = iter_report_file(target, url)
    return url, header, rows


def make_client(budget: ReportBudget | None = None, **options: Any) -> GraphClient:
    options.setdefault("sleep", lambda _seconds: None)
    options.setdefault("report_budget", budget or ReportBudget())
    return GraphClient(requests.Session(), FakeTokens(), ROOT, tenant_key="contoso", **options)


@responses.activate
def test_redirected_download_drops_authorization_and_bom(tmp_path: Path) -> None:
    responses.get(REPORT, status=302, headers={"Location": DOWNLOAD})
    responses.get(DOWNLOAD, body=CSV.encode("utf-8"), content_type="application/octet-stream")

    url, header, records = fetch(make_client(), tmp_path / "r.csv")

    assert responses.calls[0].request.headers["Authorization"] == "Bearer secret-token"
    assert "Authorization" not in responses.calls[1].request.headers
    assert responses.calls[1].request.url == DOWNLOAD
    for call in responses.calls:
        assert call.request.req_kwargs["timeout"] == (10.0, 120.0)  # type: ignore[attr-defined]
    assert url == REPORT  # the download link, a credential, is not kept
    assert header[0] == "Report Refresh Date"
    rows = [dict(zip(header, row, strict=True)) for row in records]
    assert [row["User Principal Name"] for row in rows] == ["ann@contoso.com", "bob@contoso.com"]
    assert rows[1]["Display Name"] == "Bob, Jr." and rows[1]["Assigned Products"] == ""


@responses.activate
def test_authorization_on_the_session_is_not_forwarded_either(tmp_path: Path) -> None:
    session = requests.Session()
    session.headers["Authorization"] = "Bearer leaked"
    client = GraphClient(session, FakeTokens(), ROOT, report_budget=ReportBudget())
    responses.get(REPORT, status=302, headers={"Location": DOWNLOAD})
    responses.get(DOWNLOAD, body=CSV.encode("utf-8"))
    client.download_report(FUNCTION, tmp_path / "r.csv")
    assert "Authorization" not in responses.calls[1].request.headers


@responses.activate
def test_report_answered_directly_is_used(tmp_path: Path) -> None:
    responses.get(REPORT, body=CSV.encode("utf-8"))
    _, _, rows = fetch(make_client(), tmp_path / "r.csv")
    assert len(list(rows)) == 2 and len(responses.calls) == 1


@responses.activate
def test_throttled_download_is_retried_without_authorization(tmp_path: Path) -> None:
    waits: list[float] = []
    client = make_client(sleep=waits.append)
    responses.get(REPORT, status=302, headers={"Location": DOWNLOAD})
    responses.get(DOWNLOAD, status=503, headers={"Retry-After": "3"})
    responses.get(DOWNLOAD, body=CSV.encode("utf-8"))
    client.download_report(FUNCTION, tmp_path / "r.csv")
    assert waits == [3.0]
    assert all("Authorization" not in call.request.headers for call in responses.calls[1:])


@responses.activate
def test_expired_download_link_fails_without_showing_it(tmp_path: Path) -> None:
    responses.get(REPORT, status=302, headers={"Location": DOWNLOAD})
    responses.get(DOWNLOAD, status=403, body=b"<Error>AuthenticationFailed</Error>")
    with pytest.raises(GraphError) as caught:
        make_client().download_report(FUNCTION, tmp_path / "r.csv")
    error = caught.value
    assert error.status == 403 and "expired" in str(error)
    assert "download-token" not in str(error) + error.detail + error.url


@pytest.mark.parametrize(
    ("text", "what"),
    [
        ("", "an empty report"),
        ("Report Refresh Date,Display Name\r\n", "without the column(s) User Principal Name"),
    ],
)
@responses.activate
def test_report_with_bad_header_is_malformed(text: str, what: str, tmp_path: Path) -> None:
    responses.get(REPORT, body=text.encode("utf-8"))
    with pytest.raises(MalformedResponseError) as caught:
        make_client().download_report(FUNCTION, tmp_path / "r.csv")
    assert what in str(caught.value)
    assert FUNCTION in str(caught.value)


@responses.activate
def test_report_row_with_wrong_field_count_is_malformed(tmp_path: Path) -> None:
    broken = CSV + "2025-06-28,carl@contoso.com\r\n"
    responses.get(REPORT, body=broken.encode("utf-8"))
    _, _, rows = fetch(make_client(), tmp_path / "r.csv")
    assert next(rows)[2] == "Ann"
    with pytest.raises(MalformedResponseError, match=r"wrong number of fields \(line 4\)"):
        list(rows)


@responses.activate
def test_report_that_is_not_utf8_is_malformed(tmp_path: Path) -> None:
    responses.get(REPORT, body=b"Report Refresh Date,User Principal Name\r\n\xff\xfe\r\n")
    with pytest.raises(MalformedResponseError, match="not UTF-8"):
        list(fetch(make_client(), tmp_path / "r.csv")[2])


def test_required_columns_can_be_changed_for_count_reports() -> None:
    report = ReportCsv(REPORT, "Report Refresh Date,Office 365\r\n", ("Report Refresh Date",))
    assert report.header == ["Report Refresh Date", "Office 365"]


def test_budget_refuses_the_fifteenth_request_until_the_window_moves() -> None:
    clock = FakeClock()
    budget = ReportBudget(clock=clock)
    for _ in range(14):
        budget.acquire("contoso")
        clock.now += 10
    with pytest.raises(ReportBudgetExceeded) as caught:
        budget.acquire("contoso")
    assert isinstance(caught.value, ThrottledError)
    assert caught.value.wait == pytest.approx(600 - 140)
    assert "next request is possible at" in str(caught.value)
    budget.acquire("fabrikam")  # other tenants have their own window
    clock.now += 600 - 140 + 0.001  # the first slot leaves the window
    budget.acquire("contoso")
    assert budget.remaining("contoso") == 0


@responses.activate
def test_client_takes_a_budget_slot_per_report_request(tmp_path: Path) -> None:
    clock = FakeClock()
    client = make_client(ReportBudget(clock=clock))
    responses.get(REPORT, body=CSV.encode("utf-8"))
    for _ in range(14):
        client.download_report(FUNCTION, tmp_path / "r.csv")
    with pytest.raises(ReportBudgetExceeded):
        client.check_report_access(FUNCTION)
    assert len(responses.calls) == 14  # the refused request never went out
    clock.now += 601
    client.download_report(FUNCTION, tmp_path / "r.csv")
    assert len(responses.calls) == 15


def test_budget_reset_frees_one_tenant_or_all() -> None:
    budget = ReportBudget(limit=1)
    budget.acquire("contoso")
    budget.acquire("fabrikam")
    budget.reset("contoso")
    assert (budget.remaining("contoso"), budget.remaining("fabrikam")) == (1, 0)
    budget.reset()
    assert budget.remaining("fabrikam") == 1


def test_budget_is_thread_safe() -> None:
    budget = ReportBudget(limit=50, window=600)
    granted: list[int] = []
    lock = threading.Lock()

    def worker() -> None:
        for _ in range(25):
            try:
                budget.acquire("contoso")
            except ReportBudgetExceeded:
                continue
            with lock:
                granted.append(1)

    threads = [threading.Thread(target=worker) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=5)
    assert len(granted) == 50


@responses.activate
def test_counts_report_needs_no_user_principal_name(tmp_path: Path) -> None:
    function = "getOffice365ActiveUserCounts(period='D7')"
    responses.get(f"{ROOT}/v1.0/reports/{function}", body=b"Report Refresh Date,Office 365\r\n")
    _, header, _ = fetch(make_client(), tmp_path / "r.csv", function)
    assert header == ["Report Refresh Date", "Office 365"]


@responses.activate
def test_user_detail_reports_require_user_principal_name(tmp_path: Path) -> None:
    function = "getM365AppUserDetail(period='D30')"
    responses.get(f"{ROOT}/v1.0/reports/{function}", body=b"Report Refresh Date,Windows\r\n")
    with pytest.raises(MalformedResponseError, match="User Principal Name"):
        make_client().download_report(function, tmp_path / "r.csv")


@responses.activate
def test_beta_reports_use_beta_while_other_calls_stay_on_v1() -> None:
    client = make_client(report_version="beta")
    responses.get(f"{ROOT}/beta/reports/{FUNCTION}", status=302, headers={"Location": DOWNLOAD})
    responses.get(f"{ROOT}/v1.0/organization", json={"value": []})
    client.check_report_access(FUNCTION)
    client.get_json("/organization")
    assert [c.request.url.split("/")[3] for c in responses.calls] == ["beta", "v1.0"]


@responses.activate
def test_download_report_streams_to_a_file_and_retries_a_dropped_body(tmp_path) -> None:
    waits: list[float] = []
    client = make_client(sleep=waits.append)
    responses.get(REPORT, status=302, headers={"Location": DOWNLOAD})
    responses.get(DOWNLOAD, body=requests.exceptions.ChunkedEncodingError("connection reset"))
    responses.get(DOWNLOAD, body=CSV.encode("utf-8"))
    target = tmp_path / "active.csv"
    assert client.download_report(FUNCTION, target) == REPORT
    assert target.read_bytes() == CSV.encode("utf-8")
    assert len(waits) == 1
    assert all("Authorization" not in c.request.headers for c in responses.calls[1:])
    header, rows = iter_report_file(target, REPORT)
    assert header[0] == "Report Refresh Date"  # the BOM is gone
    assert [r[1] for r in rows] == ["ann@contoso.com", "bob@contoso.com"]


@responses.activate
def test_downloaded_report_without_user_column_is_malformed(tmp_path) -> None:
    responses.get(REPORT, status=302, headers={"Location": DOWNLOAD})
    responses.get(DOWNLOAD, body=b"\xef\xbb\xbfReport Refresh Date,Something\r\n")
    with pytest.raises(MalformedResponseError, match="User Principal Name"):
        make_client().download_report(FUNCTION, tmp_path / "r.csv")
