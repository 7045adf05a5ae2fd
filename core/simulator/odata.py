"""Graph response helpers shared by the Graph endpoints: error bodies, success headers."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime

from .model import TenantModel
from .wire import ODATA_TYPE, SimRequest, SimResponse, json_response


@dataclass
class Caller:
    tenant: TenantModel
    permissions: frozenset[str]
    roles: frozenset[str] | None = None  # directory roles of a signed-in user; None: app-only


def graph_error(status: int, code: str, message: str, req: SimRequest | None = None) -> SimResponse:
    """Return an error in the Graph shape (reference §5.3) with its request-id."""
    rid = str(uuid.uuid4())
    client_rid = (req.headers.get("client-request-id") if req else None) or rid
    date = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S")
    body = {
        "error": {
            "code": code,
            "message": message,
            "innerError": {"date": date, "request-id": rid, "client-request-id": client_rid},
        }
    }
    headers = {"request-id": rid, "client-request-id": client_rid}
    if status == 401:
        headers["WWW-Authenticate"] = (
            'Bearer realm="", authorization_uri="https://login.microsoftonline.com/common/'
            'oauth2/authorize", client_id="00000003-0000-0000-c000-000000000000"'
        )
    return json_response(status, body, headers)


def denied(req: SimRequest) -> SimResponse:
    return graph_error(
        403,
        "Authorization_RequestDenied",
        "Insufficient privileges to complete the operation.",
        req,
    )


def ok(req: SimRequest, text: str, units: int = 1) -> SimResponse:
    rid = str(uuid.uuid4())
    headers = {
        "Content-Type": ODATA_TYPE,
        "request-id": rid,
        "client-request-id": req.headers.get("client-request-id") or rid,
        "x-ms-resource-unit": str(units),
    }
    return SimResponse(200, text.encode(), headers)
