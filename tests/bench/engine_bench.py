"""Storage engine benchmark (issue 14): the same import into SQLite and into PostgreSQL.

    bash .ci/postgres --exec .venv/bin/python tests/bench/engine_bench.py --users 100000
    .venv/bin/python tests/bench/engine_bench.py --database postgresql://u@host:5432/db

One simulated tenant is served by a separate process over HTTPS on loopback
(`core.simulator.serve`, as `import_bench.py` does). Each run is a whole fresh
`licensedesk-cli import` process, start-up included, on a fresh store: a new data folder for
SQLite, a new schema of the named PostgreSQL database (dropped afterwards) for PostgreSQL. The
connection is added beforehand in an untimed process. The sides alternate; each prints its
median and every run, and the last line is `ratio <postgresql seconds / sqlite seconds>`.
Target: ratio <= 1.3 at 100,000 users.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import uuid
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import import_bench  # noqa: E402  (the served simulator and the process timing are shared)

URL_VARIABLE = "LICENSEDESK_DATABASE_URL"


def _schema_url(url: str, schema: str) -> str:
    glue = "&" if "?" in url else "?"
    return f"{url}{glue}options=-csearch_path%3D{schema}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--users", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=3, help="runs per engine (median counts)")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument(
        "--database",
        default=os.environ.get(URL_VARIABLE, ""),
        help=f"a PostgreSQL database to make schemas in (default: ${URL_VARIABLE})",
    )
    args = parser.parse_args()
    if not args.database.startswith(("postgresql://", "postgres://")):
        raise SystemExit(
            "engine_bench: name a PostgreSQL database (--database or $" + URL_VARIABLE + ")"
        )
    import psycopg

    admin = psycopg.connect(args.database, autocommit=True)
    work = Path(tempfile.mkdtemp(prefix="ld-engine-bench-"))
    server_args = argparse.Namespace(users=args.users, tenants=1, seed=args.seed, latency=0.0)
    server, ready = import_bench.start_server(server_args, work)
    base_env = {
        **os.environ,
        "REQUESTS_CA_BUNDLE": ready["ca"],
        "LICENSEDESK_SECRETS_FILE": "1",
        "PYTHONPATH": str(import_bench.ROOT),
    }
    runs: dict[str, list[dict[str, Any]]] = {"sqlite": [], "postgresql": []}
    try:
        # One untimed import warms the server's tenant model and the disk cache.
        for run in range(max(1, args.repeat) + 1):
            for engine in ("sqlite", "postgresql"):
                home = work / f"{engine}-{run}"
                schema = f"bench_{uuid.uuid4().hex[:12]}"
                if engine == "postgresql":
                    admin.execute(f"CREATE SCHEMA {schema}")
                    env = {**base_env, URL_VARIABLE: _schema_url(args.database, schema)}
                else:
                    env = {**base_env, URL_VARIABLE: ""}
                try:
                    names = import_bench.prepare_importer_home(ready, home, env)
                    result = import_bench.timed_process(
                        [import_bench.CLI, "import", *names], {**env, "LICENSEDESK_HOME": str(home)}
                    )
                finally:
                    if engine == "postgresql":
                        admin.execute(f"DROP SCHEMA {schema} CASCADE")
                if run:
                    runs[engine].append(result)
                print(
                    f"{engine} run {run}{'' if run else ' (warm-up)'}: {result['seconds']:.2f} s",
                    file=sys.stderr,
                )
    finally:
        server.terminate()
        server.wait(timeout=30)
        admin.close()
    medians = {}
    for engine, results in runs.items():
        seconds = [r["seconds"] for r in results]
        medians[engine] = statistics.median(seconds)
        rss = statistics.median(r["rss_mb"] for r in results)
        print(
            f"{engine:<10} users {args.users:>10,}  seconds {medians[engine]:8.2f}"
            f"  peak_rss_mb {rss:7.1f}  runs {', '.join(f'{s:.2f}' for s in seconds)}"
        )
    print(f"ratio {medians['postgresql'] / medians['sqlite']:.2f}")


if __name__ == "__main__":
    main()
