"""What the pages, the API and the feeds show, assembled from :class:`Engine` calls.

Lists come a page at a time (``limit``, ``offset``) with links to the pages either
side. A story's page is cut from its stored document (:meth:`Engine.story_document`),
computed once per change of the story by whichever process gets there first and
shared by all through the store; each process keeps the answers it rendered in a
:class:`ResponseCache`, keyed by the version of the story's stored views (story
pages) or of the store (lists). Parsed documents are not kept: the 256 largest are
440,000 objects, and every full pass of Python's cycle collector walked them
all (pauses of 100-200 ms at 100,000 articles), while reading one again costs a
decompression and a parse (30 ms for the largest story of 100,000 articles, about
3 ms from the 100th largest down).
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable
from typing import Any
from urllib.parse import quote

from starlette.datastructures import URL

from ..engine import Engine
from ..model import Article
from ..views.document import listed

#: items per page unless asked otherwise, and the most one page may hold
PAGE_SIZE, MAX_PAGE_SIZE = 20, 100
#: a story's articles per page
ARTICLES_PAGE_SIZE = 50
#: a story's long lists, each shown in part on its page and whole, paged, on its own;
#: the items shown are those with most sources (timeline entries: sources; quotes:
#: carriers), or the first ones for the others
SECTIONS = ("timeline", "quotes", "republications", "estimated_dates")
SECTION_WEIGHTS = {"timeline": "sources", "quotes": "carriers"}
#: items of each section a story's page and its API answer show
SECTION_SHOWN = 20
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
    listings = store.story_listings(ids + [e for each in events.values() for e in each])
    found = [
        {
            **listed(listings[storyline_id]),
            "events": [listed(listings[e]) for e in events[storyline_id]],
            "events_total": counts[storyline_id],
        }
        for storyline_id in ids
    ]
    return {
        "storylines": found,
        "page": page(url, limit, offset, total, offset + limit < total),
    }


#: what a cached answer is kept for: a story's stored views, or the store as a whole
Version = tuple[Any, ...]


class ResponseCache:
    """Rendered answers (status, media type, body) keyed by (URL, version), the
    least recently used dropped beyond ``max_bytes``; thread-safe."""

    def __init__(self, max_bytes: int = 64 << 20) -> None:
        self.max_bytes = max_bytes
        self._found: OrderedDict[tuple[str, Version], tuple[int, str, bytes]] = OrderedDict()
        self._bytes = 0
        self._lock = threading.Lock()

    def get(
        self, key: tuple[str, Version], render: Callable[[], tuple[int, str, bytes]]
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


def story_version(engine: Engine, story_id: str) -> Version | None:
    """What a story's rendered answers are kept for: the version of its stored views
    (None while it has none, or for an unknown story)."""
    state = engine.views.state(story_id) if engine.store.versioned else None
    if state is None or not state.servable:
        return None
    return ("story", story_id, state.stored)


def story(
    engine: Engine,
    story_id: str,
    url: URL,
    limit: int = ARTICLES_PAGE_SIZE,
    offset: int = 0,
) -> dict[str, Any]:
    """Everything the story page shows, as plain data: one page of its articles, and of
    each of its :data:`SECTIONS` the :func:`highlights`, with where to find the rest
    (``sections``). Read from the story's stored document."""
    whole = _document(engine, story_id)
    articles = whole["articles"]
    more = offset + limit < len(articles)
    base = _story_path(url, story_id)
    shown = {name: highlights(whole[name], SECTION_WEIGHTS.get(name)) for name in SECTIONS}
    return {
        **whole,
        **shown,
        "sections": {
            name: {"shown": len(shown[name]), "total": len(whole[name]), "href": f"{base}/{name}"}
            for name in SECTIONS
        },
        "articles": articles[offset : offset + limit],
        "articles_page": page(url, limit, offset, len(articles), more),
    }


def story_section(
    engine: Engine,
    story_id: str,
    name: str,
    url: URL,
    limit: int = ARTICLES_PAGE_SIZE,
    offset: int = 0,
) -> dict[str, Any]:
    """One of a story's :data:`SECTIONS`, whole and in order, a page at a time."""
    whole = _document(engine, story_id)
    items = whole[name]
    return {
        **{key: whole[key] for key in ("id", "kind", "title", "headline")},
        name: items[offset : offset + limit],
        "page": page(url, limit, offset, len(items), offset + limit < len(items)),
    }


def highlights(
    items: list[dict[str, Any]], weight: str | None, count: int = SECTION_SHOWN
) -> list[dict[str, Any]]:
    """The ``count`` items with the longest ``weight`` list (all when they fit; the
    first ``count`` without a weight), kept in their order; ties go to the earlier."""
    if len(items) <= count:
        return items
    if weight is None:
        return items[:count]
    ranked = sorted(range(len(items)), key=lambda at: (-len(items[at][weight]), at))
    return [items[at] for at in sorted(ranked[:count])]


def _document(engine: Engine, story_id: str) -> dict[str, Any]:
    """A story's stored document, stale or not: the ingest run that made it stale
    brings it up to date when it ends."""
    return engine.story_document(story_id, stale_ok=True)


def _story_path(url: URL, story_id: str) -> str:
    """The story's own path, on the pages or under the API as ``url`` is."""
    return ("/api" if url.path.startswith("/api/") else "") + "/stories/" + quote(story_id, safe="")


def entity(
    engine: Engine, name: str, url: URL, limit: int = PAGE_SIZE, offset: int = 0
) -> dict[str, Any]:
    """One entity with a page of each of its lists: storylines, quotes, facts and the
    ids of the articles naming it (all paged together)."""
    whole = engine.entity(name)
    lists = ("storylines", "quotes", "facts", "articles")
    more = offset + limit < max(len(whole[key]) for key in lists)
    return {
        **whole,
        **{key: whole[key][offset : offset + limit] for key in lists},
        **{f"{key}_total": len(whole[key]) for key in lists},
        "page": page(url, limit, offset, None, more),
    }


def search(
    engine: Engine, query: str, url: URL, limit: int = PAGE_SIZE, offset: int = 0
) -> dict[str, Any]:
    """A page of matches of each kind; there is a next page while any kind has more."""
    found, more = engine.search_page(query, limit, offset)
    return {"query": query, **found, "page": page(url, limit, offset, None, more)}


def entities_of(article: Article) -> list[dict[str, Any]]:
    """An article's named entities, each once, most mentioned first."""
    counts: dict[str, dict[str, Any]] = {}
    for entity in article.entities:
        entry = counts.setdefault(
            entity.canonical, {"name": entity.canonical, "label": entity.label, "mentions": 0}
        )
        entry["mentions"] += 1
    return sorted(counts.values(), key=lambda e: (-e["mentions"], e["name"]))
