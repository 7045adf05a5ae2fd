"""Everything a store holds, as text: for tests that prove a secret never reaches it."""

from __future__ import annotations

from core.storage.db import Database


def dump_text(database: Database) -> str:
    """SQLite: the file and its WAL, byte for byte; PostgreSQL: every row of every table of
    the store's schema."""
    if database.dialect.name == "sqlite":
        wal = database.path.with_name(database.path.name + "-wal")
        raw = database.path.read_bytes() + (wal.read_bytes() if wal.exists() else b"")
        return raw.decode("latin-1")
    conn = database.thread_connection()
    tables = [
        r[0]
        for r in conn.execute(
            "SELECT table_name FROM information_schema.tables "
            "WHERE table_schema = current_schema() ORDER BY table_name"
        )
    ]
    rows = [f"{t}: {r[0]}" for t in tables for r in conn.execute(f"SELECT t::text FROM {t} t")]
    return "\n".join(rows)
