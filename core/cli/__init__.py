"""licensedesk-cli (spec §9): connections, imports, licenses, users, history, settings, SaaS
Management. Exit status 0 on success, non-zero with a one-line reason on stderr. Secrets are
never taken as arguments: they come from an environment variable named by an option, or a
prompt."""

from __future__ import annotations

import argparse
import logging
import signal
import sqlite3
import sys
import threading
from collections.abc import Callable, Sequence
from typing import Any

from core import APP_NAME, __version__
from core.errors import LicenseDeskError, ValidationError

Handler = Callable[[argparse.Namespace, Any], int]

# Each module adds its sub-commands; a sub-command sets `handler` with set_defaults.
COMMAND_MODULES = (
    "core.cli.connections",
    "core.cli.imports",
    "core.cli.history",
    "core.cli.demo",
    "core.cli.licenses",
    "core.cli.users",
    "core.cli.settings",
    "core.cli.saas",
)


class CliError(LicenseDeskError):
    """A problem with the command line itself (bad option combination, missing env var)."""


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

    parser = argparse.ArgumentParser(
        prog="licensedesk-cli", description=f"{APP_NAME}: Microsoft 365 licenses from the shell."
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    parser.add_argument("-v", "--verbose", action="store_true", help="log to stderr")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for name in COMMAND_MODULES:
        importlib.import_module(name).register(commands)
    return parser


def main(
    argv: Sequence[str] | None = None, *, controller_factory: Callable[[], Any] | None = None
) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO if args.verbose else logging.WARNING, stream=sys.stderr)
    controller = None
    previous_handler = _trap_sigterm()
    try:
        if controller_factory is not None:
            controller = controller_factory()
        else:
            from core.controller import Controller

            controller = Controller.open()
        return int(args.handler(args, controller))
    except ValidationError as exc:
        reason = "; ".join(f"{field}: {msg}" for field, msg in exc.errors.items())
        print(f"error: {reason}", file=sys.stderr)
        return 2
    except LicenseDeskError as exc:
        print(f"error: {exc.message}", file=sys.stderr)
        return 1
    except (sqlite3.Error, OSError) as exc:
        # The disk or the database failed under a command: one line, never a traceback.
        if isinstance(exc, BrokenPipeError):
            return _broken_pipe()
        if not _is_storage_failure(exc):
            raise  # a network error or a bug: not ours to word here
        print(f"error: {_storage_message(exc, controller)}", file=sys.stderr)
        return 1
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


def _broken_pipe() -> int:
    # The reader stopped early (`| head`): not an error of ours. Point stdout at devnull so
    # the interpreter's final flush does not complain again.
    import os

    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())
    return 0


def _is_storage_failure(exc: BaseException) -> bool:
    import errno

    if isinstance(exc, sqlite3.Error):
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
