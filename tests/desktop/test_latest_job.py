"""Tab loads run as jobs whose stale results are dropped (issue 10 point 2)."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from pytestqt.qtbot import QtBot

from core.domain.licensing import UserQuery, UserRow
from desktop.jobs import JobRunner, LatestJob
from desktop.models.users_model import UsersModel

pytestmark = pytest.mark.gui


def test_a_newer_load_drops_the_result_of_an_older_one(
    qtbot: QtBot, thread_executor: ThreadPoolExecutor
) -> None:
    runner = JobRunner(thread_executor)
    loader = LatestJob(runner, "load")
    shown: list[str] = []
    loader.succeeded.connect(shown.append)
    release = threading.Event()

    def slow(_token: object) -> str:
        release.wait(5)
        return "old"

    old = loader.run(slow)
    with qtbot.waitSignal(loader.succeeded, timeout=5000):
        loader.run(lambda _token: "new")
    release.set()
    qtbot.waitUntil(runner.idle, timeout=5000)
    assert old.future is not None and old.future.result() == "old"
    assert shown == ["new"] and not loader.busy


def test_busy_is_told_once_per_burst_of_runs(qtbot: QtBot, inline_executor) -> None:  # type: ignore[no-untyped-def]
    loader = LatestJob(JobRunner(inline_executor), "load")
    told: list[bool] = []
    loader.busy_changed.connect(told.append)
    loader.run(lambda _token: 1)
    loader.run(lambda _token: 2)
    qtbot.waitUntil(lambda: not loader.busy, timeout=5000)
    assert told == [True, False]


def test_the_users_model_shows_only_the_query_asked_for_last(qtbot: QtBot) -> None:
    model = UsersModel()
    asked: list[UserQuery] = []
    model.rows_requested.connect(asked.append)
    model.set_query(UserQuery(search="ad"))
    model.set_query(UserQuery(search="adele"))
    assert [q.search for q in asked] == ["ad", "adele"] and model.pending
    model.show_rows(asked[0], [], 500)  # the first query's rows arrive late: dropped
    assert model.rowCount() == 0 and model.pending
    model.show_rows(asked[1], [_row("adele")], 1)
    assert model.rowCount() == 1 and not model.pending
    assert model.row_at(0) == _row("adele")


def test_a_page_of_a_query_no_longer_shown_is_dropped(qtbot: QtBot) -> None:
    model = UsersModel(page_size=2)
    asked: list[UserQuery] = []
    model.rows_requested.connect(asked.append)
    model.set_query(UserQuery(search="a"))
    model.show_rows(asked[0], [_row("a1"), _row("a2")], 4)
    assert model.row_at(2) is None  # the second page is asked for
    second = asked[-1]
    assert second.offset == 2
    model.set_query(UserQuery(search="b"))
    model.show_rows(second, [_row("a3"), _row("a4")], 4)  # of "a": not shown under "b"
    model.show_rows(asked[-1], [_row("b1")], 1)
    assert model.rowCount() == 1 and model.row_at(0) == _row("b1")


def _row(name: str) -> UserRow:
    return UserRow(
        tenant_id="t", tenant_name="T", connection_id=1, connection="T", id=name,
        user_principal_name=f"{name}@x", display_name=name, mail="", account_enabled=True,
        user_type="Member", skus=(), last_activity=None, usage_known=True, inactive=False,
        never_active=False, disabled_with_license=False, duplicate_path=False, overlap=False,
    )  # fmt: skip
