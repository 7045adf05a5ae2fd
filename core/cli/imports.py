"""`licensedesk-cli import NAME|--all`: runs imports to the end, progress on stderr. Serves the
operating system's scheduler for unattended runs. With `--queue`, the imports are queued for
the headless workers (`licensedesk-cli worker`) instead."""

from __future__ import annotations

import argparse
import sys
import threading
import time
from concurrent.futures import Future
from concurrent.futures import TimeoutError as FuturesTimeout
from typing import Any

from core.cli import CliError, UsageError
from core.cli.lookup import connection_named
from core.domain.imports import ImportProgress, ImportRun, ImportStatus
from core.errors import ConnectionInUse, LicenseDeskError


def register(commands: Any) -> None:
    parser = commands.add_parser("import", help="import one connection's tenant, or all")
    parser.add_argument("name", nargs="?", help="connection name")
    parser.add_argument("--all", action="store_true", help="import every connection")
    parser.add_argument("--quiet", action="store_true", help="no progress on stderr")
    parser.add_argument(
        "--incremental",
        action="store_true",
        help="read only users changed since the last import (/users/delta); sign-in activity "
        "of unchanged users stays as last read",
    )
    parser.add_argument(
        "--queue",
        action="store_true",
        help="queue the import for the headless workers (licensedesk-cli worker) instead of "
        "running it here",
    )
    parser.set_defaults(handler=run_imports)


class _ProgressPrinter:
    """Prints at most a few progress lines per second per connection to stderr."""

    def __init__(self, names: dict[int, str], quiet: bool) -> None:
        self._names = names
        self._quiet = quiet
        self._last: dict[int, float] = {}
        self._lock = threading.Lock()

    def __call__(self, event: ImportProgress) -> None:
        if self._quiet:
            return
        now = time.monotonic()
        with self._lock:
            if event.step == "users" and now - self._last.get(event.connection_id, 0) < 0.5:
                return
            self._last[event.connection_id] = now
            print(f"[{self._names.get(event.connection_id, '?')}] {event.message}", file=sys.stderr)


def run_imports(args: argparse.Namespace, controller: Any) -> int:
    if bool(args.name) == bool(args.all):
        raise UsageError("Name one connection, or use --all.")
    connections = (
        controller.list_connections() if args.all else [connection_named(controller, args.name)]
    )
    if not connections:
        raise CliError("There are no connections to import.")
    if args.queue:
        return queue_imports(controller, connections, incremental=args.incremental)
    printer = _ProgressPrinter({c.id: c.name for c in connections}, args.quiet)
    failed, handles = 0, []
    for connection in connections:  # one that cannot start does not keep the others back
        try:
            handles.append(
                controller.start_import(
                    connection.id, on_progress=printer, incremental=args.incremental
                )
            )
        except ConnectionInUse as exc:
            failed += 1  # another process or thread imports it; the others go ahead
            print(f"error: {' '.join(exc.message.split())}", file=sys.stderr)
        except LicenseDeskError as exc:
            failed += _report_error(connection.name, exc)
    for handle in handles:
        try:
            run: ImportRun = result_of(handle.future)
        except LicenseDeskError as exc:
            failed += _report_error(handle.connection_name, exc)
        else:
            failed += report_run(run)
    return 1 if failed else 0


def queue_imports(controller: Any, connections: list[Any], *, incremental: bool) -> int:
    for connection in connections:
        request = controller.queue_import(connection.id, incremental=incremental)
        print(f"Queued an import of “{connection.name}” for the workers (request {request.id}).")
    return 0


def result_of(future: Future[ImportRun]) -> ImportRun:
    """The run, waited for in short slices: a signal (Ctrl-C, SIGTERM) may be delivered to any
    thread, and the main thread only runs its handler once it wakes, so an endless wait here
    would let a cancelled import run on to its end."""
    while True:
        try:
            return future.result(timeout=0.2)
        except FuturesTimeout:
            continue


def _report_error(name: str, exc: LicenseDeskError) -> int:
    print(f"error: {name}: {' '.join(exc.message.split())}", file=sys.stderr)
    return 1


def report_run(run: ImportRun, label: str = "") -> bool:
    """Print the summary (stdout), then each warning and the error (stderr), every line naming
    the connection; True when the run failed or was cancelled."""
    print(run_summary(run) + label)
    for warning in run.warnings:
        print(f"warning: {run.connection_name}: {' '.join(warning.split())}", file=sys.stderr)
    if run.status in (ImportStatus.FAILED, ImportStatus.CANCELLED, ImportStatus.INTERRUPTED):
        error = " ".join(str(run.error).split())
        print(f"error: {run.connection_name}: {error}", file=sys.stderr)
        return True
    return False


def run_summary(run: ImportRun) -> str:
    c = run.counts
    duration = f"{run.duration_s:.1f} s" if run.duration_s is not None else "-"
    return (
        f"{run.connection_name}: {run.status.value} in {duration} — {c.skus} SKUs, "
        f"{c.users:,} users ({c.licensed_users:,} licensed), {c.report_rows:,} report rows"
    )
