"""A small client for the Flexera One SaaS Management API (saas-management-api.md).

Every request has a timeout; 429 and 5xx answers and network errors are retried through the
RetryPolicy Microsoft Graph uses (Retry-After in seconds or as an HTTP date, bounded; back-off
with jitter otherwise), and the cancel token cuts a wait short; a 401 gets one fresh access
token. Error messages name what to fix and never contain a token.
"""

from __future__ import annotations

import json
import logging
import random
import time
from collections.abc import Callable, Mapping
from typing import Any
from urllib.parse import urlsplit

import requests

from core.domain.cancel import CancelToken
from core.domain.saas import SaasZone
from core.errors import LicenseDeskError
from core.graph.retry import RETRY_STATUSES, RetryPolicy, describe_wait, local_time_after

log = logging.getLogger(__name__)

ZONE_HOSTS: Mapping[SaasZone, tuple[str, str]] = {
    SaasZone.NAM: ("https://login.flexera.com", "https://api.flexera.com"),
    SaasZone.EU: ("https://login.flexera.eu", "https://api.flexera.eu"),
    SaasZone.APAC: ("https://login.flexera.au", "https://api.flexera.au"),
}
TIMEOUT_S = 30.0
MAX_RETRIES = 4
MAX_WAIT_S = 60.0
REFRESH_TOKEN_HELP = (
    "Flexera One rejected the API refresh token (wrong, revoked, or unused for a year). "
    "Create a new one in Flexera One under User Settings > API Credentials and enter it again."
)


class SaasError(LicenseDeskError):
    """The SaaS Management API could not be used; `field` names the setting to fix."""


def zone_urls(zone: SaasZone) -> tuple[str, str]:
    """(token URL, API URL) of a zone."""
    login, api = ZONE_HOSTS[zone]
    return f"{login}/oidc/token", api


class SaasClient:
    def __init__(
        self,
        session: requests.Session,
        *,
        token_url: str,
        api_url: str,
        org_id: str,
        refresh_token: str,
        timeout: float = TIMEOUT_S,
        max_retries: int = MAX_RETRIES,
        sleep: Callable[[float], None] | None = None,
        clock: Callable[[], float] = time.monotonic,
        cancel: CancelToken | None = None,
        rng: Callable[[], float] = random.random,
    ) -> None:
        self._session = session
        self._token_url = token_url
        self._api = api_url.rstrip("/")
        self._org = org_id
        self._refresh_token = refresh_token
        self._timeout = timeout
        self._policy = RetryPolicy(max_retries=max_retries, max_backoff=MAX_WAIT_S, rng=rng)
        self._sleep = sleep  # retry waits; None waits on the cancel token (or time.sleep)
        self._cancel = cancel
        self._clock = clock
        self._access: str | None = None
        self._expires_at = 0.0
        self.rotated_refresh_token: str | None = None  # set when Flexera hands out a new one

    # Endpoints

    def managed_apps(self, view: str = "extended") -> list[dict[str, Any]]:
        return self._values(f"/saas/v1/orgs/{self._org}/managed-apps", {"view": view})

    def app_users(self, managed_app_id: str) -> list[dict[str, Any]]:
        path = f"/saas/v1/orgs/{self._org}/managed-apps/{managed_app_id}/app-users"
        return self._values(path, {"includeAll": "true"})

    # Token

    def access_token(self) -> str:
        if self._access is not None and self._clock() < self._expires_at:
            return self._access
        response = self._send("POST", self._token_url, data=self._token_form(), auth=False)
        if response.status_code in (400, 401):
            raise SaasError(REFRESH_TOKEN_HELP, field="refresh_token", detail=_detail(response))
        if response.status_code != 200:
            raise SaasError(
                f"The Flexera One token service answered {response.status_code}; check the "
                "zone or the token URL.",
                field="token_url",
                detail=_detail(response),
            )
        body = _json(response)
        token = body.get("access_token")
        if not isinstance(token, str) or not token:
            raise SaasError(
                "The Flexera One token service sent no access token.", detail=_detail(response)
            )
        lifetime = float(body.get("expires_in") or 3600)
        self._access = token
        self._expires_at = self._clock() + max(60.0, lifetime - 60.0)
        new = body.get("refresh_token")
        if isinstance(new, str) and new and new != self._refresh_token:
            self._refresh_token = new
            self.rotated_refresh_token = new
        return token

    def _token_form(self) -> dict[str, str]:
        return {"grant_type": "refresh_token", "refresh_token": self._refresh_token}

    # Plumbing

    def _values(self, path: str, params: Mapping[str, str]) -> list[dict[str, Any]]:
        url = f"{self._api}{path}"
        response = self._send("GET", url, params=params)
        if response.status_code == 401:
            self._access = None  # expired or revoked early: one fresh token
            response = self._send("GET", url, params=params)
        if response.status_code != 200:
            raise _api_error(response, self._org)
        body = _json(response)
        values = body if isinstance(body, list) else body.get("values")
        if not isinstance(values, list):
            raise SaasError(
                "The SaaS Management API answered without a list of values.",
                detail=f"{response.status_code} {_url(response)}",
            )
        return [v for v in values if isinstance(v, dict)]

    def _send(
        self, method: str, url: str, *, auth: bool = True, **kwargs: Any
    ) -> requests.Response:
        """Send, retrying what is transient; a transient answer that outlasts the retries is
        returned for the caller to explain."""
        retries = 0
        while True:
            if self._cancel is not None:
                self._cancel.raise_if_cancelled()
            headers = {"Accept": "application/json"}
            if auth:
                headers["Authorization"] = f"Bearer {self.access_token()}"
            retry_after: str | None = None
            try:
                response = self._session.request(
                    method, url, headers=headers, timeout=self._timeout, **kwargs
                )
            except (requests.ConnectionError, requests.Timeout) as exc:
                if not self._policy.can_retry(retries):
                    host = urlsplit(url).netloc
                    raise SaasError(
                        f"Could not reach {host}: check the zone, the URLs and the network or "
                        "proxy.",
                        detail=type(exc).__name__,
                    ) from None
            else:
                if response.status_code not in RETRY_STATUSES:
                    return response
                retry_after = response.headers.get("Retry-After")
                asked = self._policy.too_long(retry_after)
                if asked is not None:
                    raise SaasError(
                        f"Flexera One asked to wait {describe_wait(asked)}; try again after "
                        f"{local_time_after(asked)} (local time).",
                        detail=_detail(response),
                    )
                if not self._policy.can_retry(retries):
                    return response
            self._wait(self._policy.delay(retries, retry_after))
            retries += 1

    def _wait(self, seconds: float) -> None:
        if self._sleep is not None:
            self._sleep(seconds)
        elif self._cancel is not None:
            self._cancel.wait(seconds)
        else:
            time.sleep(seconds)
        if self._cancel is not None:
            self._cancel.raise_if_cancelled()


def _url(response: requests.Response) -> str:
    # No query string: it is harmless here, but keep details short and predictable.
    return (response.url or "").split("?")[0]


def _each_object(value: dict[str, Any]) -> dict[str, Any]:
    return value


def _detail(response: requests.Response) -> str:
    return f"{response.status_code} {_url(response)}"


def _json(response: requests.Response) -> Any:
    try:
        # The Python hook makes the decoder enter the interpreter once per object, where the
        # GIL can change hands: an app's 87,000 users in one answer otherwise hold it for the
        # whole decode (0.1 to 0.5 s), and the window's thread waits that long.
        return json.loads(response.content, object_hook=_each_object)
    except ValueError:
        raise SaasError(
            "The SaaS Management API sent an answer that is not JSON.", detail=_detail(response)
        ) from None


def _api_error(response: requests.Response, org_id: str) -> SaasError:
    status = response.status_code
    if status == 401:
        return SaasError(
            "Flexera One did not accept the access token; check the zone and create a new API "
            "refresh token if this persists.",
            field="refresh_token",
            detail=_detail(response),
        )
    if status == 403:
        return SaasError(
            f"The API refresh token's user may not read organization {org_id}: check the "
            "organization ID and that the user has a SaaS Management role there.",
            field="org_id",
            detail=_detail(response),
        )
    if status == 404:
        return SaasError(
            "The SaaS Management API was not found at this address: check the zone or the "
            "API URL and the organization ID.",
            field="api_url",
            detail=_detail(response),
        )
    if status == 429:
        return SaasError(
            "Flexera One kept throttling the requests; try again in a few minutes.",
            detail=_detail(response),
        )
    return SaasError(
        f"The SaaS Management API answered {status}; try again later.", detail=_detail(response)
    )
