"""`licensedesk-cli saas-management configure|test|enable|disable|import|status` (spec §6, §9).
The API refresh token is read from the environment variable named by --refresh-token-env."""

from __future__ import annotations

import argparse
from typing import Any

from core.cli import CliError, UsageError, require_kept_secrets, secret_from_env
from core.cli.output import add_format_option, emit
from core.domain.saas import SAAS_RULE, SaasResult, SaasZone


def register(commands: Any) -> None:
    parser = commands.add_parser("saas-management", help="the SaaS Management connector")
    sub = parser.add_subparsers(dest="action", metavar="ACTION", required=True)

    configure = sub.add_parser("configure", help="set the zone, organization and refresh token")
    configure.add_argument("--zone", choices=[z.value for z in SaasZone], default="nam")
    configure.add_argument("--token-url", metavar="URL", help="custom zone: the token URL")
    configure.add_argument("--api-url", metavar="URL", help="custom zone: the API URL")
    configure.add_argument("--org-id", default="", metavar="ID")
    configure.add_argument(
        "--refresh-token-env",
        metavar="VAR",
        help="environment variable holding the API refresh token (kept if omitted)",
    )
    configure.add_argument(
        "--simulated", action="store_true", help="use the demo organization of the simulator"
    )
    configure.set_defaults(handler=configure_saas)

    sub.add_parser("test", help="get a token and list the managed apps").set_defaults(
        handler=test_saas
    )
    sub.add_parser(
        "enable", help="enable: retires the Office 365 connectors' licenses"
    ).set_defaults(handler=enable_saas)
    sub.add_parser(
        "disable", help="disable: restores the licenses it retired and retires its own"
    ).set_defaults(handler=disable_saas)
    sub.add_parser("import", help="import the SaaS Management licenses now").set_defaults(
        handler=import_saas
    )
    status = sub.add_parser("status", help="settings, last import and license counts")
    add_format_option(status)
    status.set_defaults(handler=show_status)


def configure_saas(args: argparse.Namespace, controller: Any) -> int:
    if args.zone != SaasZone.CUSTOM.value and (args.token_url or args.api_url):
        raise UsageError("--token-url and --api-url go with --zone custom.")
    token = secret_from_env(args.refresh_token_env, "--refresh-token-env")
    if token:
        require_kept_secrets(controller)
    config = controller.configure_saas(
        args.zone,
        args.org_id,
        token or None,
        token_url=args.token_url,
        api_url=args.api_url,
        simulated=args.simulated,
    )
    label = " (simulated)" if config.simulated else ""
    print(
        f"SaaS Management connector configured{label}: organization {config.org_id}, zone "
        f"{config.zone.value}, API {config.api_url}."
    )
    if not config.enabled:
        count = controller.saas_retire_preview_count()
        print(f"Not enabled. Enabling it would retire {count} Office 365 connector licenses.")
    return 0


def _report(result: SaasResult) -> int:
    if result.ok:
        print(result.message)
        return 0
    raise CliError(result.message, detail=result.detail)


def test_saas(args: argparse.Namespace, controller: Any) -> int:
    return _report(controller.test_saas())


def enable_saas(args: argparse.Namespace, controller: Any) -> int:
    counts = controller.enable_saas()
    print(f"SaaS Management connector enabled: {counts.describe()}.")
    print(SAAS_RULE)
    return 0


def disable_saas(args: argparse.Namespace, controller: Any) -> int:
    counts = controller.disable_saas()
    print(f"SaaS Management connector disabled: {counts.describe()}.")
    return 0


def import_saas(args: argparse.Namespace, controller: Any) -> int:
    return _report(controller.import_saas())


def show_status(args: argparse.Namespace, controller: Any) -> int:
    status = controller.saas_status()
    config = status.config
    last = config.last_result
    record = {
        "enabled": config.enabled,
        "configured": config.configured,
        "simulated": config.simulated,
        "zone": config.zone,
        "org_id": config.org_id,
        "token_url": config.token_url,
        "api_url": config.api_url,
        "refresh_token_stored": config.has_refresh_token,
        "last_import_at": config.last_import_at,
        "last_result": last.message if last else None,
        "last_result_ok": last.ok if last else None,
        "saas_licenses": status.saas_licenses,
        "retired_by_connector": status.retired_by_connector,
        "would_retire": status.would_retire,
    }
    if args.format == "table":
        for key, value in record.items():
            print(f"{key}: {'' if value is None else getattr(value, 'value', value)}")
        return 0
    emit([record], args.format)
    return 0
