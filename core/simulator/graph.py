"""The simulated Microsoft Graph (v1.0): organization, SKUs, subscriptions, users (paged),
users/delta, report settings and the usage reports' 302 to a download host."""

from __future__ import annotations

import json
import re
import threading
import time
import uuid
from collections import deque
from collections.abc import Callable
from typing import Any

from .aad import GRAPH_HOST
from .model import TenantModel
from .odata import Caller, denied, graph_error, ok
from .pager import UsersPager
from .reports import REPORTS
from .roles import needed_roles, role_names
from .tokens import JwtVerifier, seal
from .wire import JSON_TYPE, SimRequest, SimResponse, redirect

_AUDIENCES = ("https://graph.microsoft.com", "00000003-0000-0000-c000-000000000000")
_ORG = frozenset({"Organization.Read.All", "Organization.ReadWrite.All", "Directory.Read.All"})
_SKUS = _ORG | {"LicenseAssignment.Read.All"}
_USERS = frozenset({"User.Read.All", "User.ReadWrite.All", "Directory.Read.All"})
_REPORTS = frozenset({"Reports.Read.All"})
_SETTINGS = frozenset({"ReportSettings.Read.All", "ReportSettings.ReadWrite.All"})
_REPORT_CALL = re.compile(r"^reports/(\w+)(?:\((.*)\))?$")
_PERIODS = {"D7": 7, "D30": 30, "D90": 90, "D180": 180}
REPORT_LINK_TTL_S = 900


_Answer = Callable[[SimRequest, Caller, str], SimResponse]


def _collection(values: Callable[[TenantModel], list[Any]], units: int = 1) -> _Answer:
    """An answer listing `values(tenant)` as an OData collection."""

    def answer(req: SimRequest, caller: Caller, version: str) -> SimResponse:
        path = req.path.strip("/").partition("/")[2]
        ctx = f"{GRAPH_HOST}/{version}/$metadata#{path}"
        body = {"@odata.context": ctx, "value": values(caller.tenant)}
        return ok(req, json.dumps(body, separators=(",", ":")), units)

    return answer


class GraphService:
    def __init__(
        self,
        find_tenant: Callable[[str], TenantModel | None],
        report_host: str,
        tokens_valid_after: Callable[[], float],
        report_limit: Callable[[], int | None] = lambda: None,
    ) -> None:
        self._find = find_tenant
        self._report_host = report_host.rstrip("/")
        self._valid_after = tokens_valid_after
        self._report_limit = report_limit
        self._report_calls: dict[tuple[str, str], deque[float]] = {}
        self._lock = threading.Lock()
        self._verifier = JwtVerifier()

    @staticmethod
    def endpoint_name(req: SimRequest) -> str:
        path = req.path.strip("/").split("/", 1)[-1]
        match = _REPORT_CALL.match(path)
        if match:
            return f"report:{match.group(1)}"
        return {
            "users": "users",
            "users/delta": "users-delta",
            "users/$count": "users-count",
            "subscribedSkus": "subscribedSkus",
            "directory/subscriptions": "subscriptions",
            "organization": "organization",
            "admin/reportSettings": "reportSettings",
        }.get(path, "graph-other")

    def authenticate(self, req: SimRequest) -> Caller | SimResponse:
        token = req.bearer()
        if not token:
            return graph_error(401, "InvalidAuthenticationToken", "Access token is empty.", req)
        claims = self._verifier.verify(token)
        if claims is None:
            return graph_error(
                401, "InvalidAuthenticationToken", "Access token validation failure.", req
            )
        if claims.get("aud") not in _AUDIENCES:
            return graph_error(
                401,
                "InvalidAuthenticationToken",
                "Access token validation failure. Invalid audience.",
                req,
            )
        if claims.get("exp", 0) < time.time() or claims.get("iat", 0) < self._valid_after():
            return graph_error(
                401,
                "InvalidAuthenticationToken",
                "Access token has expired or is not yet valid.",
                req,
            )
        tenant = self._find(str(claims.get("tid", "")))
        if tenant is None:
            return graph_error(401, "InvalidAuthenticationToken", "Tenant not found.", req)
        perms = set(claims.get("roles", [])) | set(str(claims.get("scp", "")).split())
        roles = role_names(claims.get("wids")) if "scp" in claims else None
        return Caller(tenant, frozenset(perms), roles)

    def handle(self, req: SimRequest) -> SimResponse:
        version, _, path = req.path.strip("/").partition("/")
        if version not in ("v1.0", "beta"):
            return graph_error(400, "BadRequest", f"Invalid version: {version}", req)
        caller = self.authenticate(req)
        if isinstance(caller, SimResponse):
            return caller
        if version == "v1.0" and not caller.tenant.spec.v1_reports and _report_api(path):
            return graph_error(
                400,
                "BadRequest",
                f"Resource not found for the segment '{path.split('/')[0]}'.",
                req,
            )
        if req.method == "PATCH" and path == "admin/reportSettings":
            return self._patch_report_settings(req, caller)
        if req.method != "GET":
            return graph_error(405, "Request_BadRequest", "Method not allowed.", req)
        needed = needed_roles(path, req.q("$select") or "")
        if caller.roles is not None and needed is not None and not needed & caller.roles:
            return denied(req)  # a signed-in account without a role that reads this
        route = self._routes.get(path)
        if route is not None:
            needed, answer = route
            return answer(req, caller, version) if needed & caller.permissions else denied(req)
        match = _REPORT_CALL.match(path)
        if match:
            return self._report(req, caller, match.group(1), match.group(2))
        return graph_error(
            400, "BadRequest", f"Resource not found for the segment '{path.split('/')[0]}'.", req
        )

    @property
    def _routes(self) -> dict[str, tuple[frozenset[str], _Answer]]:
        return {
            "organization": (_ORG, _collection(lambda t: [t.organization()])),
            "subscribedSkus": (_SKUS, _collection(lambda t: t.skus, units=3)),
            "directory/subscriptions": (_ORG, _collection(lambda t: t.subscriptions)),
            "users": (_USERS, lambda req, caller, _: UsersPager(req, caller).list_page()),
            "users/delta": (_USERS, lambda req, caller, _: UsersPager(req, caller).delta_page()),
            "users/$count": (_USERS, lambda req, caller, _: self._count(req, caller.tenant)),
            "admin/reportSettings": (_SETTINGS, self._settings),
        }

    def _count(self, req: SimRequest, tenant: TenantModel) -> SimResponse:
        if req.headers.get("ConsistencyLevel", "").lower() != "eventual":
            return graph_error(400, "Request_BadRequest", "$count is not currently supported.", req)
        return SimResponse(200, str(tenant.truth().users).encode(), {"Content-Type": "text/plain"})

    @staticmethod
    def _settings(req: SimRequest, caller: Caller, version: str) -> SimResponse:
        body = {
            "@odata.context": f"{GRAPH_HOST}/{version}/$metadata#admin/reportSettings/$entity",
            "id": caller.tenant.tenant_id,
            "displayConcealedNames": caller.tenant.concealed_names,
        }
        return ok(req, json.dumps(body, separators=(",", ":")))

    def _patch_report_settings(self, req: SimRequest, caller: Caller) -> SimResponse:
        if "ReportSettings.ReadWrite.All" not in caller.permissions:
            return denied(req)
        try:
            body = json.loads(req.body or b"{}")
            value = body["displayConcealedNames"]
        except (ValueError, KeyError, TypeError):
            return graph_error(400, "BadRequest", "Invalid request body.", req)
        if not isinstance(value, bool):
            return graph_error(400, "BadRequest", "displayConcealedNames must be a boolean.", req)
        caller.tenant.concealed_names = value
        return SimResponse(204, b"", {"request-id": str(uuid.uuid4())})

    def _report(self, req: SimRequest, caller: Caller, name: str, args: str | None) -> SimResponse:
        if name not in REPORTS:
            return graph_error(
                400, "BadRequest", f"Resource not found for the segment '{name}'.", req
            )
        if not _REPORTS & caller.permissions:
            return denied(req)
        period = _parse_period(name, args)
        if period is None:
            return graph_error(400, "BadRequest", f"Invalid parameters for {name}: ({args}).", req)
        if self._over_report_limit(caller.tenant.tenant_id, name):
            throttled = graph_error(429, "TooManyRequests", "Too many requests.", req)
            throttled.headers["Retry-After"] = "60"
            return throttled
        token = seal(
            "rd",
            {
                "t": caller.tenant.tenant_id,
                "r": name,
                "p": period,
                "x": int(time.time()) + REPORT_LINK_TTL_S,
            },
        )
        rid = str(uuid.uuid4())
        return redirect(
            f"{self._report_host}/data/download/{token}",
            {"request-id": rid, "client-request-id": rid, "Content-Type": JSON_TYPE},
        )

    def _over_report_limit(self, tenant_id: str, name: str) -> bool:
        """Count a report call; True when it exceeds the per-10-minute budget (wall clock)."""
        limit = self._report_limit()
        if limit is None:
            return False
        now = time.monotonic()
        with self._lock:
            calls = self._report_calls.setdefault((tenant_id, name), deque())
            while calls and now - calls[0] > 600:
                calls.popleft()
            if len(calls) >= limit:
                return True
            calls.append(now)
            return False


def _report_api(path: str) -> bool:
    return path.startswith("reports/") or path == "admin/reportSettings"


def _parse_period(name: str, args: str | None) -> int | None:
    if name == "getOffice365ActivationsUserDetail":
        return 0 if not args else None
    key, _, value = (args or "").partition("=")
    value = value.strip().strip("'")
    if key.strip() == "period":
        return _PERIODS.get(value)
    if key.strip() == "date" and re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
        return 1
    return None
