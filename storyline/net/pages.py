"""Web pages: fetch one URL and turn it into an article, as files are turned into one.

The page goes through the same extraction as an HTML file (trafilatura), with the
final URL (after redirects) as its identity, so a page fetched twice, or fetched
once and also found in a crawl, is one article.
"""

from __future__ import annotations

from typing import Any

from ..errors import InputError
from ..extract import Extracted, extract
from ..sources import RawDocument, decode
from .client import Fetcher, FetchResult


def page_document(
    result: FetchResult, origin: str, extra: dict[str, Any] | None = None
) -> RawDocument:
    """A fetched HTML page as a raw document (a record with ``url`` and ``html``)."""
    html = None
    if result.charset:
        try:
            html = result.content.decode(result.charset)
        except (LookupError, UnicodeDecodeError):
            html = None
    if html is None:
        html = decode(result.content, origin)
    content: dict[str, Any] = {**(extra or {}), "url": result.url, "html": html}
    return RawDocument(origin, "record", content, None)


def fetch_article(
    fetcher: Fetcher, url: str, min_words: int = 5, extra: dict[str, Any] | None = None
) -> Extracted:
    """Fetch, extract and identify one page; raises :class:`InputError` naming the URL."""
    result = fetcher.fetch(url)
    if not result.content.strip():
        raise InputError(url, "empty page")
    return extract(page_document(result, url, extra), min_words)
