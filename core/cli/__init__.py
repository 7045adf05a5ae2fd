"""licensedesk-cli (spec §9): connections, imports, licenses, users, history, settings, SaaS
Management. Exit status 0 on success; otherwise one line on stderr and 2 when the command line
is wrong (usage, invalid values), 1 when the command could not be done. Secrets are never taken
as arguments: they come from an environment variable named by an option, or a prompt."""

from __future__ import annotations

import argparse
import contextlib
import logging
import signal
import sys
import threading
from collections.abc import Callable, Iterator, Sequence
from typing import Any, NoReturn

from core import APP_NAME, __version__
from core.errors import LicenseDeskError, ValidationError
from core.storage.dialect import database_errors, storage_errors

Handler = Callable[[argparse.Namespace, Any], int]

# Each module adds its sub-commands; a sub-command sets `handler` with set_defaults.
COMMAND_MODULES = (
    "core.cli.connections",
    "core.cli.imports",
    "core.cli.worker",
    "core.cli.history",
    "core.cli.demo",
    "core.cli.licenses",
    "core.cli.users",
    "core.cli.settings",
    "core.cli.saas",
)


PROG = "licensedesk-cli"
EXIT_FAILURE = 1
EXIT_USAGE = 2
# Commands that change the store, as (command, action): on a read-only store (a role that
# may only read, a file that cannot be written) they stop before anything is done (a keychain
# entry stored, a sign-in, a download) with the line the window shows.
WRITE_COMMANDS = frozenset(
    {
        ("connections", "add"),
        ("connections", "remove"),
        ("import", None),
        ("worker", None),
        ("demo", None),
        ("licenses", "set-status"),
        ("settings", "set"),
        ("saas-management", "configure"),
        ("saas-management", "enable"),
        ("saas-management", "disable"),
        ("saas-management", "import"),
    }
)
# Loggers whose failures the command reports itself (an import or a SaaS Management run that
# failed): without --verbose their records would only repeat that line.
REPORTED_LOGGERS = ("core.imports", "core.controller", "core.saas")


class CliError(LicenseDeskError):
    """The command could not be done (exit status 1)."""


class UsageError(CliError):
    """A problem with the command line itself, such as a bad option combination (exit 2)."""


def one_line(text: str) -> str:
    return " ".join(str(text).split())


def usage_error(message: str, command: str) -> str:
    return f"{PROG}: error: {one_line(message)} (see {command} --help)"


class CliParser(argparse.ArgumentParser):
    """argparse, but a usage error is one line naming the help to read, not a usage dump."""

    def error(self, message: str) -> NoReturn:
        print(usage_error(message, self.prog), file=sys.stderr)
        self.exit(EXIT_USAGE)


class Terminated(KeyboardInterrupt):
    """SIGTERM (a scheduler or service manager stopping us): handled like Cancel."""


def _on_sigterm(signum: int, frame: object) -> None:
    raise Terminated()


def _trap_sigterm() -> Any:
    """Turn SIGTERM into Terminated while the command runs; returns the previous handler."""
    if threading.current_thread() is not threading.main_thread():
        return None
    return signal.signal(signal.SIGTERM, _on_sigterm)


def build_parser() -> argparse.ArgumentParser:
    import importlib

    parser = CliParser(prog=PROG, description=f"{APP_NAME}: Microsoft 365 licenses from the shell.")
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    parser.add_argument("-v", "--verbose", action="store_true", help="log to stderr")
    parser.add_argument(
        "--database",
        metavar="URL",
        help="a PostgreSQL database, postgresql://user@host:port/db (the password from "
        "PGPASSWORD or ~/.pgpass); default: LICENSEDESK_DATABASE_URL, else the SQLite file",
    )
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for name in COMMAND_MODULES:
        importlib.import_module(name).register(commands)
    return parser


def main(
    argv: Sequence[str] | None = None, *, controller_factory: Callable[[], Any] | None = None
) -> int:
    parser = build_parser()
    try:
        args, extra = parser.parse_known_args(argv)
    except SystemExit as exc:  # --help, --version, or a usage error already printed
        return exc.code if isinstance(exc.code, int) else EXIT_USAGE
    if extra:  # named here, where the sub-command whose help to read is known
        message = f"unrecognized arguments: {' '.join(extra)}"
        print(usage_error(message, _command(args)), file=sys.stderr)
        return EXIT_USAGE
    if args.database is not None:
        try:
            from core.controller import Controller

            Controller.use_database(args.database)
        except LicenseDeskError as exc:
            print(f"error: {one_line(exc.message)}", file=sys.stderr)
            return EXIT_USAGE
    with cli_logging(verbose=args.verbose):
        return _run(args, controller_factory)


def _run(args: argparse.Namespace, controller_factory: Callable[[], Any] | None) -> int:
    controller = None
    previous_handler = _trap_sigterm()
    try:
        if controller_factory is not None:
            controller = controller_factory()
        else:
            from core.controller import Controller

            controller = Controller.open()
        _refuse_writes_when_read_only(args, controller)
        return int(args.handler(args, controller))
    except ValidationError as exc:
        reason = "; ".join(f"{field}: {msg}" for field, msg in exc.errors.items())
        print(f"error: {one_line(reason)}", file=sys.stderr)
        return EXIT_USAGE
    except UsageError as exc:
        print(usage_error(exc.message, _command(args)), file=sys.stderr)
        return EXIT_USAGE
    except LicenseDeskError as exc:
        print(f"error: {one_line(exc.message)}", file=sys.stderr)
        return EXIT_FAILURE
    except storage_errors() as exc:
        # The disk or the database failed under a command: one line, never a traceback.
        if isinstance(exc, BrokenPipeError):
            return _broken_pipe()
        if not _is_storage_failure(exc):
            raise  # a network error or a bug: not ours to word here
        print(f"error: {_storage_message(exc, controller)}", file=sys.stderr)
        return EXIT_FAILURE
    except KeyboardInterrupt as exc:
        # Running imports are cancelled by controller.close() below: their history rows say
        # 'cancelled' and the previous data stays.
        terminated = isinstance(exc, Terminated)
        print(f"error: {'terminated' if terminated else 'interrupted'}", file=sys.stderr)
        return 143 if terminated else 130
    finally:
        if previous_handler is not None:
            # A second SIGTERM while imports are being cancelled stops at once, as asked.
            signal.signal(signal.SIGTERM, previous_handler)
        if controller is not None and controller_factory is None:
            controller.close()


def _refuse_writes_when_read_only(args: argparse.Namespace, controller: Any) -> None:
    command = (getattr(args, "command", None), getattr(args, "action", None))
    if command not in WRITE_COMMANDS:
        return
    reason = controller.opened_database().read_only_reason
    if reason:
        raise CliError(reason)


def _command(args: argparse.Namespace) -> str:
    words = [PROG, getattr(args, "command", None), getattr(args, "action", None)]
    return " ".join(w for w in words if w)


class _OneLineFormatter(logging.Formatter):
    """`licensedesk-cli: warning: message`, without the traceback (that is for --verbose)."""

    def format(self, record: logging.LogRecord) -> str:
        return f"{PROG}: {record.levelname.lower()}: {one_line(record.getMessage())}"


def _not_reported(record: logging.LogRecord) -> bool:
    return not record.name.startswith(REPORTED_LOGGERS)


@contextlib.contextmanager
def cli_logging(*, verbose: bool) -> Iterator[None]:
    """Log core's warnings as one line each, leaving out what the command reports itself;
    with --verbose, log everything from INFO up (msal and requests too), tracebacks included.
    Undone on exit, so running main() in a test leaves logging as it was."""
    root = logging.getLogger()
    handler = logging.StreamHandler(sys.stderr)
    previous = root.level
    if verbose:
        handler.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
        root.setLevel(logging.INFO)
    else:
        handler.setFormatter(_OneLineFormatter())
        handler.addFilter(_not_reported)
        handler.setLevel(logging.WARNING)
    root.addHandler(handler)
    try:
        yield
    finally:
        root.removeHandler(handler)
        root.setLevel(previous)


def require_kept_secrets(controller: Any) -> None:
    """Refuse to store secrets that would be forgotten when this process exits."""
    if not controller.keeps_secrets:
        raise CliError(
            "No keychain was found, so the secrets would be forgotten when licensedesk-cli "
            "exits; set LICENSEDESK_SECRETS_FILE to a file path (or 1) to keep them in an "
            "owner-only file."
        )


def _broken_pipe() -> int:
    # The reader stopped early (`| head`): not an error of ours. Point stdout at devnull so
    # the interpreter's final flush does not complain again.
    import os

    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())
    return 0


def _is_storage_failure(exc: BaseException) -> bool:
    import errno

    if isinstance(exc, database_errors()):
        return True
    storage_errnos = (errno.ENOSPC, errno.EDQUOT, errno.EROFS, errno.EACCES, errno.EPERM)
    return isinstance(exc, OSError) and (
        exc.filename is not None or exc.errno in storage_errnos or exc.errno == errno.EIO
    )


def _storage_message(exc: BaseException, controller: Any) -> str:
    from core.paths import AppPaths
    from core.storage.files import storage_error

    database = getattr(controller, "database", None)
    path = database.path if database is not None else AppPaths.resolve().database
    return storage_error(exc, path).message


def secret_from_env(var: str | None, what: str) -> str:
    """Read a secret from the environment variable the user named (never from argv)."""
    import os

    if not var:
        return ""
    value = os.environ.get(var)
    if not value:
        raise CliError(f"{what}: environment variable {var} is not set or empty.")
    return value


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
