"""Reading the claims of a token without verifying it (the STS already did; we only look)."""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Mapping
from typing import Any


def decode_jwt_claims(token: str) -> dict[str, Any] | None:
    """The payload of a JWT, or None when `token` is not one (access tokens may be opaque)."""
    parts = token.split(".")
    if len(parts) != 3:
        return None
    payload = parts[1] + "=" * (-len(parts[1]) % 4)
    try:
        claims = json.loads(base64.urlsafe_b64decode(payload.encode("ascii")))
    except (ValueError, binascii.Error, UnicodeError):
        return None
    return claims if isinstance(claims, dict) else None


def granted_permissions(claims: Mapping[str, Any] | None) -> frozenset[str] | None:
    """`roles` of an app-only token, else `scp` of a delegated one; None when unknown.

    A readable token with neither claim grants nothing: an empty set, not None.
    """
    if claims is None:
        return None
    roles = claims.get("roles")
    if isinstance(roles, list):
        return frozenset(str(role) for role in roles)
    scopes = claims.get("scp")
    if isinstance(scopes, str):
        return frozenset(scopes.split())
    return frozenset()
