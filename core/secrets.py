"""Secrets in the OS keychain through `keyring`, and nowhere else.

Where no keychain backend exists the store says so (`available` is False) and keeps secrets in
memory for this run only, unless the user explicitly opted into an owner-only file
(`allow_file_fallback`). Large values (the msal token cache) are written as a Fernet-encrypted
file whose key lives in the keychain, because some keychains cap entry sizes.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import tempfile
import threading
from pathlib import Path

import keyring
import keyring.backend
import keyring.errors
from cryptography.fernet import Fernet, InvalidToken

from core import APP_ID
from core.errors import SecretStoreUnavailable
from core.filelock import file_lock

log = logging.getLogger(__name__)


def keychain_available(backend: keyring.backend.KeyringBackend | None = None) -> bool:
    backend = backend or keyring.get_keyring()
    # The "fail" backend and the null backend have priority 0 or below.
    try:
        return float(backend.priority) > 0
    except Exception:
        return False


def secrets_file_choice(data_dir: Path) -> Path | None:
    """Where no keychain exists, secrets live for this run only, unless the user explicitly
    chose an owner-only file by setting LICENSEDESK_SECRETS_FILE (a path, or 1 for the data
    folder's secrets.json). With a keychain the variable is ignored."""
    choice = os.environ.get("LICENSEDESK_SECRETS_FILE", "").strip()
    if not choice:
        return None
    return data_dir / "secrets.json" if choice == "1" else Path(choice).expanduser()


def open_secret_store(data_dir: Path) -> SecretStore:
    """The secret store every process of this user opens (the window, the CLI, a worker, an
    import's staging worker): the keychain, else the file LICENSEDESK_SECRETS_FILE chose."""
    return SecretStore(blob_dir=data_dir, fallback_file=secrets_file_choice(data_dir))


def connection_secret_key(connection_id: int, name: str) -> str:
    return f"connection/{connection_id}/{name}"


class SecretStore:
    def __init__(
        self,
        *,
        service: str = APP_ID,
        backend: keyring.backend.KeyringBackend | None = None,
        blob_dir: Path | None = None,
        fallback_file: Path | None = None,
    ) -> None:
        self._service = service
        self._backend = backend or keyring.get_keyring()
        self._available = keychain_available(self._backend)
        self._memory: dict[str, str] = {}
        self._blob_dir = blob_dir
        self._fallback_file = fallback_file
        self._lock = threading.Lock()

    @property
    def available(self) -> bool:
        return self._available

    @property
    def keeps_secrets(self) -> bool:
        """True when secrets outlive this process: a keychain, or the owner-only file."""
        return self._available or self._fallback_file is not None

    def describe(self) -> str:
        if self._available:
            return f"OS keychain ({type(self._backend).__name__})"
        if self._fallback_file is not None:
            return f"owner-only file {self._fallback_file}"
        return "memory only (no keychain found: secrets are forgotten when the app closes)"

    def set(self, key: str, value: str) -> None:
        if not value:
            self.delete(key)
            return
        with self._lock:
            if self._available:
                try:
                    self._backend.set_password(self._service, key, value)
                    return
                except keyring.errors.KeyringError as exc:
                    # Never chain the exception: some backends echo the value.
                    raise SecretStoreUnavailable(
                        f"The keychain refused to store a secret ({type(exc).__name__})."
                    ) from None
            if self._fallback_file is None:
                self._memory[key] = value
            else:
                self._update_file(key, value)

    def get(self, key: str) -> str | None:
        with self._lock:
            if self._available:
                try:
                    return self._backend.get_password(self._service, key)
                except keyring.errors.KeyringError:
                    log.warning("keychain read failed for an entry of %s", self._service)
                    return None
            if self._fallback_file is not None:
                self._memory = self._read_file()
            return self._memory.get(key)

    def delete(self, key: str) -> None:
        with self._lock:
            if self._available:
                try:
                    self._backend.delete_password(self._service, key)
                except keyring.errors.PasswordDeleteError:
                    pass
                except keyring.errors.KeyringError:
                    log.warning("keychain delete failed for an entry of %s", self._service)
                return
            if self._fallback_file is None:
                self._memory.pop(key, None)
            else:
                self._update_file(key, None)

    # Large values: encrypted file, key in the keychain.

    def set_blob(self, key: str, data: bytes) -> None:
        path = self._blob_path(key)
        with file_lock(_lock_path(path)):  # one key per blob, even when two processes start it
            fernet_key = self.get(f"{key}#key")
            if not fernet_key:
                fernet_key = Fernet.generate_key().decode()
                self.set(f"{key}#key", fernet_key)
            token = Fernet(fernet_key.encode()).encrypt(data)
            _write_owner_only(path, token)

    def blob_lock(self, key: str) -> contextlib.AbstractContextManager[None]:
        """The lock other processes take for a read-modify-write of the blob `key`."""
        return file_lock(_lock_path(self._blob_path(key)))

    def get_blob(self, key: str) -> bytes | None:
        path = self._blob_path(key)
        fernet_key = self.get(f"{key}#key")
        if not fernet_key or not path.exists():
            return None
        try:
            return Fernet(fernet_key.encode()).decrypt(path.read_bytes())
        except InvalidToken:
            log.warning("an encrypted cache could not be decrypted; it is ignored")
            return None

    def delete_blob(self, key: str) -> None:
        path = self._blob_path(key)
        with file_lock(_lock_path(path)):
            self.delete(f"{key}#key")
            path.unlink(missing_ok=True)

    def _blob_path(self, key: str) -> Path:
        if self._blob_dir is None:
            raise SecretStoreUnavailable("No folder configured for encrypted caches.")
        safe = "".join(c if c.isalnum() else "_" for c in key)
        return self._blob_dir / "secure" / f"{safe}.bin"

    def _read_file(self, *, for_update: bool = False) -> dict[str, str]:
        """The secrets file's entries; on a read error the last known ones (a warning), or,
        before a write, SecretStoreUnavailable, so the other entries are never overwritten."""
        path = self._fallback_file
        if path is None or not path.exists():
            return {}
        try:
            data = json.loads(path.read_text("utf-8"))
            if not isinstance(data, dict):
                raise ValueError("not an object")
            return {str(k): str(v) for k, v in data.items()}
        except (OSError, ValueError):
            if for_update:
                raise SecretStoreUnavailable(
                    f"The secrets file {path} could not be read, so it was left unchanged."
                ) from None
            log.warning("the secrets file could not be read")
            return dict(self._memory)

    def _update_file(self, key: str, value: str | None) -> None:
        """Merge one change into the secrets file under its lock: read, change, write a
        temporary file and rename it over, so the window and the CLI can write at once."""
        assert self._fallback_file is not None
        with file_lock(_lock_path(self._fallback_file)):
            data = self._read_file(for_update=True)
            if value is not None:
                data[key] = value
            elif data.pop(key, None) is None:
                self._memory = data
                return  # nothing to delete: leave the file as it is
            _write_owner_only(self._fallback_file, json.dumps(data).encode("utf-8"))
        self._memory = data


def _lock_path(path: Path) -> Path:
    return path.with_name(path.name + ".lock")


def _write_owner_only(path: Path, data: bytes) -> None:
    """Write atomically: an owner-only temporary file in the same folder, renamed over `path`."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
