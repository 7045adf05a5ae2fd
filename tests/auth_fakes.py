"""A fake Microsoft login service on `responses`, and certificates, for the auth tests (the
`sts` and `session` fixtures are in tests/conftest.py).

msal talks through the requests.Session we give it, and `responses` patches the transport
adapter, so msal's own HTTP is intercepted exactly as the app's will be.
"""

from __future__ import annotations

import base64
import datetime as dt
import json
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

import responses
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import NameOID

HOST = "https://login.microsoftonline.com"
TENANT_ID = "72f988bf-86f1-41af-91ab-2d7cd011db47"
CLIENT_ID = "11111111-2222-3333-4444-555555555555"
USER_OID = "00000000-0000-0000-66f3-3332eca7ea81"
GRAPH = "https://graph.microsoft.com"
APP_ROLES = ["Organization.Read.All", "User.Read.All", "Reports.Read.All"]


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def b64url_json(value: dict[str, Any]) -> str:
    return b64url(json.dumps(value).encode())


def jwt(claims: dict[str, Any]) -> str:
    return f"{b64url_json({'alg': 'none', 'typ': 'JWT'})}.{b64url_json(claims)}.sig"


def decode_segment(segment: str) -> dict[str, Any]:
    return dict(json.loads(base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4))))


def app_token_body(tid: str = TENANT_ID, roles: list[str] | None = None) -> dict[str, Any]:
    claims = {"aud": GRAPH, "tid": tid, "roles": APP_ROLES if roles is None else roles}
    return {"token_type": "Bearer", "expires_in": 3599, "access_token": jwt(claims)}


DELEGATED = ["Organization.Read.All", "User.Read.All", "Reports.Read.All"]
DELEGATED += ["ReportSettings.Read.All", "AuditLog.Read.All"]


def user_token_body(
    tid: str = TENANT_ID, username: str = "admin@contoso.com", scp: str = "User.Read.All"
) -> dict[str, Any]:
    """A delegated token answer. Like Entra, `scope` echoes the requested scopes (as full
    URLs), while the token's `scp` claim lists the short permission names."""
    id_claims = {
        "aud": CLIENT_ID,
        "iss": f"{HOST}/{tid}/v2.0",
        "tid": tid,
        "oid": USER_OID,
        "sub": "subject",
        "preferred_username": username,
        "exp": 4102444800,
        "iat": 1700000000,
    }
    return {
        "token_type": "Bearer",
        "expires_in": 3599,
        "scope": " ".join([*(f"{GRAPH}/{p}" for p in DELEGATED), "openid", "profile"]),
        "access_token": jwt({"aud": GRAPH, "tid": tid, "scp": scp}),
        "refresh_token": "refresh-token-value",
        "id_token": jwt(id_claims),
        "client_info": b64url_json({"uid": USER_OID, "utid": tid}),
    }


def error_body(code: int, error: str = "invalid_client", text: str = "Something failed.") -> dict:  # type: ignore[type-arg]
    return {
        "error": error,
        "error_description": f"AADSTS{code}: {text}\r\nTrace ID: 0f1e\r\n"
        "Correlation ID: 9a8b\r\nTimestamp: 2025-06-30 08:03:17Z",
        "error_codes": [code],
        "timestamp": "2025-06-30 08:03:17Z",
        "trace_id": "0f1e",
        "correlation_id": "9a8b",
        "error_uri": f"{HOST}/error?code={code}",
    }


def openid_configuration(host: str, tenant: str) -> dict[str, Any]:
    return {
        "authorization_endpoint": f"{host}/{tenant}/oauth2/v2.0/authorize",
        "token_endpoint": f"{host}/{tenant}/oauth2/v2.0/token",
        "device_authorization_endpoint": f"{host}/{tenant}/oauth2/v2.0/devicecode",
        "issuer": f"{host}/{TENANT_ID}/v2.0",
    }


INSTANCE_METADATA = {
    "tenant_discovery_endpoint": f"{HOST}/common/v2.0/.well-known/openid-configuration",
    "api-version": "1.1",
    "metadata": [
        {
            "preferred_network": "login.microsoftonline.com",
            "preferred_cache": "login.windows.net",
            "aliases": [
                "login.microsoftonline.com",
                "login.windows.net",
                "login.microsoft.com",
                "sts.windows.net",
            ],
        }
    ],
}


class FakeSts:
    """Registers the login endpoints of one tenant on a RequestsMock."""

    def __init__(self, mock: responses.RequestsMock, host: str = HOST) -> None:
        self.mock = mock
        self.host = host
        # msal looks up authority aliases after any token error (Graph reference §1.3).
        mock.get(f"{HOST}/common/discovery/instance", json=INSTANCE_METADATA)

    def tenant(self, tenant: str) -> None:
        url = f"{self.host}/{tenant}/v2.0/.well-known/openid-configuration"
        self.mock.get(url, json=openid_configuration(self.host, tenant))

    def token_url(self, tenant: str) -> str:
        return f"{self.host}/{tenant}/oauth2/v2.0/token"

    def token(self, tenant: str, body: dict[str, Any], status: int = 200) -> None:
        self.mock.post(self.token_url(tenant), json=body, status=status)

    def posts(self, url_part: str = "/token") -> list[dict[str, list[str]]]:
        """The form bodies of the POSTs whose URL contains `url_part`."""
        return [
            parse_qs(str(call.request.body))
            for call in self.mock.calls
            if call.request.method == "POST" and url_part in str(call.request.url)
        ]


def make_key_and_cert(common_name: str = "LicenseDesk test") -> tuple[Any, x509.Certificate]:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=30))
        .sign(key, hashes.SHA256())
    )
    return key, cert


def write_pem(
    path: Path, key: Any, certs: list[x509.Certificate], password: str | None = None
) -> Path:
    encryption = (
        serialization.BestAvailableEncryption(password.encode())
        if password
        else serialization.NoEncryption()
    )
    key_pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, encryption
    )
    chain = b"".join(c.public_bytes(serialization.Encoding.PEM) for c in certs)
    path.write_bytes(key_pem + chain)
    return path


def write_pfx(path: Path, key: Any, cert: x509.Certificate, password: str) -> Path:
    data = pkcs12.serialize_key_and_certificates(
        b"licensedesk", key, cert, None, serialization.BestAvailableEncryption(password.encode())
    )
    path.write_bytes(data)
    return path


def sha256_thumbprint(cert: x509.Certificate) -> str:
    return b64url(cert.fingerprint(hashes.SHA256()))
