"""Connections: the beacon version table (`versions`), the dialog's fields (`fields`), the
validation rules (`rules`), the connection check (`check`), one connection per tenant
(`tenant_claim`) and the per-connection collaborators (`wiring`)."""
