"""`licensedesk-cli worker`: the headless import worker, until SIGTERM or Ctrl-C; and
`licensedesk-cli queue`: the requests queued for the workers (`import NAME --queue`)."""

from __future__ import annotations

import argparse
import signal
import threading
from datetime import datetime
from typing import Any

from core.cli import UsageError
from core.cli.imports import run_summary
from core.cli.output import add_format_option, emit
from core.domain.cancel import CancelToken
from core.domain.queue import RequestState, WorkerEvent, WorkerEventKind


def register(commands: Any) -> None:
    worker = commands.add_parser(
        "worker",
        help="run queued and scheduled imports of every connection until stopped (SIGTERM)",
    )
    worker.add_argument(
        "--poll-seconds",
        type=float,
        default=5.0,
        metavar="S",
        help="how often to look for queued and due imports (default 5)",
    )
    worker.add_argument(
        "--once",
        action="store_true",
        help="run what is queued and due now, then exit (for cron); exit 1 if any failed",
    )
    worker.set_defaults(handler=run_worker)

    queue = commands.add_parser("queue", help="imports queued for the workers, newest first")
    queue.add_argument("--open", action="store_true", help="only those not finished")
    queue.add_argument("--limit", type=int, default=100)
    add_format_option(queue)
    queue.set_defaults(handler=show_queue)


class _EventPrinter:
    """One line per import started or finished, on stdout, as they happen."""

    def __init__(self) -> None:
        self._lock = threading.Lock()

    def __call__(self, event: WorkerEvent) -> None:
        if event.kind is WorkerEventKind.STARTED:
            line = f"started {event.connection_name}: {event.reason}"
        elif event.run is not None:
            line = f"finished {run_summary(event.run)} [{event.reason}]"
            if event.run.error:
                line += f": {' '.join(event.run.error.split())}"
        else:
            line = f"failed {event.connection_name}: {event.error} [{event.reason}]"
        self.say(line)

    def say(self, line: str) -> None:
        stamp = datetime.now().astimezone().isoformat(timespec="seconds")
        with self._lock:
            print(f"{stamp} {line}", flush=True)


def run_worker(args: argparse.Namespace, controller: Any) -> int:
    if not args.poll_seconds > 0:
        raise UsageError("--poll-seconds must be more than 0.")
    stop = CancelToken()
    printer = _EventPrinter()

    def on_signal(signum: int, frame: object) -> None:
        printer.say(f"stopping ({signal.Signals(signum).name}): cancelling running imports")
        stop.cancel()

    previous = {sig: signal.signal(sig, on_signal) for sig in (signal.SIGTERM, signal.SIGINT)}
    try:
        printer.say(f"worker started, looking every {args.poll_seconds:g} s")
        failures = controller.run_worker(
            stop, on_event=printer, poll_seconds=args.poll_seconds, once=args.once
        )
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    printer.say("worker stopped")
    # Stopped by a signal is a clean stop, --once or not; otherwise --once tells cron.
    return 1 if args.once and failures and not stop.cancelled else 0


def show_queue(args: argparse.Namespace, controller: Any) -> int:
    # How far the imports running now have got, as the windows show it.
    progress = {
        w.connection_id: w.progress.message
        for w in controller.worker_imports()
        if w.state is RequestState.RUNNING and w.progress is not None
    }
    records = (
        {
            "id": r.id,
            "connection": r.connection_name,
            "state": r.state,
            "incremental": r.incremental,
            "requested_at": r.requested_at,
            "requested_by": r.requested_by,
            "taken_by": r.taken_by,
            "attempts": r.attempts,
            "finished_at": r.finished_at,
            "outcome": r.outcome,
            "run_id": r.run_id,
            "progress": progress.get(r.connection_id) if r.state is RequestState.RUNNING else None,
        }
        for r in controller.queued_imports(open_only=args.open, limit=args.limit)
    )
    emit(records, args.format)
    return 0
