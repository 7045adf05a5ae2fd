"""The one retry policy every Graph request goes through (Graph reference §5.1)."""

from __future__ import annotations

import math
import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from email.utils import parsedate_to_datetime

import requests
import urllib3.exceptions

# Statuses that are transient: wait (Retry-After or back-off) and send the same URL again.
RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})

# Failures below HTTP: refused/reset connections, timeouts, a body cut off mid-way.
NETWORK_ERRORS: tuple[type[BaseException], ...] = (
    requests.ConnectionError,
    requests.Timeout,
    requests.exceptions.ChunkedEncodingError,
    requests.exceptions.ContentDecodingError,
    urllib3.exceptions.ProtocolError,
)

_MAX_EXPONENT = 30  # keeps base * 2**attempt a finite float whatever max_retries is


def parse_retry_after(value: str | None, now: Callable[[], float] = time.time) -> float | None:
    """Return the wait a Retry-After header asks for, in seconds, or None when unusable.

    Accepts delta-seconds, fractional ones as Graph sends them (`2.128`), and HTTP dates.
    """
    if not value:
        return None
    text = value.strip()
    try:
        seconds = float(text)
    except ValueError:
        try:
            when = parsedate_to_datetime(text)
        except (TypeError, ValueError, IndexError):
            return None
        if when.tzinfo is None:  # an HTTP date is always GMT; be lenient with bad senders
            return None
        seconds = when.timestamp() - now()
    if math.isnan(seconds):
        return None
    return max(0.0, seconds)


@dataclass(frozen=True)
class RetryPolicy:
    """How often and how long to wait before sending a failed request again.

    `delay(n)` for the n-th retry (0-based) honours Retry-After when the server gave one, else
    uses exponential back-off with full jitter: uniform(0, min(max_backoff, base * 2**n)).
    """

    max_retries: int = 5
    base: float = 2.0
    max_backoff: float = 60.0
    # A server asking for a longer wait than this is not waited for: the caller fails at once
    # with the time to try again (see `too_long`); `delay` never waits longer.
    max_retry_after: float = 300.0
    rng: Callable[[], float] = random.random
    clock: Callable[[], float] = time.time

    def can_retry(self, retries_done: int) -> bool:
        return retries_done < self.max_retries

    def too_long(self, retry_after: str | None) -> float | None:
        """The wait a Retry-After asks for when it is past `max_retry_after`, else None."""
        asked = parse_retry_after(retry_after, self.clock)
        return asked if asked is not None and asked > self.max_retry_after else None

    def delay(self, retries_done: int, retry_after: str | None = None) -> float:
        asked = parse_retry_after(retry_after, self.clock)
        if asked is not None:
            return min(asked, self.max_retry_after)
        ceiling = min(self.max_backoff, self.base * 2.0 ** min(retries_done, _MAX_EXPONENT))
        return ceiling * self.rng()


def describe_wait(seconds: float) -> str:
    """A wait for messages: `42 s`, `5 min`, `3 h 20 min`."""
    if seconds < 120:
        return f"{seconds:.0f} s"
    minutes = round(seconds / 60)
    if minutes < 120:
        return f"{minutes} min"
    hours, rest = divmod(minutes, 60)
    return f"{hours} h" + (f" {rest} min" if rest else "")


def local_time_after(seconds: float, now: Callable[[], float] = time.time) -> str:
    """The local clock time `seconds` from now (`14:05`, with the date when not today)."""
    try:
        when = datetime.fromtimestamp(now() + seconds)
    except (OverflowError, OSError, ValueError):
        return "a long while"
    if when.date() == datetime.fromtimestamp(now()).date():
        return when.strftime("%H:%M")
    return when.strftime("%Y-%m-%d %H:%M")
