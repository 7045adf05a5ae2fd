"""Import benchmark (spec §12): `licensedesk-cli import` against a bare requests loop.

    python tests/bench/import_bench.py --users 100000 [--tenants 1] [--repeat 3]

By default both sides meet Microsoft 365 as a user's machine does: over HTTPS sockets to a
separate server process (`python -m core.simulator.serve`, the same simulated tenants, with its
own CA). Each run is a whole fresh process, timed from its start to its exit, start-up
included, and the two sides alternate:

- importer: `licensedesk-cli import NAME` (`import --all` with several tenants) on a data
  folder where the Custom cloud connections were added beforehand (not timed);
- floor: a bare `requests` + `json.loads` process that makes the same requests (token,
  organization, SKUs, subscriptions, report settings, every user page with the importer's
  $select and $top, the three reports behind their redirects) and decodes them, tenant after
  tenant.

Peak RSS is sampled from /proc every 20 ms over each side's whole process tree (the import's
staging worker included) and reported as the largest sum seen. Figures are each side's median
run, with every run listed. The last line is `ratio <importer seconds / floor seconds>`.
Targets: ratio <= 1.5; RSS at 1,000,000 users within 1.3x of 100,000.

`--mode inprocess` keeps the older measurement, the simulator mounted in each process.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
# The installed console script, as a user runs it.
CLI = str(Path(sys.executable).with_name("licensedesk-cli"))
REPORTS = (
    "getOffice365ActiveUserDetail(period='D30')",
    "getM365AppUserDetail(period='D30')",
    "getOffice365ActivationsUserDetail",
)


# -- the floor: a bare requests loop, as its own process ----------------------------------------


def run_floor(ready: dict[str, Any], select: str, top: int) -> int:
    """Download what the importer reads, tenant after tenant; return the users seen."""
    import requests

    session = requests.Session()
    session.trust_env = False
    session.verify = ready["ca"]
    graph = f"{ready['graph']}/v1.0"
    count = 0
    for tenant in ready["tenants"]:
        token = session.post(
            f"{ready['login']}/{tenant['tenant_id']}/oauth2/v2.0/token",
            data={
                "grant_type": "client_credentials",
                "client_id": tenant["client_id"],
                "client_secret": tenant["client_secret"],
                "scope": f"{ready['graph']}/.default",
            },
            timeout=30,
        ).json()["access_token"]
        headers = {"Authorization": f"Bearer {token}"}
        for path in (
            "/organization",
            "/subscribedSkus",
            "/directory/subscriptions",
            "/admin/reportSettings",
        ):
            json.loads(session.get(graph + path, headers=headers, timeout=30).content)
        url: str | None = f"{graph}/users"
        params: dict[str, str] | None = {"$select": select, "$top": str(top)}
        while url:
            page = json.loads(session.get(url, params=params, headers=headers, timeout=60).content)
            count += len(page["value"])
            url, params = page.get("@odata.nextLink"), None
        for function in REPORTS:
            answer = session.get(
                f"{graph}/reports/{function}", headers=headers, timeout=60, allow_redirects=False
            )
            body = session.get(answer.headers["Location"], timeout=120).content
            body.decode("utf-8-sig")
    return count


# -- measuring whole processes ------------------------------------------------------------------


def _tree_rss_kb(root: int) -> int:
    """RSS of a process and all its descendants, from /proc (Linux)."""
    total, stack = 0, [root]
    while stack:
        pid = stack.pop()
        try:
            status = Path(f"/proc/{pid}/status").read_text()
            total += next(
                int(line.split()[1]) for line in status.splitlines() if line.startswith("VmRSS:")
            )
            for task in Path(f"/proc/{pid}/task").iterdir():
                children = (task / "children").read_text().split()
                stack.extend(int(c) for c in children)
        except (OSError, StopIteration, ValueError):
            continue
    return total


def timed_process(argv: list[str], env: dict[str, str]) -> dict[str, Any]:
    """Run a whole process; wall seconds from start to exit and the peak RSS of its tree."""
    peak = 0
    start = time.perf_counter()
    process = subprocess.Popen(
        argv, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    done = threading.Event()

    def sample() -> None:
        nonlocal peak
        while not done.wait(0.02):
            peak = max(peak, _tree_rss_kb(process.pid))

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    out, err = process.communicate()
    seconds = time.perf_counter() - start
    done.set()
    sampler.join()
    if process.returncode != 0:
        raise SystemExit(f"{' '.join(argv[:4])} … failed ({process.returncode}):\n{err[-2000:]}")
    return {"seconds": seconds, "rss_mb": peak / 1024, "stdout": out, "stderr": err}


def start_server(args: argparse.Namespace, folder: Path) -> tuple[subprocess.Popen[bytes], dict]:
    ready_file = folder / "ready.json"
    server = subprocess.Popen(
        [
            sys.executable, "-m", "core.simulator.serve", "--users", str(args.users),
            "--tenants", str(args.tenants), "--seed", str(args.seed),
            "--ready-file", str(ready_file), "--cert-dir", str(folder / "tls"),
            "--latency", str(args.latency),
        ],
        cwd=ROOT,
    )  # fmt: skip
    deadline = time.monotonic() + 60
    while not ready_file.exists():
        if server.poll() is not None or time.monotonic() > deadline:
            raise SystemExit("the simulator server did not start")
        time.sleep(0.05)
    return server, json.loads(ready_file.read_text())


def prepare_importer_home(ready: dict[str, Any], folder: Path, env: dict[str, str]) -> list[str]:
    """A data folder with one Custom cloud connection per served tenant (made in one untimed
    process through the controller, as `connections add` does); returns the names."""
    out = subprocess.run(
        [
            sys.executable,
            __file__,
            "--side",
            "prepare",
            "--ready",
            str(folder.parent / "ready.json"),
        ],
        cwd=ROOT,
        check=True,
        capture_output=True,
        text=True,
        env={**env, "LICENSEDESK_HOME": str(folder)},
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def prepare_connections(ready: dict[str, Any]) -> list[str]:
    from core.controller import Controller
    from core.domain.cloud import Cloud
    from core.domain.connection import (
        AuthMethod,
        ConnectionDraft,
        ConnectionSecrets,
        CredentialKind,
        SourceType,
    )
    from core.paths import AppPaths

    controller = Controller.open(AppPaths(Path(os.environ["LICENSEDESK_HOME"])))
    names = []
    try:
        for index, tenant in enumerate(ready["tenants"]):
            name = f"Bench {index + 1}"
            controller.create_connection(
                ConnectionDraft(
                    name=name,
                    source_type=SourceType.MICROSOFT_365,
                    method=AuthMethod.OWN_APP,
                    tenant=tenant["tenant_id"],
                    client_id=tenant["client_id"],
                    credential_kind=CredentialKind.SECRET,
                    cloud=Cloud.CUSTOM,
                    authority_host=ready["login"],
                    graph_endpoint=ready["graph"],
                    secrets=ConnectionSecrets(client_secret=tenant["client_secret"]),
                )
            )
            names.append(name)
    finally:
        controller.close()
    return names


def served_runs(args: argparse.Namespace) -> tuple[list[dict], list[dict]]:
    from core.imports.parse import SIGN_IN_FIELD, USER_FIELDS, USERS_TOP_WITH_SIGN_IN

    work = Path(tempfile.mkdtemp(prefix="ld-bench-"))
    server, ready = start_server(args, work)
    env = {
        **os.environ,
        "REQUESTS_CA_BUNDLE": ready["ca"],
        "LICENSEDESK_SECRETS_FILE": "1",
        "PYTHONPATH": str(ROOT),
    }
    floor_cmd = [
        sys.executable, __file__, "--side", "floor", "--ready", str(work / "ready.json"),
        "--select", f"{USER_FIELDS},{SIGN_IN_FIELD}", "--top", str(USERS_TOP_WITH_SIGN_IN),
    ]  # fmt: skip
    floors, importers = [], []
    try:
        # One untimed run of each warms the server's tenant models and the disk cache.
        timed_process(floor_cmd, env)
        for run in range(max(1, args.repeat)):
            floors.append(timed_process(floor_cmd, env))
            home = work / f"home-{run}"
            names = prepare_importer_home(ready, home, env)
            target = ["--all"] if len(names) > 1 else names
            importers.append(
                timed_process(
                    [CLI, "import", *target],
                    {**env, "LICENSEDESK_HOME": str(home)},
                )
            )
    finally:
        server.terminate()
        server.wait(timeout=30)
    users = args.users * args.tenants
    for result in floors:
        result["users"] = int(result["stdout"].strip().splitlines()[-1])
    for result in importers:
        result["users"] = users
    return floors, importers


def inprocess_runs(args: argparse.Namespace) -> tuple[list[dict], list[dict]]:
    """The older measurement: each side a process with the simulator mounted inside."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    floors, importers = [], []
    for _ in range(max(1, args.repeat)):
        for side, results in (("inprocess-floor", floors), ("inprocess-importer", importers)):
            home = tempfile.mkdtemp(prefix="ld-bench-home-")
            out = timed_process(
                [sys.executable, __file__, "--side", side, "--users", str(args.users),
                 "--seed", str(args.seed)],
                {**env, "LICENSEDESK_HOME": home},
            )  # fmt: skip
            result = json.loads(out["stdout"].strip().splitlines()[-1])
            results.append({**out, "seconds": result["seconds"], "users": result["users"]})
    return floors, importers


def run_inprocess_side(side: str, users: int, seed: int) -> dict[str, float]:
    import requests

    from core.controller import Controller
    from core.imports.parse import SIGN_IN_FIELD, USER_FIELDS, USERS_TOP_WITH_SIGN_IN
    from core.paths import AppPaths
    from core.simulator.demo import get_simulator, profile_spec, size_draft

    profile = f"size:{users}:{seed}"
    sim = get_simulator(profile)
    sim.tenant_model()  # build the model before timing (shared cost)
    if side == "inprocess-importer":
        controller = Controller.open(AppPaths(Path(os.environ["LICENSEDESK_HOME"])))
        try:
            connection = controller.create_connection(size_draft(profile, name="Bench"))
            start = time.perf_counter()
            run = controller.import_now(connection.id)
            return {"seconds": time.perf_counter() - start, "users": run.counts.users}
        finally:
            controller.close()
    spec = profile_spec(profile)
    ready = {
        "login": "https://login.microsoftonline.com",
        "graph": "https://graph.microsoft.com",
        "ca": True,
        "tenants": [
            {
                "tenant_id": spec.tenant_id,
                "client_id": spec.client_id,
                "client_secret": spec.client_secret,
            }
        ],
    }
    original = requests.Session

    def mounted() -> requests.Session:
        return sim.mount(original())

    requests.Session = mounted  # type: ignore[misc,assignment]
    start = time.perf_counter()
    count = run_floor(ready, f"{USER_FIELDS},{SIGN_IN_FIELD}", USERS_TOP_WITH_SIGN_IN)
    return {"seconds": time.perf_counter() - start, "users": count}


def report(floors: list[dict], importers: list[dict]) -> None:
    for name, results in (("floor", floors), ("importer", importers)):
        seconds = [r["seconds"] for r in results]
        median = statistics.median(seconds)
        users = results[0]["users"]
        rss = statistics.median(r["rss_mb"] for r in results)
        print(
            f"{name:<9} users {users:>10,}  seconds {median:8.2f}  users/s {users / median:>10,.0f}"
            f"  peak_rss_mb {rss:7.1f}  runs {', '.join(f'{s:.2f}' for s in seconds)}"
        )
    floor = statistics.median(r["seconds"] for r in floors)
    importer = statistics.median(r["seconds"] for r in importers)
    print(f"ratio {importer / floor:.2f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--users", type=int, default=100_000, help="users per tenant")
    parser.add_argument("--tenants", type=int, default=1)
    parser.add_argument(
        "--latency",
        type=float,
        default=0.0,
        help="seconds the server adds to every request (Graph's own answer time, which the "
        "loopback server does not have); many-tenant runs are meaningful only with it",
    )
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--repeat", type=int, default=3, help="runs per side (median counts)")
    parser.add_argument("--mode", choices=["served", "inprocess"], default="served")
    parser.add_argument("--side", help=argparse.SUPPRESS)
    parser.add_argument("--ready", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--select", help=argparse.SUPPRESS)
    parser.add_argument("--top", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.side == "floor":
        print(run_floor(json.loads(args.ready.read_text()), args.select, args.top))
        return
    if args.side == "prepare":
        print(json.dumps(prepare_connections(json.loads(args.ready.read_text()))))
        return
    if args.side:
        print(json.dumps(run_inprocess_side(args.side, args.users, args.seed)))
        return
    runs = served_runs(args) if args.mode == "served" else inprocess_runs(args)
    report(*runs)


if __name__ == "__main__":
    main()
