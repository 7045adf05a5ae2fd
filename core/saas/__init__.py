"""The SaaS Management connector: Flexera One SaaS Management API client and import (spec §6)."""
