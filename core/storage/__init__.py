"""SQLite storage: schema, migrations and repositories."""
