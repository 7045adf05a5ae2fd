"""A simulated connection never asks for a real token (issue 11 point 11): its test, import and
sign-in, and the demo SaaS Management organization, reach only the simulator; no browser opens
and no device code is shown."""

from __future__ import annotations

import webbrowser
from collections.abc import Iterator
from concurrent.futures import Executor, Future
from dataclasses import replace
from typing import Any

import msal
import pytest
import requests.adapters

from core.bootstrap import transport
from core.connections.wiring import cache_store_for
from core.controller import Controller
from core.domain.cancel import CancelToken
from core.domain.connection import AuthMethod, ConnectionDraft
from core.paths import AppPaths
from core.secrets import SecretStore
from core.simulator.adapter import SimulatorAdapter
from core.simulator.demo import profile_spec, reset_simulators
from core.storage.db import Database


class _Inline(Executor):
    def submit(self, fn: Any, /, *args: Any, **kwargs: Any) -> Future[Any]:
        future: Future[Any] = Future()
        try:
            future.set_result(fn(*args, **kwargs))
        except BaseException as exc:  # noqa: BLE001 - handed to the future like a pool does
            future.set_exception(exc)
        return future


def _refuse(*_args: Any, **_kwargs: Any) -> Any:
    raise AssertionError("a simulated connection reached for the real network or a browser")


@pytest.fixture
def offline(monkeypatch: pytest.MonkeyPatch) -> None:
    """Any real HTTP send, browser or interactive msal sign-in fails the test."""
    monkeypatch.setattr(requests.adapters.HTTPAdapter, "send", _refuse)
    monkeypatch.setattr(webbrowser, "open", _refuse)
    monkeypatch.setattr(webbrowser, "get", _refuse)
    monkeypatch.setattr(msal.PublicClientApplication, "acquire_token_interactive", _refuse)


@pytest.fixture
def controller(
    app_paths: AppPaths, database: Database, secret_store: SecretStore
) -> Iterator[Controller]:
    reset_simulators()
    built = Controller.assemble(
        paths=app_paths, database=database, secret_store=secret_store, executor=_Inline()
    )
    yield built
    built.close(timeout=5.0)
    reset_simulators()


def draft(name: str, method: AuthMethod, **changes: Any) -> ConnectionDraft:
    spec = profile_spec("size:50:3")
    values: dict[str, Any] = {
        "name": name,
        "method": method,
        "tenant": spec.tenant_id,
        "client_id": spec.client_id if method is AuthMethod.OWN_APP else "",
        "simulated_tenant": "size:50:3",
    }
    values.update(changes)
    return ConnectionDraft(**values)


def test_a_simulated_session_sends_every_host_to_the_simulator() -> None:
    session = transport().session(draft("Sim", AuthMethod.OWN_APP))
    for url in ("https://login.microsoftonline.com/x", "https://example.com/", "http://a.b/"):
        assert isinstance(session.get_adapter(url), SimulatorAdapter), url


def test_simulated_test_and_import_never_touch_a_real_host(
    offline: None, controller: Controller
) -> None:
    simulated = draft("Sim", AuthMethod.OWN_APP)
    report = controller.test_connection(simulated)
    assert report.ok, report.error
    connection = controller.create_connection(simulated)
    run = controller.import_now(connection.id)
    assert run.error is None, run.error_detail


@pytest.mark.parametrize("device_code", [False, True])
def test_simulated_sign_in_opens_no_browser_and_shows_no_code(
    offline: None, controller: Controller, device_code: bool
) -> None:
    shown: list[str] = []
    simulated = draft("Sim multi", AuthMethod.MULTI_TENANT, use_device_code=device_code)
    result = controller.sign_in(simulated, show_code=shown.append, cancel=CancelToken())
    assert result.tenant_id == profile_spec("size:50:3").tenant_id
    assert shown == []


def test_demo_saas_organization_is_reached_only_through_the_simulator(
    offline: None, controller: Controller
) -> None:
    assert controller.set_up_demo_saas()
    config = controller.saas_config()
    assert config.configured and config.simulated and not config.enabled
    assert controller.test_saas().ok
    assert not controller.set_up_demo_saas()  # set up once; a configured connector is kept


def test_a_sign_in_before_saving_follows_the_connection_by_its_id_not_its_name(
    offline: None, controller: Controller, secret_store: SecretStore
) -> None:
    signed_in = draft("First name", AuthMethod.MULTI_TENANT)
    result = controller.sign_in(signed_in, show_code=[].append, cancel=CancelToken())
    assert result.sign_in_id
    renamed = replace(signed_in, name="Renamed before saving", sign_in_id=result.sign_in_id)
    assert controller.test_connection(renamed).ok
    connection = controller.create_connection(renamed)
    store = cache_store_for(connection, secret_store, connection.id)
    assert store is not None and store.load()
    assert controller.draft_for_edit(connection.id).sign_in_id == ""  # never stored
