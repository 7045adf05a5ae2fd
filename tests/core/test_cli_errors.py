"""licensedesk-cli's failures: one line on stderr, exit status 2 for a usage error and 1 for a
failure, every warning naming its connection, and core's log records not repeating them."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from concurrent.futures import Future
from datetime import UTC, datetime
from types import SimpleNamespace

import pytest

from core.cli import main
from core.controller import Controller
from core.domain.imports import ImportCounts, ImportRun, ImportStatus
from core.errors import AuthError, ConnectionInUse, GraphError
from core.simulator.demo import reset_simulators, size_draft


@pytest.fixture
def controller(app_paths, database, secret_store) -> Iterator[Controller]:
    reset_simulators()
    ctl = Controller.assemble(paths=app_paths, database=database, secret_store=secret_store)
    yield ctl
    ctl.close()
    reset_simulators()


def cli(controller: Controller, *argv: str) -> int:
    return main(list(argv), controller_factory=lambda: controller)


def err_lines(capsys: pytest.CaptureFixture[str]) -> list[str]:
    return capsys.readouterr().err.splitlines()


USAGE_ERRORS = [
    (["import"], "Name one connection, or use --all.", "import"),
    (["import", "--bogus"], "unrecognized arguments: --bogus", "import"),
    (["connections", "add"], "the following arguments are required: --name", "connections add"),
    (["users", "--sort", "nope"], "argument --sort: invalid choice: 'nope'", "users"),
    (["nosuch"], "argument COMMAND: invalid choice: 'nosuch'", ""),
    (["licenses", "set-status", "x", "Active"], "argument id: invalid int", "licenses set-status"),
]


@pytest.mark.parametrize(("argv", "message", "command"), USAGE_ERRORS)
def test_usage_errors_are_one_line_naming_the_help_and_exit_2(
    controller, capsys, argv, message, command
) -> None:
    assert cli(controller, *argv) == 2
    lines = err_lines(capsys)
    assert len(lines) == 1, lines
    assert lines[0].startswith(f"licensedesk-cli: error: {message}")
    assert lines[0].endswith(f"(see {' '.join(['licensedesk-cli', command]).strip()} --help)")


def test_an_unknown_connection_is_a_failure_naming_the_known_ones(controller, capsys) -> None:
    controller.create_connection(size_draft("size:5:1", name="Small one"))
    assert cli(controller, "import", "nosuch") == 1
    assert err_lines(capsys) == ["error: There is no connection named “nosuch”; known: Small one."]


def _run(name: str, status: ImportStatus, warnings: tuple[str, ...], error: str | None) -> Future:
    now = datetime(2026, 6, 30, tzinfo=UTC)
    future: Future[ImportRun] = Future()
    future.set_result(
        ImportRun(1, 1, name, now, now, status, ImportCounts(), warnings=warnings, error=error)
    )
    return future


def test_import_all_names_the_connection_in_every_warning_line(
    controller, capsys, monkeypatch
) -> None:
    for name in ("First", "Second"):
        controller.create_connection(size_draft(f"size:5:{len(name)}", name=name))
    status = ImportStatus.SUCCEEDED_WITH_WARNINGS
    warnings = ("Usage reports conceal user names.", "Sign-in activity needs\nAuditLog.Read.All.")

    def start_import(connection_id: int, **_: object) -> SimpleNamespace:
        name = controller.get_connection(connection_id).name
        return SimpleNamespace(future=_run(name, status, warnings, None))

    monkeypatch.setattr(controller, "start_import", start_import)
    assert cli(controller, "import", "--all", "--quiet") == 0
    lines = err_lines(capsys)
    assert lines == [
        "warning: First: Usage reports conceal user names.",
        "warning: First: Sign-in activity needs AuditLog.Read.All.",
        "warning: Second: Usage reports conceal user names.",
        "warning: Second: Sign-in activity needs AuditLog.Read.All.",
    ]


def test_demo_exits_non_zero_when_its_imports_fail(controller, capsys, monkeypatch) -> None:
    def broken(self: object) -> None:
        raise GraphError("Microsoft Graph answered 503 for /subscribedSkus.")

    monkeypatch.setattr("core.imports.engine._Importer.run", broken)
    assert cli(controller, "demo") == 1
    captured = capsys.readouterr()
    assert "Contoso demo: failed" in captured.out
    assert "error: Contoso demo: Microsoft Graph answered 503 for /subscribedSkus." in captured.err


def test_a_failed_import_prints_no_log_record_besides_its_error_line(
    controller, capsys, monkeypatch
) -> None:
    # As in a real run, where the root logger has no handlers until the CLI sets one up.
    monkeypatch.setattr(logging.getLogger(), "handlers", [])
    controller.create_connection(size_draft("size:5:1", name="Small one"))

    def broken(self: object) -> None:
        raise GraphError("Microsoft Graph answered 503 for /subscribedSkus.")

    monkeypatch.setattr("core.imports.engine._Importer.run", broken)
    assert cli(controller, "import", "Small one", "--quiet") == 1
    assert err_lines(capsys) == [
        "error: Small one: Microsoft Graph answered 503 for /subscribedSkus."
    ]
    assert logging.getLogger().handlers == []

    assert cli(controller, "--verbose", "import", "Small one", "--quiet") == 1
    err = capsys.readouterr().err
    assert "WARNING core.imports.engine: import of Small one failed" in err


def test_import_all_reports_every_connection_when_some_cannot_run(
    controller, capsys, monkeypatch
) -> None:
    for seed, name in enumerate(("First", "Second", "Third"), start=1):
        controller.create_connection(size_draft(f"size:5:{seed}", name=name))

    def start_import(connection_id: int, **_: object) -> SimpleNamespace:
        name = controller.get_connection(connection_id).name
        if name == "First":
            raise ConnectionInUse("First is already being imported (started 12:03 by pid 42).")
        if name == "Second":
            future: Future[ImportRun] = Future()
            future.set_exception(AuthError("The tenant was not found in this cloud."))
            return SimpleNamespace(future=future, connection_name=name)
        return SimpleNamespace(
            future=_run(name, ImportStatus.SUCCEEDED, (), None), connection_name=name
        )

    monkeypatch.setattr(controller, "start_import", start_import)
    assert cli(controller, "import", "--all", "--quiet") == 1
    captured = capsys.readouterr()
    assert captured.err.splitlines() == [
        "error: First is already being imported (started 12:03 by pid 42).",  # names it
        "error: Second: The tenant was not found in this cloud.",
    ]
    assert captured.out.startswith("Third: succeeded")
