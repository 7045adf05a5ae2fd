"""Tokens the simulator issues: JWT-shaped access/id tokens and opaque skip/delta/refresh
tokens, all HMAC-signed with a fixed key so they stay valid across processes (a persisted
msal cache still works after a restart) and need no server-side state."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import threading
from typing import Any

_KEY = hashlib.sha256(b"licensedesk-tenant-simulator/v1").digest()
_HEADER = {"typ": "JWT", "alg": "RS256", "x5t": "c2ltdWxhdG9y", "kid": "c2ltdWxhdG9y"}


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def b64url_decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def b64url_json(obj: Any) -> str:
    return b64url(json.dumps(obj, separators=(",", ":")).encode())


def _sig(message: str, size: int = 32) -> str:
    return b64url(hmac.new(_KEY, message.encode("ascii"), hashlib.sha256).digest()[:size])


def make_jwt(claims: dict[str, Any]) -> str:
    signing_input = f"{b64url_json(_HEADER)}.{b64url_json(claims)}"
    return f"{signing_input}.{_sig(signing_input)}"


def jwt_claims(token: str) -> dict[str, Any] | None:
    """Decode any well-formed JWT without checking its signature (client assertions)."""
    parts = token.split(".")
    if len(parts) != 3:
        return None
    try:
        claims = json.loads(b64url_decode(parts[1]))
    except ValueError:
        return None
    return claims if isinstance(claims, dict) else None


class JwtVerifier:
    """Verifies our own JWTs; remembers the last few so a page costs no HMAC."""

    def __init__(self) -> None:
        self._recent: dict[str, dict[str, Any]] = {}
        self._lock = threading.Lock()

    def verify(self, token: str) -> dict[str, Any] | None:
        found = self._recent.get(token)
        if found is not None:
            return found
        head, _, sig = token.rpartition(".")
        if not head or not hmac.compare_digest(sig, _sig(head)):
            return None
        claims = jwt_claims(token)
        if claims is None:
            return None
        with self._lock:
            if len(self._recent) > 64:
                self._recent.clear()
            self._recent[token] = claims
        return claims


def seal(kind: str, payload: dict[str, Any]) -> str:
    """Return an opaque, URL-safe token carrying `payload`."""
    body = b64url_json({"k": kind, **payload})
    return f"{body}.{_sig(kind + body, 12)}"


def unseal(kind: str, token: str) -> dict[str, Any] | None:
    body, _, sig = token.strip().rpartition(".")
    if not body or not hmac.compare_digest(sig, _sig(kind + body, 12)):
        return None
    try:
        payload = json.loads(b64url_decode(body))
    except ValueError:
        return None
    if not isinstance(payload, dict) or payload.get("k") != kind:
        return None
    return payload
