"""One HTTP exchange bounded by a wall-clock deadline and the cancel token.

requests' (connect, read) timeout bounds each silence on the socket, not the whole answer: a
server that sends one byte a second holds a read forever, and a blocked read does not see
Cancel. So the exchange runs on a daemon thread while the calling thread waits for it, checking
the cancel token several times a second and the deadline; on either it gives up at once, shuts
the socket down when the answer has started (which ends the blocked read) and leaves the
thread to finish on its own.
"""

from __future__ import annotations

import contextlib
import socket
import threading
import time
from collections.abc import Callable
from typing import TypeVar

import requests

from core.domain.cancel import CancelToken
from core.errors import ImportCancelled

T = TypeVar("T")

POLL_S = 0.1  # how often the waiting thread looks at the cancel token
CHUNK = 1 << 16


class Stopped(Exception):
    """Raised inside an abandoned exchange's thread to end it early."""


class DeadlinePassed(Exception):
    """The exchange did not finish in time; the caller turns it into a typed error."""


def run_bounded(
    work: Callable[[threading.Event], T],
    *,
    seconds: float,
    cancel: CancelToken | None,
    abandon: Callable[[], None],
    discard: Callable[[T], None] = lambda _result: None,
) -> T:
    """Run `work(stop)` on a daemon thread and return its result or raise its exception.

    Raises ImportCancelled when `cancel` fires and DeadlinePassed after `seconds`; either way
    `stop` is set and `abandon()` is called to unblock the thread, and a result the thread
    still produces later goes to `discard` (e.g. to close a response).
    """
    outcome: list[T] = []
    failure: list[BaseException] = []
    done = threading.Event()
    stop = threading.Event()

    def target() -> None:
        try:
            result = work(stop)
        except BaseException as exc:  # handed to the waiting thread
            failure.append(exc)
        else:
            outcome.append(result)
            if stop.is_set():
                discard(result)
        finally:
            done.set()

    thread = threading.Thread(target=target, name="graph-exchange", daemon=True)
    end = time.monotonic() + seconds
    thread.start()
    while not done.wait(max(0.0, min(POLL_S, end - time.monotonic()))):
        cancelled = cancel is not None and cancel.cancelled
        if cancelled or time.monotonic() >= end:
            stop.set()
            with contextlib.suppress(Exception):
                abandon()
            if cancelled:
                raise ImportCancelled()
            raise DeadlinePassed()
    if failure:
        raise failure[0]
    return outcome[0]


def read_body(response: requests.Response, stop: threading.Event) -> bytes:
    """Read a streamed answer's body in chunks, giving up when `stop` is set; the body is
    kept on the response, so `response.content` works as after a plain request."""
    parts: list[bytes] = []
    for chunk in response.iter_content(CHUNK):
        if stop.is_set():
            raise Stopped()
        parts.append(chunk)
    body = b"".join(parts)
    response._content = body
    response._content_consumed = True  # type: ignore[attr-defined]
    return body


def shut_down(response: requests.Response | None) -> None:
    """Shut down the socket under a streamed answer, which ends a read blocked on it in
    another thread; best effort (the attributes are urllib3's)."""
    if response is None:
        return
    connection = getattr(response.raw, "_connection", None)
    sock = getattr(connection, "sock", None)
    if isinstance(sock, socket.socket):
        with contextlib.suppress(OSError):
            # The plain socket's shutdown: an SSLSocket's own would drop its SSL object
            # under the reading thread.
            socket.socket.shutdown(sock, socket.SHUT_RDWR)
