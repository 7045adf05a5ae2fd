"""Tenant simulator: fault knobs, host isolation, SaaS Management API, demo registry."""

from __future__ import annotations

import pytest
import requests
import urllib3

from core.connections.rules import validate
from core.domain.beacon import parse_beacon_version
from core.simulator import Knobs, Simulator, simulator_session
from core.simulator import adapter as adapter_module
from core.simulator.demo import (
    DEMO_SAAS_ORG_ID,
    DEMO_SAAS_REFRESH_TOKEN,
    demo_drafts,
    demo_saas_org,
    get_model,
    get_simulator,
    profile_spec,
    reset_simulators,
    size_draft,
)
from tests.core.test_simulator import GRAPH, app_token, spec


def test_throttling_knob_answers_429_with_retry_after_every_k_graph_requests() -> None:
    s = spec(users=20)
    sim = Simulator([s], knobs=Knobs(throttle_after=2, retry_after_s=0.25))
    session, auth = simulator_session(sim), app_token(sim, s)
    responses = [session.get(f"{GRAPH}/organization", headers=auth) for _ in range(9)]
    assert [r.status_code for r in responses] == [200, 200, 429] * 3
    throttled = responses[-1]
    assert throttled.headers["Retry-After"] == "0.25"
    assert throttled.json()["error"]["code"] == "TooManyRequests"
    assert sim.calls["throttled"] == 3


def test_503_knob() -> None:
    s = spec(users=20)
    sim = Simulator([s], knobs=Knobs(error_503_rate=1.0))
    session, auth = simulator_session(sim), app_token(sim, s)  # login is never faulted
    resp = session.get(f"{GRAPH}/subscribedSkus", headers=auth)
    assert resp.status_code == 503 and "Retry-After" in resp.headers
    assert resp.json()["error"]["code"] == "ServiceNotAvailable"
    sim.knobs.error_503_rate = 0.0
    assert session.get(f"{GRAPH}/subscribedSkus", headers=auth).status_code == 200


def test_drop_knob_breaks_the_body_like_a_reset_connection() -> None:
    s = spec(users=300)
    sim = Simulator([s], knobs=Knobs(drop_rate=1.0))
    session, auth = simulator_session(sim), app_token(sim, s)
    with pytest.raises(requests.exceptions.ChunkedEncodingError):
        session.get(f"{GRAPH}/users?$top=999", headers=auth)
    streamed = session.get(f"{GRAPH}/users?$top=999", headers=auth, stream=True)
    assert streamed.status_code == 200
    with pytest.raises(requests.exceptions.ChunkedEncodingError):
        b"".join(streamed.iter_content(1024))
    raw = session.get(f"{GRAPH}/users?$top=999", headers=auth, stream=True).raw
    with pytest.raises(urllib3.exceptions.ProtocolError):
        raw.read()
    report = session.get(
        f"{GRAPH}/reports/getOffice365ActiveUserDetail(period='D30')",
        headers=auth,
        stream=True,
    )
    with pytest.raises(requests.exceptions.ChunkedEncodingError):
        report.content  # noqa: B018
    assert sim.calls["dropped"] == 4


def test_latency_knob_sleeps_per_request(monkeypatch: pytest.MonkeyPatch) -> None:
    slept: list[float] = []
    monkeypatch.setattr(adapter_module.time, "sleep", slept.append)
    s = spec(users=5)
    sim = Simulator([s], knobs=Knobs(latency_s=0.05))
    session, auth = simulator_session(sim), app_token(sim, s)
    session.get(f"{GRAPH}/organization", headers=auth)
    assert slept == [0.05, 0.05]


def test_other_hosts_are_unreachable() -> None:
    session = simulator_session(Simulator([spec(users=1)]))
    with pytest.raises(requests.exceptions.ConnectionError):
        session.get("https://example.com/")


SAAS_TOKEN = "https://login.flexera.com/oidc/token"
SAAS_API = f"https://api.flexera.com/saas/v1/orgs/{DEMO_SAAS_ORG_ID}/managed-apps"


def saas_auth(session: requests.Session) -> dict[str, str]:
    resp = session.post(
        SAAS_TOKEN, data={"grant_type": "refresh_token", "refresh_token": DEMO_SAAS_REFRESH_TOKEN}
    )
    assert resp.status_code == 200, resp.text
    body = resp.json()
    assert body["token_type"] == "Bearer" and body["expires_in"] == 3600
    return {"Authorization": f"Bearer {body['access_token']}"}


def test_saas_management_endpoints() -> None:
    session = simulator_session(Simulator([], saas=demo_saas_org()))
    wrong = session.post(SAAS_TOKEN, data={"grant_type": "refresh_token", "refresh_token": "x"})
    assert wrong.status_code == 400 and wrong.json()["error"] == "invalid_grant"
    assert session.get(f"{SAAS_API}?view=extended").status_code == 401
    auth = saas_auth(session)
    apps = session.get(f"{SAAS_API}?view=extended", headers=auth).json()["values"]
    assert {a["vendorName"] for a in apps} == {"Microsoft", "Slack Technologies"}
    usage = session.get(f"{SAAS_API}?view=licenseUsage", headers=auth).json()["values"]
    m365 = next(a for a in usage if a["id"] == "1001")
    terms = [t for lic in m365["licenses"] for t in lic["terms"]]
    assert any(t["endsAt"] < "2026-11-28" for t in terms)  # one term already ended
    assert all({"id", "termType", "totalActive", "endsAt"} <= set(t) for t in terms)
    e3 = next(lic for lic in m365["licenses"] if lic["name"] == "Microsoft 365 E3")
    assert e3["terms"][0]["totalActive"] == get_model("contoso").truth().sku("SPE_E3").enabled
    everyone = session.get(f"{SAAS_API}/1001/app-users?includeAll=true", headers=auth).json()
    active = session.get(f"{SAAS_API}/1001/app-users", headers=auth).json()
    gone = [u for u in everyone["values"] if u["deactivatedAt"]]
    assert gone and len(active["values"]) == len(everyone["values"]) - len(gone)
    contoso = get_model("contoso")
    upns = {contoso.upn(i) for i in range(contoso.spec.users)}
    assert {u["email"] for u in everyone["values"]} & upns
    eu = session.post(
        "https://login.flexera.eu/oidc/token",
        data={"grant_type": "refresh_token", "refresh_token": DEMO_SAAS_REFRESH_TOKEN},
    )
    assert eu.status_code == 400  # the org lives in the NAM zone


def test_demo_profiles_and_registry() -> None:
    reset_simulators()
    contoso, fabrikam = profile_spec("contoso"), profile_spec("Fabrikam")
    assert contoso.premium and not contoso.concealed_names and contoso.users == 3000
    assert not fabrikam.premium and fabrikam.concealed_names and fabrikam.users == 800
    parts = {t.part_number for t in get_model("fabrikam").truth().skus.values()}
    assert {"POWER_BI_PRO", "VISIOCLIENT"} <= parts
    sized = profile_spec("size:12345:7")
    assert sized.users == 12345 and sized == profile_spec("size:12345:7")
    with pytest.raises(ValueError):
        profile_spec("size:abc")
    sim = get_simulator("contoso")
    assert get_simulator("CONTOSO") is sim
    sim.tenant(contoso.tenant_id).mutate(seed=1, changes=5)
    assert get_simulator("contoso").tenant(contoso.domain).version == 1
    assert get_simulator("demo").tenant(contoso.tenant_id).version == 1  # shared model
    session = simulator_session(get_simulator("fabrikam"))
    auth = app_token(get_simulator("fabrikam"), fabrikam)
    resp = session.get(f"{GRAPH}/users?$select=id,signInActivity", headers=auth)
    assert resp.json()["error"]["code"] == "Authentication_RequestFromNonPremiumTenantOrB2CTenant"
    reset_simulators()


def test_demo_drafts_are_valid_simulated_connections() -> None:
    drafts = demo_drafts() + [size_draft("size:2000:3")]
    version = parse_beacon_version("2025 R1")
    for draft in drafts:
        assert draft.is_simulated
        assert validate(draft, version=version) == {}, draft.name
        spec = profile_spec(draft.simulated_tenant or "")
        assert (draft.tenant, draft.client_id) == (spec.tenant_id, spec.client_id)
    assert [d.name for d in drafts[:2]] == ["Contoso demo", "Fabrikam demo"]
    model = get_simulator("size:2000:3").tenant_model()
    assert model.spec.users == 2000 and model._truth is not None
    reset_simulators()


def test_latency_beyond_the_read_timeout_raises_read_timeout(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    slept: list[float] = []
    monkeypatch.setattr(adapter_module.time, "sleep", slept.append)
    s = spec(users=5)
    sim = Simulator([s], knobs=Knobs(latency_s=30.0))
    session = simulator_session(sim)
    with pytest.raises(requests.exceptions.ReadTimeout):
        session.get(f"{GRAPH}/organization", timeout=(3.05, 10))
    assert slept == [10.0]


def test_report_rate_limit_knob() -> None:
    s = spec(users=5)
    sim = Simulator([s], knobs=Knobs(report_calls_per_10_min=2))
    session, auth = simulator_session(sim), app_token(sim, s)
    url = f"{GRAPH}/reports/getOffice365ActivationsUserDetail"
    codes = [session.get(url, headers=auth, allow_redirects=False).status_code for _ in range(3)]
    assert codes == [302, 302, 429]
    other = f"{GRAPH}/reports/getM365AppUserDetail(period='D7')"
    assert session.get(other, headers=auth, allow_redirects=False).status_code == 302
