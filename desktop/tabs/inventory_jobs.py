"""The Inventory tab's jobs: each reads or writes through the controller on a worker thread."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from core.domain.connection import Connection, ConnectionDraft, ConnectionTestReport
from core.errors import LicenseDeskError

if TYPE_CHECKING:
    from core.controller import Controller
    from core.domain.beacon import BeaconVersion


def save(
    controller: Controller, draft: ConnectionDraft, editing_id: int | None, _token: object
) -> tuple[Connection, list[str]]:
    warnings: list[str] = []
    if editing_id is None:
        return controller.create_connection(draft, warnings=warnings), warnings
    return controller.update_connection(editing_id, draft, warnings=warnings), warnings


def test(controller: Controller, connection_id: int, _token: object) -> ConnectionTestReport:
    draft = controller.draft_for_edit(connection_id)
    return controller.test_connection(draft, editing_id=connection_id)


def load(
    controller: Controller, _token: object
) -> tuple[list[Connection], dict[int, datetime], BeaconVersion]:
    return (
        controller.list_connections(),
        controller.last_successful_imports(),
        controller.beacon_version(),
    )


def delete(
    controller: Controller, chosen: list[Connection], _token: object
) -> tuple[str, list[Connection], list[tuple[str, str]]]:
    failures = []
    for connection in chosen:
        try:
            controller.delete_connection(connection.id)
        except LicenseDeskError as exc:
            failures.append((connection.name, exc.message))
    return "delete", chosen, failures


def add_demo(
    controller: Controller, _token: object
) -> tuple[str, list[Connection], list[tuple[str, str]]]:
    return "demo", controller.add_demo_connections(start_imports=False), []
