"""A server that stalls or trickles cannot hold an import: every answer has a wall-clock
deadline, and Cancel stops a request in progress at once. Against a real HTTPS server on
127.0.0.1 (the bounds are generous: today's code takes 30 s, the server's own limit)."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from core.domain.cancel import CancelToken
from core.errors import ImportCancelled
from core.graph import GraphClient, GraphUnreachable, ReportBudget
from tests.core.test_graph_client import FakeTokens
from tests.faults.tls_server import TlsServer, drip, redirect, stall

BOUND_S = 5.0  # far above the 0.5-2 s these take now, far below the server's 30 s


@pytest.fixture
def server(tmp_path: Path) -> Iterator[TlsServer]:
    handlers = {
        "/v1.0/users": drip(headers="Content-Type: application/json\r\n"),
        "/v1.0/organization": stall,
        "/download/report": drip(headers="Content-Type: application/octet-stream\r\n"),
    }
    with TlsServer(tmp_path, handlers) as srv:
        srv_handlers = handlers
        srv_handlers["/v1.0/reports/getOffice365ActivationsUserDetail"] = redirect(
            f"{srv.root}/download/report"
        )
        yield srv


def client(server: TlsServer, **options: object) -> GraphClient:
    session = requests.Session()
    session.trust_env = False
    session.verify = str(server.cert)
    return GraphClient(
        session,
        FakeTokens(),
        server.root,
        max_retries=0,
        report_budget=ReportBudget(),
        **options,  # type: ignore[arg-type]
    )


def test_a_trickling_answer_fails_at_the_deadline(server: TlsServer) -> None:
    graph = client(server, deadline=1.0)
    started = time.monotonic()
    with pytest.raises(GraphUnreachable) as caught:
        list(graph.iter_pages("/users"))
    assert time.monotonic() - started < BOUND_S
    assert caught.value.message == (
        "Microsoft Graph did not finish answering /users within 1 s (the connection is too "
        "slow or the server stalls); check the network or proxy and try again."
    )


def test_a_trickling_report_download_fails_at_its_deadline(
    server: TlsServer, tmp_path: Path
) -> None:
    graph = client(server, download_deadline=1.0)
    started = time.monotonic()
    with pytest.raises(GraphUnreachable, match=r"https://127\.0\.0\.1/… did not finish"):
        graph.download_report("getOffice365ActivationsUserDetail", tmp_path / "r.csv")
    assert time.monotonic() - started < BOUND_S


@pytest.mark.parametrize("path", ["/users", "/organization"], ids=["trickling", "silent"])
def test_cancel_stops_a_request_in_progress(server: TlsServer, path: str) -> None:
    cancel = CancelToken()
    graph = client(server, cancel=cancel)
    timer = threading.Timer(0.5, cancel.cancel)
    timer.start()
    started = time.monotonic()
    try:
        with pytest.raises(ImportCancelled):
            graph.get_json(path)
    finally:
        timer.cancel()
    assert time.monotonic() - started < BOUND_S


def test_cancel_stops_a_report_download_in_progress(server: TlsServer, tmp_path: Path) -> None:
    cancel = CancelToken()
    graph = client(server, cancel=cancel)
    timer = threading.Timer(0.5, cancel.cancel)
    timer.start()
    started = time.monotonic()
    with pytest.raises(ImportCancelled):
        graph.download_report("getOffice365ActivationsUserDetail", tmp_path / "r.csv")
    assert time.monotonic() - started < BOUND_S
