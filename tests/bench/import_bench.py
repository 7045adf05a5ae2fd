"""Import benchmark (spec §12): the real importer against a bare requests loop.

    python tests/bench/import_bench.py --users 100000

Each side runs in its own fresh process on the same simulated tenant (same seed, same
simulator, no latency), so peak RSS is each side's own; the importer's staging worker process
is reported separately as worker_rss_mb. Each side runs `--repeat` times (default 3),
alternately: timings on this machine wander by 20 % or more from run to run, so the figures
are each side's median run (the fastest runs' ratio is printed too). The floor downloads
every page the importer reads (organization, SKUs, subscriptions, all user pages with the
same $select and $top, report settings and the three reports behind their redirects) and
only `json.loads` them. The last line is `ratio <importer seconds / floor seconds>`.
Targets: ratio <= 1.5, peak RSS < 400 MB.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))


def _peak_rss_mb() -> float:
    # ru_maxrss is KiB on Linux.
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def run_importer(users: int, seed: int) -> dict[str, float]:
    from core.controller import Controller
    from core.domain import ImportStatus
    from core.paths import AppPaths
    from core.simulator.demo import get_simulator, size_draft

    home = Path(tempfile.mkdtemp(prefix="ld-bench-"))
    controller = Controller.open(AppPaths(home))
    try:
        profile = f"size:{users}:{seed}"
        get_simulator(profile).tenant_model()  # build the model before timing (shared cost)
        connection = controller.create_connection(size_draft(profile, name="Bench tenant"))
        start = time.perf_counter()
        run = controller.import_now(connection.id)
        seconds = time.perf_counter() - start
        if run.status not in (ImportStatus.SUCCEEDED, ImportStatus.SUCCEEDED_WITH_WARNINGS):
            raise SystemExit(f"import failed: {run.error} {run.error_detail or ''}")
        return {
            "seconds": seconds,
            "users": run.counts.users,
            "rss_mb": _peak_rss_mb(),
            "worker_rss_mb": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024,
        }
    finally:
        controller.close()


def run_floor(users: int, seed: int) -> dict[str, float]:
    import requests

    from core.imports.parse import SIGN_IN_FIELD, USER_FIELDS, USERS_TOP_WITH_SIGN_IN
    from core.simulator.demo import get_simulator, profile_spec

    profile = f"size:{users}:{seed}"
    sim = get_simulator(profile)
    sim.tenant_model()
    spec = profile_spec(profile)
    session = sim.mount(requests.Session())
    start = time.perf_counter()
    token = session.post(
        f"https://login.microsoftonline.com/{spec.tenant_id}/oauth2/v2.0/token",
        data={
            "grant_type": "client_credentials",
            "client_id": spec.client_id,
            "client_secret": spec.client_secret,
            "scope": "https://graph.microsoft.com/.default",
        },
        timeout=30,
    ).json()["access_token"]
    headers = {"Authorization": f"Bearer {token}"}
    graph = "https://graph.microsoft.com/v1.0"
    for path in (
        "/organization",
        "/subscribedSkus",
        "/directory/subscriptions",
        "/admin/reportSettings",
    ):
        json.loads(session.get(graph + path, headers=headers, timeout=30).content)
    url: str | None = f"{graph}/users"
    params: dict[str, str] | None = {
        "$select": f"{USER_FIELDS},{SIGN_IN_FIELD}",
        "$top": str(USERS_TOP_WITH_SIGN_IN),
    }
    count = 0
    while url:
        page = json.loads(session.get(url, params=params, headers=headers, timeout=60).content)
        count += len(page["value"])
        url, params = page.get("@odata.nextLink"), None
    for function in (
        "getOffice365ActiveUserDetail(period='D30')",
        "getM365AppUserDetail(period='D30')",
        "getOffice365ActivationsUserDetail",
    ):
        answer = session.get(
            f"{graph}/reports/{function}", headers=headers, timeout=60, allow_redirects=False
        )
        body = session.get(answer.headers["Location"], timeout=60).content
        body.decode("utf-8-sig")
    seconds = time.perf_counter() - start
    return {"seconds": seconds, "users": count, "rss_mb": _peak_rss_mb()}


def _child(side: str, users: int, seed: int) -> dict[str, float]:
    out = subprocess.run(
        [sys.executable, __file__, "--users", str(users), "--seed", str(seed), "--side", side],
        check=True,
        capture_output=True,
        text=True,
        env={**os.environ, "LICENSEDESK_HOME": tempfile.mkdtemp(prefix="ld-bench-home-")},
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--users", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--repeat", type=int, default=3, help="runs per side (median counts)")
    parser.add_argument("--side", choices=["importer", "floor"], help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.side:
        fn = run_importer if args.side == "importer" else run_floor
        print(json.dumps(fn(args.users, args.seed)))
        return
    floors, importers = [], []
    for _ in range(max(1, args.repeat)):
        floors.append(_child("floor", args.users, args.seed))
        importers.append(_child("importer", args.users, args.seed))
    floor = _median(floors)
    importer = _median(importers)
    for name, result in (("floor", floor), ("importer", importer)):
        worker = result.get("worker_rss_mb")
        print(
            f"{name:<9} users {int(result['users']):>9,}  seconds {result['seconds']:8.2f}  "
            f"users/s {result['users'] / result['seconds']:>10,.0f}  "
            f"peak_rss_mb {result['rss_mb']:7.1f}"
            + (f"  worker_rss_mb {worker:7.1f}" if worker is not None else "")
        )
    spread = ", ".join(f"{r['seconds']:.2f}" for r in importers)
    print(
        f"importer runs: {spread}; floor runs: " + ", ".join(f"{r['seconds']:.2f}" for r in floors)
    )
    best = min(r["seconds"] for r in importers) / min(r["seconds"] for r in floors)
    print(f"ratio_of_fastest_runs {best:.2f}")
    print(f"ratio {importer['seconds'] / floor['seconds']:.2f}")


def _median(results: list[dict[str, float]]) -> dict[str, float]:
    ordered = sorted(results, key=lambda r: r["seconds"])
    return ordered[len(ordered) // 2]


if __name__ == "__main__":
    main()
