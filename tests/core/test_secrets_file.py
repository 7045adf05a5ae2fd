"""The owner-only secrets file and the msal token cache when several processes (the window, the
CLI, a scheduled import) write at once: every write is merged, none is lost."""

from __future__ import annotations

import json
import multiprocessing
import os
import stat
from pathlib import Path

import keyring.backends.fail
import msal
import pytest

from core.auth import SecretStoreTokenCacheStore
from core.auth.apps import load_token_cache, save_token_cache
from core.errors import SecretStoreUnavailable
from core.secrets import SecretStore

WRITERS = 4
WRITES = 12
CACHE_KEY = "connection/1/token_cache"


def _file_store(folder: Path) -> SecretStore:
    """A store with no keychain and the secrets file chosen (LICENSEDESK_SECRETS_FILE)."""
    return SecretStore(
        backend=keyring.backends.fail.Keyring(),
        blob_dir=folder,
        fallback_file=folder / "secrets.json",
    )


def _write_secrets(folder: str, writer: int) -> None:
    store = _file_store(Path(folder))
    for i in range(WRITES):
        store.set(f"connection/{writer}/secret_{i}", f"value-{writer}-{i}")


def _refresh_tokens(folder: str, writer: int) -> None:
    """Each round is one run of a token provider: load the cache, get a token, save it."""
    store = SecretStoreTokenCacheStore(_file_store(Path(folder)), CACHE_KEY)
    for i in range(WRITES):
        cache = load_token_cache(store)
        cache.add(_token_response(f"user{writer}-{i}"))
        save_token_cache(cache, store)


def _token_response(user: str) -> dict[str, object]:
    import base64

    client_info = base64.urlsafe_b64encode(
        json.dumps({"uid": user, "utid": "tenant"}).encode()
    ).decode()
    return {
        "client_id": "11111111-2222-3333-4444-555555555555",
        "scope": ["https://graph.microsoft.com/User.Read.All"],
        "token_endpoint": "https://login.microsoftonline.com/tenant/oauth2/v2.0/token",
        "response": {
            "access_token": f"at-{user}",
            "refresh_token": f"rt-{user}",
            "expires_in": 3600,
            "client_info": client_info,
        },
    }


def _run_concurrently(target: object, folder: Path) -> None:
    context = multiprocessing.get_context("spawn")
    processes = [
        context.Process(target=target, args=(str(folder), writer)) for writer in range(WRITERS)
    ]
    for process in processes:
        process.start()
    for process in processes:
        process.join(timeout=60)
        assert process.exitcode == 0


def test_processes_writing_the_secrets_file_at_once_keep_every_secret(tmp_path: Path) -> None:
    _run_concurrently(_write_secrets, tmp_path)
    path = tmp_path / "secrets.json"
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    store = _file_store(tmp_path)
    for writer in range(WRITERS):
        for i in range(WRITES):
            assert store.get(f"connection/{writer}/secret_{i}") == f"value-{writer}-{i}"
    assert not list(tmp_path.glob("*.tmp"))


def test_processes_refreshing_one_token_cache_at_once_keep_every_token(tmp_path: Path) -> None:
    _run_concurrently(_refresh_tokens, tmp_path)
    cache = load_token_cache(SecretStoreTokenCacheStore(_file_store(tmp_path), CACHE_KEY))
    tokens = {rt["secret"] for rt in cache.search(msal.TokenCache.CredentialType.REFRESH_TOKEN)}
    expected = {f"rt-user{w}-{i}" for w in range(WRITERS) for i in range(WRITES)}
    assert tokens == expected


def test_a_second_store_on_the_file_sees_writes_and_deletes_of_the_first(tmp_path: Path) -> None:
    window, cli = _file_store(tmp_path), _file_store(tmp_path)
    window.set("a", "1")
    cli.set("b", "2")
    assert window.get("b") == "2" and cli.get("a") == "1"
    window.delete("b")
    assert cli.get("b") is None
    cli.set("c", "3")
    assert json.loads((tmp_path / "secrets.json").read_text()) == {"a": "1", "c": "3"}


def test_an_unreadable_secrets_file_is_never_overwritten(tmp_path: Path) -> None:
    path = tmp_path / "secrets.json"
    path.write_text("{not json")
    store = _file_store(tmp_path)
    assert store.get("a") is None
    with pytest.raises(SecretStoreUnavailable, match="could not be read"):
        store.set("a", "1")
    assert path.read_text() == "{not json"
