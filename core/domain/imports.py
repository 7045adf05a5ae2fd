"""One import run of a connection: its status, progress and counts."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum


class ImportStatus(StrEnum):
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    SUCCEEDED_WITH_WARNINGS = "succeeded with warnings"
    FAILED = "failed"
    CANCELLED = "cancelled"
    # Found 'running' at start with no process importing it (killed, power cut).
    INTERRUPTED = "interrupted"


@dataclass(frozen=True)
class ImportProgress:
    connection_id: int
    step: str  # short name of the current step ("users", "reports", …)
    done: int
    total: int | None
    message: str


@dataclass(frozen=True)
class ImportCounts:
    skus: int = 0
    subscriptions: int = 0
    users: int = 0
    licensed_users: int = 0
    report_rows: int = 0


@dataclass(frozen=True)
class ImportRun:
    """One row of the import history."""

    id: int
    connection_id: int | None
    connection_name: str
    started_at: datetime
    ended_at: datetime | None
    status: ImportStatus
    counts: ImportCounts
    warnings: tuple[str, ...]
    error: str | None
    error_detail: str | None = None
    simulated: bool = False  # the connection is a demo tenant served by the simulator
    run_by: str | None = None  # host:pid of the process that ran it (None: before version 7)

    @property
    def run_on(self) -> str:
        """The machine that ran it (a worker's host, an analyst's computer); "" unknown."""
        return self.run_by.rpartition(":")[0] if self.run_by else ""

    @property
    def duration_s(self) -> float | None:
        if self.ended_at is None:
            return None
        return (self.ended_at - self.started_at).total_seconds()
