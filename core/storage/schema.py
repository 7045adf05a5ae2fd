"""Schema, as an ordered list of migrations. Migration N brings the database to version N.

Snapshots (§4 step 8): an import writes its rows under a new snapshot in state 'building',
page by page in short transactions, so imports of other tenants can write in between; one final
transaction flips it to 'current' (the previous current becomes 'previous'). Readers only ever
look at 'current' snapshots, so a failed or cancelled import is invisible and its rows are
deleted. Leftover 'building' snapshots (a crash) are deleted at start.
"""

from __future__ import annotations

CORE_V1 = """
CREATE TABLE settings (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL
);

CREATE TABLE connections (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL UNIQUE COLLATE NOCASE,
    source_type TEXT NOT NULL,
    tenant_key TEXT,            -- lower-cased tenant as typed (GUID or domain)
    tenant_id TEXT,             -- resolved tenant GUID, lower case
    tenant_name TEXT,
    config TEXT NOT NULL,       -- JSON of the ConnectionDraft without secrets
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);

CREATE TABLE import_runs (
    id INTEGER PRIMARY KEY,
    connection_id INTEGER REFERENCES connections(id) ON DELETE SET NULL,
    connection_name TEXT NOT NULL,
    started_at TEXT NOT NULL,
    ended_at TEXT,
    status TEXT NOT NULL,
    sku_count INTEGER NOT NULL DEFAULT 0,
    subscription_count INTEGER NOT NULL DEFAULT 0,
    user_count INTEGER NOT NULL DEFAULT 0,
    licensed_user_count INTEGER NOT NULL DEFAULT 0,
    report_row_count INTEGER NOT NULL DEFAULT 0,
    warnings TEXT NOT NULL DEFAULT '[]',
    error TEXT,
    error_detail TEXT,
    snapshot_id INTEGER
);
CREATE INDEX import_runs_connection ON import_runs(connection_id, started_at);

CREATE TABLE snapshots (
    id INTEGER PRIMARY KEY,
    connection_id INTEGER NOT NULL REFERENCES connections(id) ON DELETE CASCADE,
    run_id INTEGER,
    state TEXT NOT NULL CHECK (state IN ('building', 'current', 'previous')),
    created_at TEXT NOT NULL,
    tenant_id TEXT,
    tenant_name TEXT,
    domains TEXT NOT NULL DEFAULT '[]',
    as_of TEXT,                       -- report refresh date, else import time (ISO)
    report_refresh_date TEXT,
    usage_period TEXT,
    sign_in_imported INTEGER NOT NULL DEFAULT 0,
    reports_imported INTEGER NOT NULL DEFAULT 0,
    concealed_names INTEGER NOT NULL DEFAULT 0,
    source TEXT NOT NULL              -- LicenseSource of the connector that imported it
);
CREATE UNIQUE INDEX snapshots_one_current ON snapshots(connection_id) WHERE state = 'current';

CREATE TABLE skus (
    snapshot_id INTEGER NOT NULL REFERENCES snapshots(id) ON DELETE CASCADE,
    sku_id TEXT NOT NULL,             -- lower case
    sku_part_number TEXT NOT NULL,
    applies_to TEXT,
    capability_status TEXT,
    enabled INTEGER NOT NULL DEFAULT 0,
    warning INTEGER NOT NULL DEFAULT 0,
    suspended INTEGER NOT NULL DEFAULT 0,
    locked_out INTEGER NOT NULL DEFAULT 0,
    consumed_units INTEGER NOT NULL DEFAULT 0,
    service_plans TEXT NOT NULL DEFAULT '[]',
    PRIMARY KEY (snapshot_id, sku_id)
) WITHOUT ROWID;

CREATE TABLE subscriptions (
    snapshot_id INTEGER NOT NULL REFERENCES snapshots(id) ON DELETE CASCADE,
    id TEXT NOT NULL,
    commerce_subscription_id TEXT,
    sku_id TEXT,
    sku_part_number TEXT,
    status TEXT,
    total_licenses INTEGER NOT NULL DEFAULT 0,
    is_trial INTEGER NOT NULL DEFAULT 0,
    created_at TEXT,
    next_lifecycle_at TEXT,
    PRIMARY KEY (snapshot_id, id)
) WITHOUT ROWID;

CREATE TABLE users (
    snapshot_id INTEGER NOT NULL REFERENCES snapshots(id) ON DELETE CASCADE,
    id TEXT NOT NULL,
    user_principal_name TEXT NOT NULL,
    upn_lower TEXT NOT NULL,
    display_name TEXT,
    mail TEXT,
    account_enabled INTEGER NOT NULL DEFAULT 1,
    user_type TEXT,
    created_at TEXT,
    last_sign_in TEXT,               -- last successful sign-in (ISO), NULL = never / unknown
    PRIMARY KEY (snapshot_id, id)
) WITHOUT ROWID;
CREATE INDEX users_upn ON users(snapshot_id, upn_lower);

-- One row per (user, SKU): the assignment paths folded (direct flag + group ids).
CREATE TABLE user_skus (
    snapshot_id INTEGER NOT NULL REFERENCES snapshots(id) ON DELETE CASCADE,
    sku_id TEXT NOT NULL,
    user_id TEXT NOT NULL,
    direct INTEGER NOT NULL DEFAULT 0,
    group_ids TEXT NOT NULL DEFAULT '',   -- comma-separated group object ids
    group_count INTEGER NOT NULL DEFAULT 0,
    state TEXT,                           -- worst licenseAssignmentStates state
    assigned_at TEXT,                     -- earliest lastUpdatedDateTime of its paths
    PRIMARY KEY (snapshot_id, sku_id, user_id)
) WITHOUT ROWID;
CREATE INDEX user_skus_user ON user_skus(snapshot_id, user_id);

-- Usage from the three reports, folded per user (by lower-cased UPN; concealed rows skipped).
CREATE TABLE report_usage (
    snapshot_id INTEGER NOT NULL REFERENCES snapshots(id) ON DELETE CASCADE,
    upn_lower TEXT NOT NULL,
    last_activity TEXT,                   -- latest activity date over all reports (YYYY-MM-DD)
    has_workload_license INTEGER NOT NULL DEFAULT 0,
    last_activation TEXT,
    PRIMARY KEY (snapshot_id, upn_lower)
) WITHOUT ROWID;

CREATE TABLE delta_links (
    connection_id INTEGER PRIMARY KEY REFERENCES connections(id) ON DELETE CASCADE,
    delta_link TEXT NOT NULL,
    saved_at TEXT NOT NULL
);
"""

# The license model (spec §5–§7). Owned by core.licensing / core.saas.
LICENSING_V1 = """
CREATE TABLE licenses (
    id INTEGER PRIMARY KEY,
    source TEXT NOT NULL,                  -- LicenseSource
    connection_id INTEGER REFERENCES connections(id) ON DELETE CASCADE,
    tenant_id TEXT,
    sku_id TEXT,                           -- lower case; NULL for SaaS Management licenses
    sku_part_number TEXT,
    saas_license_id TEXT UNIQUE,           -- SaaS Management license id
    saas_app_id TEXT,
    name TEXT NOT NULL,
    status TEXT NOT NULL DEFAULT 'Active',
    -- Set while the SaaS Management connector holds this license Retired: the status to give
    -- back on disable. Cleared when a user changes the status by hand.
    status_before_saas TEXT,
    created_at TEXT NOT NULL,
    UNIQUE (connection_id, sku_id, source)
);

CREATE TABLE license_status_changes (
    id INTEGER PRIMARY KEY,
    license_id INTEGER NOT NULL REFERENCES licenses(id) ON DELETE CASCADE,
    changed_at TEXT NOT NULL,
    old_status TEXT,
    new_status TEXT NOT NULL,
    changed_by TEXT NOT NULL,              -- 'user', 'saas-management', 'import'
    reason TEXT NOT NULL
);
CREATE INDEX license_status_changes_license ON license_status_changes(license_id, changed_at);

CREATE TABLE prices (
    product_key TEXT PRIMARY KEY,          -- sku part number (upper case), else saas:<name>
    unit_price REAL NOT NULL               -- per unit per month, settings currency
);

-- Holder aggregates per (snapshot, SKU) for one inactivity window and SKU table (`params`),
-- computed on first read after an import and kept, so opening the app on a 1,000,000-user
-- tenant does not redo them. Rows go with their snapshot; sku_id '' marks "computed".
CREATE TABLE holder_stats (
    snapshot_id INTEGER NOT NULL REFERENCES snapshots(id) ON DELETE CASCADE,
    params TEXT NOT NULL,
    sku_id TEXT NOT NULL,
    assigned INTEGER NOT NULL DEFAULT 0,
    disabled INTEGER NOT NULL DEFAULT 0,
    inactive INTEGER NOT NULL DEFAULT 0,
    never_active INTEGER NOT NULL DEFAULT 0,
    usage_unknown INTEGER NOT NULL DEFAULT 0,
    duplicate_paths INTEGER NOT NULL DEFAULT 0,
    overlap INTEGER NOT NULL DEFAULT 0,
    active INTEGER NOT NULL DEFAULT 0,
    wasted_holders INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (snapshot_id, params, sku_id)
) WITHOUT ROWID;

CREATE TABLE saas_terms (
    license_id INTEGER NOT NULL REFERENCES licenses(id) ON DELETE CASCADE,
    term_id TEXT NOT NULL,
    term_type TEXT,
    total_active INTEGER NOT NULL DEFAULT 0,
    annual_cost REAL,
    ends_at TEXT,
    PRIMARY KEY (license_id, term_id)
);

CREATE TABLE saas_app_users (
    saas_app_id TEXT NOT NULL,
    email_lower TEXT NOT NULL,
    unique_id TEXT,
    activated_at TEXT,
    deactivated_at TEXT,
    -- UPN of the imported Microsoft 365 user whose mail is this address, when no UPN equals
    -- it; refreshed by every import so reads join users on its UPN index only.
    matched_upn TEXT,
    PRIMARY KEY (saas_app_id, email_lower)
);
"""

# Usage-report requests of the last 10 minutes, shared by every process (report budget).
REPORT_REQUESTS_V2 = """
CREATE TABLE report_requests (
    tenant_key TEXT NOT NULL,
    requested_at REAL NOT NULL
);
CREATE INDEX report_requests_tenant ON report_requests(tenant_key, requested_at);
"""

# The $select a delta link was made with: Graph reports changes only of selected properties,
# so a link made with another select (older versions used `id` only) must not be trusted.
DELTA_SELECT_V3 = """
ALTER TABLE delta_links ADD COLUMN selected TEXT NOT NULL DEFAULT '';
"""

# While the SaaS Management connector is disabled, the licenses its imports created are held
# Retired like the Office 365 connectors' while it is enabled (spec §6). Databases from before
# this rule may hold them in reconciliation beside the connectors' licenses: retire them now,
# recording why, so that enabling the connector again restores them.
SAAS_DISABLED_RETIRES_V4 = """
INSERT INTO license_status_changes (license_id, changed_at, old_status, new_status, changed_by,
                                    reason)
SELECT id, strftime('%Y-%m-%dT%H:%M:%S+00:00', 'now'), status, 'Retired', 'saas-management',
       'The SaaS Management connector is disabled: the licenses its imports created are '
       || 'retired, so no product is counted twice.'
FROM licenses
WHERE source = 'SaaS Management' AND status != 'Retired' AND status_before_saas IS NULL
  AND COALESCE((SELECT value FROM settings WHERE key = 'saas_enabled'), '0') != '1';
UPDATE licenses SET status_before_saas = status, status = 'Retired'
WHERE source = 'SaaS Management' AND status != 'Retired' AND status_before_saas IS NULL
  AND COALESCE((SELECT value FROM settings WHERE key = 'saas_enabled'), '0') != '1';
"""

# "Execute now" queued for the headless workers (`licensedesk-cli import NAME --queue`). A
# worker takes a request only while it holds the connection's claim: one that is taken and not
# finished while the claim is free was left by a worker that died, and is taken over. One run
# settles every request of its connection that was waiting when it was taken.
IMPORT_REQUESTS_V5 = """
CREATE TABLE import_requests (
    id INTEGER PRIMARY KEY,
    connection_id INTEGER NOT NULL REFERENCES connections(id) ON DELETE CASCADE,
    incremental INTEGER NOT NULL DEFAULT 0,
    requested_at TEXT NOT NULL,
    requested_by TEXT NOT NULL,           -- the OS user who queued it
    taken_by TEXT,                        -- the worker running it: host:pid
    taken_at TEXT,
    attempts INTEGER NOT NULL DEFAULT 0,  -- how many workers took it (more: taken over)
    run_id INTEGER REFERENCES import_runs(id) ON DELETE SET NULL,
    finished_at TEXT,
    outcome TEXT                          -- the run's status, or why no run was recorded
);
CREATE INDEX import_requests_open ON import_requests(connection_id, requested_at)
    WHERE finished_at IS NULL;
"""

# SaaS Management statistics (per SaaS license, and the unattributed active users per app) for
# one set of inputs (`inputs`: the inactivity window, SKU table, current snapshots and app
# users), stored by whatever write changes those inputs so that reads only read. The row with
# license_id 0 and app_id '' marks "computed".
SAAS_STATS_V6 = """
CREATE TABLE saas_stats (
    inputs TEXT NOT NULL,
    license_id INTEGER NOT NULL,
    app_id TEXT NOT NULL,
    assigned INTEGER NOT NULL DEFAULT 0,
    disabled INTEGER NOT NULL DEFAULT 0,
    inactive INTEGER NOT NULL DEFAULT 0,
    never_active INTEGER NOT NULL DEFAULT 0,
    usage_unknown INTEGER NOT NULL DEFAULT 0,
    duplicate_paths INTEGER NOT NULL DEFAULT 0,
    overlap INTEGER NOT NULL DEFAULT 0,
    active INTEGER NOT NULL DEFAULT 0,
    wasted_holders INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (inputs, license_id, app_id)
) WITHOUT ROWID;
"""

# The desktop as a team client: which process runs an import (host:pid, so a window shows imports
# running on workers), and which OS user's process made each status change (automatic ones too:
# the analyst who switched the SaaS Management connector, the worker's user for an import).
TEAM_CLIENT_V7 = """
ALTER TABLE import_runs ADD COLUMN run_by TEXT;
ALTER TABLE license_status_changes ADD COLUMN changed_by_user TEXT;
"""

# How far a running import has got, written every few seconds by the process that runs it, so
# that the windows of the team show the progress of imports running on workers.
IMPORT_PROGRESS_V8 = """
ALTER TABLE import_runs ADD COLUMN progress_step TEXT;
ALTER TABLE import_runs ADD COLUMN progress_done INTEGER;
ALTER TABLE import_runs ADD COLUMN progress_total INTEGER;
ALTER TABLE import_runs ADD COLUMN progress_message TEXT;
"""

MIGRATIONS: list[str] = [
    CORE_V1 + LICENSING_V1,
    REPORT_REQUESTS_V2,
    DELTA_SELECT_V3,
    SAAS_DISABLED_RETIRES_V4,
    IMPORT_REQUESTS_V5,
    SAAS_STATS_V6,
    TEAM_CLIENT_V7,
    IMPORT_PROGRESS_V8,
]
SCHEMA_VERSION = len(MIGRATIONS)


# What SQLite has built in and the licensing SQL uses, for PostgreSQL: date(day, '-N days')
# the two-argument scalar max/min (NULL when either side is NULL, as in SQLite) and
# json_extract(doc, '$.a.b') for text.
_POSTGRES_FUNCTIONS = """
CREATE TABLE licensedesk_schema (version INTEGER NOT NULL);
CREATE FUNCTION date(day text, modifier text) RETURNS text LANGUAGE sql IMMUTABLE AS
    $$ SELECT to_char(CAST(day AS date) + CAST(modifier AS interval), 'YYYY-MM-DD') $$;
CREATE FUNCTION max(a text, b text) RETURNS text LANGUAGE sql IMMUTABLE AS
    $$ SELECT CASE WHEN a IS NULL OR b IS NULL THEN NULL ELSE GREATEST(a, b) END $$;
CREATE FUNCTION json_extract(doc text, path text) RETURNS text LANGUAGE sql IMMUTABLE AS
    $$ SELECT CAST(doc AS jsonb) #>> string_to_array(substr(path, 3), '.') $$;
CREATE FUNCTION min(a text, b text) RETURNS text LANGUAGE sql IMMUTABLE AS
    $$ SELECT CASE WHEN a IS NULL OR b IS NULL THEN NULL ELSE LEAST(a, b) END $$;
"""
# Connection names are unique without regard to case (SQLite: the column's COLLATE NOCASE).
_POSTGRES_V1 = "CREATE UNIQUE INDEX connections_name_nocase ON connections (lower(name));"
_SQLITE_NOW = "strftime('%Y-%m-%dT%H:%M:%S+00:00', 'now')"
_POSTGRES_NOW = """to_char(now() AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"+00:00"')"""


def postgres_migrations() -> list[str]:
    """The same migrations for PostgreSQL: the schema text through the dialect's DDL rules."""
    from core.storage.dialect import POSTGRES

    out = [POSTGRES.ddl(m).replace(_SQLITE_NOW, _POSTGRES_NOW) for m in MIGRATIONS]
    out[0] = _POSTGRES_FUNCTIONS + out[0] + _POSTGRES_V1
    return out
