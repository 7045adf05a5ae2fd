"""Who is importing a connection right now: the claim an import holds, as the store provides it.

A claim must die with its holder, so work left by a killed process (a worker, the CLI, the
window) is taken over at once instead of waited out. The SQLite store gives an OS file lock per
connection in the data folder (`core.storage.locks.FileClaims`); a server store gives a lock
of the database session instead (PostgreSQL: a session advisory lock keyed by the connection
id, held on a connection of its own for as long as the import runs), which reaches every
worker on every machine that shares the database.

The import pool, the workers and the clean-up after interrupted imports see only this
protocol, so a store that brings its own claims needs no change in them.
"""

from __future__ import annotations

from datetime import datetime
from typing import Protocol


class ConnectionClaim(Protocol):
    """A held claim; `release` (idempotent) gives it up."""

    def release(self) -> None: ...

    @property
    def held(self) -> bool: ...


class ConnectionClaims(Protocol):
    """The claims of one store: at most one holder per connection across every process."""

    def acquire(self, connection_id: int, *, name: str, started_at: datetime) -> ConnectionClaim:
        """Take the claim, or raise ConnectionInUse with a sentence naming the holder."""
        ...

    def is_claimed(self, connection_id: int) -> bool:
        """Whether a live holder (this process or another) has the connection's claim."""
        ...

    def any_claimed(self) -> bool:
        """Whether any connection is claimed right now (an import is writing somewhere)."""
        ...


__all__ = ["ConnectionClaim", "ConnectionClaims"]
