"""A PEM certificate without a thumbprint: msal computes the SHA-256 thumbprint itself only
since 1.35.0, so that is the floor; and what msal then sends is pinned from the wire."""

from __future__ import annotations

import base64
import tomllib
from dataclasses import replace
from importlib.metadata import version
from pathlib import Path

import requests
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding
from packaging.requirements import Requirement

from core.auth import build_token_provider
from core.auth.credentials import client_credential
from core.domain.connection import ConnectionSecrets, CredentialKind
from tests.auth_fakes import (
    CLIENT_ID,
    FakeSts,
    app_token_body,
    decode_segment,
    make_key_and_cert,
    sha256_thumbprint,
    write_pem,
)
from tests.core.test_auth_client import DRAFT, TENANT

PYPROJECT = Path(__file__).resolve().parents[2] / "pyproject.toml"


def msal_requirement() -> Requirement:
    project = tomllib.loads(PYPROJECT.read_text(encoding="utf-8"))["project"]
    return next(r for r in map(Requirement, project["dependencies"]) if r.name.lower() == "msal")


def test_the_msal_floor_computes_the_thumbprint_of_a_pem_certificate() -> None:
    spec = msal_requirement().specifier
    assert not spec.contains("1.34.0")  # 1.34 and older need a "thumbprint" key
    assert spec.contains("1.35.0")
    assert spec.contains(version("msal"))


def b64url_decode(segment: str) -> bytes:
    return base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4))


def test_pem_without_thumbprint_sends_a_ps256_assertion_with_x5t_s256(
    sts: FakeSts, session: requests.Session, tmp_path: Path
) -> None:
    key, cert = make_key_and_cert()
    draft = replace(
        DRAFT,
        credential_kind=CredentialKind.PEM,
        certificate_path=str(write_pem(tmp_path / "app.pem", key, [cert], None)),
        secrets=ConnectionSecrets(),
    )
    credential = client_credential(draft)
    assert isinstance(credential, dict)
    assert set(credential) == {"private_key", "public_certificate"}  # no "thumbprint"
    sts.tenant(TENANT)
    sts.token(TENANT, app_token_body())

    build_token_provider(draft, session=session).get_token()

    (post,) = sts.posts()
    head, body, signature = post["client_assertion"][0].split(".")
    header = decode_segment(head)
    assert header["alg"] == "PS256" and header["typ"] == "JWT"
    assert "x5t" not in header  # no SHA-1 thumbprint
    assert str(header["x5t#S256"]).rstrip("=") == sha256_thumbprint(cert)
    leaf = base64.b64encode(cert.public_bytes(serialization.Encoding.DER)).decode()
    assert ["".join(c.split()) for c in header["x5c"]] == [leaf]  # type: ignore[union-attr]
    claims = decode_segment(body)
    assert claims["aud"] == sts.token_url(TENANT)
    assert claims["iss"] == claims["sub"] == CLIENT_ID
    assert int(claims["exp"]) - int(claims["iat"]) == 600
    cert.public_key().verify(  # raises InvalidSignature if msal signed anything else
        b64url_decode(signature),
        f"{head}.{body}".encode("ascii"),
        padding.PSS(mgf=padding.MGF1(hashes.SHA256()), salt_length=32),
        hashes.SHA256(),
    )
