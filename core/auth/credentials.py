"""The `client_credential` msal needs for an own-app connection: a secret, a PEM file (private
key and certificate in one file) or a PFX file. Certificates are checked here first, so a wrong
password or a mismatched file gets a message next to its field instead of a library error."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.serialization import pkcs12

from core.domain.connection import ConnectionDraft, CredentialKind
from core.errors import AuthError

_KEY_RE = re.compile(
    r"-----BEGIN ((?:RSA |EC |ENCRYPTED )?PRIVATE KEY)-----.*?-----END \1-----", re.DOTALL
)
_CERT_RE = re.compile(r"-----BEGIN CERTIFICATE-----.*?-----END CERTIFICATE-----", re.DOTALL)
_WRONG_PASSWORD = "The certificate password is wrong."


def client_credential(draft: ConnectionDraft) -> str | dict[str, Any]:
    """The msal `client_credential` of an own-app draft; AuthError names the bad field."""
    if draft.credential_kind == CredentialKind.SECRET:
        if not draft.secrets.client_secret:
            raise AuthError("Paste the client secret value.", field="client_secret")
        return draft.secrets.client_secret
    path = Path(draft.certificate_path.strip()).expanduser()
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise AuthError(
            f"The certificate file {path} cannot be read.",
            detail=type(exc).__name__,
            field="certificate_path",
        ) from None
    password = draft.secrets.certificate_password
    if draft.credential_kind == CredentialKind.PEM:
        return _pem_credential(data, password)
    return _pfx_credential(path, data, password)


def _pem_credential(data: bytes, password: str) -> dict[str, Any]:
    text = data.decode("ascii", errors="replace")
    key_match = _KEY_RE.search(text)
    certificates = _CERT_RE.findall(text)
    if key_match is None or not certificates:
        raise AuthError(
            "The PEM file must hold both the private key and the certificate.",
            field="certificate_path",
        )
    key_pem = key_match.group(0)
    encrypted = "ENCRYPTED" in key_pem
    key = _load_pem_key(key_pem, password if encrypted else "")
    credential: dict[str, Any] = {
        "private_key": key_pem,
        "public_certificate": _matching_certificate(certificates, key),
    }
    if encrypted:
        credential["passphrase"] = password
    return credential


def _load_pem_key(key_pem: str, password: str) -> Any:
    if "ENCRYPTED" in key_pem and not password:
        raise AuthError(
            "The private key is protected by a password; type the certificate password.",
            field="certificate_password",
        )
    try:
        return serialization.load_pem_private_key(
            key_pem.encode("ascii"), password.encode("utf-8") if password else None
        )
    except (ValueError, TypeError):
        if password:
            raise AuthError(_WRONG_PASSWORD, field="certificate_password") from None
        raise AuthError(
            "The private key in the PEM file cannot be read.", field="certificate_path"
        ) from None


def _public_der(public_key: Any) -> bytes:
    return bytes(
        public_key.public_bytes(
            serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
        )
    )


def _matching_certificate(certificates: list[str], key: Any) -> str:
    """The certificate of `key` (a chain may list intermediates first; Entra wants the leaf)."""
    wanted = _public_der(key.public_key())
    for pem in certificates:
        try:
            cert = x509.load_pem_x509_certificate(pem.encode("ascii"))
        except ValueError:
            continue
        if _public_der(cert.public_key()) == wanted:
            return pem
    raise AuthError(
        "The certificate in the PEM file does not belong to its private key.",
        field="certificate_path",
    )


def _pfx_credential(path: Path, data: bytes, password: str) -> dict[str, Any]:
    try:
        key, cert, _ = pkcs12.load_key_and_certificates(
            data, password.encode("utf-8") if password else None
        )
    except (ValueError, TypeError):
        message = (
            "The certificate password is wrong, or the file is not a PFX certificate."
            if password
            else "The PFX file cannot be opened: type its password, or choose a PFX certificate."
        )
        raise AuthError(message, field="certificate_password") from None
    if key is None or cert is None:
        raise AuthError(
            "The PFX file must hold both the private key and the certificate.",
            field="certificate_path",
        )
    return {"private_key_pfx_path": str(path), "passphrase": password, "public_certificate": True}
