"""What the pages, the API and the feeds show, assembled from :class:`Engine` calls.

Lists come a page at a time (``limit``, ``offset``) with links to the pages either
side. A story's views are computed from all its articles, which at a few hundred
articles takes longer than a page should, so they are kept in a :class:`StoryCache`
keyed by the story and the store's version (any committed write starts afresh), and
the rendered story pages in a :class:`ResponseCache` keyed by URL and version.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable
from typing import Any

from starlette.datastructures import URL

from ..engine import Engine
from ..model import Article, Story, format_datetime, parse_datetime

#: items per page unless asked otherwise, and the most one page may hold
PAGE_SIZE, MAX_PAGE_SIZE = 20, 100
#: a story's articles per page
ARTICLES_PAGE_SIZE = 50
#: a storyline's events listed with it on the home page (its page lists them all)
EVENTS_LISTED = 5


def page(url: URL, limit: int, offset: int, total: int | None, more: bool) -> dict[str, Any]:
    """Where a page sits, with relative links to the pages either side (None at the ends)."""

    def link(start: int) -> str:
        moved = url.include_query_params(limit=limit, offset=start)
        return f"{moved.path}?{moved.query}"

    return {
        "limit": limit,
        "offset": offset,
        "total": total,
        "next": link(offset + limit) if more else None,
        "previous": link(max(0, offset - limit)) if offset > 0 else None,
    }


def front(engine: Engine, url: URL, limit: int = PAGE_SIZE, offset: int = 0) -> dict[str, Any]:
    """A page of storylines with their events, newest first and, on the same day, the
    largest first. Read from listings alone: no article row is loaded."""
    store = engine.store
    total = store.count_stories("storyline")
    ids = store.story_ids("storyline", limit, offset, by_day=True)
    events = store.events_of(ids, EVENTS_LISTED)
    counts = store.count_events(ids)
    listed = store.story_listings(ids + [e for each in events.values() for e in each])
    found = [
        {
            **_listed(listed[storyline_id]),
            "events": [_listed(listed[e]) for e in events[storyline_id]],
            "events_total": counts[storyline_id],
        }
        for storyline_id in ids
    ]
    return {
        "storylines": found,
        "page": page(url, limit, offset, total, offset + limit < total),
    }


def _listed(row: dict[str, Any]) -> dict[str, Any]:
    """A store listing in the shape of :func:`coverage`."""
    return {
        "id": row["id"],
        "kind": row["kind"],
        "title": row["title"],
        "articles": row["articles"],
        "independent_reports": row["independent_reports"],
        "copies": row["articles"] - row["independent_reports"],
        "first_published": format_datetime(parse_datetime(row["first_published"])),
        "last_published": format_datetime(parse_datetime(row["last_published"])),
    }


def coverage(story: Story) -> dict[str, Any]:
    """A story's listing: title, dates and how many outlets covered it, and how."""
    return {
        "id": story.id,
        "kind": story.kind,
        "title": story.title,
        "articles": len(story.articles),
        "independent_reports": story.independent_reports,
        "copies": story.copies,
        "first_published": format_datetime(story.first_published),
        "last_published": format_datetime(story.last_published),
    }


def article_meta(article: Article) -> dict[str, Any]:
    """An article without its text and annotations, for listings."""
    return {
        "id": article.id,
        "title": article.title,
        "outlet": article.outlet,
        "author": article.author,
        "url": article.url,
        "published": format_datetime(article.published),
        "event": article.event,
        "storyline": article.storyline,
        "copy_of": article.copy_of.to_dict() if article.copy_of else None,
    }


class StoryCache:
    """The last ``size`` stories computed, keyed by (story, store version); thread-safe."""

    def __init__(self, size: int = 256) -> None:
        self.size = size
        self._found: OrderedDict[tuple[str, tuple[int, int]], dict[str, Any]] = OrderedDict()
        self._lock = threading.Lock()

    def get(
        self, key: tuple[str, tuple[int, int]], compute: Callable[[], dict[str, Any]]
    ) -> dict[str, Any]:
        with self._lock:
            found = self._found.get(key)
            if found is not None:
                self._found.move_to_end(key)
                return found
        # computed outside the lock: two requests may both compute it, neither waits
        found = compute()
        with self._lock:
            self._found[key] = found
            while len(self._found) > self.size:
                self._found.popitem(last=False)
        return found


class ResponseCache:
    """Rendered answers (status, media type, body) keyed by (URL, store version), the
    least recently used dropped beyond ``max_bytes``; thread-safe."""

    def __init__(self, max_bytes: int = 64 << 20) -> None:
        self.max_bytes = max_bytes
        self._found: OrderedDict[tuple[str, tuple[int, int]], tuple[int, str, bytes]] = (
            OrderedDict()
        )
        self._bytes = 0
        self._lock = threading.Lock()

    def get(
        self, key: tuple[str, tuple[int, int]], render: Callable[[], tuple[int, str, bytes]]
    ) -> tuple[int, str, bytes]:
        with self._lock:
            found = self._found.get(key)
            if found is not None:
                self._found.move_to_end(key)
                return found
        found = render()
        if found[0] != 200 or len(found[2]) > self.max_bytes // 4:
            return found
        with self._lock:
            if key not in self._found:
                self._found[key] = found
                self._bytes += len(found[2])
            while self._bytes > self.max_bytes:
                _, dropped = self._found.popitem(last=False)
                self._bytes -= len(dropped[2])
        return found


def story(
    engine: Engine,
    story_id: str,
    url: URL,
    limit: int = ARTICLES_PAGE_SIZE,
    offset: int = 0,
    cache: StoryCache | None = None,
) -> dict[str, Any]:
    """Everything the story page shows, as plain data, with one page of its articles."""
    whole = (
        cache.get((story_id, engine.version()), lambda: _whole_story(engine, story_id))
        if cache is not None
        else _whole_story(engine, story_id)
    )
    articles = whole["articles"]
    more = offset + limit < len(articles)
    return {
        **whole,
        "articles": articles[offset : offset + limit],
        "articles_page": page(url, limit, offset, len(articles), more),
    }


def _whole_story(engine: Engine, story_id: str) -> dict[str, Any]:
    found = engine.story_page(story_id)
    data = found.story.to_dict()
    data["headline"] = found.headline
    data["articles"] = [article_meta(a) for a in found.articles]
    data["events"] = [coverage(e) for e in found.events]
    data["outlets"] = outlets(found.articles, found.story)
    return data


def entity(
    engine: Engine, name: str, url: URL, limit: int = PAGE_SIZE, offset: int = 0
) -> dict[str, Any]:
    """One entity with a page of its storylines and a page of its quotes."""
    whole = engine.entity(name)
    storylines, quotes = whole["storylines"], whole["quotes"]
    more = offset + limit < max(len(storylines), len(quotes))
    return {
        **whole,
        "storylines": storylines[offset : offset + limit],
        "storylines_total": len(storylines),
        "quotes": quotes[offset : offset + limit],
        "quotes_total": len(quotes),
        "page": page(url, limit, offset, None, more),
    }


def search(
    engine: Engine, query: str, url: URL, limit: int = PAGE_SIZE, offset: int = 0
) -> dict[str, Any]:
    """A page of matches of each kind; there is a next page while any kind fills its page."""
    found = engine.search(query, limit, offset)
    more = any(len(found[kind]) == limit for kind in ("articles", "quotes", "entities"))
    return {"query": query, **found, "page": page(url, limit, offset, None, more)}


def outlets(articles: list[Article], story: Story) -> list[dict[str, Any]]:
    """Coverage by outlet in order of first report: articles, originals, copies."""
    copied = {r.copy for r in story.republications}
    found: dict[str, dict[str, Any]] = {}
    for article in articles:  # publication order
        name = article.outlet or "unknown outlet"
        entry = found.setdefault(
            name,
            {
                "outlet": name,
                "first": format_datetime(article.published),
                "articles": 0,
                "originals": 0,
                "copies": 0,
            },
        )
        entry["articles"] += 1
        entry["copies" if article.id in copied else "originals"] += 1
    return list(found.values())


def entities_of(article: Article) -> list[dict[str, Any]]:
    """An article's named entities, each once, most mentioned first."""
    counts: dict[str, dict[str, Any]] = {}
    for entity in article.entities:
        entry = counts.setdefault(
            entity.canonical, {"name": entity.canonical, "label": entity.label, "mentions": 0}
        )
        entry["mentions"] += 1
    return sorted(counts.values(), key=lambda e: (-e["mentions"], e["name"]))
