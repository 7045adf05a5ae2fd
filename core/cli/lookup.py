"""Finding what a `--tenant` option names: a connection name, tenant name or tenant ID (or the
domain typed for the connection). Unknown names fail with one line listing the known ones."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from core.cli import CliError

SHOWN_NAMES = 5


def _key(text: str) -> str:
    return " ".join(text.split()).casefold()


def brief(names: Sequence[str], shown: int = SHOWN_NAMES) -> str:
    """`A, B, C` or `A, B, C, D, E and 3 more`; `none` when empty."""
    if not names:
        return "none"
    more = len(names) - shown
    listed = ", ".join(names[:shown])
    return f"{listed} and {more} more" if more > 0 else listed


def connection_named(controller: Any, name: str) -> Any:
    """The connection called `name` (case and repeated spaces ignored), or a CliError listing
    the known ones."""
    connections = controller.list_connections()
    found = next((c for c in connections if _key(c.name) == _key(name)), None)
    if found is None:
        known = brief([c.name for c in connections])
        raise CliError(f"There is no connection named “{name.strip()}”; known: {known}.")
    return found


def tenant_filter(controller: Any, text: str) -> str:
    """The value the licensing queries filter on for `--tenant TEXT` ("" for every tenant).

    Raises CliError naming TEXT and the known connections when nothing matches."""
    wanted = text.strip()
    if not wanted:
        return ""
    key = _key(wanted)
    connections = controller.list_connections()
    for connection in connections:
        if key == _key(connection.name):
            return str(connection.name)
        if key in (_key(connection.tenant_id), _key(connection.tenant_name)):
            return wanted
    for connection in connections:
        if key == _key(connection.tenant):
            return str(connection.name)
    known = brief([c.name for c in connections])
    raise CliError(f"There is no tenant “{wanted}”; known connections: {known}.")


def matches_tenant(row: Any, tenant: str) -> bool:
    """True when a license row belongs to the connection or tenant `tenant` names."""
    if not tenant:
        return True
    key = _key(tenant)
    return key in (_key(row.connection), _key(row.tenant_name), _key(row.tenant_id))
