"""The simulator's /users/delta reports a change only when a selected, delta-tracked property
changed, as Graph does."""

from __future__ import annotations

from core.simulator import Simulator, simulator_session
from tests.core.test_simulator import GRAPH, _delta_round, app_token, spec


def test_delta_reports_only_changes_of_selected_tracked_properties() -> None:
    s = spec(users=50, seed=4)
    sim = Simulator([s])
    session, auth = simulator_session(sim), app_token(sim, s)
    model = sim.tenant(s.tenant_id)
    links = {}
    for select in ("id", "accountEnabled", "assignedLicenses", "licenseAssignmentStates"):
        _, links[select] = _delta_round(session, f"{GRAPH}/users/delta?$select={select}", auth)
    licensed = next(i for i in model.indexes() if model.user(i)["assignedLicenses"])
    other = next(i for i in model.indexes() if i != licensed)
    model.remove_licenses(licensed)
    model.set_account_enabled(other, False)

    seen = {
        select: {u["id"] for u in _delta_round(session, link, auth)[0]}
        for select, link in links.items()
    }
    assert seen["id"] == set()
    assert seen["accountEnabled"] == {model.user_id(other)}
    assert seen["assignedLicenses"] == {model.user_id(licensed)}
    assert seen["licenseAssignmentStates"] == set()  # not tracked by delta (Graph docs)
    assert model.user(licensed)["licenseAssignmentStates"] == []
