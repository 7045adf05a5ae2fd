"""ITAM Settings: General, Integrations, Prices."""
