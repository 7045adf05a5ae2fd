"""The composition root: resolve paths, open the controller, build the windows, run.

`licensedesk [--demo] [--color-scheme system|light|dark]`. Heavy modules (the controller pulls
in msal, requests and cryptography) load after the Qt application exists, and tables load after
the window shows.
"""

from __future__ import annotations

import argparse
import contextlib
import functools
import gc
import logging
import logging.handlers
import os
import shutil
import sys
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import Executor, ThreadPoolExecutor
from dataclasses import dataclass
from typing import TYPE_CHECKING

from PySide6.QtCore import QSettings, QTimer
from PySide6.QtWidgets import QApplication

from core import APP_ID, APP_NAME, APP_ORG, DESKTOP_ID, __version__

if TYPE_CHECKING:
    from core.controller import Controller
    from core.errors import LicenseDeskError
    from desktop.main_window import MainWindow
    from desktop.notify import Notifier
    from desktop.theme import Appearance, ColorScheme

log = logging.getLogger(__name__)
JOB_THREADS = 4
GIL_SWITCH_INTERVAL_S = 0.001
# A full (generation 2) collection walks every object and holds the GIL meanwhile, so one
# started by an import's worker thread freezes the window for 100 ms and more on a large
# tenant. Young generations still collect as usual; full collections run 100 times rarer.
GC_THRESHOLDS = (700, 10, 1000)
IMPORT_THREADS = 4
# Imports (minutes of bulk work) run at this niceness, so on a busy machine (two cores, other
# work) the GUI thread gets the CPU when it needs it and an import waits instead. Jobs (a tab's
# read, a save) keep the normal priority: a user waits for them, and a niceness would make them
# wait for every other process on the machine too.
IMPORT_NICENESS = 10


def lower_thread_priority(niceness: int) -> None:
    """Initializer of worker threads: yield the CPU to the GUI thread. Linux sets a niceness
    per thread (a staging process started from it inherits it); elsewhere it does nothing."""
    if niceness and sys.platform.startswith("linux"):
        with contextlib.suppress(OSError):
            os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), niceness)


def worker_pool(workers: int, prefix: str, niceness: int = 0) -> ThreadPoolExecutor:
    """A pool of worker threads, at `niceness` on Linux."""
    return ThreadPoolExecutor(
        max_workers=workers,
        thread_name_prefix=prefix,
        initializer=lower_thread_priority,
        initargs=(niceness,),
    )


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog=APP_ID, description=f"{APP_NAME} desktop app")
    parser.add_argument("--demo", action="store_true", help="add the demo tenants first")
    parser.add_argument(
        "--color-scheme",
        choices=("system", "light", "dark"),
        help="the colour scheme for this session (the one chosen in View ▸ Appearance stays)",
    )
    parser.add_argument("--version", action="version", version=f"{APP_NAME} {__version__}")
    parser.add_argument(
        "--database",
        metavar="URL",
        help="a PostgreSQL database, postgresql://user@host:port/db (password: PGPASSWORD or "
        "~/.pgpass); default: LICENSEDESK_DATABASE_URL, else the SQLite file",
    )
    parser.add_argument(
        "--smoke-test",
        action="store_true",
        help="open offscreen on a temporary folder, import the demo, check the figures, exit",
    )
    return parser.parse_known_args(argv)[0]


def create_application(argv: Sequence[str], color_scheme: str | None = None) -> QApplication:
    """The QApplication with the app's identity (shared with the .desktop file) and style,
    in `color_scheme` (None: the system's until `appearance_of(app)` is told otherwise)."""
    from desktop.resources import icon, stylesheet
    from desktop.theme import Appearance, parse_choice

    # Imports run on worker threads; a shorter GIL switch interval hands the GUI thread the
    # interpreter sooner, so timers and repaints keep their pace during an import.
    sys.setswitchinterval(GIL_SWITCH_INTERVAL_S)
    gc.set_threshold(*GC_THRESHOLDS)
    existing = QApplication.instance()
    app = existing if isinstance(existing, QApplication) else QApplication(list(argv))
    app.setApplicationName(APP_ID)  # WM_CLASS and StartupWMClass
    app.setApplicationDisplayName(APP_NAME)
    app.setOrganizationName(APP_ORG)
    app.setApplicationVersion(__version__)
    app.setDesktopFileName(DESKTOP_ID)
    app.setStyle("Fusion")
    app.setWindowIcon(icon("licensedesk"))
    appearance = Appearance(app, stylesheet(), parse_choice(color_scheme), parent=app)
    appearance.setObjectName("appearance")
    return app


def appearance_of(app: QApplication) -> Appearance:
    """The Appearance that create_application gave `app`."""
    from desktop.theme import Appearance

    found = app.findChild(Appearance, "appearance")
    assert found is not None, "create_application() makes it"
    return found


def session_scheme(flag: str | None, settings: QSettings) -> ColorScheme:
    """--color-scheme for this session, else the one chosen in View ▸ Appearance."""
    from desktop.theme import SETTINGS_KEY, parse_choice

    return parse_choice(flag if flag is not None else settings.value(SETTINGS_KEY, "system"))


def window_settings(controller: Controller) -> QSettings:
    """Window layout next to the data, so LICENSEDESK_HOME keeps portable use self-contained."""
    path = controller.data_dir / "window.ini"
    return QSettings(str(path), QSettings.Format.IniFormat)


def build_window(
    controller: Controller,
    executor: Executor,
    settings: QSettings,
    notifier: Notifier | None = None,
    appearance: Appearance | None = None,
) -> MainWindow:
    """Build the main window and its collaborators (tests and tools/screenshot.py too)."""
    from desktop.jobs import ImportRunner, JobRunner
    from desktop.layout_store import LayoutStore
    from desktop.main_window import MainWindow
    from desktop.notify import Notifier

    notifier = notifier or Notifier()
    jobs = JobRunner(executor)
    runner = ImportRunner(controller, jobs)
    window = MainWindow(
        controller, runner, jobs, notifier, LayoutStore(settings), appearance=appearance
    )
    runner.setParent(window)
    jobs.setParent(window)
    # Everything loaded so far lives as long as the app: keep it out of every collection.
    gc.collect()
    gc.freeze()
    return window


def _configure_logging(controller: Controller) -> None:
    try:
        # Owner-only like the rest of the data folder (rotated copies keep the mode).
        os.close(os.open(controller.log_file, os.O_WRONLY | os.O_CREAT, 0o600))
        handler = logging.handlers.RotatingFileHandler(
            controller.log_file, maxBytes=2_000_000, backupCount=2, encoding="utf-8"
        )
    except OSError:  # a read-only data folder: the window still shows the data
        return
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger()
    root.addHandler(handler)
    root.setLevel(logging.INFO)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(sys.argv[1:] if argv is None else argv)
    if args.smoke_test:
        from desktop.smoke import prepare_environment

        # Before Qt and the controller read them: offscreen, on a temporary data folder.
        smoke_home = prepare_environment()
        try:
            return _run(args)
        finally:
            shutil.rmtree(smoke_home, ignore_errors=True)
    return _run(args)


def _run(args: argparse.Namespace) -> int:
    app = create_application(sys.argv[:1], args.color_scheme)
    from core.controller import Controller
    from core.errors import LicenseDeskError

    if args.database is not None:
        try:
            Controller.use_database(args.database)
        except LicenseDeskError as exc:
            _cannot_start(args, exc)
            return 1
    opener = functools.partial(_open_session, args, appearance_of(app))
    return run_sessions(opener, app.exec, functools.partial(_cannot_start, args))


@dataclass
class Session:
    """One window on one store, with the controller and thread pools it runs on."""

    controller: Controller
    window: MainWindow
    pools: tuple[ThreadPoolExecutor, ...]

    def close(self) -> None:
        self.controller.close(timeout=5.0)
        for pool in self.pools:
            pool.shutdown(wait=False, cancel_futures=True)
        self.window.deleteLater()


def run_sessions(
    open_session: Callable[[bool], Session],
    exec_: Callable[[], int],
    report: Callable[[LicenseDeskError], None],
) -> int:
    """Run the window until it closes. When it closed to switch databases (File ▸ Team
    database), close its controller and open the window again on the store chosen, in this
    process; if that store cannot be opened, say why and go back to the one before."""
    from core.controller import Controller
    from core.errors import LicenseDeskError

    first, previous = True, None
    going_back = False
    while True:
        try:
            session = open_session(first)
        except LicenseDeskError as exc:
            report(exc)
            if first or going_back:
                return 1
            Controller.return_to_database(previous)
            going_back = True
            continue
        try:
            code = exec_()
        finally:
            session.close()
        if not session.window.reopen_requested:
            return code
        previous = session.controller.opened_database().url
        first, going_back = False, False


def _open_session(args: argparse.Namespace, appearance: Appearance, first: bool) -> Session:
    """Open the controller on the store chosen and show a window on it. The first session
    also sets up logging and runs --demo or --smoke-test."""
    from core.controller import Controller

    imports = worker_pool(IMPORT_THREADS, "import", IMPORT_NICENESS)
    try:
        controller = Controller.open(executor=imports, warm_figures=True)
    except BaseException:
        imports.shutdown(wait=False)
        raise
    if first:
        _configure_logging(controller)
    executor = worker_pool(JOB_THREADS, "job")
    notifier = None
    if args.smoke_test:
        from desktop.smoke import SmokeNotifier

        notifier = SmokeNotifier()
    settings = window_settings(controller)
    # --color-scheme holds for this session only: the remembered choice stays as it was.
    appearance.set_choice(session_scheme(args.color_scheme, settings))
    window = build_window(controller, executor, settings, notifier, appearance=appearance)
    window.show()
    if first and args.smoke_test:
        from desktop.smoke import SmokeTest

        assert isinstance(notifier, SmokeNotifier)
        QTimer.singleShot(0, SmokeTest(window, notifier).start)
    elif first and args.demo:
        QTimer.singleShot(0, window.add_demo)
    return Session(controller, window, (imports, executor))


def _cannot_start(args: argparse.Namespace, exc: LicenseDeskError) -> None:
    """A damaged, full or unwritable data folder, an unreachable database: say it plainly."""
    from desktop.notify import Notifier

    print(f"error: {exc.message}", file=sys.stderr)
    if not args.smoke_test:  # nobody would close the box
        Notifier().error("LicenseDesk cannot open its data", exc.message, exc.detail)


if __name__ == "__main__":
    sys.exit(main())
