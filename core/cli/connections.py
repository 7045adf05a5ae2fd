"""`licensedesk-cli connections list|add|test|set-secret|remove` (spec §9)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit, urlunsplit

from core.cli import UsageError, require_kept_secrets, secret_from_env
from core.cli.lookup import connection_named
from core.cli.output import add_format_option, emit, emit_csv
from core.domain.cancel import CancelToken
from core.domain.cloud import Cloud
from core.domain.connection import (
    AuthMethod,
    ConnectionDraft,
    ConnectionSecrets,
    CredentialKind,
    PermissionState,
    ProxyMode,
    SourceType,
    UsagePeriod,
)
from core.exports import CONNECTIONS

SOURCE_TYPES = {s.value.lower(): s for s in SourceType}
SOURCE_TYPES["microsoft office 365"] = SourceType.OFFICE_365


def register(commands: Any) -> None:
    parser = commands.add_parser("connections", help="list, add, test or remove connections")
    sub = parser.add_subparsers(dest="action", metavar="ACTION", required=True)

    listing = sub.add_parser("list", help="list the connections")
    add_format_option(listing)
    listing.set_defaults(handler=list_connections)

    add = sub.add_parser("add", help="add a connection (secrets from environment variables)")
    add.add_argument("--name", required=True)
    add.add_argument(
        "--source-type",
        default="Microsoft 365",
        help='"Microsoft 365" or "Microsoft Office 365 (deprecated)"',
    )
    add.add_argument("--method", choices=["own-app", "multi-tenant"], default=None)
    add.add_argument("--tenant", default="", help="tenant GUID or verified domain")
    add.add_argument("--client-id", default="")
    add.add_argument("--client-secret-env", metavar="VAR")
    add.add_argument("--certificate", metavar="FILE", help="PEM or PFX file")
    add.add_argument("--certificate-password-env", metavar="VAR")
    add.add_argument("--cloud", choices=[c.value for c in Cloud], default="global")
    add.add_argument("--authority-host", default="", metavar="URL")
    add.add_argument(
        "--graph-endpoint",
        default="",
        metavar="URL",
        help="Graph root without the version, e.g. https://graph.microsoft.com",
    )
    add.add_argument("--usage-period", choices=[p.value for p in UsagePeriod], default="D30")
    add.add_argument(
        "--proxy",
        default="",
        metavar="URL",
        help="proxy address, with the user name if it needs one: http://user@proxy:8080",
    )
    add.add_argument(
        "--proxy-password-env",
        metavar="VAR",
        help="environment variable holding the proxy password (kept in the keychain)",
    )
    add.add_argument(
        "--device-code",
        action="store_true",
        help="multi-tenant: sign in with a device code instead of a browser",
    )
    add.add_argument("--username", default="", metavar="UPN")
    add.add_argument("--password-env", metavar="VAR")
    add.set_defaults(handler=add_connection)

    test = sub.add_parser("test", help="get a token and check each permission; saves nothing")
    test.add_argument("name")
    test.set_defaults(handler=test_connection)

    set_secret = sub.add_parser(
        "set-secret",
        help="store a connection's secrets in this computer's keychain or secrets file "
        "(a worker's), from environment variables",
    )
    set_secret.add_argument("name")
    set_secret.add_argument("--client-secret-env", metavar="VAR")
    set_secret.add_argument("--certificate-password-env", metavar="VAR")
    set_secret.add_argument("--password-env", metavar="VAR")
    set_secret.add_argument("--proxy-password-env", metavar="VAR")
    set_secret.set_defaults(handler=set_secret_of_connection)

    remove = sub.add_parser("remove", help="remove a connection and its keychain entries")
    remove.add_argument("name")
    remove.set_defaults(handler=remove_connection)


def list_connections(args: argparse.Namespace, controller: Any) -> int:
    if args.format == "csv":
        emit_csv(CONNECTIONS, controller.list_connections())
        return 0
    records = (
        {
            "id": c.id,
            "name": c.name,
            "source_type": c.source_type,
            "tenant": c.tenant_id or c.tenant,
            "tenant_name": c.tenant_name,
            "method": c.method,
            "cloud": c.cloud,
            "schedule": c.schedule.describe(),
            "last_import": c.last_import_at,
            "status": c.last_import_status,
            "simulated": c.is_simulated,
        }
        for c in controller.list_connections()
    )
    emit(records, args.format)
    return 0


def draft_from_args(args: argparse.Namespace) -> ConnectionDraft:
    source_type = SOURCE_TYPES.get(args.source_type.strip().lower())
    if source_type is None:
        raise UsageError(
            f'Unknown source type {args.source_type!r}; use "Microsoft 365" or '
            '"Microsoft Office 365 (deprecated)".'
        )
    if source_type is SourceType.OFFICE_365:
        method = AuthMethod.PASSWORD
    else:
        method = AuthMethod(args.method or "own-app")
    kind = CredentialKind.SECRET
    if args.certificate:
        suffix = Path(args.certificate).suffix.lower()
        kind = CredentialKind.PFX if suffix in (".pfx", ".p12") else CredentialKind.PEM
    proxy_url, proxy_user = _split_proxy(args.proxy, args.proxy_password_env)
    secrets = ConnectionSecrets(
        client_secret=secret_from_env(args.client_secret_env, "--client-secret-env"),
        certificate_password=secret_from_env(
            args.certificate_password_env, "--certificate-password-env"
        ),
        password=secret_from_env(args.password_env, "--password-env"),
        proxy_password=secret_from_env(args.proxy_password_env, "--proxy-password-env"),
    )
    return ConnectionDraft(
        name=args.name,
        source_type=source_type,
        method=method,
        tenant=args.tenant,
        client_id=args.client_id,
        credential_kind=kind,
        certificate_path=str(Path(args.certificate).resolve()) if args.certificate else "",
        cloud=Cloud(args.cloud),
        authority_host=args.authority_host,
        graph_endpoint=args.graph_endpoint,
        use_device_code=bool(args.device_code),
        username=args.username,
        proxy_mode=ProxyMode.URL if proxy_url else ProxyMode.NONE,
        proxy_url=proxy_url,
        proxy_username=proxy_user,
        usage_period=UsagePeriod(args.usage_period),
        secrets=secrets,
    )


def _split_proxy(url: str, password_env: str | None) -> tuple[str, str]:
    """The proxy URL without its user name, and the user name. A password is never taken
    from the command line (other users see it in the process list and shell history)."""
    url = url.strip()
    if password_env and not url:
        raise UsageError("--proxy-password-env goes with --proxy URL.")
    if not url:
        return "", ""
    parts = urlsplit(url)
    if parts.password is not None:
        raise UsageError(
            "--proxy: leave the password out of the URL and name the environment variable "
            "that holds it with --proxy-password-env VAR."
        )
    if password_env and not parts.username:
        raise UsageError(
            "--proxy-password-env needs the proxy user name in the URL, e.g. "
            "http://user@proxy.contoso.com:8080."
        )
    if not parts.username:
        return url, ""
    netloc = parts.netloc.rpartition("@")[2]
    clean = urlunsplit((parts.scheme, netloc, parts.path, parts.query, parts.fragment))
    return clean, unquote(parts.username)


def add_connection(args: argparse.Namespace, controller: Any) -> int:
    draft = draft_from_args(args)
    if draft.method is AuthMethod.MULTI_TENANT or any(v for _, v in draft.secrets.items()):
        require_kept_secrets(controller)  # before a sign-in, and before anything is saved
    if draft.method is AuthMethod.MULTI_TENANT:
        result = controller.sign_in(
            draft, show_code=lambda message: print(message, file=sys.stderr), cancel=CancelToken()
        )
        from dataclasses import replace

        draft = replace(
            draft, tenant=draft.tenant or result.tenant_id, sign_in_id=result.sign_in_id
        )
        print(f"Signed in as {result.username} (tenant {result.tenant_id}).", file=sys.stderr)
    warnings: list[str] = []
    connection = controller.create_connection(draft, warnings=warnings)
    print(f"Added connection “{connection.name}” (id {connection.id}).")
    for warning in warnings:
        print(f"warning: {warning}", file=sys.stderr)
    return 0


def test_connection(args: argparse.Namespace, controller: Any) -> int:
    connection = connection_named(controller, args.name)
    report = controller.test_connection(
        controller.draft_for_edit(connection.id), editing_id=connection.id
    )
    if report.error:
        where = f" [{report.error_field}]" if report.error_field else ""
        print(f"error{where}: {report.error}", file=sys.stderr)
        if report.consent_url:
            print(f"Admin consent: {report.consent_url}", file=sys.stderr)
        return 1
    print(f"Tenant: {report.tenant_name} ({report.tenant_id})")
    for check in report.checks:
        need = "required" if check.required else "optional"
        print(
            f"  {check.area:<18} {check.permission:<26} {check.state.value:<15} ({need}) "
            f"{check.message}"
        )
    missing_required = [
        c for c in report.checks if c.required and c.state is PermissionState.MISSING
    ]
    if missing_required:
        names = ", ".join(sorted({c.permission for c in missing_required}))
        print(f"error: required permissions missing: {names}", file=sys.stderr)
        return 1
    return 0


SECRET_OPTIONS = {
    "client_secret": ("client_secret_env", "--client-secret-env", "client secret"),
    "certificate_password": (
        "certificate_password_env",
        "--certificate-password-env",
        "certificate password",
    ),
    "password": ("password_env", "--password-env", "password"),
    "proxy_password": ("proxy_password_env", "--proxy-password-env", "proxy password"),
}


def set_secret_of_connection(args: argparse.Namespace, controller: Any) -> int:
    """Store secrets read from the named variables; never prints a value."""
    chosen = {
        name: (getattr(args, attr), option)
        for name, (attr, option, _) in SECRET_OPTIONS.items()
        if getattr(args, attr)
    }
    if not chosen:
        options = ", ".join(option for _, option, _ in SECRET_OPTIONS.values())
        raise UsageError(f"Name at least one variable to read a secret from: {options}.")
    connection = connection_named(controller, args.name)
    secrets = ConnectionSecrets(
        **{name: secret_from_env(var, option) for name, (var, option) in chosen.items()}
    )
    require_kept_secrets(controller)
    stored = controller.set_connection_secrets(connection.id, secrets)
    what = " and ".join(SECRET_OPTIONS[name][2] for name in stored)
    print(f"Stored the {what} of “{connection.name}” in {controller.keychain_description()}.")
    return 0


def remove_connection(args: argparse.Namespace, controller: Any) -> int:
    connection = connection_named(controller, args.name)
    controller.delete_connection(connection.id)
    print(f"Removed connection “{connection.name}”.")
    return 0
