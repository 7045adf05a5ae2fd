"""The staging worker: decodes user pages and usage reports and writes them to SQLite in a
separate process, while the import process keeps downloading.

Why a process: decoding JSON, folding licence paths and binding rows for SQLite are pure
Python work, so a thread would only take turns with the download under the interpreter lock.
In a second process they run on the second core, and the import finishes close to the time the
download alone takes (spec §12). The worker gets bytes and text, never Python row lists, so
nothing big is pickled, and at most a few pages wait in the queue, so memory stays flat.
This module is the import's side; the worker's is core.imports.staging_worker.

The worker only stages rows under the import's 'building' snapshot and moves them into the
snapshot tables (`flush_*`); the import process keeps the snapshot's life cycle (begin,
commit, discard) on its own connection.
"""

from __future__ import annotations

import contextlib
import logging
import os
import pickle
import queue
import signal
import struct
import subprocess
import sys
import threading
from collections.abc import Mapping
from pathlib import Path
from typing import IO, Any

from core.errors import ImportCancelled, LicenseDeskError, MalformedResponseError, StorageError

log = logging.getLogger(__name__)

# A frozen build runs its own executable with this flag instead of `python -m`.
FROZEN_FLAG = "--licensedesk-stager"
_HEADER = struct.Struct("!I")


def worker_command() -> list[str]:
    if getattr(sys, "frozen", False):
        return [sys.executable, FROZEN_FLAG]
    return [sys.executable, "-m", "core.imports.stager"]


class StagingWorker:
    """The import side: sends pages and reports, waits for results, re-raises the worker's
    errors as the typed errors the engine knows.

    Messages are length-prefixed pickles over the child's stdin and stdout. A page write blocks
    while the pipe is full, so the import never runs more than a page or two ahead of the
    worker: memory stays flat however many users there are.
    """

    def __init__(
        self, database_location: str, environment: Mapping[str, str] | None = None
    ) -> None:
        """`environment`: what the store's processes need besides its location
        (`Database.child_environment`)."""
        env = {
            **os.environ,
            **(environment or {}),
            "PYTHONPATH": _source_root() + os.pathsep + os.environ.get("PYTHONPATH", ""),
        }
        self._process = subprocess.Popen(
            [*worker_command(), database_location],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            env=env,
        )
        self._results: queue.Queue[tuple[Any, ...] | None] = queue.Queue()
        self._reader = threading.Thread(
            target=self._read_results, name="stager-results", daemon=True
        )
        self._reader.start()
        self.users = 0
        self._sync_token = 0

    def attach(self, snapshot_id: int) -> None:
        self._send(("attach", snapshot_id))

    def users_page(self, body: bytes, url: str) -> int:
        """Send one raw page; returns the number of users the worker has staged so far."""
        self._send(("users", body, url))
        self._drain()
        return self.users

    def report(self, kind: str, path: Path, url: str) -> None:
        """Send a downloaded report file (the worker reads it; the caller deletes it after
        the next `sync`)."""
        self._send(("report", kind, str(path), url))

    def flush_users(self) -> None:
        self._send(("flush_users",))

    def flush_usage(self) -> None:
        self._send(("flush_usage",))

    def clear(self, what: str) -> None:
        self._send(("clear", what))

    def sync(self) -> dict[str, Any]:
        """Wait until everything sent is done; return the worker's counts."""
        self._sync_token += 1
        self._send(("sync", self._sync_token))
        while True:
            message = self._next()
            if message[0] == "synced" and message[1] == self._sync_token:
                return dict(message[2])

    def close(self) -> None:
        """Let the worker finish and exit."""
        try:
            self._send(("stop",))
            self._process.wait(timeout=30)
        except (LicenseDeskError, subprocess.TimeoutExpired):
            self.kill()
        finally:
            self._close_pipes()

    def kill(self) -> None:
        """Stop at once (cancel, failure): staged rows die with the worker's temporary tables."""
        if self._process.poll() is None:
            self._process.kill()
            self._process.wait(timeout=10)
        self._close_pipes()

    def _close_pipes(self) -> None:
        for pipe in (self._process.stdin, self._process.stdout):
            if pipe is not None and not pipe.closed:
                with contextlib.suppress(OSError):
                    pipe.close()

    def _send(self, message: tuple[Any, ...]) -> None:
        data = pickle.dumps(message, protocol=pickle.HIGHEST_PROTOCOL)
        pipe = self._process.stdin
        try:
            assert pipe is not None
            pipe.write(_HEADER.pack(len(data)))
            pipe.write(data)
            pipe.flush()
        except (BrokenPipeError, OSError, ValueError):
            self._drain()  # an error the worker reported explains it better
            raise self._died() from None

    def _drain(self) -> None:
        while True:
            try:
                message = self._results.get_nowait()
            except queue.Empty:
                return
            if message is None:
                raise self._died()
            self._handle(message)

    def _next(self) -> tuple[Any, ...]:
        while True:
            message = self._results.get()
            if message is None:
                raise self._died()
            if self._handle(message):
                return message

    def _handle(self, message: tuple[Any, ...]) -> bool:
        """Apply progress and errors; True for a message the caller waits for."""
        kind = message[0]
        if kind == "progress":
            self.users = int(message[1])
            return False
        if kind == "error":
            _, cls, text, url, detail = message
            if cls == "MalformedResponseError":
                raise MalformedResponseError(text, url=url, detail=detail)
            if cls == "StorageError":
                raise StorageError(text, detail=detail)
            raise LicenseDeskError(text, detail=detail)
        return True

    def _read_results(self) -> None:
        pipe = self._process.stdout
        assert pipe is not None
        try:
            while True:
                message = _read_frame(pipe)
                if message is None:
                    break
                self._results.put(message)
        except (OSError, ValueError, pickle.UnpicklingError):
            pass
        self._results.put(None)

    def _died(self) -> LicenseDeskError:
        code = self._process.poll()
        return LicenseDeskError(
            "The import's worker process stopped unexpectedly.", detail=f"exit code {code}"
        )


def _read_frame(pipe: IO[bytes]) -> tuple[Any, ...] | None:
    header = pipe.read(_HEADER.size)
    if len(header) < _HEADER.size:
        return None
    (size,) = _HEADER.unpack(header)
    data = pipe.read(size)
    if len(data) < size:
        return None
    message: tuple[Any, ...] = pickle.loads(data)  # our own child process, a private pipe
    return message


def _write_frame(pipe: IO[bytes], message: tuple[Any, ...]) -> None:
    data = pickle.dumps(message, protocol=pickle.HIGHEST_PROTOCOL)
    pipe.write(_HEADER.pack(len(data)))
    pipe.write(data)
    pipe.flush()


def _source_root() -> str:
    return str(Path(__file__).resolve().parents[2])


def run_worker(database_path: str) -> None:
    """The worker process: frames from stdin, results to stdout, until 'stop' or EOF; then
    the process ends."""
    from core.imports.staging_worker import serve

    # Ctrl-C in a terminal reaches the whole process group: the import it serves decides
    # (it cancels, then stops this process), and the worker ends at the end of its input if
    # the import's process dies. Without this the user saw this process's traceback too.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    commands = sys.stdin.buffer
    out = sys.stdout.buffer
    sys.stdout = sys.stderr  # nothing but frames may reach the pipe

    class _Results:
        @staticmethod
        def put(message: tuple[Any, ...]) -> None:
            _write_frame(out, message)

    serve(database_path, commands, _Results(), _read_frame)
    # Everything is written and closed: skip the interpreter's teardown, which the import
    # waits for (a tenth of a second or more on a busy machine).
    out.flush()
    sys.stderr.flush()
    os._exit(0)


__all__ = ["ImportCancelled", "StagingWorker", "run_worker"]

if __name__ == "__main__":
    run_worker(sys.argv[1])
