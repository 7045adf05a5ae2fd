"""Delegated sign-in grants of the simulated STS: password (ROPC), device code, refresh
token, authorization code, plus the admin-consent redirect. The signed-in user is always the
tenant's administrator (`TenantSpec.admin_upn`)."""

from __future__ import annotations

import hashlib
import itertools
import os
import threading
from collections.abc import Callable
from urllib.parse import urlencode

from .aad import aad_error, unknown_client, unknown_tenant, user_token_response
from .model import TenantModel
from .tokens import b64url, seal, unseal
from .wire import SimRequest, SimResponse, json_response, redirect

ClientAuth = Callable[..., SimResponse | None]


class DelegatedGrants:
    def __init__(
        self,
        find: Callable[[str], TenantModel | None],
        pick_tenant: Callable[[str | None], TenantModel | None],
        client_auth: ClientAuth,
        device_interval: Callable[[], int],
    ) -> None:
        self._find = find
        self._pick_tenant = pick_tenant
        self._client_auth = client_auth
        self._device_interval = device_interval
        self._polls: dict[str, int] = {}
        self._serial = itertools.count(int.from_bytes(os.urandom(4), "big"))
        self._lock = threading.Lock()

    def password(
        self, req: SimRequest, tenant: TenantModel | None, form: dict[str, str]
    ) -> SimResponse:
        username = form.get("username", "")
        tenant = tenant or self._pick_tenant(username.rpartition("@")[2])
        if tenant is None:
            return unknown_tenant(req, username.rpartition("@")[2] or "organizations")
        denied = self._client_auth(req, tenant, form, public_ok=True)
        if denied is not None:
            return denied
        spec = tenant.spec
        if username.lower() != spec.admin_upn.lower():
            return aad_error(
                req,
                400,
                "invalid_grant",
                50034,
                f"The user account {{EmailHidden}} does not exist in the {tenant.tenant_id} "
                "directory. To sign into this application, the account must be added to the "
                "directory.",
            )
        if not spec.password or form.get("password") != spec.password:
            return aad_error(
                req,
                400,
                "invalid_grant",
                50126,
                "Error validating credentials due to invalid username or password.",
            )
        if spec.security_defaults:
            return aad_error(
                req,
                400,
                "invalid_grant",
                530035,
                "Access has been blocked by security defaults. This is due to the request using "
                "legacy auth or being deemed unsafe by security defaults policies.",
            )
        if spec.mfa_required:
            return aad_error(
                req,
                400,
                "invalid_grant",
                50076,
                "Due to a configuration change made by your administrator, or because you moved "
                "to a new location, you must use multi-factor authentication to access "
                "'00000003-0000-0000-c000-000000000000'.",
                suberror="basic_action",
            )
        scopes = form.get("scope", "").split()
        return user_token_response(tenant, form.get("client_id", ""), scopes, amr=["pwd"])

    # -- device code ---------------------------------------------------------------------------
    def device_authorization(self, req: SimRequest, tenant: TenantModel | None) -> SimResponse:
        form = req.form()
        tenant = tenant or self._pick_tenant(None)
        if tenant is None:
            return unknown_tenant(req, "organizations")
        denied = self._client_auth(req, tenant, form, public_ok=True)
        if denied is not None:
            return denied
        device_code = seal(
            "dc",
            {
                "t": tenant.tenant_id,
                "c": form.get("client_id"),
                "s": form.get("scope", ""),
                "n": next(self._serial),
            },
        )
        user_code = _user_code(device_code)
        with self._lock:
            self._polls[device_code] = 0
        body = {
            "user_code": user_code,
            "device_code": device_code,
            "verification_uri": "https://microsoft.com/devicelogin",
            "expires_in": 900,
            "interval": self._device_interval(),
            "message": (
                "To sign in, use a web browser to open the page https://microsoft.com/devicelogin "
                f"and enter the code {user_code} to authenticate."
            ),
        }
        return json_response(200, body)

    def device_code(
        self, req: SimRequest, tenant: TenantModel | None, form: dict[str, str]
    ) -> SimResponse:
        code = form.get("device_code", "")
        payload = unseal("dc", code)
        with self._lock:
            polls = self._polls.get(code)
            if payload is not None and polls is not None:
                self._polls[code] = polls + 1
        if payload is None or polls is None or payload.get("c") != form.get("client_id"):
            return aad_error(
                req,
                400,
                "expired_token",
                70020,
                "The provided value for the input parameter 'device_code' is not valid. This "
                "device code has expired.",
            )
        if polls == 0:
            return aad_error(
                req,
                400,
                "authorization_pending",
                70016,
                "OAuth 2.0 device flow error. Authorization is pending. Continue polling.",
            )
        with self._lock:
            self._polls.pop(code, None)
        signed_in = self._find(str(payload["t"]))
        if signed_in is None:
            return unknown_tenant(req, str(payload["t"]))
        scopes = str(payload.get("s", "")).split()
        return user_token_response(signed_in, str(payload["c"]), scopes, amr=["pwd", "mfa"])

    def refresh_token(
        self, req: SimRequest, tenant: TenantModel | None, form: dict[str, str]
    ) -> SimResponse:
        payload = unseal("rt", form.get("refresh_token", ""))
        owner = self._find(str(payload["t"])) if payload else None
        mismatch = tenant is not None and owner is not None and owner is not tenant
        if (
            payload is None
            or owner is None
            or mismatch
            or payload.get("c") != form.get("client_id")
        ):
            return aad_error(
                req,
                400,
                "invalid_grant",
                9002313,
                "Invalid request. Request is malformed or invalid.",
            )
        denied = self._client_auth(req, owner, form, public_ok=True)
        if denied is not None:
            return denied
        scopes = form.get("scope", "").split() or list(payload.get("s", []))
        return user_token_response(owner, str(payload["c"]), scopes, amr=["pwd", "mfa"])

    # -- browser-style endpoints -------------------------------------------------------------
    def authorize(self, req: SimRequest, tenant: TenantModel | None) -> SimResponse:
        """Auto-approve as the tenant administrator and redirect with a code."""
        tenant = tenant or self._pick_tenant((req.q("login_hint") or "").rpartition("@")[2])
        client_id = req.q("client_id") or ""
        redirect_uri = req.q("redirect_uri") or ""
        if tenant is None:
            return unknown_tenant(req, "organizations")
        if client_id not in tenant.spec.public_client_ids and client_id != tenant.spec.client_id:
            return unknown_client(req, client_id, tenant)
        code = seal(
            "ac",
            {
                "t": tenant.tenant_id,
                "c": client_id,
                "r": redirect_uri,
                "s": req.q("scope") or "",
                "p": req.q("code_challenge") or "",
                "m": req.q("code_challenge_method") or "plain",
                "n": req.q("nonce") or "",
            },
        )
        query = {"code": code, "state": req.q("state") or ""}
        return redirect(f"{redirect_uri}?{urlencode(query)}")

    def auth_code(
        self, req: SimRequest, tenant: TenantModel | None, form: dict[str, str]
    ) -> SimResponse:
        payload = unseal("ac", form.get("code", ""))
        owner = self._find(str(payload["t"])) if payload else None
        verifier = form.get("code_verifier", "")
        if payload and payload["m"] == "S256":
            verifier = b64url(hashlib.sha256(verifier.encode()).digest())
        valid = (
            payload is not None
            and owner is not None
            and payload["c"] == form.get("client_id")
            and payload["r"] == form.get("redirect_uri")
            and (not payload["p"] or payload["p"] == verifier)
        )
        if not valid or owner is None or payload is None:
            return aad_error(
                req, 400, "invalid_grant", 70000, "The provided authorization code is invalid."
            )
        denied = self._client_auth(req, owner, form, public_ok=True)
        if denied is not None:
            return denied
        scopes = form.get("scope", "").split() or str(payload["s"]).split()
        nonce = str(payload.get("n") or "") or None
        return user_token_response(
            owner, str(payload["c"]), scopes, amr=["pwd", "mfa"], nonce=nonce
        )

    def admin_consent(self, req: SimRequest, tenant: TenantModel | None) -> SimResponse:
        """The admin signs in and consents; then the browser goes to the redirect URI.

        For the own app (a daemon) a redirect_uri must be one of its registration's: any other
        stops the page before consent (AADSTS50011). Without one, consent is granted and the
        browser goes to the first registered URI, or gets an error page if there is none
        (AADSTS500113), as Entra does."""
        tenant = tenant or self._pick_tenant(None)
        redirect_uri = req.q("redirect_uri") or ""
        if tenant is None:
            return unknown_tenant(req, "organizations")
        client_id = req.q("client_id") or ""
        if client_id == tenant.spec.client_id:
            registered = tenant.spec.own_app_redirect_uris
            if redirect_uri and redirect_uri not in registered:
                return aad_error(
                    req,
                    400,
                    "invalid_request",
                    50011,
                    f"The redirect URI '{redirect_uri}' specified in the request does not match "
                    f"the redirect URIs configured for the application '{client_id}'.",
                )
            tenant.admin_consents.add(client_id)
            if not redirect_uri and not registered:
                return aad_error(
                    req,
                    400,
                    "invalid_request",
                    500113,
                    "No reply address is registered for the application.",
                )
            redirect_uri = redirect_uri or registered[0]
        else:
            tenant.admin_consents.add(client_id)
        query = {"admin_consent": "True", "tenant": tenant.tenant_id, "state": req.q("state") or ""}
        if req.q("scope"):
            query["scope"] = req.q("scope") or ""
        return redirect(f"{redirect_uri}?{urlencode(query)}")


def _user_code(device_code: str) -> str:
    alphabet = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
    h = int.from_bytes(hashlib.sha256(device_code.encode()).digest()[:8], "big")
    return "".join(alphabet[(h >> (5 * k)) & 31] for k in range(9))
