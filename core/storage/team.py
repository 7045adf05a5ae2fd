"""Trying a team database before switching to it: connect once with the password given (or
libpq's own), check the server's version and whether the role can write, and word a failure
the way a license manager reads it (wrong password, host unreachable, database missing, server
too old), never with the password in it."""

from __future__ import annotations

import re
from typing import Any

from core.domain.team import DatabaseCheck
from core.errors import StorageError
from core.storage.location import _postgres_store

MIN_SERVER_VERSION = 140000  # PostgreSQL 14
PROBE_TIMEOUT_S = 10


def database_label(url: str) -> str:
    """ "licensedesk on db.example.org" (the window's title and messages)."""
    from core.storage.postgres import check_url

    params = check_url(url)
    host = params.get("host") or "localhost"
    return f"{params.get('dbname') or params.get('user') or '?'} on {host}"


def probe_database(url: str, password: str | None) -> DatabaseCheck:
    """Connect to `url` once; raise StorageError with a plain one-line reason."""
    _postgres_store()  # the one-line error of a build without psycopg
    import psycopg

    from core.storage.postgres import PgConnection, check_url, role_can_write

    params = check_url(url)
    extra: dict[str, Any] = {"password": password} if password else {}
    try:
        raw = psycopg.connect(
            url,
            autocommit=True,
            application_name="licensedesk test",
            connect_timeout=PROBE_TIMEOUT_S,
            **extra,
        )
    except psycopg.Error as exc:
        raise StorageError(explain_failure(str(exc), params), detail=_scrub(str(exc))) from None
    try:
        version = raw.info.server_version
        if version < MIN_SERVER_VERSION:
            raise StorageError(
                f"The server runs PostgreSQL {_version_text(version)}; LicenseDesk needs "
                "PostgreSQL 14 or newer."
            )
        can_write = role_can_write(PgConnection(raw))
    except psycopg.Error as exc:
        raise StorageError(explain_failure(str(exc), params), detail=_scrub(str(exc))) from None
    finally:
        raw.close()
    return DatabaseCheck(database_label(url), _version_text(version), can_write)


def _version_text(version: int) -> str:
    major, minor = divmod(version, 10000)
    return f"{major}.{minor}" if major >= 10 else f"{major}.{minor // 100}.{minor % 100}"


_REASONS: tuple[tuple[str, str], ...] = (
    (
        "password authentication failed",
        "Wrong password for user {user} (or the server has no such user).",
    ),
    ("no password supplied", "The server asks for a password: type it above."),
    ("does not exist", ""),  # worded below: a database or a role
    ("could not translate host name", "The host {host} was not found: check its name."),
    ("name or service not known", "The host {host} was not found: check its name."),
    (
        "no pg_hba.conf entry",
        "The server does not let {user} connect from this computer to {dbname} (its pg_hba.conf).",
    ),  # fmt: skip
    (
        "connection refused",
        "Nothing answers at {host} on port {port}: is the server running and the port right?",
    ),  # fmt: skip
    ("timeout expired", "The host {host} cannot be reached on port {port} (no answer)."),
    ("timed out", "The host {host} cannot be reached on port {port} (no answer)."),
    ("no route to host", "The host {host} cannot be reached from this computer."),
    ("network is unreachable", "The host {host} cannot be reached from this computer."),
    ("permission denied", "The server refused: {first}"),
)


def explain_failure(message: str, params: dict[str, Any]) -> str:
    """One sentence for a connection failure of psycopg's `message`."""
    text = message.lower()
    values = {
        "host": params.get("host") or "localhost",
        "port": params.get("port") or 5432,
        "user": params.get("user") or "(your login name)",
        "dbname": params.get("dbname") or "?",
        "first": _first_line(message),
    }
    for needle, reason in _REASONS:
        if needle not in text:
            continue
        if needle == "does not exist":
            if re.search(r'database "[^"]*" does not exist', text):
                return f"There is no database {values['dbname']} on {values['host']}."
            if re.search(r'role "[^"]*" does not exist', text):
                return f"There is no user {values['user']} on {values['host']}."
            continue
        return reason.format(**values)
    return f"Could not connect: {_first_line(message)}"


def _first_line(message: str) -> str:
    lines = [line.strip() for line in message.strip().splitlines() if line.strip()]
    return _scrub(lines[-1] if lines and lines[0].startswith("connection failed") else
                  (lines[0] if lines else "unknown error"))  # fmt: skip


def _scrub(message: str) -> str:
    """libpq never echoes a password, but a conninfo string in an error could: drop it."""
    return re.sub(r"password=\S+", "password=…", message)
