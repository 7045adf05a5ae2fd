"""Storing the connector's settings and one SaaS Management import (licenses, terms, users)."""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any

from core.domain.licensing import LicenseSource, LicenseStatus
from core.domain.saas import SaasResult, SaasZone
from core.licensing.status import BY_IMPORT, record_change
from core.licensing.sync import refresh_email_matches
from core.storage.db import from_iso, iso
from core.storage.dialect import DbConnection

PREFIX = "saas_"
KEY_ZONE = "saas_zone"
KEY_ORG = "saas_org_id"
KEY_TOKEN_URL = "saas_token_url"
KEY_API_URL = "saas_api_url"
KEY_SIMULATED = "saas_simulated"
KEY_LAST_IMPORT = "saas_last_import_at"
KEY_LAST_RESULT = "saas_last_result"
SECRET_KEY = "saas/refresh_token"
SOURCE = LicenseSource.SAAS_MANAGEMENT.value


def result_to_json(result: SaasResult) -> str:
    data = asdict(result)
    data["when"] = iso(result.when)
    return json.dumps(data)


def result_from_json(text: str | None) -> SaasResult | None:
    if not text:
        return None
    try:
        data = json.loads(text)
        data["when"] = from_iso(data.get("when"))
        return SaasResult(**data)
    except (ValueError, TypeError):
        return None


def parse_zone(value: str | None) -> SaasZone:
    try:
        return SaasZone((value or "nam").strip().lower())
    except ValueError:
        return SaasZone.NAM


@dataclass(frozen=True)
class AppData:
    """One Microsoft managed app as read from the API."""

    app_id: str
    name: str
    licenses: list[dict[str, Any]]
    users: list[dict[str, Any]]


def _text(value: Any) -> str | None:
    return str(value) if value not in (None, "") else None


def _number(value: Any) -> float | None:
    try:
        return float(value) if value not in (None, "") else None
    except (TypeError, ValueError):
        return None


def _normalized_time(value: Any) -> str | None:
    try:
        return iso(from_iso(str(value))) if value else None
    except ValueError:
        return None


def store_import(conn: DbConnection, apps: Iterable[AppData], when: datetime) -> tuple[int, int]:
    """Upsert the apps' licenses with their terms and replace their users; licenses that are
    gone lose their terms (no entitlement) but keep their history. Returns (licenses, users)."""
    existing = {
        r[0]: r[1]
        for r in conn.execute(
            "SELECT saas_license_id, id FROM licenses WHERE source = ?", (SOURCE,)
        )
    }
    seen: set[str] = set()
    user_count = 0
    conn.execute("DELETE FROM saas_app_users")
    for app in apps:
        for lic in app.licenses:
            key = f"{app.app_id}:{lic.get('id')}"
            if key in seen:
                continue
            seen.add(key)
            name = _text(lic.get("name")) or app.name
            license_id = existing.get(key)
            if license_id is None:
                license_id = _create_license(conn, key, app.app_id, name, when)
            else:
                conn.execute(
                    "UPDATE licenses SET name = ?, saas_app_id = ? WHERE id = ?",
                    (name, app.app_id, license_id),
                )
            _replace_terms(conn, license_id, lic.get("terms") or [])
        user_count += _store_users(conn, app)
    for key, license_id in existing.items():
        if key not in seen:
            conn.execute("DELETE FROM saas_terms WHERE license_id = ?", (license_id,))
    refresh_email_matches(conn)
    return len(seen), user_count


def _create_license(conn: DbConnection, key: str, app_id: str, name: str, when: datetime) -> int:
    cur = conn.execute(
        "INSERT INTO licenses (source, saas_license_id, saas_app_id, name, status, created_at) "
        "VALUES (?, ?, ?, ?, ?, ?) RETURNING id",
        (SOURCE, key, app_id, name, LicenseStatus.ACTIVE.value, iso(when)),
    )
    license_id = int(cur.fetchone()[0])
    record_change(
        conn,
        license_id,
        None,
        LicenseStatus.ACTIVE.value,
        by=BY_IMPORT,
        reason="Created by the SaaS Management import.",
        when=when,
    )
    return license_id


def _replace_terms(conn: DbConnection, license_id: int, terms: list[Any]) -> None:
    conn.execute("DELETE FROM saas_terms WHERE license_id = ?", (license_id,))
    for index, term in enumerate(t for t in terms if isinstance(t, dict)):
        conn.execute(
            "INSERT OR REPLACE INTO saas_terms (license_id, term_id, term_type, total_active, "
            "annual_cost, ends_at) VALUES (?, ?, ?, ?, ?, ?)",
            (
                license_id,
                _text(term.get("id")) or f"term-{index}",
                _text(term.get("termType")),
                int(_number(term.get("totalActive")) or 0),
                _number(term.get("annualCost")),
                _normalized_time(term.get("endsAt")),
            ),
        )


def _store_users(conn: DbConnection, app: AppData) -> int:
    rows = []
    for user in app.users:
        email = (_text(user.get("email")) or "").strip().lower()
        if not email:
            continue
        rows.append(
            (
                app.app_id,
                email,
                _text(user.get("uniqueId")),
                _text(user.get("activatedAt")),
                _text(user.get("deactivatedAt")),
            )
        )
    conn.executemany(
        "INSERT OR REPLACE INTO saas_app_users (saas_app_id, email_lower, unique_id, "
        "activated_at, deactivated_at) VALUES (?, ?, ?, ?, ?)",
        rows,
    )
    return sum(1 for r in rows if not r[4])


def counts(conn: DbConnection) -> int:
    return int(
        conn.execute("SELECT COUNT(*) FROM licenses WHERE source = ?", (SOURCE,)).fetchone()[0]
    )
