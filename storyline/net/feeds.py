"""Feeds: RSS, Atom (feedparser) and JSON Feed, read into one item type.

Each item has a stable id (the feed's own id, else its link, else a hash of its
title and summary), its link, and whatever text the feed carries: a summary, and
sometimes the full article (``content:encoded``, Atom ``content``, JSON Feed
``content_html``). :meth:`FeedItem.full_text` says whether that content is the
article itself or only a teaser, in which case the page is fetched.

Feeds may be listed in a TOML file, one ``[[feed]]`` table each::

    [[feed]]
    url = "https://www.example.org/news/rss.xml"
    outlet = "Example Daily"
"""

from __future__ import annotations

import calendar
import io
import json
import re
import tomllib
from dataclasses import dataclass
from datetime import UTC, datetime
from html import unescape
from pathlib import Path
from typing import Any

import feedparser

from ..errors import ConfigError, ExtractionError
from ..model import format_datetime, parse_datetime
from ..text import short_hash, words

_TAGS = re.compile(r"<[^>]+>")


@dataclass(frozen=True, slots=True)
class FeedSpec:
    """A feed to watch, and the outlet its articles are credited to (None: as extracted)."""

    url: str
    outlet: str | None = None


@dataclass(slots=True)
class FeedItem:
    """One entry of a feed, whatever the feed's format."""

    id: str
    link: str | None
    title: str
    summary: str
    #: the entry's own content (HTML or text), empty when the feed carries none
    content: str
    published: str | None
    author: str | None

    def full_text(self, min_words: int) -> str | None:
        """The article's text when the feed carries all of it (``min_words`` or more)."""
        for candidate in (self.content, self.summary):
            text = html_to_text(candidate)
            if len(words(text)) >= min_words:
                return text
        return None


def html_to_text(html: str) -> str:
    """Feed HTML to plain text: paragraph and line breaks kept, tags dropped."""
    text = re.sub(r"(?i)<\s*(br|/p|/div|/h[1-6]|/li)\s*/?>", "\n\n", html)
    return unescape(_TAGS.sub("", text)).strip()


def parse_feed(data: bytes, url: str, content_type: str = "") -> list[FeedItem]:
    """The items of an RSS, Atom or JSON feed; :class:`ExtractionError` when it is none."""
    start = data.lstrip(b"\xef\xbb\xbf \t\r\n")[:1]
    if "json" in content_type or start == b"{":
        return _json_feed(data, url)
    # a stream, never bytes or a string: feedparser treats those as a URL or a path to open
    parsed = feedparser.parse(
        io.BytesIO(data),
        response_headers={"content-location": url, "content-type": content_type or "text/xml"},
    )
    if parsed.get("bozo") and not parsed.entries:
        reason = parsed.get("bozo_exception") or "not a feed"
        raise ExtractionError(url, f"malformed feed: {reason}")
    if not parsed.entries and not parsed.get("version"):
        raise ExtractionError(url, "not an RSS, Atom or JSON feed")
    return [_feedparser_item(entry) for entry in parsed.entries]


def _feedparser_item(entry: Any) -> FeedItem:
    link = entry.get("link") or None
    title = _text(entry.get("title"))
    summary = _text(entry.get("summary"))
    contents = entry.get("content") or []
    content = max((_text(part.get("value")) for part in contents), key=len, default="")
    stamp = entry.get("published_parsed") or entry.get("updated_parsed")
    published = None
    if stamp is not None:
        published = format_datetime(datetime.fromtimestamp(calendar.timegm(stamp), tz=UTC))
    item_id = _text(entry.get("id")) or link or "h" + short_hash(title + "\n" + summary, 15)
    return FeedItem(item_id, link, title, summary, content, published, entry.get("author"))


def _json_feed(data: bytes, url: str) -> list[FeedItem]:
    try:
        document = json.loads(data.decode("utf-8-sig"))
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise ExtractionError(url, f"malformed JSON feed: {error}") from None
    if not isinstance(document, dict) or not isinstance(document.get("items"), list):
        raise ExtractionError(url, "not a JSON Feed: no 'items' list")
    items = []
    for entry in document["items"]:
        if not isinstance(entry, dict):
            continue
        link = _text(entry.get("url")) or _text(entry.get("external_url")) or None
        title = _text(entry.get("title"))
        summary = _text(entry.get("summary"))
        content = _text(entry.get("content_html")) or _text(entry.get("content_text"))
        authors = entry.get("authors") or ([entry["author"]] if entry.get("author") else [])
        author = next(
            (str(a["name"]) for a in authors if isinstance(a, dict) and a.get("name")), None
        )
        item_id = _text(entry.get("id")) or link or "h" + short_hash(title + "\n" + summary, 15)
        items.append(
            FeedItem(
                item_id, link, title, summary, content, _date(entry.get("date_published")), author
            )
        )
    return items


def _text(value: Any) -> str:
    return value.strip() if isinstance(value, str) else ""


def _date(value: Any) -> str | None:
    if not isinstance(value, str) or not value.strip():
        return None
    try:
        return format_datetime(parse_datetime(value.strip()))
    except ValueError:
        return None


def load_feeds(path: str | Path) -> list[FeedSpec]:
    """The ``[[feed]]`` tables of a TOML file; :class:`ConfigError` names what is wrong."""
    try:
        with Path(path).open("rb") as handle:
            data = tomllib.load(handle)
    except OSError as error:
        raise ConfigError(f"{path}: cannot read feeds: {error.strerror or error}") from error
    except tomllib.TOMLDecodeError as error:
        raise ConfigError(f"{path}: invalid TOML: {error}") from error
    tables = data.get("feed", [])
    if not isinstance(tables, list) or not tables:
        raise ConfigError(f"{path}: no [[feed]] tables")
    feeds = []
    for number, table in enumerate(tables, 1):
        if not isinstance(table, dict) or not isinstance(table.get("url"), str):
            raise ConfigError(f"{path}: feed {number} has no url")
        outlet = table.get("outlet")
        if outlet is not None and not isinstance(outlet, str):
            raise ConfigError(f"{path}: feed {number}: outlet must be a string")
        feeds.append(FeedSpec(table["url"].strip(), outlet))
    return feeds
