"""The import pool: runs imports of different connections in parallel (bounded), never the
same connection twice, here or in another process (the CLI beside the window)."""

from __future__ import annotations

import contextlib
import logging
import os
import socket
import threading
import time
from collections.abc import Callable
from concurrent.futures import Executor, Future, ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from datetime import datetime

from core.domain.cancel import CancelToken
from core.domain.connection import Connection
from core.domain.imports import ImportProgress, ImportRun, ImportStatus
from core.errors import ConnectionInUse
from core.storage.claims import ConnectionClaim, ConnectionClaims
from core.storage.db import utc_now
from core.storage.locks import LockHolder

log = logging.getLogger(__name__)

ProgressListener = Callable[[ImportProgress], None]
# One import of a connection, run on a pool thread: (progress, cancel) -> the finished run.
ImportJob = Callable[[ProgressListener, CancelToken], ImportRun]


@dataclass
class ImportHandle:
    connection_id: int
    connection_name: str
    cancel_token: CancelToken
    future: Future[ImportRun]
    latest: ImportProgress | None = field(default=None)
    # The connection's claim (a lock in the data folder): held while the import runs.
    lock: ConnectionClaim | None = field(default=None, repr=False)
    started_at: datetime = field(default_factory=utc_now)

    def cancel(self) -> None:
        self.cancel_token.cancel()

    @property
    def done(self) -> bool:
        return self.future.done()


class ImportPool:
    """Runs import jobs on an executor that is passed in (tests pass one that runs inline).

    `after_success` is submitted to the same executor after each successful import;
    `on_thread_exit` runs on the pool thread once a job is over (closing its database
    connection)."""

    def __init__(
        self,
        claims: ConnectionClaims,
        *,
        executor: Executor | None = None,
        max_parallel: int = 4,
        after_success: Callable[[], None] | None = None,
        on_thread_exit: Callable[[], None] | None = None,
    ) -> None:
        self._claims = claims
        self.max_parallel = max_parallel
        self._executor = executor or ThreadPoolExecutor(
            max_workers=max_parallel, thread_name_prefix="import"
        )
        self._owns_executor = executor is None
        self._after_success = after_success
        self._on_thread_exit = on_thread_exit or _nothing
        self._lock = threading.Lock()
        self._running: dict[int, ImportHandle] = {}

    def start(
        self,
        connection: Connection,
        job: ImportJob,
        *,
        on_progress: ProgressListener | None = None,
        claim: ConnectionClaim | None = None,
    ) -> ImportHandle:
        """Start one import; ConnectionInUse when the connection is importing already.

        `claim`: the connection's claim, taken by the caller (a worker that decides what to
        run only once it holds it); the pool releases it when the import is over."""
        connection_id = connection.id
        with self._lock:
            running = self._running.get(connection_id)
            if running is not None and not running.done:
                if claim is not None:
                    claim.release()
                holder = LockHolder(os.getpid(), socket.gethostname(), running.started_at, "")
                raise ConnectionInUse(replace(holder, name=connection.name).describe())
            # Across processes: the CLI beside the window, a second scheduled run.
            started = utc_now()
            lock = claim or self._claims.acquire(
                connection_id, name=connection.name, started_at=started
            )
            cancel = CancelToken()
            future: Future[ImportRun] = Future()
            handle = ImportHandle(connection_id, connection.name, cancel, future, lock=lock)
            handle.started_at = started
            self._running[connection_id] = handle

        def progress(event: ImportProgress) -> None:
            handle.latest = event
            if on_progress is not None:
                on_progress(event)

        def run() -> ImportRun:
            try:
                return job(progress, cancel)
            finally:
                self._on_thread_exit()
                lock.release()

        try:
            inner = self._executor.submit(run)
        except BaseException:
            lock.release()
            with self._lock:
                self._running.pop(connection_id, None)
            raise
        inner.add_done_callback(lambda f: self._finish(handle, f))
        return handle

    def start_if_due(
        self,
        connection: Connection,
        *,
        read_again: Callable[[int], Connection],
        job_for: Callable[[Connection], ImportJob],
        now: datetime,
        on_progress: ProgressListener | None = None,
    ) -> ImportHandle | None:
        """Start a scheduled import, or None when it is not to run after all: the
        connection is importing (here, or in another process: a worker, the CLI, another
        window), or, read again under its claim, its schedule is no longer due because
        another process imported it since `connection` was read. Without the second look a
        window and a worker that both saw it due would each import it."""
        if connection.id in self.running_ids():
            return None
        try:
            claim = self._claims.acquire(connection.id, name=connection.name, started_at=now)
        except ConnectionInUse:
            return None
        try:
            current = read_again(connection.id)
            if not current.is_due(now):
                claim.release()
                return None
            return self.start(current, job_for(current), on_progress=on_progress, claim=claim)
        except BaseException:
            claim.release()
            raise

    def running(self) -> list[ImportHandle]:
        with self._lock:
            return [h for h in self._running.values() if not h.done]

    def running_ids(self) -> set[int]:
        return {h.connection_id for h in self.running()}

    def busy(self, connection_id: int) -> bool:
        """Importing here, or in another process on the same data folder."""
        return connection_id in self.running_ids() or self._claims.is_claimed(connection_id)

    def cancel(self, connection_id: int) -> None:
        with self._lock:
            handle = self._running.get(connection_id)
        if handle is not None:
            handle.cancel()

    def cancel_all(self) -> None:
        for handle in self.running():
            handle.cancel()

    def wait_all(self, timeout: float | None = None) -> bool:
        deadline = None if timeout is None else time.monotonic() + timeout
        for handle in self.running():
            remaining = None
            if deadline is not None:
                remaining = max(0.0, deadline - time.monotonic())
            try:
                handle.future.result(timeout=remaining)
            except Exception:
                if not handle.done:
                    return False
        return True

    def close(self, timeout: float = 10.0) -> None:
        self.cancel_all()
        self.wait_all(timeout)
        if self._owns_executor and isinstance(self._executor, ThreadPoolExecutor):
            self._executor.shutdown(wait=False, cancel_futures=True)

    def _finish(self, handle: ImportHandle, inner: Future[ImportRun]) -> None:
        if handle.lock is not None:
            handle.lock.release()  # also when the pool dropped the job unrun
        exc = inner.exception()
        if exc is not None:
            log.error("import job of %s raised: %r", handle.connection_name, exc)
            handle.future.set_exception(exc)
            return
        run = inner.result()
        handle.future.set_result(run)
        succeeded = (ImportStatus.SUCCEEDED, ImportStatus.SUCCEEDED_WITH_WARNINGS)
        if run.status in succeeded and self._after_success is not None:
            self._submit_after_success(self._after_success)

    def _submit_after_success(self, task: Callable[[], None]) -> None:
        def guarded() -> None:
            try:
                task()
            except Exception:
                log.exception("the work after an import failed")
            finally:
                self._on_thread_exit()

        with contextlib.suppress(RuntimeError):  # the pool is shutting down with the app
            self._executor.submit(guarded)


def _nothing() -> None:
    """No clean-up after a job."""
