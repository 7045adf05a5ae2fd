"""The headless import worker (`licensedesk-cli worker`): every few seconds it starts the
queued "Execute now" requests and the due scheduled imports of every connection, in the import
pool (parallel across tenants, bounded, never one connection twice).

Several workers share one store. What keeps them apart is the connection's claim
(`core.storage.claims`), which dies with its holder:
- a worker decides to run a connection only once it holds the claim: it then takes the
  connection's requests (a compare-and-set, so each is taken once) and re-reads its last run,
  so a scheduled import another worker just ran is not repeated;
- requests are marked done before the claim is let go, so a request still taken while the
  claim is free was left by a worker that died: the next worker to get the claim takes it over
  (and the start-up clean-up marks the dead worker's run interrupted);
- stopping (SIGTERM) cancels the running imports, which record a cancelled run and keep the
  previous data, and puts their requests back in the queue for another worker.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future
from datetime import datetime

from core.connections.service import ConnectionService
from core.domain.cancel import CancelToken
from core.domain.connection import Connection
from core.domain.imports import ImportRun, ImportStatus
from core.domain.queue import QueuedImport, WorkerEvent, WorkerEventKind
from core.errors import ConnectionInUse, LicenseDeskError
from core.import_pool import ImportJob, ImportPool, ProgressListener
from core.import_queue import ImportQueue
from core.storage.claims import ConnectionClaim, ConnectionClaims
from core.storage.db import Database, this_process
from core.storage.dialect import database_errors

log = logging.getLogger(__name__)

EventListener = Callable[[WorkerEvent], None]
# The main thread wakes at least this often while it waits, so a signal delivered to another
# thread is handled without waiting out the poll interval.
_WAKE_S = 0.2
_FAILED = (ImportStatus.FAILED, ImportStatus.CANCELLED, ImportStatus.INTERRUPTED)
# A scheduled import that failed before it could record a run (say, its certificate file is
# gone) is not tried again on every poll, only after this long.
RETRY_AFTER_S = 900.0


def worker_identity() -> str:
    """host:pid, as requests record who took them."""
    return this_process()


class ImportWorker:
    def __init__(
        self,
        *,
        database: Database,
        connections: ConnectionService,
        pool: ImportPool,
        queue: ImportQueue,
        claims: ConnectionClaims,
        clock: Callable[[], datetime],
        on_event: EventListener,
        identity: str | None = None,
    ) -> None:
        self.identity = identity or worker_identity()
        self._database = database
        self._connections = connections
        self._pool = pool
        self._queue = queue
        self._claims = claims
        self._clock = clock
        self._on_event = on_event
        self._stopping = threading.Event()
        self._lock = threading.Lock()
        self._held_back: dict[int, float] = {}  # connection id -> monotonic time to retry
        self.failures = 0

    def run(self, stop: CancelToken, *, poll_seconds: float, once: bool = False) -> None:
        """Work until `stop` is cancelled, then cancel what still runs and wait for it.

        `once`: run what is queued and due now (each connection at most once, as the pool has
        room), wait for it and return."""
        tried: set[int] = set()
        try:
            while not stop.cancelled:
                try:
                    started = self.run_round(skip=tried if once else frozenset())
                except _round_errors() as exc:
                    if once:
                        raise
                    # A busy or full disk, say: a service keeps going and tries again.
                    log.warning("this round of the worker failed: %s", _message(exc))
                    started = []
                if not once:
                    _wait(stop, poll_seconds)
                elif started or self._pool.running():
                    self._wait_for_room(stop)
                else:
                    break
        finally:
            self.stop()

    def run_round(self, *, skip: set[int] | frozenset[int] = frozenset()) -> list[int]:
        """Start the queued and due imports there is room for (leaving out `skip`, to which
        the started ones are added); returns the ids of the connections started."""
        # Runs of workers that died: interrupted, their partial snapshots removed.
        self._database.recover_interrupted_imports()
        wanted = self._queue.open_connection_ids()
        now = self._clock()
        passed = set(self._pool.running_ids()) | set(skip)
        candidates = [
            c
            for c in self._connections.list_all()
            if c.id not in passed
            and (c.id in wanted or (c.is_due(now) and not self._held_back_now(c.id)))
        ]
        candidates.sort(key=lambda c: c.id not in wanted)  # requests first, then schedules
        started = []
        for connection in candidates:
            if self._stopping.is_set() or len(self._pool.running()) >= self._pool.max_parallel:
                break
            if self._try_start(connection) is not None:
                started.append(connection.id)
                if isinstance(skip, set):
                    skip.add(connection.id)
        return started

    def stop(self, timeout: float = 60.0) -> bool:
        """Cancel the running imports (their requests go back to the queue) and wait."""
        self._stopping.set()
        self._pool.cancel_all()
        return self._pool.wait_all(timeout)

    # Internals

    def _try_start(self, connection: Connection) -> Future[ImportRun] | None:
        try:
            claim = self._claims.acquire(
                connection.id, name=connection.name, started_at=self._clock()
            )
        except ConnectionInUse:
            return None  # another worker, the window or the CLI imports it
        taken: list[QueuedImport] = []
        try:
            fresh = self._connections.get(connection.id)  # its last run, read under the claim
            taken = self._queue.take(fresh.id, self.identity)
            if not taken and not fresh.is_due(self._clock()):
                claim.release()  # another worker ran it since the list was read
                return None
            job = self._job(fresh, taken)
            return self._start(fresh, job, claim, _reason(fresh, taken))
        except LicenseDeskError as exc:
            claim.release()
            self._hold_back(connection.id)
            self._settle(taken, None, f"failed: {exc.message}")
            self._emit(WorkerEventKind.FAILED, connection, _reason(connection, taken), exc.message)
            return None
        except BaseException:
            claim.release()
            raise

    def _start(
        self, connection: Connection, job: ImportJob, claim: ConnectionClaim, reason: str
    ) -> Future[ImportRun]:
        handle = self._pool.start(connection, job, claim=claim)
        self._emit(WorkerEventKind.STARTED, connection, reason)

        def finished(future: Future[ImportRun]) -> None:
            exc = future.exception()
            if exc is not None:
                self._hold_back(connection.id)
                self._emit(WorkerEventKind.FAILED, connection, reason, _message(exc))
            else:
                self._emit(WorkerEventKind.FINISHED, connection, reason, run=future.result())

        handle.future.add_done_callback(finished)
        return handle.future

    def _job(self, connection: Connection, taken: list[QueuedImport]) -> ImportJob:
        """The import, settling its requests before the pool lets the claim go."""
        incremental = bool(taken) and all(r.incremental for r in taken)
        inner = self._connections.import_job(connection, incremental=incremental)

        def job(progress: ProgressListener, cancel: CancelToken) -> ImportRun:
            try:
                run = inner(progress, cancel)
            except BaseException as exc:
                self._settle(taken, None, f"failed: {_message(exc)}")
                raise
            self._settle(taken, run, run.status.value)
            return run

        return job

    def _settle(self, taken: list[QueuedImport], run: ImportRun | None, outcome: str) -> None:
        ids = [r.id for r in taken]
        if not ids:
            return
        if run is not None and run.status is ImportStatus.CANCELLED and self._stopping.is_set():
            # Stopped, not refused: the request still wants an import.
            self._queue.give_back(ids, worker=self.identity)
            return
        run_id = run.id if run is not None else None
        self._queue.finish(ids, worker=self.identity, outcome=outcome, run_id=run_id)

    def _emit(
        self,
        kind: WorkerEventKind,
        connection: Connection,
        reason: str,
        error: str = "",
        *,
        run: ImportRun | None = None,
    ) -> None:
        if kind is WorkerEventKind.FAILED or (run is not None and run.status in _FAILED):
            with self._lock:
                self.failures += 1
        event = WorkerEvent(kind, connection.id, connection.name, reason, run, error)
        try:
            self._on_event(event)
        except Exception:
            log.exception("a worker event listener failed")

    def _hold_back(self, connection_id: int) -> None:
        with self._lock:
            self._held_back[connection_id] = time.monotonic() + RETRY_AFTER_S

    def _held_back_now(self, connection_id: int) -> bool:
        with self._lock:
            return self._held_back.get(connection_id, 0.0) > time.monotonic()

    def _wait_for_room(self, stop: CancelToken) -> None:
        """Until an import ends (or none runs)."""
        count = len(self._pool.running())
        while count and len(self._pool.running()) >= count and not stop.cancelled:
            stop.wait(_WAKE_S)


def _wait(stop: CancelToken, seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while not stop.cancelled and (left := deadline - time.monotonic()) > 0:
        stop.wait(min(_WAKE_S, left))


def _reason(connection: Connection, taken: list[QueuedImport]) -> str:
    if not taken:
        return f"scheduled ({connection.schedule.describe()})"
    first = taken[0]
    ids = ", ".join(str(r.id) for r in taken)
    what = "requests" if len(taken) > 1 else "request"
    over = " taken over" if any(r.attempts > 1 for r in taken) else ""
    return f"queued by {first.requested_by} ({what} {ids}{over})"


def _message(exc: BaseException) -> str:
    text = exc.message if isinstance(exc, LicenseDeskError) else type(exc).__name__
    return " ".join(str(text).split())


def _round_errors() -> tuple[type[Exception], ...]:
    """What a failed round raises: the service keeps going on these."""
    return (LicenseDeskError, *database_errors())
