"""Imports queued for the headless workers ("Execute now" without running it here) and what a
worker reports as it runs them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from core.domain.imports import ImportProgress, ImportRun


class RequestState(StrEnum):
    QUEUED = "queued"
    RUNNING = "running"  # taken by a worker (or left by one that died, until taken over)
    DONE = "done"


@dataclass(frozen=True)
class QueuedImport:
    """One "Execute now" request waiting for, run by, or done by a worker."""

    id: int
    connection_id: int
    connection_name: str
    incremental: bool
    requested_at: datetime
    requested_by: str
    taken_by: str | None = None  # host:pid of the worker
    taken_at: datetime | None = None
    attempts: int = 0
    run_id: int | None = None
    finished_at: datetime | None = None
    outcome: str | None = None  # the run's status, or why no run was recorded

    @property
    def state(self) -> RequestState:
        if self.finished_at is not None:
            return RequestState.DONE
        return RequestState.RUNNING if self.taken_by else RequestState.QUEUED


class WorkerEventKind(StrEnum):
    STARTED = "started"
    FINISHED = "finished"
    FAILED = "failed"  # the import could not start or raised; no run may have been recorded


@dataclass(frozen=True)
class WorkerEvent:
    """One line of a worker's log: an import it started or finished, and why it ran."""

    kind: WorkerEventKind
    connection_id: int
    connection_name: str
    reason: str  # "queued by alice (request 3)", "scheduled (Every 4 h)"
    run: ImportRun | None = None
    error: str = ""


@dataclass(frozen=True)
class WorkerImport:
    """An import of a connection that waits for a worker, or runs in another process (a
    worker, the CLI, another window): what this window shows beside its own imports."""

    connection_id: int
    connection_name: str
    state: RequestState  # QUEUED: waiting for a worker; RUNNING: `worker` is importing it
    worker: str | None = None  # host:pid
    since: datetime | None = None  # queued at, or started at
    # The step the import last recorded (every few seconds); None before its first record.
    progress: ImportProgress | None = None

    def describe(self) -> str:
        if self.state is RequestState.QUEUED:
            return "Queued for the workers"
        where = f"Importing on worker {self.worker}" if self.worker else "Importing on a worker"
        return f"{where}: {self.progress.message}" if self.progress else where
