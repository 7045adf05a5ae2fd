"""`licensedesk-cli settings get [KEY]` and `settings set KEY VALUE` (spec §9); values are
validated by the controller, as in ITAM Settings > General."""

from __future__ import annotations

import argparse
from dataclasses import asdict
from typing import Any

from core.cli import UsageError
from core.cli.output import add_format_option, emit
from core.domain.settings import CURRENCY_RELABEL_NOTE, SETTING_KEYS, AppSettings


def register(commands: Any) -> None:
    parser = commands.add_parser("settings", help="read or change settings")
    sub = parser.add_subparsers(dest="action", metavar="ACTION", required=True)

    get = sub.add_parser("get", help="show one setting's value, or all settings")
    get.add_argument("key", nargs="?", choices=SETTING_KEYS, metavar="KEY")
    add_format_option(get)
    get.set_defaults(handler=get_setting)

    put = sub.add_parser("set", help="change a setting")
    put.add_argument("key", metavar="KEY", help=", ".join(SETTING_KEYS))
    put.add_argument("value", metavar="VALUE")
    put.set_defaults(handler=set_setting)


def _values(settings: AppSettings) -> dict[str, Any]:
    values = asdict(settings)
    values["beacon_version"] = settings.effective_beacon_version()
    return values


def get_setting(args: argparse.Namespace, controller: Any) -> int:
    values = _values(controller.settings())
    if args.key:
        print(values[args.key])
        return 0
    emit(({"key": k, "value": values[k]} for k in SETTING_KEYS), args.format)
    return 0


def set_setting(args: argparse.Namespace, controller: Any) -> int:
    if args.key not in SETTING_KEYS:
        raise UsageError(f"Unknown setting {args.key}; known: {', '.join(SETTING_KEYS)}.")
    before = _values(controller.settings())[args.key]
    values = _values(controller.update_setting(args.key, args.value))
    print(f"{args.key} = {values[args.key]}")
    if args.key == "currency" and values[args.key] != before:
        print(CURRENCY_RELABEL_NOTE)
    return 0
