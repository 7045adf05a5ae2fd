"""`/users` and `/users/delta` paging: `$select`, `$top`, opaque skip and delta tokens."""

from __future__ import annotations

import re
from itertools import islice
from typing import Any
from urllib.parse import quote

from .aad import GRAPH_HOST
from .emit import emitter
from .odata import Caller, denied, graph_error, ok
from .tokens import seal, unseal
from .users import DEFAULT_SELECT, USER_PROPERTIES
from .wire import SimRequest, SimResponse

DEFAULT_TOP = 100
MAX_TOP = 999
SIGN_IN_MAX_TOP = 500
DELTA_PAGE = 200
DELTA_TTL_S = 7 * 86400
_UNSUPPORTED = ("$filter", "$orderby", "$search", "$expand", "$skip", "$format")
# The only $filter the simulator understands on /users: by object id (`id eq` / `id in`).
_ID_FILTER = re.compile(r"^\s*id\s+(?:eq\s+'([^']+)'|in\s+\(([^)]*)\))\s*$", re.IGNORECASE)
MAX_IN_VALUES = 15
_MAXPAGESIZE = re.compile(r"odata\.maxpagesize\s*=\s*(\d+)")


def _page_text(
    ctx: str,
    items: list[str],
    *,
    next_link: str | None = None,
    delta_link: str | None = None,
    count: int | None = None,
) -> str:
    head = f'{{"@odata.context":"{ctx}"'
    if count is not None:
        head += f',"@odata.count":{count}'
    if next_link:
        head += f',"@odata.nextLink":"{next_link}"'
    if delta_link:
        head += f',"@odata.deltaLink":"{delta_link}"'
    return head + ',"value":[' + ",".join(items) + "]}"


def _link(path: str, params: list[tuple[str, str]]) -> str:
    query = "&".join(f"{k}={quote(v, safe=',')}" for k, v in params)
    return f"{GRAPH_HOST}/v1.0/{path}?{query}"


class UsersPager:
    def __init__(self, req: SimRequest, caller: Caller) -> None:
        self.req = req
        self.tenant = caller.tenant
        self.perms = caller.permissions

    # -- shared checks -----------------------------------------------------------------------
    def _fields(self, raw: str | None) -> tuple[str, ...] | SimResponse:
        if raw is None:
            return DEFAULT_SELECT
        names = tuple(dict.fromkeys(n.strip() for n in raw.split(",") if n.strip()))
        for name in names:
            if name not in USER_PROPERTIES:
                return graph_error(
                    400,
                    "Request_BadRequest",
                    f"Could not find a property named '{name}' on type 'microsoft.graph.user'.",
                    self.req,
                )
        return names or DEFAULT_SELECT

    def _rejections(
        self, fields: tuple[str, ...], allowed: tuple[str, ...] = ()
    ) -> SimResponse | None:
        for option in _UNSUPPORTED:
            if option not in allowed and self.req.q(option) is not None:
                return graph_error(
                    400,
                    "Request_UnsupportedQuery",
                    f"The query option {option} is not supported by the tenant simulator.",
                    self.req,
                )
        if "signInActivity" not in fields:
            return None
        if "AuditLog.Read.All" not in self.perms:
            return denied(self.req)
        if not self.tenant.spec.premium:
            return graph_error(
                403,
                "Authentication_RequestFromNonPremiumTenantOrB2CTenant",
                "Neither tenant is B2C or tenant doesn't have premium license",
                self.req,
            )
        return None

    def _emit(self, indexes: list[int], fields: tuple[str, ...]) -> list[str]:
        render = emitter(fields)
        factory = self.tenant.factory
        core = self.tenant.core
        return [render(factory, i, core(i)) for i in indexes]

    # -- /users ------------------------------------------------------------------------------
    def _top(self) -> int | SimResponse:
        raw = self.req.q("$top")
        try:
            top = int(raw) if raw is not None else DEFAULT_TOP
        except ValueError:
            top = -1
        if 1 <= top <= MAX_TOP:
            return top
        return graph_error(
            400,
            "Request_BadRequest",
            f"Invalid page size specified: '{raw}'. Must be between 1 and 999 inclusive.",
            self.req,
        )

    def _skip_start(self) -> int | SimResponse:
        token = self.req.q("$skiptoken")
        if token is None:
            return 0
        state = unseal("sk", token)
        if state is None or state.get("t") != self.tenant.tenant_id:
            return graph_error(400, "Request_BadRequest", "Invalid skip token.", self.req)
        return int(state["i"])

    def _count(self) -> int | None | SimResponse:
        if self.req.q("$count") != "true":
            return None
        if self.req.headers.get("ConsistencyLevel", "").lower() != "eventual":
            return graph_error(
                400,
                "Request_BadRequest",
                "$count is not supported without the ConsistencyLevel: eventual header.",
                self.req,
            )
        return self.tenant.truth().users

    def _filtered(self, raw: str, fields: tuple[str, ...]) -> SimResponse:
        match = _ID_FILTER.match(raw)
        if match is None:
            return graph_error(
                400, "Request_UnsupportedQuery", "Unsupported query: only id filters.", self.req
            )
        ids = (
            [match.group(1)]
            if match.group(1)
            else [v.strip().strip("'") for v in match.group(2).split(",") if v.strip()]
        )
        if len(ids) > MAX_IN_VALUES:
            return graph_error(
                400,
                "Request_UnsupportedQuery",
                f"Too many values in the 'in' operator; at most {MAX_IN_VALUES} are allowed.",
                self.req,
            )
        found = [i for i in (self.tenant.index_of(v) for v in ids) if i is not None]
        ctx = f"{GRAPH_HOST}/v1.0/$metadata#users"
        return ok(self.req, _page_text(ctx, self._emit(sorted(found), fields)), 1)

    def list_page(self) -> SimResponse:
        req = self.req
        fields = self._fields(req.q("$select"))
        if isinstance(fields, SimResponse):
            return fields
        rejected = self._rejections(fields, allowed=("$filter",))
        if rejected is not None:
            return rejected
        if req.q("$filter") is not None:
            return self._filtered(req.q("$filter") or "", fields)
        top = self._top()
        start = self._skip_start()
        count = self._count()
        for problem in (top, start, count):
            if isinstance(problem, SimResponse):
                return problem
        assert (
            isinstance(top, int) and isinstance(start, int) and not isinstance(count, SimResponse)
        )
        size = min(top, SIGN_IN_MAX_TOP) if "signInActivity" in fields else top
        indexes = list(islice(self.tenant.indexes(start), size + 1))
        next_link = None
        if len(indexes) > size:
            params = [("$select", req.q("$select") or ""), ("$top", str(top))]
            params = [p for p in params if p[1]] + ([("$count", "true")] if count else [])
            marker = seal("sk", {"t": self.tenant.tenant_id, "i": indexes[size]})
            next_link = _link("users", [*params, ("$skiptoken", marker)])
            indexes = indexes[:size]
        ctx = f"{GRAPH_HOST}/v1.0/$metadata#users"
        if req.q("$select"):
            ctx += f"({','.join(fields)})"
        text = _page_text(ctx, self._emit(indexes, fields), next_link=next_link, count=count)
        return ok(req, text, 1 if req.q("$select") else 2)

    # -- /users/delta --------------------------------------------------------------------------
    def _delta_size(self) -> int:
        match = _MAXPAGESIZE.search(self.req.headers.get("Prefer", ""))
        top = self.req.q("$top")
        size = int(match.group(1)) if match else int(top) if top and top.isdigit() else DELTA_PAGE
        return max(1, min(size, MAX_TOP))

    def _sync_lost(self) -> SimResponse:
        return graph_error(
            400,
            "syncStateNotFound",
            "The sync state generation is not found. Replace your delta link with a new full "
            "synchronization (an initial /users/delta request).",
            self.req,
        )

    def delta_page(self) -> SimResponse:
        req = self.req
        tid = self.tenant.tenant_id
        now = self.tenant.now.timestamp()
        delta, skip = req.q("$deltatoken"), req.q("$skiptoken")
        if delta == "latest":  # a delta link for "from now on", without the initial round
            fields = self._fields(req.q("$select"))
            if isinstance(fields, SimResponse):
                return fields
            link = self._delta_link(fields, self.tenant.version, now)
            return ok(req, _page_text(self._delta_context(fields), [], delta_link=link))
        if delta is not None:
            token = unseal("dt", delta)
            if token is None or token.get("t") != tid or now - float(token["c"]) > DELTA_TTL_S:
                return self._sync_lost()
            version = self.tenant.version
            changes = {"t": tid, "m": "c", "o": 0, "s": token["s"], "f": token["v"], "v": version}
            return self._delta_round(changes, now)
        if skip is not None:
            resumed = unseal("ds", skip)
            if resumed is None or resumed.get("t") != tid:
                return self._sync_lost()
            return self._delta_round(resumed, now)
        fields = self._fields(req.q("$select"))
        if isinstance(fields, SimResponse):
            return fields
        if "signInActivity" in fields:
            return graph_error(
                400,
                "Request_BadRequest",
                "Property 'signInActivity' is not supported for delta queries.",
                req,
            )
        if "id" not in fields:
            fields = ("id", *fields)
        state: dict[str, Any] = {
            "t": tid,
            "m": "i",
            "o": 0,
            "s": list(fields),
            "v": self.tenant.version,
        }
        return self._delta_round(state, now)

    def _delta_round(self, state: dict[str, Any], now: float) -> SimResponse:
        fields = tuple(str(f) for f in state["s"])
        size = self._delta_size()
        offset = int(state["o"])
        tenant = self.tenant
        if state["m"] == "i":
            indexes = list(islice(tenant.indexes(offset), size + 1))
            more = len(indexes) > size
            items = self._emit(indexes[:size], fields)
            next_offset = indexes[size] if more else 0
        else:
            changed = tenant.changed_between(int(state["f"]), int(state["v"]), fields)
            page = changed[offset : offset + size]
            more = offset + size < len(changed)
            items = [self._change(i, fields) for i in page]
            next_offset = offset + size
        ctx = self._delta_context(fields)
        if more:
            marker = seal("ds", {**state, "o": next_offset})
            link = _link("users/delta", [("$skiptoken", marker)])
            return ok(self.req, _page_text(ctx, items, next_link=link))
        link = self._delta_link(fields, int(state["v"]), now)
        return ok(self.req, _page_text(ctx, items, delta_link=link))

    @staticmethod
    def _delta_context(fields: tuple[str, ...]) -> str:
        return f"{GRAPH_HOST}/v1.0/$metadata#users({','.join(fields)})"

    def _delta_link(self, fields: tuple[str, ...], version: int, now: float) -> str:
        marker = seal("dt", {"t": self.tenant.tenant_id, "v": version, "s": list(fields), "c": now})
        return _link("users/delta", [("$deltatoken", marker)])

    def _change(self, i: int, fields: tuple[str, ...]) -> str:
        tenant = self.tenant
        if tenant.exists(i):
            return emitter(fields)(tenant.factory, i, tenant.core(i))
        return f'{{"id":"{tenant.user_id(i)}","@removed":{{"reason":"deleted"}}}}'
