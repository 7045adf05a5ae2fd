"""The tenant simulator as a `requests` transport adapter: mount it on a session (also the one
given to msal as `http_client`) and the login, Graph, report-download and SaaS Management hosts
are answered in-process. Nothing ever touches the network."""

from __future__ import annotations

import random
import threading
import time
from collections import Counter, deque
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import requests
from requests.adapters import BaseAdapter

from .aad import GRAPH_HOST, LOGIN_HOST
from .graph import GraphService
from .model import TenantModel, TenantSpec
from .odata import graph_error
from .reports import report_csv
from .saas import SaasOrgSpec, SaasService
from .sts import StsService
from .tokens import unseal
from .wire import SimRequest, SimResponse, json_response, text_response, to_requests_response

DEFAULT_REPORT_HOST = "https://reports.simulator.invalid"
_DATA_ROUTES = frozenset({"graph", "report", "saas-api"})


@dataclass
class Knobs:
    """Fault and latency settings; may be changed while the simulator runs."""

    latency_s: float = 0.0  # added to every request, with time.sleep
    throttle_after: int | None = None  # every K Graph requests, the next one gets a 429
    retry_after_s: float = 0.01  # Retry-After of 429 and 503 answers
    error_503_rate: float = 0.0  # share of data requests answered 503
    drop_rate: float = 0.0  # share of data responses whose connection drops mid-body
    seed: int = 0  # seeds the fault dice
    device_code_interval_s: int = 5  # polling interval the device-code endpoint advertises
    # Usage-report calls allowed per tenant and report per 10 minutes (real: 14); None = off.
    report_calls_per_10_min: int | None = None
    # Token requests allowed per client and tenant per minute; more is a request loop
    # (AADSTS50196). None = off.
    token_requests_per_min: int | None = None
    # Hostile service: "loop" points every @odata.nextLink back at its own page, "http" sends
    # it over plain http, "foreign" to another host; None = honest links.
    next_link_fault: str | None = None
    report_redirect_scheme: str = "https"  # e.g. "http": report 302s to plain http
    trickle_s: float = 0.0  # > 0: Graph bodies arrive one byte per this many seconds


@dataclass(frozen=True)
class LoggedRequest:
    method: str
    url: str
    status: int
    endpoint: str
    had_authorization: bool


class Simulator:
    """Simulated Microsoft login + Graph + report download + SaaS Management endpoints."""

    def __init__(
        self,
        tenants: Sequence[TenantSpec | TenantModel],
        *,
        knobs: Knobs | None = None,
        saas: SaasOrgSpec | None = None,
        report_host: str = DEFAULT_REPORT_HOST,
    ) -> None:
        self.knobs = knobs if knobs is not None else Knobs()
        self._models = [t if isinstance(t, TenantModel) else TenantModel(t) for t in tenants]
        self._index: dict[str, TenantModel] = {}
        for model in self._models:
            self._index[model.tenant_id.lower()] = model
            self._index[model.spec.domain.lower()] = model
        self.report_host = report_host.rstrip("/").lower()
        self.saas = saas
        self.calls: Counter[str] = Counter()
        self.request_count = 0
        self.report_auth_violations = 0  # report downloads that carried an Authorization header
        self.log: deque[LoggedRequest] = deque(maxlen=2000)
        self._graph_since_throttle = 0
        self._rng = random.Random(self.knobs.seed)
        self._lock = threading.Lock()
        self._tokens_valid_after = 0.0
        self._sts = StsService(
            self.find_tenant,
            lambda: self._models,
            lambda: self.knobs.device_code_interval_s,
            lambda: self.knobs.token_requests_per_min,
        )
        self._graph = GraphService(
            self.find_tenant,
            self.report_host,
            self._valid_after,
            lambda: self.knobs.report_calls_per_10_min,
        )
        self._saas = SaasService(saas) if saas is not None else None
        self._routes: dict[str, str] = {LOGIN_HOST: "login", GRAPH_HOST: "graph"}
        self._routes[self.report_host] = "report"
        if self._saas is not None:
            for host in SaasService.hosts():
                self._routes[host] = "saas-login" if "//login." in host else "saas-api"

    # -- tenants -----------------------------------------------------------------------------
    @property
    def tenants(self) -> list[TenantModel]:
        return list(self._models)

    def find_tenant(self, tenant_id_or_domain: str) -> TenantModel | None:
        return self._index.get(tenant_id_or_domain.strip().lower())

    def tenant(self, tenant_id_or_domain: str) -> TenantModel:
        found = self.find_tenant(tenant_id_or_domain)
        if found is None:
            raise KeyError(f"the simulator has no tenant {tenant_id_or_domain!r}")
        return found

    def tenant_model(self, tenant_id_or_domain: str | None = None) -> TenantModel:
        """Return a tenant (the first one by default) with its ground truth computed, so the
        one streaming pass over its users is paid here rather than inside a measurement."""
        model = self.tenant(tenant_id_or_domain) if tenant_id_or_domain else self._models[0]
        model.truth()
        return model

    def invalidate_tokens(self) -> None:
        """Make Graph reject every access token issued so far (401), as after a revocation."""
        self._tokens_valid_after = time.time() + 1e-6

    def _valid_after(self) -> float:
        return self._tokens_valid_after

    # -- mounting ----------------------------------------------------------------------------
    @property
    def hosts(self) -> list[str]:
        return sorted(self._routes)

    def adapter(self) -> SimulatorAdapter:
        return SimulatorAdapter(self)

    def mount(self, session: requests.Session, *, isolate: bool = True) -> requests.Session:
        """Mount on every host served; with `isolate`, any other host fails like a network
        without a route (ConnectionError) instead of reaching the real internet."""
        adapter = self.adapter()
        if isolate:
            session.mount("https://", adapter)
            session.mount("http://", adapter)
        for host in self.hosts:
            session.mount(host + "/", adapter)
        return session

    # -- request handling ----------------------------------------------------------------------
    def handle(
        self,
        prepared: requests.PreparedRequest,
        adapter: BaseAdapter,
        read_timeout: float | None = None,
    ) -> requests.Response:
        req = SimRequest.from_prepared(prepared)
        route = self._routes.get(req.host)
        latency = self.knobs.latency_s
        if latency > 0:
            if read_timeout is not None and latency >= read_timeout:
                time.sleep(read_timeout)  # a server slower than the client's read timeout
                raise requests.exceptions.ReadTimeout(
                    f"Read timed out. (read timeout={read_timeout})", request=prepared
                )
            time.sleep(latency)
        if route is None:
            raise requests.exceptions.ConnectionError(
                f"Failed to resolve '{req.host}' (the tenant simulator does not serve this host)",
                request=prepared,
            )
        sim, drop_fraction = self.answer(req)
        return to_requests_response(prepared, sim, adapter, drop_fraction=drop_fraction)

    def serves(self, host: str) -> bool:
        return host.lower() in self._routes

    def answer(self, req: SimRequest) -> tuple[SimResponse, float | None]:
        """Answer one request to a served host (latency aside): the response and, when the
        connection should break off mid-body, the share of the body sent before it does. Used
        by the in-process adapter and by the network server (`core.simulator.serve`)."""
        route = self._routes[req.host]
        endpoint = self._endpoint(route, req)
        has_auth = "Authorization" in req.headers
        fault, drop = self._dice(route, endpoint, req, has_auth)
        sim = fault if fault is not None else self._dispatch(route, req)
        if route == "graph":
            sim = _hostile(self.knobs, req, sim)
        drop_fraction = drop if sim.status == 200 and drop is not None else None
        if drop_fraction is not None:
            with self._lock:
                self.calls["dropped"] += 1
        self.log.append(LoggedRequest(req.method, req.url, sim.status, endpoint, has_auth))
        return sim, drop_fraction

    def _endpoint(self, route: str, req: SimRequest) -> str:
        if route == "login":
            return self._sts.endpoint_name(req)
        if route == "graph":
            return self._graph.endpoint_name(req)
        if route == "report":
            return "report-download"
        return SaasService.endpoint_name(req)

    def _dice(
        self, route: str, endpoint: str, req: SimRequest, has_auth: bool
    ) -> tuple[SimResponse | None, float | None]:
        """Count the request and decide its fault: (fault response, drop fraction)."""
        knobs = self.knobs
        retry = {"Retry-After": f"{knobs.retry_after_s:g}"}
        with self._lock:
            self.request_count += 1
            self.calls[endpoint] += 1
            if route == "report" and has_auth:
                self.report_auth_violations += 1
            if route not in _DATA_ROUTES:
                return None, None
            if route == "graph" and knobs.throttle_after is not None:
                self._graph_since_throttle += 1
                if self._graph_since_throttle > knobs.throttle_after:
                    self._graph_since_throttle = 0
                    self.calls["throttled"] += 1
                    return _throttled(req, retry), None
            if knobs.error_503_rate > 0 and self._rng.random() < knobs.error_503_rate:
                self.calls["unavailable"] += 1
                return _unavailable(route, req, retry), None
            if knobs.drop_rate > 0 and self._rng.random() < knobs.drop_rate:
                return None, 0.2 + 0.6 * self._rng.random()
        return None, None

    def _dispatch(self, route: str, req: SimRequest) -> SimResponse:
        if route == "login":
            return self._sts.handle(req)
        if route == "graph":
            return self._graph.handle(req)
        if route == "report":
            return self._download(req)
        assert self._saas is not None
        return self._saas.handle(req)

    def _download(self, req: SimRequest) -> SimResponse:
        token = req.path.rsplit("/", 1)[-1]
        state = unseal("rd", token) if req.path.startswith("/data/download/") else None
        if state is None:
            return text_response(404, "The specified resource does not exist.", "text/plain")
        if state["x"] < time.time():
            return text_response(403, "This download link has expired.", "text/plain")
        tenant = self.find_tenant(str(state["t"]))
        if tenant is None:
            return text_response(404, "The specified resource does not exist.", "text/plain")
        headers = {
            "Content-Type": "application/octet-stream",
            "Content-Disposition": f'attachment; filename="{state["r"]}.csv"',
        }
        return SimResponse(200, report_csv(tenant, str(state["r"]), int(state["p"])), headers)


FOREIGN_HOST = "https://graph.attacker.invalid"


def _hostile(knobs: Knobs, req: SimRequest, sim: SimResponse) -> SimResponse:
    """Apply the hostile-service knobs to one Graph answer."""
    location = sim.headers.get("Location")
    if location and knobs.report_redirect_scheme != "https":
        sim.headers["Location"] = knobs.report_redirect_scheme + location[len("https") :]
    if knobs.next_link_fault and isinstance(sim.body, bytes):
        key = b'"@odata.nextLink":"'
        at = sim.body.find(key)
        if at >= 0:
            end = sim.body.index(b'"', at + len(key))
            link = sim.body[at + len(key) : end].decode()
            if knobs.next_link_fault == "loop":
                link = req.url
            elif knobs.next_link_fault == "http":
                link = "http" + link[len("https") :]
            else:
                link = FOREIGN_HOST + link[len(GRAPH_HOST) :]
            body = sim.body[: at + len(key)] + link.encode() + sim.body[end:]
            sim = SimResponse(sim.status, body, {**sim.headers, "Content-Length": str(len(body))})
    if knobs.trickle_s > 0 and isinstance(sim.body, bytes):
        headers = {**sim.headers, "Content-Length": str(len(sim.body))}
        sim = SimResponse(sim.status, _trickle(sim.body, knobs), headers)
    return sim


def _trickle(body: bytes, knobs: Knobs) -> Iterator[bytes]:
    """One byte at a time, `knobs.trickle_s` apart (re-read each time: set it to 0 and the
    rest flows at once, which lets a test's abandoned request end)."""
    for index in range(len(body)):
        if knobs.trickle_s > 0:
            time.sleep(knobs.trickle_s)
        yield body[index : index + 1]


def _throttled(req: SimRequest, retry: Mapping[str, str]) -> SimResponse:
    resp = graph_error(429, "TooManyRequests", "Please retry again later.", req)
    resp.headers.update(retry)
    resp.headers["x-ms-throttle-information"] = "ResourceUnitLimitExceeded"
    return resp


def _unavailable(route: str, req: SimRequest, retry: Mapping[str, str]) -> SimResponse:
    if route == "saas-api":
        return json_response(503, {"message": "Service Unavailable"}, dict(retry))
    resp = graph_error(503, "ServiceNotAvailable", "Service is temporarily unavailable.", req)
    resp.headers.update(retry)
    return resp


class SimulatorAdapter(BaseAdapter):
    """`requests` transport that hands every request to a `Simulator`."""

    def __init__(self, simulator: Simulator) -> None:
        super().__init__()
        self.simulator = simulator

    def send(
        self,
        request: requests.PreparedRequest,
        stream: bool = False,
        timeout: Any = None,
        verify: Any = True,
        cert: Any = None,
        proxies: Any = None,
    ) -> requests.Response:
        read = timeout[1] if isinstance(timeout, tuple) else timeout
        return self.simulator.handle(request, self, float(read) if read is not None else None)

    def close(self) -> None:
        """Nothing to release: there are no sockets."""


def simulator_session(sim: Simulator) -> requests.Session:
    """Return a new session that only talks to `sim`."""
    session = requests.Session()
    session.trust_env = False  # no proxies or .netrc credentials from the environment
    return sim.mount(session)
