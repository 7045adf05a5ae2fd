"""Benchmarks with SaaS Management data: serve a Flexera organization whose app users are the
benchmark tenant's users (`python -m core.simulator.serve --saas-of-tenant`, its own process
over HTTPS, as Flexera One is to a user's machine), and point a controller's connector at it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]


class ServedSaas:
    """The simulator serving the tenant `size:<users>:<seed>` and its SaaS organization."""

    def __init__(self, users: int, seed: int, folder: Path) -> None:
        self.ready_file = folder / "saas-ready.json"
        self.process = subprocess.Popen(
            [sys.executable, "-m", "core.simulator.serve", "--users", str(users),
             "--seed", str(seed), "--saas-of-tenant", "--ready-file", str(self.ready_file),
             "--cert-dir", str(folder / "tls")],
            cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        self.ready: dict[str, Any] = {}

    def wait(self, timeout_s: float = 120.0) -> dict[str, Any]:
        deadline = time.monotonic() + timeout_s
        while not self.ready_file.exists():
            if self.process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("the SaaS simulator did not start")
            time.sleep(0.1)
        self.ready = json.loads(self.ready_file.read_text())
        # The connector's requests trust the simulator's own CA, as they would a proxy's.
        os.environ["REQUESTS_CA_BUNDLE"] = self.ready["ca"]
        return self.ready

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(10)


def configure(controller: Any, ready: dict[str, Any]) -> None:
    """Point the connector at the served organization (Custom zone) and enable it."""
    from core.domain.saas import SaasZone
    from core.simulator.demo_saas import DEMO_SAAS_ORG_ID, DEMO_SAAS_REFRESH_TOKEN

    controller.configure_saas(
        SaasZone.CUSTOM,
        DEMO_SAAS_ORG_ID,
        DEMO_SAAS_REFRESH_TOKEN,
        token_url=f"{ready['saas_login']}/oidc/token",
        api_url=ready["saas_api"],
    )
    controller.set_saas_enabled(True)
