"""`licensedesk-cli demo`: add the simulated demo tenants and import them."""

from __future__ import annotations

import argparse
from typing import Any

from core.cli.imports import report_run, result_of


def register(commands: Any) -> None:
    parser = commands.add_parser(
        "demo", help="add the simulated demo tenants (Contoso, Fabrikam) and import them"
    )
    parser.set_defaults(handler=run_demo)


def run_demo(args: argparse.Namespace, controller: Any) -> int:
    # Also sets up the simulated SaaS Management organization, as the window's --demo does.
    saas_was_set_up = controller.saas_config().configured
    connections = controller.add_demo_connections(start_imports=False)
    handles = [controller.start_import(c.id) for c in connections]
    failed = sum(report_run(result_of(handle.future), "  [simulated]") for handle in handles)
    if not saas_was_set_up:
        print("SaaS Management connector set up on the simulated demo organization (disabled).")
    return 1 if failed else 0
