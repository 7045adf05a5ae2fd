"""The own app's admin-consent link as Microsoft documents it for a daemon app: no redirect_uri
the app may not have registered (Entra stops such a page before the admin can consent)."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest

from core.auth import admin_consent_steps, admin_consent_url
from core.auth.failures import OWN_APP_CONSENT_STEPS
from core.domain.cloud import Cloud
from core.domain.connection import AuthMethod, ConnectionDraft
from core.simulator import Simulator, simulator_session
from tests.core.test_simulator import spec

TENANT = spec(users=3)


def own_app(cloud: Cloud = Cloud.GLOBAL) -> ConnectionDraft:
    return ConnectionDraft(
        name="App",
        method=AuthMethod.OWN_APP,
        tenant=TENANT.domain,
        client_id=TENANT.client_id,
        cloud=cloud,
    )


@pytest.mark.parametrize(
    ("cloud", "host"),
    [
        (Cloud.GLOBAL, "login.microsoftonline.com"),
        (Cloud.GCC_HIGH, "login.microsoftonline.us"),
        (Cloud.CHINA, "login.partner.microsoftonline.cn"),
    ],
)
def test_own_app_link_names_only_the_client_on_the_clouds_authority(cloud, host) -> None:
    url = urlsplit(admin_consent_url(own_app(cloud)))
    assert (url.scheme, url.netloc, url.path) == ("https", host, f"/{TENANT.domain}/adminconsent")
    assert parse_qs(url.query) == {"client_id": [TENANT.client_id]}


def test_an_admin_can_consent_through_the_link_of_a_daemon_app_without_redirect_uris() -> None:
    sim = Simulator([TENANT])
    session = simulator_session(sim)
    answer = session.get(admin_consent_url(own_app()), allow_redirects=False)
    model = sim.tenant(TENANT.tenant_id)
    assert TENANT.client_id in model.admin_consents
    # The harmless error page the steps warn about: no reply address registered.
    assert answer.status_code == 400 and answer.json()["error_codes"] == [500113]


def test_an_unregistered_redirect_uri_stops_the_consent() -> None:
    """What the old link did: redirect_uri=http://localhost, not in a daemon app's registration."""
    sim = Simulator([TENANT])
    old = admin_consent_url(own_app()) + "&redirect_uri=http%3A%2F%2Flocalhost"
    answer = simulator_session(sim).get(old, allow_redirects=False)
    assert answer.json()["error_codes"] == [50011]
    assert TENANT.client_id not in sim.tenant(TENANT.tenant_id).admin_consents


def test_the_steps_say_what_the_admin_will_see() -> None:
    steps = admin_consent_steps(AuthMethod.OWN_APP)
    assert steps == OWN_APP_CONSENT_STEPS
    assert "sign in" in steps and "list of application permissions" in steps
    assert "error page" in steps and "harmless" in steps
    assert admin_consent_steps(AuthMethod.MULTI_TENANT) != steps
