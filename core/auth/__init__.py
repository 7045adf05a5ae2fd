"""Token providers per connection method, the multi-tenant sign-in, the token cache stores,
proxy set-up and the translation of sign-in failures (spec §3, Graph reference §1–§3)."""

from core.auth.apps import DEFAULT_TIMEOUT_S, SessionHttpClient
from core.auth.cache import MemoryTokenCacheStore, SecretStoreTokenCacheStore, TokenCacheStore
from core.auth.claims import decode_jwt_claims, granted_permissions
from core.auth.failures import (
    MFA_MESSAGE,
    TENANT_NOT_FOUND,
    admin_consent_steps,
    admin_consent_url,
    auth_error_from_exception,
    auth_error_from_result,
)
from core.auth.providers import (
    ClientCredentialProvider,
    DelegatedTokenProvider,
    PasswordTokenProvider,
    TokenProvider,
    build_token_provider,
)
from core.auth.proxy import configure_session_proxy, proxy_url_with_credentials
from core.auth.signin import SignInCancelled, sign_in_device_code, sign_in_interactive
from core.domain.connection import SignInResult

__all__ = [
    "DEFAULT_TIMEOUT_S",
    "MFA_MESSAGE",
    "TENANT_NOT_FOUND",
    "ClientCredentialProvider",
    "DelegatedTokenProvider",
    "MemoryTokenCacheStore",
    "PasswordTokenProvider",
    "SecretStoreTokenCacheStore",
    "SessionHttpClient",
    "SignInCancelled",
    "SignInResult",
    "TokenCacheStore",
    "TokenProvider",
    "admin_consent_steps",
    "admin_consent_url",
    "auth_error_from_exception",
    "auth_error_from_result",
    "build_token_provider",
    "configure_session_proxy",
    "decode_jwt_claims",
    "granted_permissions",
    "proxy_url_with_credentials",
    "sign_in_device_code",
    "sign_in_interactive",
]
