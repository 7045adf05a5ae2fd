"""AADSTS answers of real tenants that the simulator now reproduces: a token request loop
(50196) and security defaults blocking the deprecated connector's password sign-in (530035)."""

from __future__ import annotations

import pytest

from core.auth import build_token_provider
from core.auth.failures import (
    LOOP_MESSAGE,
    SECURITY_DEFAULTS_MESSAGE,
    SECURITY_DEFAULTS_PASSWORD_MESSAGE,
    auth_error_from_result,
)
from core.domain.connection import AuthMethod, ConnectionDraft, ConnectionSecrets, SourceType
from core.errors import AuthError
from core.simulator import Knobs, Simulator, simulator_session
from core.simulator.demo import profile_spec, size_draft
from tests.core.test_simulator import spec

TENANT = spec(users=3, password="pw-1", security_defaults=True)


def password_draft(username: str) -> ConnectionDraft:
    return ConnectionDraft(
        name="Legacy",
        source_type=SourceType.OFFICE_365,
        method=AuthMethod.PASSWORD,
        tenant=TENANT.domain,
        username=username,
        secrets=ConnectionSecrets(password="pw-1"),
    )


@pytest.mark.filterwarnings("ignore::DeprecationWarning")
def test_security_defaults_block_the_password_connector_with_their_own_message() -> None:
    sim = Simulator([TENANT])
    provider = build_token_provider(
        password_draft(TENANT.admin_upn), session=simulator_session(sim)
    )
    with pytest.raises(AuthError) as caught:
        provider.get_token()
    assert caught.value.code == 530035
    assert caught.value.field == "password"
    assert caught.value.message == SECURITY_DEFAULTS_PASSWORD_MESSAGE
    assert caught.value.message == (
        "The tenant's security defaults block the legacy password sign-in of the deprecated "
        "Microsoft Office 365 connector. Use the Microsoft 365 connector instead."
    )
    assert "pw-1" not in caught.value.detail


def test_security_defaults_for_other_methods_are_not_blamed_on_the_password() -> None:
    draft = ConnectionDraft(name="App", method=AuthMethod.OWN_APP, tenant=TENANT.tenant_id)
    error = auth_error_from_result(
        {"error": "invalid_grant", "error_codes": [530035], "error_description": "AADSTS530035"},
        draft,
    )
    assert (error.message, error.field) == (SECURITY_DEFAULTS_MESSAGE, None)


def test_a_token_request_loop_is_not_a_busy_service() -> None:
    draft = ConnectionDraft(name="App", method=AuthMethod.OWN_APP, tenant=TENANT.tenant_id)
    error = auth_error_from_result(
        {"error": "invalid_request", "error_codes": [50196], "error_description": "AADSTS50196"},
        draft,
    )
    assert error.message == LOOP_MESSAGE
    assert "busy" not in error.message
    assert "too often" in error.message and "wait" in error.message


def test_asking_for_tokens_too_often_is_a_request_loop_not_a_busy_service() -> None:
    draft = size_draft("size:3:1")
    sim = Simulator([profile_spec("size:3:1")], knobs=Knobs(token_requests_per_min=2))
    session = simulator_session(sim)
    for _ in range(2):  # a fresh app each time: no token cache to answer from
        build_token_provider(draft, session=session).get_token()
    with pytest.raises(AuthError) as caught:
        build_token_provider(draft, session=session).get_token()
    assert caught.value.code == 50196
    assert caught.value.message == LOOP_MESSAGE
