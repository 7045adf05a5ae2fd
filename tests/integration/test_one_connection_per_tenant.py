"""One connection per tenant, whatever it is typed as: a domain is looked up to its tenant ID
(the tenant's OpenID configuration, no sign-in) when a connection is created or tested, and
the import refuses an organization another connection already has, before writing anything."""

from __future__ import annotations

from dataclasses import replace

import pytest
import requests

from core.auth import TENANT_NOT_FOUND
from core.auth.discovery import TenantUnresolved, resolve_tenant_id
from core.domain.cloud import Cloud
from core.domain.imports import ImportStatus
from core.errors import AuthError, ValidationError
from core.simulator.adapter import Simulator
from core.simulator.demo import profile_spec, size_draft
from core.storage.repositories import ConnectionRepository

PROFILE = "size:300:5"
SPEC = profile_spec(PROFILE)


def by_guid(name: str = "Contoso HQ"):
    return size_draft(PROFILE, name=name)


def by_domain(name: str = "Contoso again", domain: str = SPEC.domain):
    return replace(size_draft(PROFILE, name=name), tenant=domain)


def test_a_domain_resolves_to_the_tenant_id_without_signing_in() -> None:
    sim = Simulator([SPEC])
    session = sim.mount(requests.Session())
    assert resolve_tenant_id(by_domain(domain=SPEC.domain.upper()), session) == SPEC.tenant_id
    assert [e.endpoint for e in sim.log] == ["openid-configuration"]
    with pytest.raises(AuthError) as caught:
        resolve_tenant_id(by_domain(domain="nobody.onmicrosoft.com"), session)
    assert (caught.value.code, caught.value.field) == (90002, "tenant")
    assert caught.value.message == TENANT_NOT_FOUND
    with pytest.raises(TenantUnresolved):  # a host the simulator does not serve: no route
        resolve_tenant_id(offline_draft(), session)


def offline_draft():
    """A private-endpoint cloud the simulator does not serve: the lookup cannot reach it."""
    return replace(
        by_domain(),
        cloud=Cloud.CUSTOM,
        authority_host="https://login.offline.example",
        graph_endpoint="https://graph.microsoft.com",
    )


def test_a_second_connection_typed_as_a_domain_is_refused(controller) -> None:
    first = controller.create_connection(by_guid())
    with pytest.raises(ValidationError) as caught:
        controller.create_connection(by_domain())
    assert caught.value.errors == {
        "tenant": f"Tenant {SPEC.domain} (tenant ID {SPEC.tenant_id}) already has the "
        "connection “Contoso HQ”."
    }
    assert [c.name for c in controller.list_connections()] == [first.name]


def test_a_domain_connection_stores_its_tenant_id_and_blocks_a_guid_one(controller) -> None:
    created = controller.create_connection(by_domain("By domain"))
    assert created.tenant == SPEC.domain and created.tenant_id == SPEC.tenant_id
    with pytest.raises(ValidationError) as caught:
        controller.create_connection(by_guid())
    assert "already has the connection “By domain”" in caught.value.errors["tenant"]


def test_an_unknown_domain_is_refused_at_the_tenant_field(controller) -> None:
    with pytest.raises(ValidationError) as caught:
        controller.create_connection(by_domain(domain="nobody.onmicrosoft.com"))
    assert caught.value.errors == {"tenant": TENANT_NOT_FOUND}


def test_offline_creation_warns_and_the_import_refuses_the_second_connection(
    controller, database
) -> None:
    first = controller.create_connection(by_guid())
    assert controller.import_now(first.id).status is ImportStatus.SUCCEEDED
    warnings: list[str] = []
    second = controller.create_connection(offline_draft(), warnings=warnings)
    assert second.tenant_id == ""
    assert warnings == [
        f"The tenant {SPEC.domain} could not be looked up (ConnectionError). Saved anyway; "
        "the first import checks that no other connection has this tenant."
    ]
    # The import itself reaches the tenant through the Global endpoints.
    with database.transaction() as conn:
        ConnectionRepository().update(conn, second.id, by_domain())
    run = controller.import_now(second.id)
    assert run.status is ImportStatus.FAILED
    assert run.error == (
        f"Tenant {SPEC.name} ({SPEC.tenant_id}) already has the connection “Contoso HQ”, so "
        "this connection would import it a second time; nothing was imported. Remove one of "
        "the two connections."
    )
    assert run.counts.users == 0
    db = database.thread_connection()
    snapshots = db.execute(
        "SELECT connection_id, COUNT(*) FROM snapshots GROUP BY connection_id"
    ).fetchall()
    assert [tuple(r) for r in snapshots] == [(first.id, 1)]
    assert controller.get_connection(second.id).tenant_id == ""


def test_the_connection_test_names_the_existing_connection(controller) -> None:
    controller.create_connection(by_guid())
    report = controller.test_connection(by_domain())
    assert not report.ok and report.error_field == "tenant"
    assert report.error == (
        f"Tenant {SPEC.domain} (tenant ID {SPEC.tenant_id}) already has the connection "
        "“Contoso HQ”."
    )
