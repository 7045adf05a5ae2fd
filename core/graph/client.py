"""GraphClient: paging, retries and usage reports over one requests.Session (spec §4)."""

from __future__ import annotations

import json
import logging
import random
import threading
import time
import uuid
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import urljoin, urlsplit

import requests

from core.domain.cancel import CancelToken
from core.errors import AuthError, GraphError, MalformedResponseError
from core.graph.exchange import DeadlinePassed, Stopped, read_body, run_bounded, shut_down
from core.graph.faults import (
    deadline_error,
    describe_url,
    error_for_response,
    exhausted_error,
    tls_error,
    wait_reason,
    wait_too_long_error,
)
from core.graph.links import PageLinks, check_request, origin
from core.graph.reports import (
    DEFAULT_REPORT_BUDGET,
    ReportBudget,
    check_report_header,
    required_columns_for,
)
from core.graph.retry import NETWORK_ERRORS, RETRY_STATUSES, RetryPolicy

logger = logging.getLogger(__name__)

JsonObject = dict[str, Any]
Params = Mapping[str, Any] | None
Headers = dict[str, str | None]

_REDIRECTS = frozenset({301, 302, 303, 307, 308})
_MAX_DOWNLOAD_HOPS = 3


class TokenSource(Protocol):
    """Anything that hands out Graph access tokens (core.auth providers satisfy it)."""

    def get_token(self, *, force_refresh: bool = False) -> str: ...


@dataclass(frozen=True, slots=True)
class RawPage:
    """One undecoded page: `body` is the JSON bytes as received."""

    body: bytes
    next_link: str | None
    delta_link: str | None
    url: str


@dataclass(frozen=True)
class Page:
    """One page of a Graph collection; `items` is the page's `value`, not a copy."""

    items: list[JsonObject]
    next_link: str | None
    delta_link: str | None
    url: str


class GraphClient:
    """Read Microsoft Graph for one connection, retrying what is transient and typing the rest.

    Every request carries a timeout, a fresh `client-request-id` and `x-ms-throttle-priority:
    low`. Waits between retries go through `sleep`, or `cancel.wait` so Cancel cuts them short.
    Each answer must arrive whole within `deadline` seconds (a report file's body within
    `download_deadline`), and Cancel ends a request in progress within a fraction of a second.
    """

    def __init__(
        self,
        session: requests.Session,
        tokens: TokenSource,
        graph_endpoint: str,
        *,
        version: str = "v1.0",
        report_version: str | None = None,
        timeout: tuple[float, float] = (10.0, 120.0),
        deadline: float = 300.0,
        download_deadline: float = 1800.0,
        max_retries: int = 5,
        max_backoff: float = 60.0,
        sleep: Callable[[float], None] | None = None,
        cancel: CancelToken | None = None,
        report_budget: ReportBudget | None = None,
        tenant_key: str = "",
        rng: Callable[[], float] = random.random,
        on_wait: Callable[[float, str], None] | None = None,
    ) -> None:
        self._session = session
        self._tokens = tokens
        self._root = graph_endpoint.rstrip("/")
        self._version = version.strip("/")
        # Outside the Global cloud the usage reports exist only under /beta (opt-in).
        self._report_version = (report_version or version).strip("/")
        self._timeout = timeout
        self._deadline = deadline  # wall-clock bound of one answer, however it trickles in
        self._download_deadline = download_deadline  # the same for a report file's body
        self._policy = RetryPolicy(max_retries=max_retries, max_backoff=max_backoff, rng=rng)
        self._sleep = sleep
        self._cancel = cancel
        self._budget = report_budget if report_budget is not None else DEFAULT_REPORT_BUDGET
        self._tenant_key = tenant_key
        self._origin = origin(self._root)
        # Told (seconds, reason) before each wait of a second or more between retries, so the
        # import can show it; the engine sets it.
        self.on_wait = on_wait

    @property
    def tokens(self) -> TokenSource:
        """The token source, e.g. to check that a token can be had before reading."""
        return self._tokens

    def url(self, path: str) -> str:
        """Return the absolute URL for a Graph path; absolute URLs come back verbatim."""
        if path.startswith(("https://", "http://")):
            return path
        return f"{self._root}/{self._version}/{path.lstrip('/')}"

    def report_api_url(self, path: str) -> str:
        """Return the URL of `path` under the reports' version (v1.0, or beta where opted in)."""
        return f"{self._root}/{self._report_version}/{path.lstrip('/')}"

    def get_json(self, path_or_url: str, params: Params = None) -> JsonObject:
        """GET one JSON object (e.g. `/admin/reportSettings`)."""
        url = self.url(path_or_url)
        return self._json_object(self._send(url, params), url)

    def get_items(self, path_or_url: str, params: Params = None) -> list[JsonObject]:
        """GET one answer's `value`, checked to be a list of objects (`/subscribedSkus`)."""
        url = self.url(path_or_url)
        items = self._json_object(self._send(url, params), url).get("value")
        if not isinstance(items, list) or not all(isinstance(i, dict) for i in items):
            raise _malformed(url, "an answer whose 'value' is not a list of objects")
        return items

    def iter_pages(self, path_or_url: str, params: Params = None) -> Iterator[Page]:
        """Yield each page of a collection, following `@odata.nextLink` verbatim to the end."""
        url: str | None = self.url(path_or_url)
        links = PageLinks(self._origin)
        while url is not None:
            response = self._send(url, params)
            data = self._json_object(response, url)
            items = data.get("value")
            if not isinstance(items, list):
                raise _malformed(url, "a page without a 'value' list")
            next_link = links.next(_link(data, "@odata.nextLink", url), url, response.url)
            delta_link = links.on_graph(_link(data, "@odata.deltaLink", url), url)
            yield Page(items, next_link, delta_link, response.url or url)
            url, params = next_link, None

    def iter_raw_pages(self, path_or_url: str, params: Params = None) -> Iterator[RawPage]:
        """Like `iter_pages`, but yield each page's undecoded body; only the paging links are
        read here. For the importer, which decodes pages in a separate process."""
        url: str | None = self.url(path_or_url)
        links = PageLinks(self._origin)
        while url is not None:
            response = self._send(url, params)
            body = response.content
            if not body:
                raise _malformed(url, "an empty answer")
            next_link = links.next(_scan_link(body, b"@odata.nextLink", url), url, response.url)
            delta_link = links.on_graph(_scan_link(body, b"@odata.deltaLink", url), url)
            yield RawPage(body, next_link, delta_link, response.url or url)
            url, params = next_link, None

    def download_report(
        self,
        function_call: str,
        target: Path,
        *,
        required_columns: tuple[str, ...] | None = None,
    ) -> str:
        """Stream a CSV usage report into the file `target` and return the Graph report URL.

        Graph answers 302 to a pre-authenticated download link on another host; that one is
        fetched without the Authorization header. Each Graph report request takes a slot from
        the report budget first. The body is streamed, never held whole (a report of 1,000,000
        users is hundreds of megabytes); a connection dropped mid-body downloads the report
        again from its link, under the same retry policy. `required_columns` defaults to
        `Report Refresh Date` plus, for per-user reports (`…UserDetail`), `User Principal Name`.
        """
        url, response, download_url = self._report_response(function_call, stream=True)
        retries = 0
        while True:
            if response.status_code != 200:
                response.close()
                raise _malformed(url, f"an unexpected {response.status_code} answer")
            try:
                self._write_body(response, target, download_url)
            except NETWORK_ERRORS as exc:
                response.close()
                retries = self._back_off(exc, download_url, retries, graph=False)
                response = self._send(download_url, None, auth=False, stream=True)
                continue
            response.close()
            break
        if required_columns is None:
            required_columns = required_columns_for(function_call)
        check_report_header(target, url, required_columns)
        return url

    def _write_body(self, response: requests.Response, target: Path, url: str) -> None:
        def write(stop: threading.Event) -> None:
            with target.open("wb") as out:
                for chunk in response.iter_content(1 << 16):
                    if stop.is_set():
                        raise Stopped()
                    out.write(chunk)

        try:
            run_bounded(
                write,
                seconds=self._download_deadline,
                cancel=self._cancel,
                abandon=lambda: shut_down(response),
            )
        except DeadlinePassed:
            raise deadline_error(url, self._download_deadline, graph=False) from None

    def check_report_access(self, function_call: str) -> None:
        """Ask Graph for a report without downloading it: an answer (302 to the download link,
        or 200) proves the permission; 403 raises PermissionMissingError as usual."""
        url = f"{self._root}/{self._report_version}/reports/{function_call.lstrip('/')}"

        def take_slot() -> None:
            self._budget.acquire(self._tenant_key)

        self._send(url, None, accept=None, before_attempt=take_slot, stream=True).close()

    def _report_response(
        self, function_call: str, *, stream: bool
    ) -> tuple[str, requests.Response, str]:
        """GET a report, following Graph's 302 to the download link without the token;
        returns (Graph URL, the final answer, the URL that answered)."""
        url = f"{self._root}/{self._report_version}/reports/{function_call.lstrip('/')}"

        def take_slot() -> None:
            self._budget.acquire(self._tenant_key)

        response = self._send(url, None, accept=None, before_attempt=take_slot, stream=stream)
        target = url
        hops = 0
        while response.status_code in _REDIRECTS:
            location = response.headers.get("Location")
            response.close()
            if not location or hops >= _MAX_DOWNLOAD_HOPS:
                raise GraphError(
                    f"Microsoft Graph sent an unusable report redirect for {describe_url(url)}.",
                    url=url,
                    status=response.status_code,
                )
            target = urljoin(response.url or url, location)
            if urlsplit(target).scheme.lower() != "https":
                raise GraphError(
                    f"Microsoft Graph sent the report {describe_url(url)} to "
                    f"{describe_url(target, graph=False)}, which is not an https address; "
                    "the report was not downloaded.",
                    url=url,
                    status=response.status_code,
                    detail=f"{response.status_code} to {describe_url(target, graph=False)} "
                    f"GET {url}",
                )
            response = self._send(target, None, auth=False, stream=stream)
            hops += 1
        return url, response, target

    # -- one request under the retry policy -------------------------------------------------

    def _send(
        self,
        url: str,
        params: Params,
        *,
        auth: bool = True,
        accept: str | None = "application/json",
        before_attempt: Callable[[], None] | None = None,
        stream: bool = False,
    ) -> requests.Response:
        """GET `url`, retrying per the policy; return the first answer below 400."""
        if auth:
            check_request(url, self._origin, self._root)
        retries = 0
        fresh_token: str | None = None  # set once after a 401; a second 401 is final
        while True:
            self._check_cancel()
            if before_attempt is not None:
                before_attempt()
            failure: requests.Response | BaseException
            headers = self._headers(auth, accept, fresh_token)
            try:
                response = self._exchange(url, params, headers, stream=stream, graph=auth)
            except requests.exceptions.SSLError as exc:  # a bad certificate does not heal
                raise tls_error(url, graph=auth) from exc
            except NETWORK_ERRORS as exc:
                failure = exc
            else:
                if logger.isEnabledFor(logging.DEBUG):
                    where = describe_url(url, graph=auth)
                    logger.debug("GET %s -> %d", where, response.status_code)
                if response.status_code < 400:
                    return response
                if response.status_code not in RETRY_STATUSES:
                    fresh_token = self._refresh_or_raise(response, url, params, auth, fresh_token)
                    continue
                failure = response
            retries = self._back_off(failure, url, retries, graph=auth)

    def _exchange(
        self, url: str, params: Params, headers: Headers, *, stream: bool, graph: bool
    ) -> requests.Response:
        """One GET under the deadline and the cancel token. The answer is always streamed, so
        its body is read here in chunks (all of it unless `stream`, where only an error
        answer's body is read) and a stalled server cannot hold the request."""
        started: list[requests.Response] = []

        def work(stop: threading.Event) -> requests.Response:
            response = self._session.get(
                url,
                params=params,
                # None values remove session headers at runtime; the stubs omit that.
                headers=headers,
                timeout=self._timeout,
                allow_redirects=False,
                stream=True,
            )
            started.append(response)
            if not stream or response.status_code >= 400:
                read_body(response, stop)
            return response

        try:
            return run_bounded(
                work,
                seconds=self._deadline,
                cancel=self._cancel,
                abandon=lambda: shut_down(started[0] if started else None),
                discard=lambda response: response.close(),
            )
        except DeadlinePassed:
            raise deadline_error(url, self._deadline, graph=graph) from None

    def _headers(self, auth: bool, accept: str | None, fresh_token: str | None) -> Headers:
        if not auth:
            # A fresh dict; None also drops an Authorization the session itself might carry.
            return {"Authorization": None}
        token = fresh_token if fresh_token is not None else self._tokens.get_token()
        headers: Headers = {
            "Authorization": f"Bearer {token}",
            "x-ms-throttle-priority": "low",
            "client-request-id": str(uuid.uuid4()),
        }
        if accept is not None:
            headers["Accept"] = accept
        return headers

    def _refresh_or_raise(
        self,
        response: requests.Response,
        url: str,
        params: Params,
        auth: bool,
        fresh_token: str | None,
    ) -> str:
        error = error_for_response(response, url, params, graph=auth)
        if isinstance(error, AuthError) and auth and fresh_token is None:
            logger.info("Graph rejected the token for %s; getting a new one", describe_url(url))
            return self._tokens.get_token(force_refresh=True)
        raise error

    def _back_off(
        self, failure: requests.Response | BaseException, url: str, retries: int, *, graph: bool
    ) -> int:
        """Wait before retry number `retries + 1`, or raise once the policy is used up."""
        if isinstance(failure, requests.Response):
            asked = self._policy.too_long(failure.headers.get("Retry-After"))
            if asked is not None:
                raise wait_too_long_error(failure, url, asked, graph=graph)
        if not self._policy.can_retry(retries):
            raise exhausted_error(failure, url, graph=graph)
        if isinstance(failure, requests.Response):
            reason = str(failure.status_code)
            delay = self._policy.delay(retries, failure.headers.get("Retry-After"))
        else:
            reason = type(failure).__name__
            delay = self._policy.delay(retries)
        logger.info(
            "Graph %s for %s; retry %d of %d in %.1f s",
            reason,
            describe_url(url, graph=graph),
            retries + 1,
            self._policy.max_retries,
            delay,
        )
        if self.on_wait is not None and delay >= 1.0:
            self.on_wait(delay, wait_reason(failure, graph=graph))
        self._wait(delay)
        return retries + 1

    def _wait(self, seconds: float) -> None:
        if self._sleep is not None:
            self._sleep(seconds)
        elif self._cancel is not None:
            self._cancel.wait(seconds)
        else:
            time.sleep(seconds)
        self._check_cancel()

    def _check_cancel(self) -> None:
        if self._cancel is not None:
            self._cancel.raise_if_cancelled()

    def _json_object(self, response: requests.Response, url: str) -> JsonObject:
        if not 200 <= response.status_code < 300:
            raise GraphError(
                f"Microsoft Graph answered {response.status_code} instead of data for "
                f"{describe_url(url)}.",
                url=url,
                status=response.status_code,
            )
        content = response.content
        if not content:
            raise _malformed(url, "an empty answer")
        try:
            data = json.loads(content)
        except json.JSONDecodeError as exc:
            where = f"line {exc.lineno} column {exc.colno}"
            raise _malformed(url, "something that is not JSON", where) from exc
        except ValueError as exc:  # bytes that are not UTF-8/16/32
            raise _malformed(url, "something that is not JSON", str(exc)) from exc
        if not isinstance(data, dict):
            raise _malformed(url, f"JSON that is not an object ({type(data).__name__})")
        return data


def _scan_link(body: bytes, key: bytes, url: str) -> str | None:
    """Find a top-level `"key": "…"` in a JSON body without decoding the rest. Inside a JSON
    string a quote is always escaped, so an unescaped `"key"` can only be a member name."""
    needle = b'"' + key + b'"'
    at = body.rfind(needle)
    while at > 0 and body[at - 1 : at] == b"\\":
        at = body.rfind(needle, 0, at)
    if at < 0:
        return None
    rest = body[at + len(needle) :].lstrip()
    if not rest.startswith(b":"):
        raise _malformed(url, f"a page whose {key.decode()} is not a string")
    try:
        value, _ = _DECODER.raw_decode(rest[1:8192].lstrip().decode("utf-8", "replace"))
    except ValueError as exc:
        raise _malformed(url, f"a page whose {key.decode()} is not JSON", str(exc)) from exc
    if not isinstance(value, str):
        raise _malformed(url, f"a page whose {key.decode()} is not a string")
    return value


_DECODER = json.JSONDecoder()


def _link(data: JsonObject, key: str, url: str) -> str | None:
    link = data.get(key)
    if link is None or isinstance(link, str):
        return link
    raise _malformed(url, f"a page whose {key} is not a string")


def _malformed(url: str, what: str, why: str = "") -> MalformedResponseError:
    because = f" ({why})" if why else ""
    return MalformedResponseError(
        f"Microsoft Graph sent {what} for {describe_url(url)}{because}.",
        url=url,
        detail=f"GET {url}",
    )
