"""licensedesk-cli end to end against a tenant answered by `responses` (real msal, real Graph
client, real SQLite): connections add -> test -> import -> users/history, and the failures."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
import responses

from core.cli import main
from core.controller import Controller
from tests.auth_fakes import FakeSts, app_token_body, error_body, openid_configuration
from tests.fixtures import graph as fx
from tests.storage_dump import dump_text

CLIENT_ID = "11111111-2222-3333-4444-555555555555"
SECRET = "s3cr3t~value-never-stored"


@pytest.fixture
def sts() -> Iterator[FakeSts]:
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        yield FakeSts(mock)


def cli(controller: Controller, *argv: str) -> int:
    return main(list(argv), controller_factory=lambda: controller)


def add(controller: Controller, monkeypatch: pytest.MonkeyPatch) -> int:
    monkeypatch.setenv("CONTOSO_SECRET", SECRET)
    return cli(
        controller,
        "connections",
        "add",
        "--name",
        "Contoso HQ",
        "--source-type",
        "Microsoft 365",
        "--method",
        "own-app",
        "--tenant",
        "contoso.com",
        "--client-id",
        CLIENT_ID,
        "--client-secret-env",
        "CONTOSO_SECRET",
    )


def serve_tenant(sts: FakeSts) -> None:
    # Test connection reads one user, with and without signInActivity.
    sts.mock.get(
        f"{fx.GRAPH}/users",
        json={"value": [fx.USERS_PAGE_1[0]]},
        match=[responses.matchers.query_param_matcher({"$top": "1"}, strict_match=False)],
    )
    sts.tenant("contoso.com")
    # The tenant's discovery document names the GUID Graph's /organization answers with.
    sts.mock.replace(
        responses.GET,
        f"{sts.host}/contoso.com/v2.0/.well-known/openid-configuration",
        json={
            **openid_configuration(sts.host, "contoso.com"),
            "issuer": f"{sts.host}/{fx.TENANT_ID}/v2.0",
        },
    )
    sts.token("contoso.com", app_token_body(tid=fx.TENANT_ID))
    fx.add_tenant(sts.mock)
    sts.mock.get(
        f"{fx.GRAPH}/reports/getOffice365ActiveUserDetail(period='D7')",
        status=302,
        headers={"Location": f"{fx.DOWNLOAD}/never-fetched"},
    )


def test_add_test_import_users_json(controller, sts, monkeypatch, capsys, database) -> None:
    serve_tenant(sts)
    assert add(controller, monkeypatch) == 0
    assert "Added connection" in capsys.readouterr().out

    assert cli(controller, "connections", "test", "Contoso HQ") == 0
    out = capsys.readouterr().out
    assert "Contoso Ltd" in out and "granted" in out
    assert "missing" not in out
    assert not any("never-fetched" in c.request.url for c in sts.mock.calls)
    # The secret reached the token endpoint from the keychain, not from the database.
    assert any(SECRET in str(c.request.body) for c in sts.mock.calls if "/token" in c.request.url)

    assert cli(controller, "import", "Contoso HQ", "--quiet") == 0
    assert "succeeded" in capsys.readouterr().out

    assert cli(controller, "users", "--format", "json") == 0
    users = {u["user_principal_name"]: u for u in json.loads(capsys.readouterr().out)}
    assert len(users) == 4
    first = users["user1@contoso.com"]
    assert first["tenant_id"] == fx.TENANT_ID
    e3 = next(s for s in first["skus"] if s["sku_id"] == fx.E3)
    assert e3["direct"] is True and e3["groups"] == [fx.GROUP]
    assert first["usage_known"] is True and first["inactive"] is False
    assert users["user2@contoso.com"]["skus"][0]["direct"] in (True, False)

    assert cli(controller, "history", "--format", "json") == 0
    history = json.loads(capsys.readouterr().out)
    assert history[0]["status"] == "succeeded" and history[0]["users"] == 4

    assert SECRET not in dump_text(database)


def test_wrong_secret_is_reported_on_the_secret_field(controller, sts, monkeypatch, capsys):
    sts.tenant("contoso.com")
    sts.token(
        "contoso.com", error_body(7000215, "invalid_client", "Invalid client secret."), status=401
    )
    assert add(controller, monkeypatch) == 0
    capsys.readouterr()
    assert cli(controller, "connections", "test", "Contoso HQ") == 1
    err = capsys.readouterr().err
    assert "[client_secret]" in err
    assert "check you copied the value, not its ID" in err


def test_failed_import_exits_non_zero_and_keeps_previous_data(
    controller, sts, monkeypatch, capsys
) -> None:
    serve_tenant(sts)
    add(controller, monkeypatch)
    assert cli(controller, "import", "Contoso HQ", "--quiet") == 0
    sts.mock.replace(responses.GET, f"{fx.GRAPH}/subscribedSkus", body="<html>oops</html>")
    capsys.readouterr()
    assert cli(controller, "import", "Contoso HQ", "--quiet") == 1
    err = capsys.readouterr().err
    assert "subscribedSkus" in err
    assert cli(controller, "users", "--format", "json") == 0
    assert len(json.loads(capsys.readouterr().out)) == 4


def test_secret_is_never_an_argument(controller, monkeypatch, capsys) -> None:
    monkeypatch.delenv("MISSING_VAR", raising=False)
    code = cli(
        controller,
        "connections",
        "add",
        "--name",
        "X",
        "--tenant",
        "contoso.com",
        "--client-id",
        CLIENT_ID,
        "--client-secret-env",
        "MISSING_VAR",
    )
    assert code != 0
    assert "MISSING_VAR is not set" in capsys.readouterr().err
    assert controller.list_connections() == []


def test_bad_input_names_the_field(controller, monkeypatch, capsys) -> None:
    monkeypatch.setenv("S", "x")
    code = cli(
        controller,
        "connections",
        "add",
        "--name",
        "_bad name!",
        "--tenant",
        "not a domain",
        "--client-id",
        "nope",
        "--client-secret-env",
        "S",
    )
    assert code == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and "name" in err and "tenant" in err and "client_id" in err


def test_one_connection_per_tenant(controller, monkeypatch, capsys) -> None:
    add(controller, monkeypatch)
    monkeypatch.setenv("S2", "x")
    code = cli(
        controller,
        "connections",
        "add",
        "--name",
        "Second",
        "--tenant",
        "CONTOSO.com",
        "--client-id",
        CLIENT_ID,
        "--client-secret-env",
        "S2",
    )
    assert code == 2
    assert "Contoso HQ" in capsys.readouterr().err


def test_remove_deletes_keychain_entries(controller, monkeypatch, memory_keyring) -> None:
    add(controller, monkeypatch)
    assert any(v == SECRET for v in memory_keyring.entries.values())
    assert cli(controller, "connections", "remove", "Contoso HQ") == 0
    assert not any(v == SECRET for v in memory_keyring.entries.values())
    assert controller.list_connections() == []


def add_with_proxy(controller: Controller, monkeypatch, *proxy_args: str) -> int:
    monkeypatch.setenv("CONTOSO_SECRET", SECRET)
    return cli(
        controller,
        "connections",
        "add",
        "--name",
        "Contoso HQ",
        "--tenant",
        "contoso.com",
        "--client-id",
        CLIENT_ID,
        "--client-secret-env",
        "CONTOSO_SECRET",
        *proxy_args,
    )


def test_a_proxy_password_in_the_url_is_refused(controller, monkeypatch, capsys) -> None:
    url = "http://svc:Pr0xy-pw@proxy.contoso.com:8080"
    assert add_with_proxy(controller, monkeypatch, "--proxy", url) == 2
    assert capsys.readouterr().err == (
        "licensedesk-cli: error: --proxy: leave the password out of the URL and name the "
        "environment variable that holds it with --proxy-password-env VAR. "
        "(see licensedesk-cli connections add --help)\n"
    )
    assert controller.list_connections() == []


def test_the_proxy_password_comes_from_the_named_variable_into_the_keychain(
    controller, monkeypatch, memory_keyring, database
) -> None:
    monkeypatch.setenv("PROXY_PW", "Pr0xy-pw")
    url = "http://corp%5Csvc@proxy.contoso.com:8080"
    proxy_args = ("--proxy", url, "--proxy-password-env", "PROXY_PW")
    assert add_with_proxy(controller, monkeypatch, *proxy_args) == 0
    (connection,) = controller.list_connections()
    draft = controller.draft_for_edit(connection.id)
    assert (draft.proxy_url, draft.proxy_username) == ("http://proxy.contoso.com:8080", "corp\\svc")
    assert "Pr0xy-pw" in memory_keyring.entries.values()
    assert "Pr0xy-pw" not in dump_text(database)


@pytest.mark.parametrize(
    ("proxy_args", "message"),
    [
        (["--proxy-password-env", "PROXY_PW"], "--proxy-password-env goes with --proxy URL."),
        (
            ["--proxy", "http://proxy.contoso.com:8080", "--proxy-password-env", "PROXY_PW"],
            "--proxy-password-env needs the proxy user name in the URL",
        ),
    ],
)
def test_a_proxy_password_needs_a_proxy_user(controller, monkeypatch, capsys, proxy_args, message):
    monkeypatch.setenv("PROXY_PW", "Pr0xy-pw")
    assert add_with_proxy(controller, monkeypatch, *proxy_args) == 2
    assert message in capsys.readouterr().err
    assert controller.list_connections() == []


def test_adding_without_a_keychain_or_secrets_file_fails_naming_the_variable(
    app_paths, database, monkeypatch, capsys
) -> None:
    import keyring.backends.fail

    from core.secrets import SecretStore

    store = SecretStore(backend=keyring.backends.fail.Keyring(), blob_dir=app_paths.data_dir)
    no_keychain = Controller.assemble(paths=app_paths, database=database, secret_store=store)
    try:
        assert add(no_keychain, monkeypatch) == 1
        assert capsys.readouterr().err == (
            "error: No keychain was found, so the secrets would be forgotten when "
            "licensedesk-cli exits; set LICENSEDESK_SECRETS_FILE to a file path (or 1) to keep "
            "them in an owner-only file.\n"
        )
        assert no_keychain.list_connections() == []
    finally:
        no_keychain.close()


def test_adding_without_a_keychain_keeps_the_secret_in_the_chosen_file(
    app_paths, database, monkeypatch, capsys
) -> None:
    import keyring.backends.fail

    from core.secrets import SecretStore

    store = SecretStore(
        backend=keyring.backends.fail.Keyring(),
        blob_dir=app_paths.data_dir,
        fallback_file=app_paths.data_dir / "secrets.json",
    )
    with_file = Controller.assemble(paths=app_paths, database=database, secret_store=store)
    try:
        assert add(with_file, monkeypatch) == 0
        assert SECRET in (app_paths.data_dir / "secrets.json").read_text()
    finally:
        with_file.close()
