"""SaasManagementService: the Integrations tab's SaaS Management connector (spec §6).

Settings live in the `settings` table under `saas_` keys; the API refresh token only in the
SecretStore. Enabling and disabling go through LicensingService, which retires and restores
the Office 365 connectors' licenses in the same transaction as the switch.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime
from urllib.parse import urlsplit

import requests

from core import APP_NAME, __version__
from core.domain.cancel import CancelToken
from core.domain.saas import SaasConfig, SaasResult, SaasStatus, SaasZone, SwitchCounts
from core.errors import LicenseDeskError, ValidationError
from core.licensing.service import LicensingService
from core.saas import store
from core.saas.client import SaasClient, SaasError, zone_urls
from core.secrets import SecretStore
from core.simulation import Simulation
from core.storage.db import Database, from_iso, iso, utc_now
from core.storage.repositories import SettingsRepository

log = logging.getLogger(__name__)

USER_AGENT = f"{APP_NAME}/{__version__} (+SaaS Management connector)"


class SaasManagementService:
    """config() -> SaasConfig; configure(zone, org_id, refresh_token, token_url=None,
    api_url=None, simulated=False) -> SaasConfig; test() -> SaasResult;
    retire_preview_count() -> int; switch_preview(enabled) -> SwitchCounts; enable() and
    disable() -> SwitchCounts (licenses retired and restored); import_now() -> SaasResult;
    status() -> SaasStatus."""

    def __init__(
        self,
        database: Database,
        secret_store: SecretStore,
        *,
        licensing: LicensingService,
        clock: Callable[[], datetime] = utc_now,
        session_factory: Callable[[], requests.Session] | None = None,
        simulation: Simulation | None = None,
        sleep: Callable[[float], None] | None = None,
        cancel: CancelToken | None = None,
    ) -> None:
        self._db = database
        self._secrets = secret_store
        self._licensing = licensing
        self._clock = clock
        self._session_factory = session_factory or requests.Session
        self._simulation = simulation  # serves the demo organization (core.bootstrap)
        self._settings = SettingsRepository()
        self._sleep = sleep  # retry back-off; tests pass a recorder (None: wait on `cancel`)
        self._cancel = cancel  # set when the application closes: retry waits end at once

    # Settings

    def config(self) -> SaasConfig:
        values = self._settings.with_prefix(self._db.thread_connection(), store.PREFIX)
        simulated = values.get(store.KEY_SIMULATED) == "1"
        return SaasConfig(
            enabled=self._licensing.saas_enabled(),
            zone=store.parse_zone(values.get(store.KEY_ZONE)),
            org_id=values.get(store.KEY_ORG, ""),
            token_url=values.get(store.KEY_TOKEN_URL, ""),
            api_url=values.get(store.KEY_API_URL, ""),
            has_refresh_token=simulated or bool(self._secrets.get(store.SECRET_KEY)),
            simulated=simulated,
            last_import_at=from_iso(values.get(store.KEY_LAST_IMPORT)),
            last_result=store.result_from_json(values.get(store.KEY_LAST_RESULT)),
        )

    def configure(
        self,
        zone: SaasZone | str,
        org_id: str,
        refresh_token: str | None,
        token_url: str | None = None,
        api_url: str | None = None,
        simulated: bool = False,
    ) -> SaasConfig:
        """Validate and save; a None or empty refresh token keeps the stored one. Simulated
        uses the demo organization of the simulator plugged in (labelled simulated)."""
        if simulated:
            org = self._simulated().saas_organization()
            zone, org_id, token_url, api_url = org.zone, org.org_id, org.token_url, org.api_url
        parsed_zone, org_id, token_url, api_url = _validated(zone, org_id, token_url, api_url)
        if not simulated and not refresh_token and not self._secrets.get(store.SECRET_KEY):
            raise ValidationError({"refresh_token": "Enter the API refresh token."})
        with self._db.transaction(self._db.thread_connection()) as conn:
            self._settings.set_many(
                conn,
                {
                    store.KEY_ZONE: parsed_zone.value,
                    store.KEY_ORG: org_id,
                    store.KEY_TOKEN_URL: token_url,
                    store.KEY_API_URL: api_url,
                    store.KEY_SIMULATED: "1" if simulated else "0",
                },
            )
        if refresh_token and not simulated:
            self._secrets.set(store.SECRET_KEY, refresh_token.strip())
        return self.config()

    # Enable / disable

    def retire_preview_count(self) -> int:
        """How many licenses enabling would retire now (0 while enabled)."""
        return 0 if self._licensing.saas_enabled() else self._licensing.retire_preview_count()

    def switch_preview(self, enabled: bool) -> SwitchCounts:
        """What enabling (True) or disabling (False) would change now: both switches confirm
        with these counts."""
        return self._licensing.switch_preview(enabled)

    def enable(self) -> SwitchCounts:
        if not self.config().configured:
            raise LicenseDeskError(
                "Configure the SaaS Management connector first (zone, organization ID and API "
                "refresh token)."
            )
        return self._licensing.set_saas_enabled(True)

    def disable(self) -> SwitchCounts:
        return self._licensing.set_saas_enabled(False)

    def status(self) -> SaasStatus:
        conn = self._db.thread_connection()
        return SaasStatus(
            config=self.config(),
            saas_licenses=store.counts(conn),
            retired_by_connector=self._licensing.retired_by_connector_count(),
            would_retire=self.retire_preview_count(),
        )

    # Test and import (blocking: the desktop runs them as jobs)

    def test(self) -> SaasResult:
        """Get a token and list the managed apps; saves nothing."""
        try:
            with self._client() as client:
                apps = client.managed_apps("extended")
        except LicenseDeskError as exc:
            return SaasResult(False, exc.message, self._clock(), detail=exc.detail)
        microsoft = [a for a in apps if _is_microsoft(a)]
        return SaasResult(
            True,
            f"Connected: {len(apps)} managed apps, {len(microsoft)} from Microsoft.",
            self._clock(),
            apps=len(microsoft),
        )

    def import_now(self) -> SaasResult:
        """Read Microsoft's managed apps, their licenses and app users; store them in one
        transaction. The outcome is also kept as the connector's last result."""
        if not self._licensing.saas_enabled():
            result = SaasResult(
                False,
                "Enable the SaaS Management connector before importing; Test connection checks "
                "the settings without it.",
                self._clock(),
            )
            return result
        try:
            apps = self._read_apps()
            now = self._clock()
            with self._db.transaction(self._db.thread_connection()) as conn:
                licenses, users = store.store_import(conn, apps, now)
                # The figures flow forward with the data: reads only read them.
                self._licensing.store_saas_stats(conn)
            result = SaasResult(
                True,
                f"Imported {licenses} licenses of {len(apps)} Microsoft apps with {users} "
                "active app users.",
                now,
                apps=len(apps),
                licenses=licenses,
                app_users=users,
            )
        except LicenseDeskError as exc:
            log.warning("SaaS Management import failed: %s", exc.message)
            result = SaasResult(False, exc.message, self._clock(), detail=exc.detail)
        self._remember(result)
        return result

    # Internals

    def _read_apps(self) -> list[store.AppData]:
        with self._client() as client:
            apps = [a for a in client.managed_apps("extended") if _is_microsoft(a)]
            usage = {str(u.get("id")): u for u in client.managed_apps("licenseUsage")}
            out = []
            for app in apps:
                app_id = str(app.get("id") or "")
                if not app_id:
                    continue
                licenses = usage.get(app_id, {}).get("licenses") or []
                out.append(
                    store.AppData(
                        app_id=app_id,
                        name=str(app.get("name") or app.get("appName") or app_id),
                        licenses=[lic for lic in licenses if isinstance(lic, dict)],
                        users=client.app_users(app_id),
                    )
                )
        return out

    def _remember(self, result: SaasResult) -> None:
        values: dict[str, str | None] = {store.KEY_LAST_RESULT: store.result_to_json(result)}
        if result.ok:
            values[store.KEY_LAST_IMPORT] = iso(result.when)
        with self._db.transaction(self._db.thread_connection()) as conn:
            self._settings.set_many(conn, values)

    def _client(self) -> _ClientContext:
        config = self.config()
        if not config.org_id or not config.token_url or not config.api_url:
            raise SaasError("Configure the SaaS Management connector first.")
        session = self._session_factory()
        session.headers["User-Agent"] = USER_AGENT
        if config.simulated:
            try:
                simulation = self._simulated()
            except SaasError:
                session.close()
                raise
            simulation.mount_saas(session)
            token = simulation.saas_organization().refresh_token
        else:
            token = self._secrets.get(store.SECRET_KEY) or ""
            if not token:
                session.close()
                raise SaasError("Enter the API refresh token.", field="refresh_token")
        client = SaasClient(
            session,
            token_url=config.token_url,
            api_url=config.api_url,
            org_id=config.org_id,
            refresh_token=token,
            sleep=self._sleep,
            cancel=self._cancel,
        )
        return _ClientContext(client, session, self._save_rotated(config.simulated))

    def _simulated(self) -> Simulation:
        if self._simulation is None:
            raise SaasError("The demo SaaS Management organization needs the simulator.")
        return self._simulation

    def _save_rotated(self, simulated: bool) -> Callable[[SaasClient], None]:
        def save(client: SaasClient) -> None:
            if client.rotated_refresh_token and not simulated:
                self._secrets.set(store.SECRET_KEY, client.rotated_refresh_token)

        return save


class _ClientContext:
    def __init__(
        self, client: SaasClient, session: requests.Session, on_close: Callable[[SaasClient], None]
    ) -> None:
        self._client = client
        self._session = session
        self._on_close = on_close

    def __enter__(self) -> SaasClient:
        return self._client

    def __exit__(self, *exc: object) -> None:
        try:
            self._on_close(self._client)
        finally:
            self._session.close()


def _is_microsoft(app: dict[str, object]) -> bool:
    return str(app.get("vendorName") or "").strip().lower().startswith("microsoft")


def _validated(
    zone: SaasZone | str, org_id: str, token_url: str | None, api_url: str | None
) -> tuple[SaasZone, str, str, str]:
    errors: dict[str, str] = {}
    try:
        parsed = SaasZone(str(zone).strip().lower())
    except ValueError:
        parsed = SaasZone.NAM
        errors["zone"] = "Choose NAM, EU, APAC or Custom."
    org_id = str(org_id).strip()
    if not org_id.isdigit():
        errors["org_id"] = "The organization ID is the number shown in Flexera One."
    if parsed is SaasZone.CUSTOM:
        for name, value in (("token_url", token_url), ("api_url", api_url)):
            problem = _url_problem(value or "")
            if problem:
                errors[name] = problem
        token, api = (token_url or "").strip(), (api_url or "").strip().rstrip("/")
    else:
        token, api = zone_urls(parsed)
    if errors:
        raise ValidationError(errors)
    return parsed, org_id, token, api


def _url_problem(url: str) -> str | None:
    parts = urlsplit(url.strip())
    if not url.strip():
        return "Enter the URL (Custom zone)."
    local = parts.hostname in ("127.0.0.1", "localhost", "::1")
    if parts.scheme != "https" and not (parts.scheme == "http" and local):
        return "Use an https:// URL (http:// only for 127.0.0.1)."
    if not parts.hostname:
        return "This is not a URL."
    return None
