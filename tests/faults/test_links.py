"""Paging links that loop or lead away from Graph, and report redirects to other schemes."""

from __future__ import annotations

from pathlib import Path

import pytest
import responses

from core.errors import GraphError, MalformedResponseError
from tests.core.test_graph_client import ROOT, USERS, Harness, page

DELTA = f"{USERS}/delta"


@pytest.fixture
def harness() -> Harness:
    return Harness()


def _drain_pages(harness: Harness, raw: bool) -> None:
    client = harness.client
    pages = client.iter_raw_pages("/users") if raw else client.iter_pages("/users")
    for count, _ in enumerate(pages):
        assert count < 10, "the paging loop did not stop"


@pytest.mark.parametrize("raw", [False, True])
@responses.activate
def test_a_next_link_to_the_same_page_stops_naming_the_url(harness: Harness, raw: bool) -> None:
    responses.get(USERS, json=page([{"id": "a"}], **{"@odata.nextLink": USERS}))
    with pytest.raises(MalformedResponseError) as caught:
        _drain_pages(harness, raw)
    assert "repeats" in caught.value.message and USERS in caught.value.message
    assert len(responses.calls) == 1


@pytest.mark.parametrize("raw", [False, True])
@responses.activate
def test_a_next_link_back_to_an_earlier_page_stops(harness: Harness, raw: bool) -> None:
    second = f"{USERS}?$skiptoken=2"
    third = f"{USERS}?$skiptoken=3"
    responses.get(USERS, json=page([], **{"@odata.nextLink": second}))
    responses.get(second, json=page([], **{"@odata.nextLink": third}))
    responses.get(third, json=page([], **{"@odata.nextLink": second}))
    with pytest.raises(MalformedResponseError) as caught:
        _drain_pages(harness, raw)
    assert second in caught.value.message
    assert len(responses.calls) == 3


@responses.activate
def test_delta_paging_that_loops_stops(harness: Harness) -> None:
    looping = f"{DELTA}?$skiptoken=x"
    responses.get(DELTA, json=page([], **{"@odata.nextLink": looping}))
    responses.get(looping, json=page([], **{"@odata.nextLink": looping}))
    with pytest.raises(MalformedResponseError, match="repeats"):
        for count, _ in enumerate(harness.client.iter_pages("/users/delta")):
            assert count < 10


FOREIGN = [
    "http://graph.microsoft.com/v1.0/users?$skiptoken=2",  # the right host, plain http
    "https://evil.example/v1.0/users?$skiptoken=2",  # another host
    "https://graph.microsoft.com.evil.example/v1.0/users",  # a look-alike host
    "https://graph.microsoft.com:8443/v1.0/users",  # another port
]


@pytest.mark.parametrize("raw", [False, True])
@pytest.mark.parametrize("link", FOREIGN)
@responses.activate
def test_a_next_link_off_the_graph_host_gets_no_token(
    harness: Harness, raw: bool, link: str
) -> None:
    responses.get(USERS, json=page([{"id": "a"}], **{"@odata.nextLink": link}))
    foreign = responses.get(link, json=page([]))
    with pytest.raises(GraphError) as caught:
        _drain_pages(harness, raw)
    assert link in caught.value.message and "access token" in caught.value.message
    assert foreign.call_count == 0
    assert len(responses.calls) == 1


@responses.activate
def test_a_delta_link_off_the_graph_host_is_refused_and_never_followed(harness: Harness) -> None:
    link = "https://evil.example/v1.0/users/delta?$deltatoken=abc"
    responses.get(DELTA, json=page([], **{"@odata.deltaLink": link}))
    foreign = responses.get(link, json=page([]))
    with pytest.raises(GraphError, match="evil.example"):
        list(harness.client.iter_pages("/users/delta"))
    # A stored link from elsewhere (an older version wrote it) is not followed either.
    with pytest.raises(GraphError, match="evil.example"):
        list(harness.client.iter_pages(link))
    assert foreign.call_count == 0


@responses.activate
def test_links_on_the_graph_host_are_followed(harness: Harness) -> None:
    second = f"{ROOT.upper()}/v1.0/users?$skiptoken=2".replace("HTTPS", "https")
    responses.get(USERS, json=page([], **{"@odata.nextLink": second}))
    responses.get(f"{USERS}?$skiptoken=2", json=page([{"id": "b"}]))
    assert [p.items for p in harness.client.iter_pages("/users")] == [[], [{"id": "b"}]]


REPORT = f"{ROOT}/v1.0/reports/getOffice365ActivationsUserDetail"


@pytest.mark.parametrize(
    "location",
    [
        "http://reports.example/data/download/secret-part",
        "file:///etc/passwd",
        "ftp://reports.example/data/report.csv",
    ],
)
@responses.activate
def test_a_report_redirect_to_another_scheme_fails(
    harness: Harness, tmp_path: Path, location: str
) -> None:
    responses.get(REPORT, status=302, headers={"Location": location})
    if location.startswith("http:"):
        responses.get(location, body="Report Refresh Date,User Principal Name\n")
    with pytest.raises(GraphError) as caught:
        harness.client.download_report("getOffice365ActivationsUserDetail", tmp_path / "r.csv")
    scheme = location.split(":", 1)[0]
    assert f"{scheme}://" in caught.value.message and "https" in caught.value.message
    assert "secret-part" not in caught.value.message  # the download path is a credential
    assert len(responses.calls) == 1


@responses.activate
def test_a_report_redirect_to_another_https_host_is_followed(
    harness: Harness, tmp_path: Path
) -> None:
    location = "https://reportsncu.office.com/data/download/x"
    responses.get(REPORT, status=302, headers={"Location": location})
    responses.get(location, body="Report Refresh Date,User Principal Name\n")
    harness.client.download_report("getOffice365ActivationsUserDetail", tmp_path / "r.csv")
    assert "Authorization" not in responses.calls[1].request.headers
