"""Paging links are followed only on the connection's Graph host, over https, and never back
to a page already read: a link elsewhere would carry the access token there, and a link that
loops would keep an import going for ever."""

from __future__ import annotations

from urllib.parse import urlsplit

from core.errors import GraphError, MalformedResponseError
from core.graph.faults import describe_url


def origin(url: str) -> str:
    """`https://host[:port]` of an https URL (lower case), or "" for any other scheme."""
    parts = urlsplit(url)
    if parts.scheme.lower() != "https" or not parts.netloc or "@" in parts.netloc:
        return ""
    try:
        port = parts.port
    except ValueError:
        return ""
    host = (parts.hostname or "").rstrip(".")
    return f"https://{host}" + (f":{port}" if port not in (None, 443) else "")


def shown(link: str) -> str:
    """A link as named in a message: whole, but not endless."""
    return link if len(link) <= 200 else link[:200] + "…"


def check_request(url: str, graph_origin: str, root: str) -> None:
    """Refuse to send the access token to `url` unless it is on the Graph host over https."""
    if graph_origin and origin(url) == graph_origin:
        return
    where = graph_origin or f"{root}, which is not an https address"
    raise GraphError(
        f"The address {shown(url)} is not on {where}; the access token is sent only to the "
        "connection's Graph endpoint over https, so the import stopped.",
        url=url,
    )


class PageLinks:
    """The links of one paging run (`iter_pages`, `iter_raw_pages`, delta rounds)."""

    def __init__(self, graph_origin: str) -> None:
        self._origin = graph_origin
        self._seen: set[str] = set()

    def next(self, link: str | None, url: str, answered: str | None) -> str | None:
        """Check a page's nextLink before it is followed; `answered` is the URL that answered
        (with the query)."""
        self._seen.update(u for u in (url, answered) if u)
        if link is None:
            return None
        self.on_graph(link, url, "@odata.nextLink")
        if link in self._seen:
            raise MalformedResponseError(
                f"Microsoft Graph sent an @odata.nextLink for {describe_url(url)} that repeats "
                f"a page already read ({shown(link)}); the import stopped instead of looping "
                "forever.",
                url=url,
                detail=f"nextLink {link} GET {url}",
            )
        return link

    def on_graph(self, link: str | None, url: str, key: str = "@odata.deltaLink") -> str | None:
        """Refuse a link off the Graph host or https (a deltaLink is stored for later)."""
        if link is not None and (not self._origin or origin(link) != self._origin):
            # Malformed, not a plain GraphError: no import step may skip it with a warning.
            raise MalformedResponseError(
                f"Microsoft Graph sent an {key} for {describe_url(url)} that leads to "
                f"{shown(link)}, not to {self._origin}; the import stopped without sending "
                "the access token there.",
                url=url,
                detail=f"{key} {link} GET {url}",
            )
        return link
