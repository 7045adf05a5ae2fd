"""Microsoft Graph access: GraphClient (paging, retries, usage reports) and its helpers."""

from core.graph.client import GraphClient, Page, RawPage, TokenSource
from core.graph.faults import GraphUnreachable, permission_for
from core.graph.reports import (
    DEFAULT_REPORT_BUDGET,
    REQUIRED_REPORT_COLUMNS,
    ReportBudget,
    ReportBudgetExceeded,
    ReportCsv,
)
from core.graph.retry import RetryPolicy, parse_retry_after

__all__ = [
    "DEFAULT_REPORT_BUDGET",
    "REQUIRED_REPORT_COLUMNS",
    "GraphClient",
    "GraphUnreachable",
    "Page",
    "RawPage",
    "ReportBudget",
    "ReportBudgetExceeded",
    "ReportCsv",
    "RetryPolicy",
    "TokenSource",
    "parse_retry_after",
    "permission_for",
]
