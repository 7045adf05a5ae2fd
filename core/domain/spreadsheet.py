"""The one rule every CSV export follows: a cell is shown, never run."""

from __future__ import annotations

import re

# CSV exports (CLI and window): a cell a spreadsheet would run as a formula starts with one of
# these. OWASP's advice: prefix such a cell with a single quote so it is shown as text.
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")


_PLAIN_NUMBER = re.compile(r"[+-]?(?:\d[\d,]*(?:\.\d*)?|\.\d+)")


def spreadsheet_safe(cell: str) -> str:
    """Return `cell` as a spreadsheet will show it, never run it: "=HYPERLINK(…)" becomes
    "'=HYPERLINK(…)"; a plain number such as "-12.50" or "-1,234" stays as it is."""
    if cell.startswith(FORMULA_TRIGGERS) and not _PLAIN_NUMBER.fullmatch(cell):
        return "'" + cell
    return cell
