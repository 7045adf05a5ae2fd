"""Typed errors. Each carries a message a license manager understands and, apart, the
technical detail (URL, status, server code). Neither ever contains a secret or a token."""

from __future__ import annotations


class LicenseDeskError(Exception):
    """Base class: `str(err)` is the user-facing message; `detail` the technical one."""

    def __init__(self, message: str, *, detail: str = "", field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.detail = detail
        self.field = field  # the input field the problem belongs to, when there is one


class ValidationError(LicenseDeskError):
    """Input rejected; `errors` maps field name to message."""

    def __init__(self, errors: dict[str, str]) -> None:
        first = next(iter(errors.items()), ("", "invalid input"))
        super().__init__(f"{first[0]}: {first[1]}" if first[0] else first[1], field=first[0])
        self.errors = dict(errors)


class AuthError(LicenseDeskError):
    """No token: STS refused or could not be reached. `code` is the AADSTS number if any."""

    def __init__(
        self,
        message: str,
        *,
        code: int | None = None,
        detail: str = "",
        field: str | None = None,
        consent_url: str | None = None,
    ) -> None:
        super().__init__(message, detail=detail, field=field)
        self.code = code
        self.consent_url = consent_url


class InteractionRequired(AuthError):
    """A multi-tenant connection has no usable cached sign-in; the user must sign in again."""


class GraphError(LicenseDeskError):
    """Microsoft Graph answered with an error that retrying will not fix."""

    def __init__(
        self,
        message: str,
        *,
        url: str = "",
        status: int | None = None,
        code: str = "",
        detail: str = "",
    ) -> None:
        super().__init__(message, detail=detail or f"{status} {code} {url}".strip())
        self.url = url
        self.status = status
        self.code = code


class PermissionMissingError(GraphError):
    """403: the app lacks a permission; `permission` names the one to add."""

    def __init__(self, permission: str, *, url: str = "", code: str = "", detail: str = ""):
        super().__init__(
            f"Permission {permission} is missing: add it to the app and grant admin consent.",
            url=url,
            status=403,
            code=code,
            detail=detail,
        )
        self.permission = permission


class PremiumRequiredError(GraphError):
    """403 Authentication_RequestFromNonPremiumTenantOrB2CTenant on signInActivity."""


class ThrottledError(GraphError):
    """Retries were exhausted on 429/503/504 or network failures."""


class MalformedResponseError(GraphError):
    """JSON or CSV that cannot be parsed; the import fails naming the URL."""


class DeltaExpiredError(GraphError):
    """The stored delta link is older than 7 days (syncStateNotFound / 410)."""


class StorageError(LicenseDeskError):
    pass


class SecretStoreUnavailable(LicenseDeskError):
    pass


class ImportCancelled(LicenseDeskError):
    def __init__(self) -> None:
        super().__init__("Import cancelled")


class ConnectionInUse(LicenseDeskError):
    """The same connection is already importing."""


READ_ONLY_ROLE = "Read-only: your database role can view the data but not change it."


class ReadOnlyStore(StorageError):
    """A write was asked of a store opened read-only (a role with SELECT only, a file that
    cannot be written): the message says so in one line."""
