"""Serve the tenant simulator over HTTPS on 127.0.0.1, as a process of its own.

    python -m core.simulator.serve --users 100000 --ready-file /tmp/sim.json

Each Microsoft host the simulator answers (the login host, Graph, the report download host and
SaaS Management's NAM hosts) gets a port of its own on 127.0.0.1, behind a certificate for
127.0.0.1 and localhost signed by a CA made at start. Once every port listens, the ready file
(JSON) names the URLs, the CA file and each tenant's ID and published app credentials: point a
Custom cloud connection at them (authority host = `login`, Graph endpoint = `graph`) and
REQUESTS_CA_BUNDLE at `ca`, and any client (the CLI, the window, a bare `requests` loop) talks
to the simulator over real sockets and TLS.

Microsoft's URLs in answers (nextLinks, report redirects, the OpenID configuration) become the
served ones, and served URLs in requests (the token request's scope) become Microsoft's again,
so the simulator behind sees exactly the traffic it sees in-process. The fault knobs work over
the wire: latency, 429s, 503s, and connections dropped mid-body (the socket is shut down after
part of the body).
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import ipaddress
import json
import os
import signal
import socket
import ssl
import sys
import tempfile
import threading
import time
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, unquote, urlencode, urlsplit

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID
from requests.structures import CaseInsensitiveDict

from .aad import GRAPH_HOST, LOGIN_HOST
from .adapter import DEFAULT_REPORT_HOST, Knobs, Simulator
from .demo import demo_saas_org, get_model, profile_spec
from .demo_saas import build_tenant_saas_org
from .model import TenantModel
from .saas import SAAS_ZONES, SaasOrgSpec
from .wire import SimRequest

# The Microsoft hosts served, each on a port of its own: (name in the ready file, host).
SAAS_LOGIN_HOST, SAAS_API_HOST = SAAS_ZONES["nam"]
SERVED_HOSTS = (
    ("login", LOGIN_HOST),
    ("graph", GRAPH_HOST),
    ("reports", DEFAULT_REPORT_HOST),
    ("saas_login", SAAS_LOGIN_HOST),
    ("saas_api", SAAS_API_HOST),
)
_FORM = "application/x-www-form-urlencoded"
_CHUNK = 1 << 16


# -- certificates ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Certificates:
    ca: Path  # the CA certificate clients trust (REQUESTS_CA_BUNDLE)
    cert: Path  # the server's certificate chain
    key: Path


def make_certificates(folder: Path) -> Certificates:
    """A CA and a server certificate for 127.0.0.1 and localhost signed by it (P-256)."""
    now = dt.datetime.now(dt.UTC)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "LicenseDesk simulator CA")])
    ca_ski = x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key())
    ca = (
        x509.CertificateBuilder()
        .subject_name(ca_name)
        .issuer_name(ca_name)
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=2))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=True,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )  # fmt: skip
        .add_extension(ca_ski, critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    key = ec.generate_private_key(ec.SECP256R1())
    leaf = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")]))
        .issuer_name(ca_name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=2))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.SubjectAlternativeName(
                [x509.IPAddress(ipaddress.ip_address("127.0.0.1")), x509.DNSName("localhost")]
            ),
            critical=False,
        )
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_subject_key_identifier(ca_ski),
            critical=False,
        )
        .sign(ca_key, hashes.SHA256())
    )
    folder.mkdir(parents=True, exist_ok=True)
    paths = Certificates(folder / "ca.pem", folder / "server.pem", folder / "server-key.pem")
    paths.ca.write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    paths.cert.write_bytes(leaf.public_bytes(serialization.Encoding.PEM))
    paths.key.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    os.chmod(paths.key, 0o600)
    return paths


# -- URL translation ---------------------------------------------------------------------------


class HostMap:
    """Microsoft's hosts <-> the served base URLs, both ways."""

    def __init__(self, served: Mapping[str, str]) -> None:
        self.served = dict(served)  # Microsoft host -> served base
        self.original = {v: k for k, v in served.items()}
        self._out = [(k.encode(), v.encode()) for k, v in served.items()]

    def outward(self, data: bytes) -> bytes:
        for original, served in self._out:
            if original in data:
                data = data.replace(original, served)
        return data

    def outward_text(self, text: str) -> str:
        for original, served in self.served.items():
            text = text.replace(original, served)
        return text

    def inward_text(self, text: str) -> str:
        for served, original in self.original.items():
            text = text.replace(served, original)
        return text


# -- the server --------------------------------------------------------------------------------


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128

    def __init__(self, front: Front, host: str, tls: ssl.SSLContext, port: int = 0) -> None:
        self.front = front
        self.original_host = host
        self.tls = tls
        super().__init__(("127.0.0.1", port), _Handler)

    @property
    def base_url(self) -> str:
        return f"https://127.0.0.1:{self.server_address[1]}"

    def finish_request(self, request: Any, client_address: Any) -> None:
        # The TLS handshake runs in the connection's own thread, never in the accept loop.
        try:
            wrapped = self.tls.wrap_socket(request, server_side=True)
        except (OSError, ssl.SSLError):
            return  # a client that does not trust the CA, or hung up during the handshake
        try:
            super().finish_request(wrapped, client_address)
        finally:
            with contextlib.suppress(OSError):
                wrapped.close()


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _Server

    def do_GET(self) -> None:  # noqa: N802 (http.server's naming)
        self._serve()

    def do_POST(self) -> None:  # noqa: N802
        self._serve()

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
        """Quiet: a benchmark's server writes nothing per request."""

    def _serve(self) -> None:
        front = self.server.front
        req = self._sim_request(front.hosts)
        latency = front.simulator.knobs.latency_s
        if latency > 0:
            time.sleep(latency)
        sim, drop = front.simulator.answer(req)
        self.send_response(sim.status)
        for name, value in sim.headers.items():
            if name.lower() in ("content-length", "transfer-encoding", "connection"):
                continue
            self.send_header(name, front.hosts.outward_text(value))
        if isinstance(sim.body, bytes):
            body = front.hosts.outward(sim.body)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            if drop is not None and body:
                self._drop_after(body[: max(1, int(len(body) * drop))])
                return
            self.wfile.write(body)
        else:
            self.send_header("Transfer-Encoding", "chunked")
            self.end_headers()
            self._write_chunks(sim.body, None if drop is None else max(1, int(_CHUNK * drop)))

    def _sim_request(self, hosts: HostMap) -> SimRequest:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        headers: CaseInsensitiveDict[str] = CaseInsensitiveDict(dict(self.headers.items()))
        if body and headers.get("Content-Type", "").startswith(_FORM):
            pairs = parse_qsl(body.decode(), keep_blank_values=True)
            body = urlencode([(k, hosts.inward_text(v)) for k, v in pairs]).encode()
            headers["Content-Length"] = str(len(body))
        parts = urlsplit(self.path)
        query: dict[str, list[str]] = {}
        for key, value in parse_qsl(parts.query, keep_blank_values=True):
            query.setdefault(key, []).append(hosts.inward_text(value))
        original = self.server.original_host
        headers["Host"] = urlsplit(original).netloc
        return SimRequest(
            method=self.command.upper(),
            url=f"{original}{parts.path}" + (f"?{parts.query}" if parts.query else ""),
            host=original,
            path=unquote(parts.path),
            query=query,
            headers=headers,
            body=body,
        )

    def _write_chunks(self, chunks: Iterator[bytes], drop_after: int | None) -> None:
        sent = 0
        for chunk in chunks:
            if not chunk:
                continue
            if drop_after is not None and sent + len(chunk) >= drop_after:
                self._drop_after(f"{len(chunk):x}\r\n".encode() + chunk[: drop_after - sent])
                return
            self.wfile.write(f"{len(chunk):x}\r\n".encode() + chunk + b"\r\n")
            sent += len(chunk)
        self.wfile.write(b"0\r\n\r\n")

    def _drop_after(self, partial: bytes) -> None:
        """Send part of the body, then break the connection the way a reset network does."""
        self.wfile.write(partial)
        self.wfile.flush()
        self.close_connection = True
        with contextlib.suppress(OSError):
            self.connection.shutdown(socket.SHUT_RDWR)


class Front:
    """The simulator served on one HTTPS port per Microsoft host, in background threads."""

    def __init__(
        self,
        simulator: Simulator,
        certificates: Certificates,
        *,
        graph_port: int = 0,
    ) -> None:
        self.simulator = simulator
        self.certificates = certificates
        tls = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        tls.load_cert_chain(certificates.cert, certificates.key)
        self.servers: dict[str, _Server] = {}
        for name, host in SERVED_HOSTS:
            if not simulator.serves(host):
                continue
            port = graph_port if name == "graph" else 0
            self.servers[name] = _Server(self, host, tls, port)
        self.hosts = HostMap({s.original_host: s.base_url for s in self.servers.values()})
        self._threads: list[threading.Thread] = []

    def urls(self) -> dict[str, str]:
        return {name: server.base_url for name, server in self.servers.items()}

    def start(self) -> None:
        for name, server in self.servers.items():
            thread = threading.Thread(
                target=server.serve_forever, name=f"sim-{name}", kwargs={"poll_interval": 0.2}
            )
            thread.daemon = True
            thread.start()
            self._threads.append(thread)

    def stop(self) -> None:
        for server in self.servers.values():
            server.shutdown()
            server.server_close()


def ready_document(front: Front, tenants: Sequence[TenantModel]) -> dict[str, Any]:
    """What the ready file says: the URLs, the CA, and each tenant with its published app."""
    return {
        "pid": os.getpid(),
        **front.urls(),
        "ca": str(front.certificates.ca),
        "tenants": [
            {
                "tenant_id": t.tenant_id,
                "domain": t.spec.domain,
                "name": t.spec.name,
                "users": t.spec.users,
                "client_id": t.spec.client_id,
                "client_secret": t.spec.client_secret,
            }
            for t in tenants
        ],
    }


def _write_atomically(path: Path, document: Mapping[str, Any]) -> None:
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps(document, indent=2))
    os.replace(tmp, path)


def build_simulator(args: argparse.Namespace) -> tuple[Simulator, list[TenantModel]]:
    knobs = Knobs(
        latency_s=args.latency,
        throttle_after=args.throttle_after,
        retry_after_s=args.retry_after,
        error_503_rate=args.error_503_rate,
        drop_rate=args.drop_rate,
        seed=args.fault_seed,
    )
    if args.demo:
        models = [get_model("contoso"), get_model("fabrikam")]
    else:
        models = [
            TenantModel(profile_spec(f"size:{args.users}:{args.seed + i}"))
            for i in range(args.tenants)
        ]
    saas: SaasOrgSpec | None = None
    if args.saas_of_tenant:  # the organization of the (first) tenant served: benchmarks
        saas = build_tenant_saas_org(models[0].spec)
    else:
        saas = demo_saas_org() if args.saas else None
    return Simulator(models, knobs=knobs, saas=saas), models


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m core.simulator.serve",
        description="Serve simulated Microsoft 365 tenants over HTTPS on 127.0.0.1.",
    )
    parser.add_argument("--users", type=int, default=1000, help="users per tenant")
    parser.add_argument("--tenants", type=int, default=1, help="how many tenants")
    parser.add_argument("--seed", type=int, default=1, help="seed of the first tenant")
    parser.add_argument("--demo", action="store_true", help="serve Contoso and Fabrikam instead")
    parser.add_argument("--saas", action="store_true", help="also serve the demo Flexera org")
    parser.add_argument(
        "--saas-of-tenant",
        action="store_true",
        help="also serve a Flexera org whose app users are the first tenant's users",
    )
    parser.add_argument("--port", type=int, default=0, help="Graph's port (0: any free one)")
    parser.add_argument("--ready-file", type=Path, required=True, help="JSON written when ready")
    parser.add_argument("--cert-dir", type=Path, help="where the CA and certificate go")
    parser.add_argument("--latency", type=float, default=0.0, help="seconds added per request")
    parser.add_argument("--throttle-after", type=int, help="a 429 after every K Graph requests")
    parser.add_argument("--retry-after", type=float, default=0.01, help="Retry-After seconds")
    parser.add_argument("--error-503-rate", type=float, default=0.0, help="share answered 503")
    parser.add_argument("--drop-rate", type=float, default=0.0, help="share dropped mid-body")
    parser.add_argument("--fault-seed", type=int, default=0, help="seed of the fault dice")
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    simulator, models = build_simulator(args)
    cert_dir = args.cert_dir or Path(tempfile.mkdtemp(prefix="ld-sim-tls-"))
    front = Front(simulator, make_certificates(cert_dir), graph_port=args.port)
    stopping = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stopping.set())
    signal.signal(signal.SIGINT, lambda *_: stopping.set())
    front.start()
    _write_atomically(args.ready_file, ready_document(front, models))
    print(f"serving {len(models)} tenant(s) on {front.urls()['graph']}", file=sys.stderr)
    try:
        while not stopping.wait(0.5):
            pass
    finally:
        front.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
