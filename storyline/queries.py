"""Read-side queries across stories: search, entity pages, quotes by speaker, contradictions.

Each reads the store, and the stories it needs with their views through
``story_of`` (:meth:`storyline.engine.Engine.story`, which takes them from the
stored documents) or, for entity pages, the rows stored with them, and returns plain
data; :class:`~storyline.engine.Engine`'s
``search_page``, ``entity``, ``quotes`` and ``contradictions`` call them.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from typing import Any

from .errors import NotFoundError, QueryError
from .model import Story, format_datetime, parse_datetime
from .store import Store
from .viewstore import ViewStore

__all__ = ["contradictions", "entity", "quotes_by", "search_page"]

#: a story by id, with its views
StoryOf = Callable[[str], Story]


def search_page(
    store: Store, query: str, limit: int, offset: int
) -> tuple[dict[str, list[dict[str, Any]]], bool]:
    """Articles, stories, quotes and entities matching an FTS5 ``query``, best first,
    ``limit`` and ``offset`` paging each kind; and whether any kind has matches past
    this page (:meth:`storyline.engine.Engine.search`)."""
    if not query.strip():
        raise QueryError("nothing to search for: the query is empty")
    # one hit more than the page shows tells whether a next page exists; entity
    # hits are per article: group them, then page the names
    pages = {"article": (limit + 1, offset), "quote": (limit + 1, offset)}
    found = store.search_kinds(query, {**pages, "entity": ((offset + limit + 1) * 5, 0)})
    entity_hits = found.pop("entity")
    more = any(len(found[kind]) > limit for kind in ("article", "quote"))
    found = {kind: hits[:limit] for kind, hits in found.items()}
    ids = {hit["article"] for hits in found.values() for hit in hits}
    known = store.listings(sorted(ids))

    def where(hit: dict[str, Any]) -> dict[str, Any]:
        listing = known[hit["article"]]
        return {
            **hit,
            "title": listing["title"],
            "outlet": listing["outlet"],
            "published": listing["published"],
            "storyline": listing["storyline"],
            "event": listing["event"],
        }

    articles = [where(hit) for hit in found["article"]]
    quotes = [where(hit) for hit in found["quote"]]
    entities: dict[str, dict[str, Any]] = {}
    for hit in entity_hits:
        entry = entities.setdefault(
            hit["name"], {"name": hit["name"], "snippet": hit["name_snippet"], "articles": []}
        )
        entry["articles"].append(hit["article"])
    storylines: dict[str, int] = {}
    for hit in articles + quotes:
        if hit["storyline"]:
            storylines[hit["storyline"]] = storylines.get(hit["storyline"], 0) + 1
    listed = store.story_listings(list(storylines))
    keys = ("id", "title", "articles", "independent_reports")
    stories = [
        {**{key: listed[storyline_id][key] for key in keys}, "matches": hits}
        for storyline_id, hits in storylines.items()
        if storyline_id in listed
    ]
    names = list(entities.values())
    more = more or len(names) > offset + limit
    return {
        "articles": articles,
        "stories": stories,
        "quotes": quotes,
        "entities": names[offset : offset + limit],
    }, more


def entity(store: Store, views: ViewStore, name: str) -> dict[str, Any]:
    """One named entity across storylines: its type, aliases, storylines, quotes, facts.

    Names are resolved within each storyline ("Teigen" is Chrissy Teigen where the
    storyline names her in full). Read from the rows stored with each storyline's views
    (:meth:`ViewStore.entity_rows`), so the cost follows the number of storylines that
    name it, not their articles. Storylines are listed newest first, quotes in order of
    their first carrier. Raises :class:`NotFoundError` for an unknown name.
    """
    rows = views.entity_rows(name)
    listings = store.story_listings([storyline for storyline, _ in rows])
    labels: Counter[str] = Counter()
    aliases: Counter[str] = Counter()
    articles: list[str] = []
    stories: list[dict[str, Any]] = []
    quotes: list[dict[str, Any]] = []
    facts: list[dict[str, Any]] = []
    first_seen: str | None = None
    for storyline, row in rows:
        listing = listings.get(storyline)
        if listing is None:
            continue
        labels[row["label"]] += row["mentions"]
        aliases.update(row["aliases"])
        articles.extend(row["articles"])
        if row["first_seen"] and (first_seen is None or row["first_seen"] < first_seen):
            first_seen = row["first_seen"]
        stories.append(
            {
                "id": storyline,
                "title": listing["title"],
                "articles": listing["articles"],
                "mentions": row["mentions"],
                "last_published": format_datetime(parse_datetime(listing["last_published"])),
            }
        )
        quotes.extend({**quote, "storyline": storyline} for quote in row["quotes"])
        facts.extend(row["facts"])
    if not stories:
        raise NotFoundError(f"no entity named {name!r}")
    stories.sort(key=lambda s: (s["last_published"] or "", s["mentions"]), reverse=True)
    quotes.sort(key=lambda q: q["carriers"][0].get("published") or "~")
    return {
        "name": rows[0][1]["canonical"],
        "label": labels.most_common(1)[0][0],
        "aliases": dict(aliases.most_common()),
        "mentions": sum(s["mentions"] for s in stories),
        "articles": articles,
        "first_seen": first_seen,
        "storylines": stories,
        "quotes": quotes,
        "facts": facts,
    }


def quotes_by(store: Store, story_of: StoryOf, speaker: str) -> list[dict[str, Any]]:
    """What a person said, across storylines: each quote once, with its carriers in order.

    ``speaker`` matches a canonical name or any part of it, ignoring case.
    """
    wanted = speaker.casefold().split()
    found = []
    for storyline in store.storylines_quoting(speaker):
        for quote in story_of(storyline).quotes:
            name = (quote.get("speaker") or "").casefold().split()
            if name and all(part in name for part in wanted):
                found.append({**quote, "storyline": storyline})
    return sorted(found, key=lambda q: q["carriers"][0].get("published") or "~")


def contradictions(
    store: Store, story_of: StoryOf, story_id: str | None
) -> list[tuple[Story, dict[str, Any]]]:
    """Contradictions in one story, or in every storyline, with the story they are in."""
    ids = [story_id] if story_id else [s.id for s in store.stories("storyline")]
    found: list[tuple[Story, dict[str, Any]]] = []
    for each in ids:
        story = story_of(each)
        found.extend((story, contradiction) for contradiction in story.contradictions)
    return found
