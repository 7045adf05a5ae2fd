"""A small hostile HTTPS server on 127.0.0.1 for the tests: a self-signed certificate made
with `cryptography`, one thread per connection, and answers that stall or trickle."""

from __future__ import annotations

import datetime
import ipaddress
import socket
import ssl
import threading
from collections.abc import Callable
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

# A handler gets the request's path and the connection's socket, and a stop event that is set
# when the test ends; it writes whatever it likes and returns when done.
Handler = Callable[[str, ssl.SSLSocket, threading.Event], None]
LIMIT_S = 30.0  # no handler trickles longer than this, whatever the client does


def make_certificate(folder: Path) -> tuple[Path, Path]:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = folder / "cert.pem", folder / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_path, key_path


class TlsServer:
    """`with TlsServer(tmp_path, handlers) as server:` serves https://127.0.0.1:<port>."""

    def __init__(self, folder: Path, handlers: dict[str, Handler]) -> None:
        self.cert, key = make_certificate(folder)
        self._context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        self._context.load_cert_chain(self.cert, key)
        self._handlers = handlers
        self._listener = socket.create_server(("127.0.0.1", 0))
        self._listener.settimeout(0.2)
        self.port = self._listener.getsockname()[1]
        self.root = f"https://127.0.0.1:{self.port}"
        self.stop = threading.Event()
        self.paths: list[str] = []
        self._threads: list[threading.Thread] = []

    def __enter__(self) -> TlsServer:
        self._start(self._accept)
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop.set()
        for thread in self._threads:
            thread.join(5)
        self._listener.close()

    def _start(self, target: Callable[[], None]) -> None:
        thread = threading.Thread(target=target, daemon=True)
        self._threads.append(thread)
        thread.start()

    def _accept(self) -> None:
        while not self.stop.is_set():
            try:
                raw, _ = self._listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            self._start(lambda raw=raw: self._serve(raw))  # type: ignore[misc]

    def _serve(self, raw: socket.socket) -> None:
        try:
            raw.settimeout(5)
            with self._context.wrap_socket(raw, server_side=True) as conn:
                request = b""
                while b"\r\n\r\n" not in request:
                    data = conn.recv(4096)
                    if not data:
                        return
                    request += data
                path = request.split(b" ", 2)[1].decode()
                self.paths.append(path)
                handler = self._handlers.get(path.split("?", 1)[0])
                if handler is None:
                    conn.sendall(b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n")
                    return
                handler(path, conn, self.stop)
        except (OSError, ssl.SSLError):
            return
        finally:
            raw.close()


def drip(
    *, status: str = "200 OK", length: int = 100_000, every: float = 0.2, headers: str = ""
) -> Handler:
    """Send the status line and headers at once, then the body one byte every `every` s."""

    def handler(path: str, conn: ssl.SSLSocket, stop: threading.Event) -> None:
        head = f"HTTP/1.1 {status}\r\nContent-Length: {length}\r\n{headers}\r\n"
        conn.sendall(head.encode())
        for _ in range(min(length, int(LIMIT_S / every))):
            if stop.wait(every):
                return
            conn.sendall(b" ")

    return handler


def stall(path: str, conn: ssl.SSLSocket, stop: threading.Event) -> None:
    """Read the request and never answer (until the test ends or LIMIT_S)."""
    stop.wait(LIMIT_S)


def redirect(location: str) -> Handler:
    def handler(path: str, conn: ssl.SSLSocket, stop: threading.Event) -> None:
        conn.sendall(
            f"HTTP/1.1 302 Found\r\nLocation: {location}\r\nContent-Length: 0\r\n\r\n".encode()
        )

    return handler
