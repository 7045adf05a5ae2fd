"""Applying a connection's proxy setting to the requests.Session that msal and Graph share.

requests merges environment proxies (HTTPS_PROXY, the system settings) into each request
*before* the session's own `proxies`, so with `trust_env` on they always win: neither
"no proxy" nor a typed proxy URL could override them. For those two modes the session stops
trusting the environment, and keeps TLS trust by taking REQUESTS_CA_BUNDLE / CURL_CA_BUNDLE
into `session.verify` itself.
"""

from __future__ import annotations

import os
from urllib.parse import quote, urlsplit, urlunsplit

import requests

from core.domain.connection import ConnectionDraft, ProxyMode


def proxy_url_with_credentials(draft: ConnectionDraft) -> str:
    """The typed proxy URL with the user name and password (URL-quoted) put in."""
    parts = urlsplit(draft.proxy_url.strip())
    user = draft.proxy_username.strip()
    if not user:
        return urlunsplit(parts)
    userinfo = quote(user, safe="")
    if draft.secrets.proxy_password:
        userinfo += ":" + quote(draft.secrets.proxy_password, safe="")
    host = parts.hostname or ""
    if ":" in host:  # IPv6 literal
        host = f"[{host}]"
    netloc = f"{userinfo}@{host}" + (f":{parts.port}" if parts.port else "")
    return urlunsplit(parts._replace(netloc=netloc))


def configure_session_proxy(session: requests.Session, draft: ConnectionDraft) -> None:
    """NONE: direct; SYSTEM: the environment's proxies; URL: the typed proxy, with login."""
    if draft.proxy_mode == ProxyMode.SYSTEM:
        session.trust_env = True
        session.proxies = {}
        return
    session.trust_env = False
    bundle = os.environ.get("REQUESTS_CA_BUNDLE") or os.environ.get("CURL_CA_BUNDLE")
    if bundle and session.verify is True:
        session.verify = bundle
    if draft.proxy_mode == ProxyMode.URL and draft.proxy_url.strip():
        url = proxy_url_with_credentials(draft)
        session.proxies = {"http": url, "https": url}
    else:
        session.proxies = {}
