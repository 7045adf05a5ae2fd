"""A team database (PostgreSQL) as the window's dialog edits it: the address without a
password, its validation, and what a connection test or an open store reports. Pure."""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import quote, unquote, urlsplit

DEFAULT_PORT = 5432
THIS_COMPUTER = "this computer"
_HOST = re.compile(r"^[A-Za-z0-9]([A-Za-z0-9.\-]*[A-Za-z0-9])?$|^\[?[0-9A-Fa-f:.]+\]?$")


@dataclass(frozen=True)
class TeamDatabase:
    """host, port, database and user name of a PostgreSQL database (never a password)."""

    host: str = ""
    port: str = str(DEFAULT_PORT)
    database: str = ""
    user: str = ""

    def url(self) -> str:
        """postgresql://user@host:port/database, names percent-encoded."""
        host = self.host.strip()
        if ":" in host and not host.startswith("["):
            host = f"[{host}]"  # an IPv6 address
        user = quote(self.user.strip(), safe="")
        at = f"{user}@" if user else ""
        port = self.port.strip() or str(DEFAULT_PORT)
        return f"postgresql://{at}{host}:{port}/{quote(self.database.strip(), safe='')}"

    @classmethod
    def from_url(cls, url: str | None) -> TeamDatabase:
        """The fields of a URL this dialog (or the user) wrote; empty ones for None."""
        if not url:
            return cls()
        parts = urlsplit(url)
        try:
            port = str(parts.port or DEFAULT_PORT)
        except ValueError:
            port = str(DEFAULT_PORT)
        return cls(
            host=parts.hostname or "",
            port=port,
            database=unquote(parts.path.lstrip("/")),
            user=unquote(parts.username or ""),
        )


def validate_team_database(fields: TeamDatabase) -> dict[str, str]:
    """{field: message} for what cannot make a usable address; empty when it can."""
    errors: dict[str, str] = {}
    host = fields.host.strip()
    if not host:
        errors["host"] = "Enter the database server's host name or IP address."
    elif not _HOST.match(host):
        errors["host"] = "A host name has letters, digits, dots and hyphens only."
    port = fields.port.strip()
    if not port.isdigit() or not 1 <= int(port) <= 65535:
        errors["port"] = "The port is a number from 1 to 65535 (PostgreSQL's is 5432)."
    if not fields.database.strip():
        errors["database"] = "Enter the database's name."
    if not fields.user.strip():
        errors["user"] = "Enter the user name (the PostgreSQL role) to connect as."
    return errors


@dataclass(frozen=True)
class DatabaseCheck:
    """A successful connection test: the server's version and whether the role can write."""

    label: str  # "licensedesk on db.example.org"
    server_version: str  # "15.4"
    can_write: bool

    def summary(self) -> str:
        access = "" if self.can_write else " (read-only role: you can view, not change)"
        return f"Connected to {self.label}: PostgreSQL {self.server_version}{access}."


@dataclass(frozen=True)
class OpenedDatabase:
    """The store this process has open, for the window's title and the dialog."""

    url: str | None  # None: SQLite in the data folder
    label: str  # "licensedesk on db.example.org", or "this computer"
    read_only_reason: str  # empty when the store can be written

    @property
    def read_only(self) -> bool:
        return bool(self.read_only_reason)
