"""The simulator served over the network (`python -m core.simulator.serve`): a separate process,
real sockets and TLS on 127.0.0.1, and whole `licensedesk-cli` processes as the client."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from core.simulator.demo import profile_spec
from core.simulator.model import TenantModel

ROOT = Path(__file__).resolve().parents[2]
CLI = [sys.executable, "-c", "import sys; from core.cli import main; sys.exit(main())"]

pytestmark = pytest.mark.slow

Served = dict[str, Any]


@pytest.fixture
def serve(tmp_path: Path) -> Iterator[Callable[..., Served]]:
    """Start a served simulator with these command-line options; stopped after the test."""
    processes: list[subprocess.Popen[bytes]] = []

    def start(*options: str) -> Served:
        ready = tmp_path / f"ready-{len(processes)}.json"
        process = subprocess.Popen(
            [sys.executable, "-m", "core.simulator.serve", "--ready-file", str(ready), *options],
            cwd=ROOT,
            stderr=subprocess.PIPE,
        )
        processes.append(process)
        deadline = time.monotonic() + 30
        while not ready.exists():
            if process.poll() is not None or time.monotonic() > deadline:
                raise AssertionError(f"the simulator did not start: {process.stderr!r}")
            time.sleep(0.05)
        return json.loads(ready.read_text())

    yield start
    for process in processes:
        process.terminate()
        process.wait(timeout=10)


def run_cli(served: Served, home: Path, *argv: str) -> subprocess.CompletedProcess[str]:
    env = dict(
        os.environ,
        LICENSEDESK_HOME=str(home),
        LICENSEDESK_SECRETS_FILE="1",
        REQUESTS_CA_BUNDLE=served["ca"],
        SIM_SECRET=served["tenants"][0]["client_secret"],
    )
    return subprocess.run(
        [*CLI, *argv], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )


def add_and_import(served: Served, home: Path) -> subprocess.CompletedProcess[str]:
    tenant = served["tenants"][0]
    added = run_cli(
        served, home, "connections", "add", "--name", "Served", "--source-type",
        "Microsoft 365", "--method", "own-app", "--tenant", tenant["tenant_id"],
        "--client-id", tenant["client_id"], "--client-secret-env", "SIM_SECRET",
        "--cloud", "custom", "--authority-host", served["login"],
        "--graph-endpoint", served["graph"],
    )  # fmt: skip
    assert added.returncode == 0, added.stderr
    return run_cli(served, home, "import", "Served")


def licensed_users(served: Served, home: Path) -> int:
    listed = run_cli(served, home, "users", "--format", "json")
    assert listed.returncode == 0, listed.stderr
    return sum(1 for user in json.loads(listed.stdout) if user["skus"])


def test_tls_is_verified_against_the_generated_ca(serve: Callable[..., Served]) -> None:
    served = serve("--users", "20")
    url = f"{served['graph']}/v1.0/organization"
    with pytest.raises(requests.exceptions.SSLError):
        requests.get(url, timeout=10)
    answer = requests.get(url, verify=served["ca"], timeout=10)
    assert answer.status_code == 401  # no token: Graph's own error, over verified TLS
    assert answer.json()["error"]["code"] == "InvalidAuthenticationToken"


def test_a_cli_process_imports_a_served_tenant_through_a_custom_cloud(
    serve: Callable[..., Served], tmp_path: Path
) -> None:
    served = serve("--users", "300", "--seed", "7")
    run = add_and_import(served, tmp_path / "home")
    assert run.returncode == 0, run.stderr
    truth = TenantModel(profile_spec("size:300:7")).truth()
    assert "300 users" in run.stdout
    assert licensed_users(served, tmp_path / "home") == truth.licensed_users


def test_connections_are_kept_alive(serve: Callable[..., Served]) -> None:
    served = serve("--users", "20")
    session = requests.Session()
    session.trust_env = False  # REQUESTS_CA_BUNDLE from the environment would win over verify
    session.verify = served["ca"]
    url = f"{served['graph']}/v1.0/organization"
    for _ in range(5):
        assert session.get(url, timeout=10).status_code == 401
    pools = session.get_adapter(url).poolmanager.pools  # type: ignore[attr-defined]
    # urllib3's pool container refuses plain iteration; keys() is its documented way.
    opened = sum(pools[key].num_connections for key in pools.keys())  # noqa: SIM118
    assert opened == 1  # five requests, one TLS connection


def test_faults_over_the_wire_are_retried_to_the_same_result(
    serve: Callable[..., Served], tmp_path: Path
) -> None:
    """Connections dropped mid-body, 429s and 503s on real sockets: the import retries them
    and ends with exactly what a clean one gives."""
    faulty = serve(
        "--users", "300", "--seed", "7", "--drop-rate", "0.15", "--throttle-after", "4",
        "--error-503-rate", "0.1", "--fault-seed", "5",
    )  # fmt: skip
    run = add_and_import(faulty, tmp_path / "home")
    assert run.returncode == 0, run.stderr
    truth = TenantModel(profile_spec("size:300:7")).truth()
    assert licensed_users(faulty, tmp_path / "home") == truth.licensed_users


def test_a_connection_dropped_mid_body_breaks_the_read(serve: Callable[..., Served]) -> None:
    served = serve("--users", "200", "--drop-rate", "1")
    tenant = served["tenants"][0]
    session = requests.Session()
    session.trust_env = False  # REQUESTS_CA_BUNDLE from the environment would win over verify
    session.verify = served["ca"]
    token = session.post(
        f"{served['login']}/{tenant['tenant_id']}/oauth2/v2.0/token",
        data={
            "grant_type": "client_credentials",
            "client_id": tenant["client_id"],
            "client_secret": tenant["client_secret"],
            "scope": f"{served['graph']}/.default",  # the served Graph, as a Custom cloud asks
        },
        timeout=10,
    ).json()["access_token"]
    with pytest.raises(requests.exceptions.ChunkedEncodingError):
        _ = session.get(
            f"{served['graph']}/v1.0/users",
            headers={"Authorization": f"Bearer {token}"},
            timeout=10,
        ).content
