"""Fixtures of the desktop tests: the real Controller on tmp_path, executors, a scripted
notifier (no modal box can block a test) and demo-profile drafts served by the simulator."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from concurrent.futures import Executor, Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from PySide6.QtCore import QSettings

from core.controller import Controller
from core.domain.connection import AuthMethod, ConnectionDraft
from core.paths import AppPaths
from core.secrets import SecretStore
from core.simulator.demo import profile_spec, reset_simulators
from core.storage.db import Database
from desktop.notify import Notifier

if TYPE_CHECKING:
    from desktop.main_window import MainWindow


class InlineExecutor(Executor):
    """Runs each call at once in the calling thread (deterministic GUI tests)."""

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Future[Any]:
        future: Future[Any] = Future()
        try:
            future.set_result(fn(*args, **kwargs))
        except BaseException as exc:  # noqa: BLE001 - handed to the future like a pool does
            future.set_exception(exc)
        return future


@dataclass
class ScriptedNotifier(Notifier):
    """Records every message; answers confirmations and file pickers from its fields."""

    confirm_answer: bool = True
    save_path: str | None = None
    open_path: str | None = None
    calls: list[tuple[str, str, str]] = field(default_factory=list)

    def __post_init__(self) -> None:
        super().__init__()

    def error(self, title: str, message: str, detail: str = "") -> None:
        self.calls.append(("error", title, message))

    def warning(self, title: str, message: str, detail: str = "") -> None:
        self.calls.append(("warning", title, message))

    def info(self, title: str, message: str, detail: str = "") -> None:
        self.calls.append(("info", title, message))

    def confirm(self, title: str, question: str, *, ok_text: str = "OK", detail: str = "") -> bool:
        self.calls.append(("confirm", title, question))
        return self.confirm_answer

    def save_file_name(self, title: str, suggested: str, file_filter: str) -> str | None:
        self.calls.append(("save", title, suggested))
        return self.save_path

    def open_file_name(self, title: str, file_filter: str) -> str | None:
        self.calls.append(("open", title, ""))
        return self.open_path

    def kinds(self) -> list[str]:
        return [kind for kind, _, _ in self.calls]


@pytest.fixture(autouse=True)
def fresh_simulators() -> Iterator[None]:
    reset_simulators()
    yield
    reset_simulators()


@pytest.fixture
def inline_executor() -> InlineExecutor:
    return InlineExecutor()


@pytest.fixture
def thread_executor() -> Iterator[ThreadPoolExecutor]:
    pool = ThreadPoolExecutor(max_workers=2, thread_name_prefix="test-job")
    yield pool
    pool.shutdown(wait=True, cancel_futures=True)


def _controller(
    paths: AppPaths, database: Database, secrets: SecretStore, executor: Executor
) -> Controller:
    return Controller.assemble(
        paths=paths, database=database, secret_store=secrets, executor=executor
    )


@pytest.fixture
def controller(
    app_paths: AppPaths,
    database: Database,
    secret_store: SecretStore,
    inline_executor: InlineExecutor,
) -> Iterator[Controller]:
    """The real controller whose imports run inline, in the test's thread."""
    built = _controller(app_paths, database, secret_store, inline_executor)
    yield built
    built.close(timeout=5.0)


@pytest.fixture
def threaded_controller(
    app_paths: AppPaths,
    database: Database,
    secret_store: SecretStore,
) -> Iterator[Controller]:
    """The real controller importing on worker threads (cancel tests)."""
    pool = ThreadPoolExecutor(max_workers=2, thread_name_prefix="test-import")
    built = _controller(app_paths, database, secret_store, pool)
    yield built
    built.close(timeout=10.0)
    pool.shutdown(wait=True)


@pytest.fixture
def notifier() -> ScriptedNotifier:
    return ScriptedNotifier()


@pytest.fixture
def window_settings(tmp_path: Path) -> QSettings:
    return QSettings(str(tmp_path / "window.ini"), QSettings.Format.IniFormat)


OpenWindow = Callable[[Controller], "MainWindow"]


@pytest.fixture
def open_window(
    qtbot: Any,
    inline_executor: InlineExecutor,
    window_settings: QSettings,
    notifier: ScriptedNotifier,
) -> OpenWindow:
    """Build and show the main window on a controller, as the composition root does, with
    jobs run inline, layout in a temporary file and a scripted notifier."""
    from desktop.app import build_window

    def open_(controller: Controller) -> MainWindow:
        built = build_window(controller, inline_executor, window_settings, notifier)
        qtbot.addWidget(built)
        built.show()
        # The first tab and the import times are read as jobs once the window shows.
        qtbot.waitUntil(built._schedule.isActive, timeout=5000)
        settle(built)
        return built

    return open_


def settle(widget: Any, timeout_s: float = 10.0) -> None:
    """Wait until every job of `widget`'s main window (tab loads, writes) delivered its
    result; `widget` is the window or anything in it (a tab, a dialog it opened)."""
    from PySide6.QtTest import QTest

    from desktop.jobs import JobRunner

    found = widget
    while found is not None and not isinstance(getattr(found, "jobs", None), JobRunner):
        found = found.parent()
    assert found is not None, f"{widget!r} is not in a window with a job runner"
    runner: JobRunner = found.jobs
    deadline = time.monotonic() + timeout_s
    while not runner.idle():
        assert time.monotonic() < deadline, "jobs still running"
        QTest.qWait(2)
    QTest.qWait(0)


def simulated_draft(name: str, profile: str = "size:200:1", **changes: Any) -> ConnectionDraft:
    """A draft served by the simulator, with the tenant and app of its profile."""
    spec = profile_spec(profile)
    values: dict[str, Any] = {
        "name": name,
        "method": AuthMethod.OWN_APP,
        "tenant": spec.tenant_id,
        "client_id": spec.client_id,
        "simulated_tenant": profile,
    }
    values.update(changes)
    return ConnectionDraft(**values)


@pytest.fixture
def imported(controller: Controller) -> Controller:
    """A controller with one simulated 200-user tenant imported."""
    connection = controller.create_connection(simulated_draft("Contoso sim"))
    run = controller.import_now(connection.id)
    assert run.error is None, run.error_detail
    return controller
