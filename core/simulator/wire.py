"""HTTP plumbing of the simulator: parsed requests, simulated responses, and conversion into
`requests.Response` objects backed by a real urllib3 response, so streaming, `raw.read()`
and dropped connections behave exactly as with a socket."""

from __future__ import annotations

import io
import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from http import HTTPStatus
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

import requests
from requests.structures import CaseInsensitiveDict
from requests.utils import get_encoding_from_headers
from urllib3.response import HTTPResponse

JSON_TYPE = "application/json; charset=utf-8"
ODATA_TYPE = (
    "application/json;odata.metadata=minimal;odata.streaming=true;"
    "IEEE754Compatible=false;charset=utf-8"
)


@dataclass
class SimRequest:
    method: str
    url: str
    host: str  # scheme://host[:port], lower-case
    path: str  # percent-decoded
    query: dict[str, list[str]]
    headers: CaseInsensitiveDict[str]
    body: bytes

    @classmethod
    def from_prepared(cls, request: requests.PreparedRequest) -> SimRequest:
        url = request.url or ""
        parts = urlsplit(url)
        headers = CaseInsensitiveDict(
            {
                k: v if isinstance(v, str) else v.decode("latin-1")
                for k, v in request.headers.items()
            }
        )
        return cls(
            method=(request.method or "GET").upper(),
            url=url,
            host=f"{parts.scheme}://{parts.netloc}".lower(),
            path=unquote(parts.path),
            query=parse_qs(parts.query, keep_blank_values=True),
            headers=headers,
            body=_body_bytes(request.body),
        )

    def q(self, name: str) -> str | None:
        """Return the first value of a query parameter (`$select` or `%24select` alike)."""
        values = self.query.get(name)
        return values[0] if values else None

    def form(self) -> dict[str, str]:
        parsed = parse_qs(self.body.decode("utf-8", "replace"), keep_blank_values=True)
        return {k: v[0] for k, v in parsed.items()}

    def bearer(self) -> str | None:
        auth = self.headers.get("Authorization", "")
        if auth[:7].lower() == "bearer ":
            return auth[7:].strip()
        return None


def _text(value: str | bytes) -> str:
    return value if isinstance(value, str) else value.decode("latin-1")


def _body_bytes(body: object) -> bytes:
    if body is None:
        return b""
    if isinstance(body, str):
        return body.encode()
    if isinstance(body, bytes):
        return body
    read = getattr(body, "read", None)
    if callable(read):  # a file-like upload
        data = read()
        return data if isinstance(data, bytes) else str(data).encode()
    if isinstance(body, Iterable):
        return b"".join(c if isinstance(c, bytes) else str(c).encode() for c in body)
    return str(body).encode()


@dataclass
class SimResponse:
    status: int
    body: bytes | Iterator[bytes] = b""
    headers: dict[str, str] = field(default_factory=dict)


def json_response(
    status: int, obj: Any, headers: dict[str, str] | None = None, content_type: str = JSON_TYPE
) -> SimResponse:
    body = json.dumps(obj, separators=(",", ":")).encode()
    return SimResponse(status, body, {"Content-Type": content_type, **(headers or {})})


def text_response(
    status: int, text: str, content_type: str, headers: dict[str, str] | None = None
) -> SimResponse:
    return SimResponse(status, text.encode(), {"Content-Type": content_type, **(headers or {})})


def redirect(location: str, headers: dict[str, str] | None = None) -> SimResponse:
    return SimResponse(302, b"", {"Location": location, "Content-Length": "0", **(headers or {})})


class _IterReader(io.RawIOBase):
    """A file object over an iterator of byte chunks, optionally dying after `drop_after`
    bytes the way a reset socket does (urllib3 turns the OSError into ProtocolError)."""

    def __init__(self, chunks: Iterator[bytes], drop_after: int | None) -> None:
        super().__init__()
        self._chunks = chunks
        self._buffer = b""
        self._sent = 0
        self._drop_after = drop_after

    def readable(self) -> bool:
        return True

    def readinto(self, target: Any) -> int:
        if self._drop_after is not None and self._sent >= self._drop_after:
            raise ConnectionResetError(104, "Connection reset by peer (simulated)")
        while not self._buffer:
            chunk = next(self._chunks, None)
            if chunk is None:
                return 0
            self._buffer = chunk
        size = min(len(target), len(self._buffer))
        if self._drop_after is not None:
            size = max(1, min(size, self._drop_after - self._sent))
        target[:size] = self._buffer[:size]
        self._buffer = self._buffer[size:]
        self._sent += size
        return size


def to_requests_response(
    prepared: requests.PreparedRequest,
    sim: SimResponse,
    adapter: requests.adapters.BaseAdapter,
    *,
    drop_fraction: float | None = None,
) -> requests.Response:
    """Wrap a simulated response; with `drop_fraction`, the body breaks off part-way."""
    headers = dict(sim.headers)
    fp: io.IOBase
    if isinstance(sim.body, bytes):
        body = sim.body
        headers.setdefault("Content-Length", str(len(body)))
        if drop_fraction is None or not body:
            fp = io.BytesIO(body)
        else:
            cut = max(1, int(len(body) * drop_fraction))
            fp = io.BufferedReader(_IterReader(iter([body]), cut), 65536)
    else:
        drop_after = None if drop_fraction is None else max(1, int(65536 * drop_fraction))
        fp = io.BufferedReader(_IterReader(sim.body, drop_after), 65536)
    reason = HTTPStatus(sim.status).phrase if sim.status in HTTPStatus._value2member_map_ else ""
    raw = HTTPResponse(
        body=fp,
        headers=headers,
        status=sim.status,
        reason=reason,
        preload_content=False,
        decode_content=True,
        request_method=prepared.method,
        request_url=prepared.url,
    )
    response = requests.Response()
    response.status_code = sim.status
    response.headers = CaseInsensitiveDict(headers)
    response.encoding = get_encoding_from_headers(response.headers)
    response.raw = raw
    response.reason = reason
    response.url = prepared.url or ""
    response.request = prepared
    response.connection = adapter  # type: ignore[assignment]  # any adapter works here
    return response
