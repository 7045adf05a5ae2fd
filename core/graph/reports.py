"""Usage-report pieces: the CSV wrapper and the request budget (Graph reference §4.6, §5.2)."""

from __future__ import annotations

import csv
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from core.errors import MalformedResponseError, ThrottledError
from core.graph.faults import relative_path

REQUIRED_REPORT_COLUMNS: tuple[str, ...] = ("Report Refresh Date", "User Principal Name")


def required_columns_for(function_call: str) -> tuple[str, ...]:
    """Return the columns a report must have: counts reports have no User Principal Name."""
    name = function_call.split("(", 1)[0]
    return REQUIRED_REPORT_COLUMNS if name.endswith("UserDetail") else REQUIRED_REPORT_COLUMNS[:1]


class ReportBudgetExceeded(ThrottledError):
    """The tenant used up its usage-report requests for the current window."""

    def __init__(self, message: str, *, opens_at: float, wait: float) -> None:
        super().__init__(message, detail=f"next report slot in {wait:.0f} s")
        self.opens_at = opens_at  # clock time (seconds) at which the next slot frees
        self.wait = wait  # seconds from now until then


class ReportBudget:
    """A thread-safe sliding window of `limit` report requests per `window` s per tenant.

    Microsoft allows 14 CSV report requests per 10 minutes per app and tenant; staying under
    it here avoids long 429 penalties when someone presses Refresh repeatedly.
    """

    def __init__(
        self,
        limit: int = 14,
        window: float = 600.0,
        *,
        clock: Callable[[], float] = time.time,
    ) -> None:
        if limit < 1 or window <= 0:
            raise ValueError("a report budget needs a positive limit and window")
        self._limit = limit
        self._window = window
        self._clock = clock
        self._lock = threading.Lock()
        self._used: dict[str, deque[float]] = {}

    def acquire(self, tenant_key: str) -> None:
        """Take one slot for `tenant_key` or raise ReportBudgetExceeded."""
        with self._lock:
            now = self._clock()
            used = self._prune(tenant_key, now)
            if len(used) >= self._limit:
                opens_at = used[0] + self._window
                raise self._exceeded(opens_at, opens_at - now)
            used.append(now)

    def remaining(self, tenant_key: str) -> int:
        with self._lock:
            return self._limit - len(self._prune(tenant_key, self._clock()))

    def reset(self, tenant_key: str | None = None) -> None:
        """Forget the requests of one tenant, or of all (tests share the process-wide budget)."""
        with self._lock:
            if tenant_key is None:
                self._used.clear()
            else:
                self._used.pop(tenant_key, None)

    def _prune(self, tenant_key: str, now: float) -> deque[float]:
        used = self._used.setdefault(tenant_key, deque())
        while used and used[0] <= now - self._window:
            used.popleft()
        return used

    def _exceeded(self, opens_at: float, wait: float) -> ReportBudgetExceeded:
        try:
            clock_time = datetime.fromtimestamp(opens_at).strftime("%H:%M:%S")
        except (OverflowError, OSError, ValueError):
            clock_time = "later"
        return ReportBudgetExceeded(
            f"Usage reports were requested {self._limit} times in the last "
            f"{self._window / 60:g} minutes for this tenant, Microsoft's limit; the next "
            f"request is possible at {clock_time} (in {wait:.0f} s).",
            opens_at=opens_at,
            wait=wait,
        )


DEFAULT_REPORT_BUDGET = ReportBudget()


@dataclass(frozen=True)
class ReportCsv:
    """The start of a downloaded usage report, checked for its header: `url` is the Graph
    report URL (never the download link, which is itself a credential)."""

    url: str
    text: str
    required_columns: tuple[str, ...] = REQUIRED_REPORT_COLUMNS

    def __post_init__(self) -> None:
        header = self.header
        if not header:
            raise self._malformed("an empty report")
        missing = [name for name in self.required_columns if name not in header]
        if missing:
            raise self._malformed(f"a report without the column(s) {', '.join(missing)}")

    @property
    def header(self) -> list[str]:
        end = self.text.find("\n")
        first = self.text if end < 0 else self.text[: end + 1]
        try:
            return next(csv.reader([first]), [])
        except csv.Error as exc:
            raise self._malformed(f"a report whose header is not CSV ({exc})") from exc

    def _malformed(self, what: str) -> MalformedResponseError:
        return MalformedResponseError(
            f"Microsoft Graph sent {what} for {relative_path(self.url)}.",
            url=self.url,
            detail=f"GET {self.url}",
        )


def check_report_header(path: Path, url: str, required_columns: tuple[str, ...]) -> list[str]:
    """Validate a downloaded report file's header like ReportCsv does; return the header."""
    try:
        with path.open(encoding="utf-8-sig", newline="") as handle:
            first = handle.readline()
    except UnicodeDecodeError as exc:
        raise ReportCsv(url, "x", ())._malformed(
            f"a report that is not UTF-8 ({exc.reason})"
        ) from exc
    return ReportCsv(url, first, required_columns).header


def iter_report_file(path: Path, url: str) -> tuple[list[str], Iterator[list[str]]]:
    """The header and a lazy iterator over the data rows of a downloaded report file; a row of
    the wrong width or bytes that are not UTF-8 raise MalformedResponseError naming `url`."""
    header = check_report_header(path, url, ())
    probe = ReportCsv(url, ",".join(header), ())

    def rows() -> Iterator[list[str]]:
        with path.open(encoding="utf-8-sig", newline="") as handle:
            reader = csv.reader(handle)
            try:
                next(reader, None)
                for row in reader:
                    if len(row) != len(header):
                        if not row:
                            continue
                        raise probe._malformed(
                            f"a report row with the wrong number of fields (line {reader.line_num})"
                        )
                    yield row
            except (csv.Error, UnicodeDecodeError) as exc:
                raise probe._malformed(
                    f"a report that is not CSV (line {reader.line_num}: {exc})"
                ) from exc

    return header, rows()
