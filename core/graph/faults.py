"""Turn Graph error answers into the typed errors of `core.errors` (Graph reference §5.3)."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from http import HTTPStatus
from typing import Any
from urllib.parse import unquote, urlsplit

import requests

from core.errors import (
    AuthError,
    DeltaExpiredError,
    GraphError,
    LicenseDeskError,
    PermissionMissingError,
    PremiumRequiredError,
    ThrottledError,
)
from core.graph.retry import describe_wait, local_time_after

_VERSIONS = frozenset({"v1.0", "beta"})

# Path prefix (after the version) -> the application permission that unlocks it (§2.4).
_PERMISSIONS: tuple[tuple[str, str], ...] = (
    ("/organization", "Organization.Read.All"),
    ("/subscribedskus", "Organization.Read.All"),
    ("/directory/subscriptions", "Organization.Read.All"),
    ("/users", "User.Read.All"),
    ("/reports", "Reports.Read.All"),
    ("/admin/reportsettings", "ReportSettings.Read.All"),
)
_SIGN_IN_PERMISSION = "AuditLog.Read.All"
_PREMIUM_CODE = "Authentication_RequestFromNonPremiumTenantOrB2CTenant"


class GraphUnreachable(ThrottledError):
    """Network failures (refused, reset, timed out, cut off) outlasted the retries."""


@dataclass(frozen=True)
class ErrorBody:
    """The parts of a Graph error answer worth showing: `error.code`, message, request-id."""

    code: str = ""
    message: str = ""
    request_id: str = ""

    def describe(self, status: int) -> str:
        parts = [str(status), self.code, self.message]
        if self.request_id:
            parts.append(f"request-id {self.request_id}")
        return " ".join(p for p in parts if p)


def relative_path(url: str) -> str:
    """Return the path of `url` after the Graph version segment, unquoted, without query."""
    path = unquote(urlsplit(url).path)
    segments = path.split("/")
    for index, segment in enumerate(segments):
        if segment in _VERSIONS:
            return "/" + "/".join(segments[index + 1 :])
    return path or "/"


def describe_url(url: str, *, graph: bool = True) -> str:
    """Return a short form of `url` safe for messages and logs.

    Graph URLs become their relative path (`/users`); the query, which may hold personal data
    in a `$filter`, is dropped. Other hosts (pre-authenticated report downloads, whose path is
    a credential) show only scheme and host.
    """
    if graph:
        return relative_path(url)
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.hostname or ''}/…"


def permission_for(url: str, params: Mapping[str, Any] | None = None) -> str:
    """Name the application permission a Graph URL needs, or "" when the path is unknown."""
    path = relative_path(url).lower()
    for prefix, permission in _PERMISSIONS:
        if path == prefix or path.startswith((prefix + "/", prefix + "(")):
            if prefix == "/users" and _selects_sign_in(url, params):
                return _SIGN_IN_PERMISSION
            return permission
    return ""


def _selects_sign_in(url: str, params: Mapping[str, Any] | None) -> bool:
    query = unquote(urlsplit(url).query)
    if params:
        query += " " + " ".join(str(value) for value in params.values())
    return "signinactivity" in query.lower()


def error_body(response: requests.Response) -> ErrorBody:
    """Read `error.code`/`message`/request-id from an error answer; never raises."""
    request_id = response.headers.get("request-id", "")
    try:
        error = json.loads(response.content)["error"]
        inner = error.get("innerError") or error.get("innererror") or {}
        return ErrorBody(
            code=str(error.get("code") or ""),
            message=str(error.get("message") or ""),
            request_id=str(inner.get("request-id") or request_id),
        )
    except (ValueError, KeyError, TypeError, AttributeError):
        return ErrorBody(request_id=request_id)


def is_delta_url(url: str) -> bool:
    lowered = url.lower()
    return relative_path(url).lower().endswith("/delta") or "deltatoken" in lowered


def error_for_response(
    response: requests.Response,
    url: str,
    params: Mapping[str, Any] | None = None,
    *,
    graph: bool = True,
) -> LicenseDeskError:
    """Map a 4xx/5xx answer that retrying will not fix to the error to raise."""
    status = response.status_code
    body = error_body(response)
    where = describe_url(url, graph=graph)
    shown_url = url if graph else where
    detail = f"{body.describe(status)} GET {shown_url}"
    if not graph:
        return GraphError(
            f"The report download from {where} failed with {status}; the download link may "
            "have expired, try again.",
            url=shown_url,
            status=status,
            code=body.code,
            detail=detail,
        )
    if status in (401, 403):
        return _access_error(status, body, url, params, detail)
    if body.code == "syncStateNotFound" or (status == 410 and is_delta_url(url)):
        return DeltaExpiredError(
            f"The saved change-tracking link for {where} has expired (older than 7 days); "
            "a full import is needed.",
            url=url,
            status=status,
            code=body.code,
            detail=detail,
        )
    return GraphError(
        f"Microsoft Graph answered {status} ({body.code or _phrase(status)}) for {where}.",
        url=url,
        status=status,
        code=body.code,
        detail=detail,
    )


def _access_error(
    status: int,
    body: ErrorBody,
    url: str,
    params: Mapping[str, Any] | None,
    detail: str,
) -> LicenseDeskError:
    where = relative_path(url)
    permission = permission_for(url, params)
    if body.code == _PREMIUM_CODE:
        return PremiumRequiredError(
            "This tenant has no Microsoft Entra ID P1/P2 license, so last sign-in dates "
            "cannot be read; import without sign-in activity.",
            url=url,
            status=status,
            code=body.code,
            detail=detail,
        )
    if body.code == "S2SUnauthorized" and permission == "Reports.Read.All":
        return PermissionMissingError(permission, url=url, code=body.code, detail=detail)
    if status == 401:
        return AuthError(
            f"Microsoft Graph rejected the access token for {where}, even after getting a new "
            "one; check that the connection's cloud matches the tenant and admin consent "
            "was granted.",
            detail=detail,
        )
    if not permission:
        return GraphError(
            f"Microsoft Graph refused access to {where} (403 {body.code}); check the app's "
            "permissions and admin consent.",
            url=url,
            status=status,
            code=body.code,
            detail=detail,
        )
    if where.lower().startswith("/subscribedskus"):
        detail += " (LicenseAssignment.Read.All also grants access)"
    return PermissionMissingError(permission, url=url, code=body.code, detail=detail)


def exhausted_error(
    failure: requests.Response | BaseException, url: str, *, graph: bool = True
) -> ThrottledError:
    """Build the error raised once the retry policy gives up on `url`."""
    where = describe_url(url, graph=graph)
    shown_url = url if graph else where
    if isinstance(failure, BaseException):
        kind = type(failure).__name__  # str(exc) may hold a download token or a proxy URL
        return GraphUnreachable(
            f"Could not reach Microsoft Graph for {where} ({kind}); check the network "
            "connection or proxy and try again.",
            url=shown_url,
            detail=f"{kind} GET {shown_url}",
        )
    status = failure.status_code
    body = error_body(failure)
    return ThrottledError(
        f"Microsoft Graph kept answering {status} ({_phrase(status)}) for {where}; "
        "try again later.",
        url=shown_url,
        status=status,
        code=body.code,
        detail=f"{body.describe(status)} GET {shown_url}",
    )


def wait_too_long_error(
    failure: requests.Response, url: str, seconds: float, *, graph: bool = True
) -> ThrottledError:
    """Build the error for a Retry-After too long to wait for in an import."""
    where = describe_url(url, graph=graph)
    shown_url = url if graph else where
    status = failure.status_code
    body = error_body(failure)
    return ThrottledError(
        f"Microsoft Graph asked to wait {describe_wait(seconds)} for {where}; try again after "
        f"{local_time_after(seconds)} (local time).",
        url=shown_url,
        status=status,
        code=body.code,
        detail=f"{body.describe(status)} Retry-After {seconds:.0f} s GET {shown_url}",
    )


def wait_reason(failure: requests.Response | BaseException, *, graph: bool = True) -> str:
    """Why the import waits before a retry, for the progress line."""
    if not isinstance(failure, requests.Response):
        return "the connection to Microsoft Graph failed" if graph else "the download failed"
    if failure.status_code == 429:
        return "Microsoft Graph is throttling this tenant"
    if failure.status_code == 503:
        return "Microsoft Graph is temporarily unavailable"
    return f"Microsoft Graph answered {failure.status_code} ({_phrase(failure.status_code)})"


def deadline_error(url: str, seconds: float, *, graph: bool = True) -> GraphUnreachable:
    """Build the error for an answer that did not arrive whole within its deadline."""
    where = describe_url(url, graph=graph)
    source = f"Microsoft Graph did not finish answering {where}"
    if not graph:
        source = f"The report download from {where} did not finish"
    return GraphUnreachable(
        f"{source} within {seconds:g} s (the connection is "
        "too slow or the server stalls); check the network or proxy and try again.",
        url=url if graph else where,
        detail=f"deadline {seconds:g} s GET {url if graph else where}",
    )


def tls_error(url: str, *, graph: bool = True) -> GraphUnreachable:
    """Build the error for a failed TLS handshake, which retrying would not fix."""
    where = describe_url(url, graph=graph)
    return GraphUnreachable(
        f"The secure connection to {where} failed its certificate check; a proxy that "
        "inspects HTTPS needs its certificate authority trusted on this computer.",
        url=url if graph else where,
        detail=f"SSLError GET {url if graph else where}",
    )


def _phrase(status: int) -> str:
    try:
        return HTTPStatus(status).phrase.lower()
    except ValueError:
        return "error"
