"""A real Controller on tmp_path with fresh simulators and a fresh report budget."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from core.controller import Controller
from core.graph import DEFAULT_REPORT_BUDGET
from core.simulator.demo import reset_simulators


@pytest.fixture
def controller(app_paths, database, secret_store) -> Iterator[Controller]:
    DEFAULT_REPORT_BUDGET.reset()
    reset_simulators()
    ctl = Controller.assemble(paths=app_paths, database=database, secret_store=secret_store)
    yield ctl
    ctl.close()
    reset_simulators()
