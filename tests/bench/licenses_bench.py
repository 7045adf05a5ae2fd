"""CLI benchmark (issue 10 point 6): a whole `licensedesk-cli licenses --format json` process,
timed from its start to its exit, on a data folder with one simulated tenant imported, then
again once SaaS Management data for that tenant is imported too (served by
`python -m core.simulator.serve --saas-of-tenant`, its own process, over HTTPS).

    .venv/bin/python tests/bench/licenses_bench.py --users 100000 [--repeat 3]

Prints `licenses_s` (without SaaS data) and `licenses_saas_s` (with it), each the median run.
Details go to stderr, each line starting with #.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from tests.bench.saas_served import ServedSaas, configure  # noqa: E402

CLI = str(Path(sys.executable).with_name("licensedesk-cli"))


def time_licenses(home: Path, repeat: int) -> float:
    env = {**os.environ, "LICENSEDESK_HOME": str(home)}
    runs = []
    for _ in range(repeat):
        started = time.perf_counter()
        done = subprocess.run(
            [CLI, "licenses", "--format", "json"], env=env, capture_output=True, check=True
        )
        runs.append(time.perf_counter() - started)
        print(f"#   {runs[-1]:.3f} s, {len(done.stdout):,} bytes", file=sys.stderr)
    return statistics.median(runs)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args(argv)

    from core.controller import Controller
    from core.paths import AppPaths
    from core.simulator.demo import size_draft

    home = Path(tempfile.mkdtemp(prefix="licensedesk-cli-bench-"))
    os.environ["LICENSEDESK_HOME"] = str(home)
    served = ServedSaas(args.users, args.seed, home)
    pool = ThreadPoolExecutor(max_workers=2)
    controller = Controller.open(AppPaths(home), executor=pool)
    connection = controller.create_connection(
        size_draft(f"size:{args.users}:{args.seed}", name="Bench tenant")
    )
    started = time.perf_counter()
    run = controller.import_now(connection.id)
    print(f"# import {run.status.value} in {time.perf_counter() - started:.1f} s", file=sys.stderr)
    print("# licenses, no SaaS data:", file=sys.stderr)
    plain = time_licenses(home, args.repeat)
    configure(controller, served.wait())
    started = time.perf_counter()
    result = controller.import_saas()
    print(f"# SaaS import in {time.perf_counter() - started:.1f} s: {result.message}",
          file=sys.stderr)  # fmt: skip
    controller.close(5)
    pool.shutdown(wait=True)
    served.stop()
    print("# licenses, with SaaS data:", file=sys.stderr)
    with_saas = time_licenses(home, args.repeat)
    print(f"licenses_s {plain:.3f}")
    print(f"licenses_saas_s {with_saas:.3f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
