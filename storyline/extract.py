"""Extraction: raw documents become articles with clean text and metadata.

Plain text: the first non-empty line is the title, the rest the body. HTML:
trafilatura finds the main text and the metadata (title, author, date, site
name, canonical URL). JSON Lines records: the known keys (``id``, ``url``,
``outlet``, ``title``, ``text`` or ``html``, ``published``, ``author``) fill the
article and every other key is kept in ``metadata``.

An article's identity is its URL when it has one, else the hash of its
normalised text; that is what makes re-ingesting the same article a no-op.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from .errors import ExtractionError
from .model import Article, parse_datetime
from .sources import RawDocument
from .text import guess_language, short_hash, text_hash, words

RECORD_FIELDS = {"id", "url", "outlet", "title", "text", "html", "published", "author", "language"}
_BLANK_LINES = re.compile(r"\n\s*\n+")


@dataclass(slots=True)
class Extracted:
    """An article with the identity and text hash the store indexes it by."""

    article: Article
    identity: str
    text_hash: str
    #: where the article came from, as errors name it (``file``, ``file:line``...)
    origin: str


def extract(raw: RawDocument, min_words: int = 5) -> Extracted:
    """Turn one raw document into an article, or raise :class:`ExtractionError`."""
    if raw.kind == "text":
        assert isinstance(raw.content, str)
        article = _from_text(raw.content, raw.origin)
    elif raw.kind == "html":
        assert isinstance(raw.content, str)
        article = _from_html(raw.content, raw.origin, url=None)
    else:
        assert isinstance(raw.content, dict)
        article = _from_record(raw.content, raw.origin)
    article.path = raw.path
    return prepare(article, raw.origin, min_words)


def prepare(article: Article, origin: str, min_words: int = 5) -> Extracted:
    """Clean an article's text, check it is one, and give it its identity and id.

    Every way into the store goes through here, so an article built in Python and
    the same article read from a file end up identical.
    """
    article.text = clean_text(article.text)
    article.title = " ".join(article.title.split())
    count = len(words(article.text))
    if count < min_words:
        raise ExtractionError(origin, f"no article text ({count} words)")
    if article.language is None:
        article.language = guess_language(article.text)
    digest = text_hash(article.text)
    identity = f"url:{canonical_url(article.url)}" if article.url else f"text:{digest}"
    if not article.id:
        article.id = "a" + short_hash(identity, 15)
    return Extracted(article, identity, digest, origin)


def clean_text(text: str) -> str:
    """Unix newlines, trimmed lines, paragraphs separated by one blank line."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    lines = [line.strip() for line in text.split("\n")]
    return _BLANK_LINES.sub("\n\n", "\n".join(lines)).strip()


def canonical_url(url: str) -> str:
    """Scheme and host lower-cased, no fragment, no trailing slash: one URL, one identity."""
    parts = urlsplit(url.strip())
    path = parts.path.rstrip("/") or "/"
    return urlunsplit((parts.scheme.lower(), parts.netloc.lower(), path, parts.query, ""))


def _from_text(content: str, origin: str) -> Article:
    lines = content.replace("\r\n", "\n").split("\n")
    for index, line in enumerate(lines):
        if line.strip():
            title = line.strip()
            body = "\n".join(lines[index + 1 :])
            return Article(id="", text=body, title=title)
    raise ExtractionError(origin, "empty file")


def _from_html(html: str, origin: str, url: str | None) -> Article:
    import trafilatura  # heavy import: only when HTML is actually seen

    try:
        document = trafilatura.bare_extraction(
            html, url=url, with_metadata=True, include_comments=False, include_tables=False
        )
    except Exception as error:  # trafilatura raises many kinds on broken markup
        raise ExtractionError(origin, f"cannot parse HTML: {error}") from error
    if document is None:
        raise ExtractionError(origin, "HTML has no article body")
    data: dict[str, Any] = document.as_dict() if hasattr(document, "as_dict") else dict(document)
    text = data.get("text") or ""
    if not text.strip():
        raise ExtractionError(origin, "HTML has no article body")
    metadata = {
        key: data[key]
        for key in ("description", "categories", "tags", "hostname", "image")
        if data.get(key)
    }
    return Article(
        id="",
        text=text,
        title=data.get("title") or "",
        url=data.get("url") or url,
        outlet=data.get("sitename") or data.get("hostname"),
        author=data.get("author"),
        published=_parse_date(data.get("date")),
        language=data.get("language"),
        metadata=metadata,
    )


def _from_record(record: dict[str, Any], origin: str) -> Article:
    text, html = record.get("text"), record.get("html")
    if not _is_text(text) and not _is_text(html):
        raise ExtractionError(origin, "record has neither 'text' nor 'html'")
    url = record.get("url") if _is_text(record.get("url")) else None
    if isinstance(text, str) and text.strip():
        article = Article(id="", text=text)
    else:
        article = _from_html(str(html), origin, url)
    metadata = {key: value for key, value in record.items() if key not in RECORD_FIELDS}
    published = record.get("published")
    parsed = _parse_date(published) if published is not None else None
    if published is not None and parsed is None:
        metadata["published_unparsed"] = published
    record_id = record.get("id")
    article.id = str(record_id) if record_id not in (None, "") else ""
    article.url = url or article.url
    article.title = str(record.get("title") or article.title or "")
    article.outlet = str(record["outlet"]) if record.get("outlet") else article.outlet
    article.author = str(record["author"]) if record.get("author") else article.author
    article.published = parsed or article.published
    article.language = str(record["language"]) if record.get("language") else article.language
    article.metadata = {**article.metadata, **metadata}
    return article


def _is_text(value: Any) -> bool:
    return isinstance(value, str) and bool(value.strip())


def _parse_date(value: Any) -> datetime | None:
    """ISO 8601 dates and timestamps, or Unix seconds; anything else is unknown."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        try:
            return datetime.fromtimestamp(value, tz=UTC)
        except (OverflowError, OSError, ValueError):
            return None
    if not isinstance(value, str) or not value.strip():
        return None
    try:
        return parse_datetime(value.strip())
    except ValueError:
        return None
